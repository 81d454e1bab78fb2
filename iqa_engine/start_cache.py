"""What a later start reuses from an earlier one, so a second start is quick.

Two things cost seconds on every start and give the same answer each time:
- the SHA-256 of a local weights file (the fingerprint needs it): reused
  while the file's path, size, modification time and inode are unchanged,
  as git's index trusts a file's stat data;
- the text features of the engine's prompts (MA-CLIP's antonym pairs, the
  dimensions' prompts): one text-tower pass, stored as the exact float32
  tensor it returned, keyed by everything that decides it (weights,
  activation, prompts, precision, device type, torch and package version).
A cached value is the value the computation gave, bit for bit, so no score
changes. Every failure to read or write the cache means computing again;
the cache never fails a start.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:  # torch loads on first use: the gallery's thumbnail cache asks here for its folder
    import torch

APP_NAME = "curator"


def user_cache_dir() -> Path:
    """<user cache dir> (platformdirs; XDG_CACHE_HOME is honoured on Linux)."""
    return Path(platformdirs.user_cache_dir(APP_NAME))


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("curator")
    except PackageNotFoundError:  # running from a source checkout without an installed distribution
        return "source"


def cache_key(prefix: str, **parts: object) -> str:
    """A short stable file name for these parts (and this package's version)."""
    payload = {"package": package_version(), **parts}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return f"{prefix}-" + hashlib.sha256(blob).hexdigest()[:16]


def _stat_key(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def file_sha256(path: Path, compute: Callable[[Path], str]) -> str:
    """compute(path), reused while the file's stat data is unchanged."""
    try:
        record = user_cache_dir() / "sha256" / (cache_key("file", **_stat_key(path)) + ".txt")
    except OSError:
        return compute(path)
    try:
        known = record.read_text().strip()
        if len(known) == 64 and all(c in "0123456789abcdef" for c in known):
            return known
    except OSError:
        pass
    digest = compute(path)
    try:
        write_atomically(record, digest.encode())
    except OSError:
        pass  # no cache: the next start hashes again
    return digest


def text_features(key_parts: dict[str, object], prompts: Sequence[str],
                  compute: Callable[[], torch.Tensor]) -> torch.Tensor:
    """compute() (a (len(prompts), D) float32 tensor), or the tensor an earlier start stored for the same key."""
    import torch

    path = user_cache_dir() / "text-features" / (cache_key("text", prompts=list(prompts), torch=torch.__version__,
                                                           **key_parts) + ".pt")
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(stored, torch.Tensor) and stored.ndim == 2 and stored.shape[0] == len(prompts):
            return stored
    except Exception:  # noqa: BLE001 - absent, half-written by an old version, unreadable: compute again
        pass
    features = compute()
    buffer = io.BytesIO()
    torch.save(features.detach().cpu().float().clone(), buffer)
    try:
        write_atomically(path, buffer.getvalue())
    except OSError:
        pass  # no cache: the next start computes again
    return features


def write_atomically(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all (a reader never sees half of one, kill -9 included); its
    folder is made. Raises OSError: callers decide whether a missing cache file matters."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
