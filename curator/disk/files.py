"""Which files are photos, and the folder walk that finds them. Dependency-free (standard library only).

The extension sets match iqa_engine.decode's (what the engine can decode; a test keeps them equal):
curator's watcher, walk, pairing and moves use these, so none of them imports the engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from curator.rules.settle import FileStat

__all__ = ["FileStat"]  # a file's state as the settle rule compares it; re-exported for the disk's users

log = logging.getLogger("curator.disk.files")

RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef"})
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe"})
RASTER_EXTENSIONS = JPEG_EXTENSIONS | frozenset({".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"})
# What counts as a photo when walking a folder; anything else is ignored.
PHOTO_EXTENSIONS = RASTER_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS


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


# Folders deeper than this below the walked folder are skipped (with one warning each): no photo
# library nests 256 levels, and a deeper tree is an accident or an attack (it once crashed the walk).
MAX_DEPTH = 256


def walk_photos(folder: str | os.PathLike[str], *, max_depth: int = MAX_DEPTH) -> Iterator[Path]:
    """Every photo under `folder`: sorted, recursive, following symlinked folders but not their loops.

    The one folder walk: scan, score, `xmp read` and the benchmarks all list photos through it.
    It keeps its own stack rather than recursing (os.walk recurses, and a folder ~1,000 levels deep
    raised RecursionError), so the depth of a tree costs memory, never the call stack. Folders it
    cannot list are passed over, as os.walk does.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, int]] = [(os.fspath(folder), 0)]
    while stack:
        root, depth = stack.pop()
        try:
            st = os.stat(root)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink loop
            continue
        seen.add(key)
        files: list[str] = []
        dirs: list[str] = []
        try:
            with os.scandir(root) as it:
                for entry in it:
                    try:
                        is_dir = entry.is_dir()  # follows a symlinked folder
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError:
            continue
        for name in sorted(files):
            if is_photo_path(name):
                yield Path(root) / name
        if dirs and depth >= max_depth:
            log.warning("skipping the folders inside %s: more than %d levels deep", root, max_depth)
            continue
        # Pushed in reverse, so the stack hands them back in sorted order (depth first, as os.walk).
        stack.extend((os.path.join(root, name), depth + 1) for name in sorted(dirs, reverse=True))


def iter_photo_paths(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files as given, and every photo under a folder (walk_photos)."""
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from walk_photos(path)
        else:
            yield path
