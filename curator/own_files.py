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

import secrets
from pathlib import Path

SIDECAR_SUFFIX = ".xmp"
TEMP_SUFFIX = ".curator-tmp"  # a sidecar (curator.xmp) or a photo with embedded XMP (curator.embed) being written
PARTIAL_SUFFIX = ".curator-partial"  # a copy across file systems being made and verified (curator.moves)
OWN_SUFFIXES = (SIDECAR_SUFFIX, TEMP_SUFFIX, PARTIAL_SUFFIX)


def temp_sibling(target: Path, suffix: str) -> Path:
    """A fresh hidden name in target's folder: "." + 8 random hex digits + suffix."""
    return target.with_name(f".{secrets.token_hex(4)}{suffix}")


def is_partial_copy(name: str) -> bool:
    """A partial copy left by a move across file systems that was killed (ours by its suffix)."""
    return name.startswith(".") and name.endswith(PARTIAL_SUFFIX)
