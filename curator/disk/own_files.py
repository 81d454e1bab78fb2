"""The files curator writes beside photos itself, and how they are named.

An atomic write goes through a temporary file in the target's folder (same file
system, so the final step is a rename). Its name is short and random, not
derived from the target's: a target may already have the longest name a file
system allows (255 bytes), and a temporary name built by adding to it could not
be created. These names are at most 25 bytes; they start with a dot (hidden)
and end in a suffix that says whose they are, so the watcher ignores them and a
clean-up can find them after a crash without touching anyone else's file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SIDECAR_SUFFIX = ".xmp"
TEMP_SUFFIX = ".curator-tmp"  # a sidecar (curator.disk.xmp) or a photo with embedded XMP (curator.disk.xmp_embedded) being written
PARTIAL_SUFFIX = ".curator-partial"  # a copy across file systems being made and verified (curator.disk.moves)
OWN_SUFFIXES = (SIDECAR_SUFFIX, TEMP_SUFFIX, PARTIAL_SUFFIX)


def temp_sibling(target: Path, suffix: str) -> Path:
    """A fresh hidden name in target's folder: "." + 8 random hex digits + suffix."""
    return target.with_name(f".{secrets.token_hex(4)}{suffix}")


def is_partial_copy(name: str) -> bool:
    """A partial copy left by a move across file systems that was killed (ours by its suffix)."""
    return name.startswith(".") and name.endswith(PARTIAL_SUFFIX)


class TempNotCreated(OSError):
    """The temporary file could not be created at all (a read-only or full folder): nothing was written."""


def write_temp_sibling(target: Path, data: bytes, mode: int | None, create_mode: int = 0o666) -> Path:
    """`data` in a fresh temporary file beside `target` (TEMP_SUFFIX), flushed to disk, with permission bits
    `mode` (None: create_mode less the umask); returns its path. The caller renames it over the target.
    Raises TempNotCreated when the file cannot be created, else OSError, having removed the file."""
    tmp = temp_sibling(target, TEMP_SUFFIX)  # short: target may already have the longest name allowed
    # A fresh file only: O_EXCL fails on anything already there, a planted link included.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, create_mode)
    except OSError as exc:
        raise TempNotCreated(exc.errno, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if mode is not None:  # on the open file: a name swapped for a link meanwhile is not followed
                _chmod_open(fh.fileno(), tmp, mode)
    except BaseException:
        remove_quietly(tmp)
        raise
    return tmp


def _chmod_open(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13 has no fchmod
        os.chmod(path, mode)


def remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
