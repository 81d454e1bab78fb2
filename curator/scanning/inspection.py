"""The worker's threaded stage: one pending photo -> stat, content hash, EXIF, decode and views, a few
photos ahead of the scorer. A moved photo is recognised by its hash; the second file of a RAW+JPEG
pair is linked to its shot rather than decoded. A failure becomes the photo's recorded reason."""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from curator.catalog import Catalog, FileStat, OutcomeKind, PendingItem
from curator.disk.exif import ExifData, read_exif
from curator.disk.identity import content_hash, read_error, stat_file

if TYPE_CHECKING:
    from iqa_engine import Engine

log = logging.getLogger("curator.scanning.worker")



@dataclass
class Inspection:
    item: PendingItem
    # "score": to be scored; "measure": quality values to compute, the stored score kept; any other: the
    # outcome already known
    kind: Literal["score", "measure"] | OutcomeKind
    stat: FileStat | None = None
    content_hash: str | None = None
    exif: ExifData | None = None
    prepared: Any = None  # iqa_engine.engine.Prepared
    error: str | None = None
    twin_id: int | None = None
    partners: tuple[str, ...] = ()  # the other files of the photo's shot (it is the scored one)
    primary: str | None = None  # kind "partner": the shot's scored file
    primary_stat: FileStat | None = None


def _shot(path: str, catalog: Catalog) -> tuple[str | None, FileStat | None, tuple[str, ...]]:
    """(the scored file and its stat, when `path` is the other file of a RAW+JPEG pair; else None, None)
    and the shot's other files. A pair whose scored file cannot be stat'ed or failed is not a pair here:
    this file is then scored itself."""
    from curator.disk.raw_pairs import shot_of

    p = Path(path)
    shot = shot_of(p)  # the folder is listed once, through pairs' per-folder stem index
    if not shot.is_pair:
        return None, None, ()
    if shot.primary == p:
        return None, None, tuple(str(f) for f in shot.partners)
    primary = str(shot.primary)
    result = stat_file(primary)
    if result.kind != "ok" or catalog.path_status(primary) == "error":
        return None, None, ()
    return primary, result.stat, ()


def inspect_photo(item: PendingItem, engine: Engine, catalog: Catalog, reasons_only: bool = False) -> Inspection:
    """Everything about one pending photo that can run in a thread. Never raises for a bad file.

    A photo whose score is current but whose quality values (dimensions, measurements) are missing or
    from other dimensions is "measure"d: decoded and run through the model, its stored score kept. With
    reasons_only, every photo with a score is measured so (its stored score kept, from whichever engine);
    nothing is scored."""

    path = item.path
    first = stat_file(path)
    if first.kind == "missing":
        return Inspection(item, "missing", error=first.error)
    if first.kind == "error":
        return Inspection(item, "error", stat=item.stat, error=first.error)
    st = first.stat
    assert st is not None
    if st != item.stat:  # written to since it looked settled
        return Inspection(item, "changed", stat=st)
    try:
        digest = content_hash(path)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            return Inspection(item, "missing", error="vanished before it could be scored")
        return Inspection(item, "error", stat=st, error=read_error(exc))
    fingerprint = engine.fingerprint
    primary, primary_stat, partners = _shot(path, catalog)
    if primary is None and item.content_hash == digest and (reasons_only or catalog.has_score(item.photo_id,
                                                                                              fingerprint)):
        dimensions_fingerprint = getattr(engine, "dimensions_fingerprint", None)
        if dimensions_fingerprint is None or catalog.has_quality(item.photo_id, dimensions_fingerprint):
            return Inspection(item, "unchanged", stat=st, content_hash=digest, partners=partners)
        return _prepared(item, engine, st, digest, "measure", partners=partners)
    if reasons_only and primary is None:  # not what was scored: left as it is for a scan
        return Inspection(item, "unchanged", stat=st, partners=partners)
    twin = None
    if item.content_hash is None:  # a path never seen before: maybe a photo that moved while we were away
        for candidate in catalog.find_twins(digest, fingerprint, item.photo_id):
            if candidate.status == "missing" or not os.path.lexists(candidate.path):
                twin = candidate
                break
    exif = read_exif(path)
    if primary is not None:  # the RAW (or HEIF) of a pair: the shot is scored from its other file
        return Inspection(item, "partner", stat=st, content_hash=digest, exif=exif,
                          twin_id=twin.photo_id if twin else None, primary=primary, primary_stat=primary_stat)
    if twin is not None and twin.has_current_score:
        return Inspection(item, "adopted", stat=st, content_hash=digest, exif=exif, twin_id=twin.photo_id,
                          partners=partners)
    return _prepared(item, engine, st, digest, "score", exif=exif, twin_id=twin.photo_id if twin else None,
                     partners=partners)


def _prepared(item: PendingItem, engine: Engine, st: FileStat, digest: str, kind: Literal["score", "measure"], *,
              exif: ExifData | None = None, twin_id: int | None = None, partners: tuple[str, ...] = ()) -> Inspection:
    """Decode the photo into the engine's views: an Inspection of `kind` ("score" or "measure") ready for it.
    A photo that cannot be decoded for a "measure" keeps its stored score ("unchanged")."""
    from iqa_engine.errors import ImageDecodeError

    path = item.path
    try:
        prepared = engine.prepare_path(path)
    except ImageDecodeError as exc:
        if kind == "measure":
            return Inspection(item, "unchanged", stat=st, content_hash=digest, partners=partners)
        return Inspection(item, "error", stat=st, content_hash=digest, error=str(exc) or "cannot be decoded")
    except Exception as exc:  # noqa: BLE001 - anything about one file stays with that file
        if kind == "measure":
            return Inspection(item, "unchanged", stat=st, content_hash=digest, partners=partners)
        return Inspection(item, "error", stat=st, content_hash=digest, error=read_error(exc))
    after = stat_file(path)
    if after.stat != st:
        if after.kind == "missing":
            return Inspection(item, "missing", error="vanished while being scored")
        return Inspection(item, "changed", stat=after.stat or st)
    return Inspection(item, kind, stat=st, content_hash=digest, exif=exif, prepared=prepared, twin_id=twin_id,
                      partners=partners)


def inspection_result(item: PendingItem, fut: Future[Inspection]) -> Inspection:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a bug in inspect must not lose the batch: record it on the photo
        return Inspection(item, "error", stat=item.stat, error=f"could not be inspected ({type(exc).__name__}: {exc})")
