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

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "curator"


def cache_root() -> Path:
    """<user cache dir>/backends (platformdirs; XDG_CACHE_HOME is honoured on Linux)."""
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "backends"


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("curator")
    except Exception:  # noqa: BLE001 (running from a source checkout without an installed distribution)
        return "source"


def cache_key(prefix: str, **parts: object) -> str:
    """A short stable folder or file name for these parts (and this package's version)."""
    payload = {"package": package_version(), **parts}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return f"{prefix}-" + hashlib.sha256(blob).hexdigest()[:16]


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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    replace_atomically(tmp, path)
