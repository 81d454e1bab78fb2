"""Which files are photos, and the folder walk that finds them. Dependency-free (standard library only).

The extension sets match iqa_engine.decode's (what the engine can decode; a test keeps them equal):
curator's watcher, walk, pairing and moves use these, so none of them imports the engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef"})
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe"})
RASTER_EXTENSIONS = JPEG_EXTENSIONS | frozenset({".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"})
# What counts as a photo when walking a folder; anything else is ignored.
PHOTO_EXTENSIONS = RASTER_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS


@dataclass(frozen=True)
class FileStat:
    """What the catalog and the settle rule compare to tell whether a file changed: size and mtime."""

    size: int
    mtime_ns: int


def is_photo_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in PHOTO_EXTENSIONS


def is_raw_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def is_jpeg_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in JPEG_EXTENSIONS


def is_under(path: str, root: str) -> bool:
    """Whether `path` is `root` or inside it (the test the catalog's scope_clause makes in SQL)."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path == root or path.startswith(prefix)


def walk_photos(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Every photo under `folder`: sorted, recursive, following symlinked folders but not their loops.

    The one folder walk: scan, score, `xmp read` and the benchmarks all list photos through it.
    """
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        st = os.stat(root)
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink loop
            dirs[:] = []
            continue
        seen.add(key)
        dirs.sort()
        for name in sorted(files):
            if is_photo_path(name):
                yield Path(root) / name


def iter_photo_paths(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files as given, and every photo under a folder (walk_photos)."""
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from walk_photos(path)
        else:
            yield path
