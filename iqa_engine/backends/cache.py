"""Where converted image towers live: the user cache directory, one folder per tower identity.

The key is what decides the converted graph and its numbers (the weights'
identity and the architecture's config) plus
the versions of this package and of the runtime that converted it, so an
upgrade of either converts again rather than loading a stale file. The
engine fingerprint's other parts (protocol, prompts, fusion parameters)
do not change the image tower, so engines that differ only there share one
conversion.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..start_cache import cache_key, package_version, user_cache_dir, write_atomically

__all__ = ["cache_key", "cache_root", "package_version", "read_json", "replace_atomically", "tower_dir",
           "write_json"]


def cache_root() -> Path:
    """<user cache dir>/backends."""
    return user_cache_dir() / "backends"


def tower_dir(key: str) -> Path:
    path = cache_root() / key
    path.mkdir(parents=True, exist_ok=True)
    return path


def replace_atomically(tmp: Path, final: Path) -> None:
    """Move a finished file into place, so a reader never sees half a file (kill -9 included)."""
    os.replace(tmp, final)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
