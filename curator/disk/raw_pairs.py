"""RAW+JPEG (and RAW+HEIF) pairs: files in one folder that share a stem are one shot.

A camera set to RAW+JPEG writes IMG_0001.CR2 and IMG_0001.JPG for one press of
the shutter. curator treats them as one *shot*:

- it is **scored once**, from one file (the shot's ``primary``);
- a decision (reject, rating, label) **applies to every file** of the shot:
  both get XMP, both move together in ``move-rejects``.

Which file is scored:

- RAW + JPEG: the **JPEG**. It is the camera's own full-resolution render of
  the same frame, with the same picture style as the RAW's embedded preview
  (which is often that very JPEG at a reduced size), and it decodes through
  libjpeg's DCT scaling without rawpy. Scoring it gives the same number a
  JPEG-only shooter gets for the same frame.
- RAW + HEIF: the **RAW** (its embedded JPEG preview). Cameras that write HEIF
  do so mostly in their 10-bit HDR modes (PQ/HLG), which an 8-bit pipeline
  shows washed out, and decoding HEVC is slower than extracting the preview.

A stem group is a pair only when it is unambiguous: exactly one RAW and exactly
one rendered file (JPEG or HEIF). IMG.CR2 + IMG.DNG, or IMG.JPG + IMG.HEIC, are
separate shots (see curator.disk.xmp.adobe_sidecar_clashes for what that means for
Adobe-style sidecars). Stems are compared case-insensitively (IMG_0001.CR2 and
img_0001.jpg are one shot), because the photographer's files often travel
through case-insensitive file systems (macOS, Windows, memory cards).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from curator.disk.files import HEIF_EXTENSIONS, JPEG_EXTENSIONS, PHOTO_EXTENSIONS, RAW_EXTENSIONS

RENDERED_EXTENSIONS = JPEG_EXTENSIONS | HEIF_EXTENSIONS


def is_raw(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def stem_key(path: Path) -> tuple[Path, str]:
    """(folder, stem) as files are paired: the stem compared case-insensitively."""
    return path.parent, path.stem.casefold()


@dataclass(frozen=True)
class Shot:
    """One press of the shutter: one file, or an unambiguous RAW + JPEG/HEIF pair."""

    primary: Path  # the file that is scored and thumbnailed
    files: tuple[Path, ...]  # every file of the shot, primary first

    @property
    def is_pair(self) -> bool:
        return len(self.files) > 1

    @property
    def raw(self) -> Path | None:
        return next((f for f in self.files if is_raw(f)), None)

    @property
    def partners(self) -> tuple[Path, ...]:
        return tuple(f for f in self.files if f != self.primary)


def _pair(members: list[Path]) -> Shot | None:
    raws = [m for m in members if m.suffix.lower() in RAW_EXTENSIONS]
    rendered = [m for m in members if m.suffix.lower() in RENDERED_EXTENSIONS]
    if len(members) != 2 or len(raws) != 1 or len(rendered) != 1:
        return None
    raw, other = raws[0], rendered[0]
    if other.suffix.lower() in JPEG_EXTENSIONS:
        return Shot(other, (other, raw))
    return Shot(raw, (raw, other))  # RAW + HEIF: score the RAW's preview


def group_shots(paths: Iterable[str | os.PathLike[str]]) -> list[Shot]:
    """Group photo files into shots, in the order their first file appears.

    Only the paths given are considered (no directory listing); non-photo
    files are ignored. Duplicates are dropped.
    """
    order: list[tuple[Path, str]] = []
    groups: dict[tuple[Path, str], list[Path]] = defaultdict(list)
    for raw in paths:
        p = Path(raw)
        if p.suffix.lower() not in PHOTO_EXTENSIONS:
            continue
        key = stem_key(p)
        if key not in groups:
            order.append(key)
        if p not in groups[key]:
            groups[key].append(p)
    shots: list[Shot] = []
    for key in order:
        members = groups[key]
        pair = _pair(members)
        if pair is not None:
            shots.append(pair)
        else:
            shots.extend(Shot(m, (m,)) for m in members)
    return shots


class _StemIndex:
    """Each folder's listing, as {stem.casefold(): [names]}: listed once, not once per photo.

    An index is reused while the folder's (device, inode, st_mtime_ns) is unchanged, and only when
    that mtime was already older than the listing by more than a file system's timestamp
    granularity (FAT's is 2 s): a name added in the same tick as the listing leaves the folder's
    mtime unchanged, so such a listing is not trusted and the folder is listed again. A few hundred
    folders are kept, least recently used first out. Thread-safe (the worker inspects in a pool).
    """

    MAX_FOLDERS = 256
    RACY_NS = 3_000_000_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folders: OrderedDict[Path, tuple[tuple[int, int, int], dict[str, list[str]]]] = OrderedDict()

    def names(self, folder: Path, stem: str) -> list[str]:
        """The names in `folder` whose stem is `stem` (casefolded); [] when it cannot be listed."""
        try:
            st = os.stat(folder)
        except OSError:
            return []
        key = (st.st_dev, st.st_ino, st.st_mtime_ns)
        with self._lock:
            cached = self._folders.get(folder)
            if cached is not None and cached[0] == key:
                self._folders.move_to_end(folder)
                return list(cached[1].get(stem, ()))
        listed_at = time.time_ns()
        try:
            listing = os.listdir(folder)
        except OSError:
            return []
        index: dict[str, list[str]] = defaultdict(list)
        for name in listing:
            index[Path(name).stem.casefold()].append(name)
        with self._lock:
            if st.st_mtime_ns < listed_at - self.RACY_NS:
                self._folders[folder] = (key, index)
                self._folders.move_to_end(folder)
                while len(self._folders) > self.MAX_FOLDERS:
                    self._folders.popitem(last=False)
            else:
                self._folders.pop(folder, None)
        return list(index.get(stem, ()))


_STEMS = _StemIndex()


def shot_of(path: str | os.PathLike[str], siblings: Iterable[str | os.PathLike[str]] | None = None) -> Shot:
    """The shot a file belongs to, looking at its folder (or at `siblings` when given).

    The folder is read through a per-folder stem index (see _StemIndex), so scoring every photo
    of a large folder lists it once rather than once per photo.
    """
    p = Path(path)
    key = stem_key(p)
    if siblings is None:
        siblings = [p.parent / n for n in _STEMS.names(p.parent, key[1])]
    members = [p] + [Path(s) for s in siblings if stem_key(Path(s)) == key and Path(s) != p]
    for shot in group_shots(members):
        if p in shot.files:
            return shot
    return Shot(p, (p,))


def partners_of(path: str | os.PathLike[str],
                siblings: Iterable[str | os.PathLike[str]] | None = None) -> tuple[Path, ...]:
    """The other files of this file's shot (its RAW or JPEG partner), or ()."""
    p = Path(path)
    return tuple(f for f in shot_of(p, siblings).files if f != p)
