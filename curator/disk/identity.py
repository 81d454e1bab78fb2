"""A file's identity on disk: its normalised path, its stat (with a one-line reason when it cannot be
read), and the SHA-256 of its bytes, by which a moved photo is recognised. Files are opened read-only."""

from __future__ import annotations

import errno
import hashlib
import os
import stat as stat_module
from dataclasses import dataclass

from curator.rules.settle import FileStat

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class StatResult:
    stat: FileStat | None
    kind: str  # "ok", "missing" or "error"
    error: str | None = None


def normalize_path(path: str | os.PathLike[str]) -> str:
    """Absolute, with the folder's symlinks resolved but the file's own name kept (as the watcher reports it)."""
    p = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(p)
    return os.path.join(os.path.realpath(folder), name) if name else os.path.realpath(p)


def stat_file(path: str | os.PathLike[str]) -> StatResult:
    """Follow symlinks; say in one line why a photo path cannot be read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return StatResult(None, "error", "broken symbolic link")
        return StatResult(None, "missing", "vanished before it could be scored")
    except PermissionError:
        return StatResult(None, "error", "permission denied")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return StatResult(None, "error", "symbolic link loop")
        return StatResult(None, "error", exc.strerror or str(exc))
    if not stat_module.S_ISREG(st.st_mode):
        return StatResult(None, "error", "not a regular file")
    return StatResult(FileStat(st.st_size, st.st_mtime_ns), "ok")


def content_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the file's bytes (read-only)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def read_error(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "vanished while being read"
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(exc, IsADirectoryError):
        return "not a regular file"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"could not be read ({type(exc).__name__}: {exc})"
