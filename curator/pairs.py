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
separate shots (see curator.xmp.adobe_sidecar_clashes for what that means for
Adobe-style sidecars). Stems are compared case-insensitively (IMG_0001.CR2 and
img_0001.jpg are one shot), because the photographer's files often travel
through case-insensitive file systems (macOS, Windows, memory cards).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from iqa_engine.decode import HEIF_EXTENSIONS, PHOTO_EXTENSIONS, RAW_EXTENSIONS

JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe"})
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


def shot_of(path: str | os.PathLike[str], siblings: Iterable[str | os.PathLike[str]] | None = None) -> Shot:
    """The shot a file belongs to, looking at its folder (or at `siblings` when given)."""
    p = Path(path)
    if siblings is None:
        try:
            names = os.listdir(p.parent)
        except OSError:
            names = []
        siblings = [p.parent / n for n in names]
    key = stem_key(p)
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
