"""The plain records the catalog takes and hands out (frozen dataclasses; no engine or Qt types)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

import numpy as np

if TYPE_CHECKING:
    from curator.exif import ExifData

STATUSES = ("pending", "scored", "error", "missing")
FLAGS = ("pick", "reject")
FLAG_SOURCES = ("auto", "user")
SORTS = ("name", "score", "-score", "time")

# What the worker found for one pending photo (see Outcome).
OutcomeKind = Literal["scored", "partner", "unchanged", "adopted", "error", "missing", "changed"]
OUTCOME_KINDS: tuple[str, ...] = get_args(OutcomeKind)
CURRENT_KINDS = frozenset({"scored", "partner", "unchanged", "adopted"})  # the photo ends with a current score


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # set_decision's "leave this field as it is"


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ViewRecord:
    """One view's cues as stored: box (l, t, r, b) in scored-size pixels, None for the global view."""

    box: tuple[int, int, int, int] | None
    fused: float
    cosine: float
    magnitude: float
    w_cosine: float
    w_magnitude: float


@dataclass(frozen=True)
class ScoreRecord:
    """A score as the catalog stores it. The worker converts the engine's result with from_result."""

    fingerprint: str
    score: float
    fused: float
    cosine: float
    magnitude: float
    w_cosine: float
    w_magnitude: float
    mode: str
    protocol: str
    model: str
    scored_size: tuple[int, int]
    original_size: tuple[int, int]
    views: tuple[ViewRecord, ...]
    embedding: np.ndarray
    elapsed_ms: float = 0.0
    decode_source: str | None = None
    # Triage's quick first-pass score: the photo stays in the queue until its exact score lands.
    provisional: bool = False

    @classmethod
    def from_result(cls, result: Any) -> "ScoreRecord":
        """Copy an engine result (anything with these attributes, e.g. iqa_engine's PhotoScore)."""
        if isinstance(result, ScoreRecord):
            return result
        views = tuple(ViewRecord(v.box, v.fused, v.cosine, v.magnitude, v.w_cosine, v.w_magnitude)
                      for v in result.views)
        return cls(result.fingerprint, result.score, result.fused, result.cosine, result.magnitude,
                   result.w_cosine, result.w_magnitude, result.mode, result.protocol, result.model,
                   tuple(result.scored_size), tuple(result.original_size), views,
                   np.asarray(result.embedding), float(getattr(result, "elapsed_ms", 0.0) or 0.0),
                   getattr(result, "decode_source", None))


@dataclass(frozen=True)
class GalleryRow:
    photo_id: int
    path: str
    folder: str
    name: str
    status: str  # 'pending' | 'scored' | 'error' | 'missing'
    error: str | None
    width: int | None
    height: int | None
    mtime: float
    size: int
    capture_time: str | None  # ISO 8601
    camera: str | None
    lens: str | None
    iso: int | None
    exposure_time: float | None
    f_number: float | None
    focal_length: float | None
    orientation: int | None
    fused: float | None
    cosine: float | None
    magnitude: float | None
    w_cosine: float | None
    w_magnitude: float | None
    flag: str | None  # 'pick' | 'reject' | None
    flag_source: str | None  # 'auto' | 'user' | None
    rating: int  # 0..5
    label: str | None  # colour word, e.g. 'Red'
    low_quality: bool  # the auto policy finds it weak (shown even if the user picked it)
    # The scored file of this file's shot, when this file is the other half of a RAW+JPEG pair (then the
    # score and decision above are the shot's, read through that photo); None for a shot's own scored file.
    partner_of: int | None = None
    # The score shown is a provisional one (triage's quick first pass), until the exact score lands.
    provisional: bool = False


GALLERY_FIELDS = tuple(f.name for f in fields(GalleryRow))


@dataclass(frozen=True)
class PhotoDetail:
    row: GalleryRow
    views: tuple[ViewRecord, ...]
    scored_size: tuple[int, int] | None
    fingerprint: str | None
    content_hash: str | None = None
    scored_at: float | None = None
    elapsed_ms: float | None = None
    protocol: str | None = None
    model: str | None = None
    decode_source: str | None = None
    exposure_bias: float | None = None
    make: str | None = None
    scored_count: int = 0


@dataclass(frozen=True)
class FileEntry:
    """A file found on disk by a scan: its stat, or the reason it could not be stat'ed."""

    path: str
    stat: FileStat | None
    error: str | None = None


@dataclass(frozen=True)
class KnownFile:
    photo_id: int
    path: str
    stat: FileStat
    status: str
    has_current_score: bool


@dataclass(frozen=True)
class PendingItem:
    photo_id: int
    path: str
    folder: str
    stat: FileStat  # what the catalog last saw
    settle_since: float  # unchanged since (epoch seconds)
    content_hash: str | None


@dataclass(frozen=True)
class Twin:
    """Another photo with the same content, e.g. the old row of a renamed file."""

    photo_id: int
    path: str
    status: str
    has_current_score: bool


@dataclass(frozen=True)
class Outcome:
    """What the worker found for one pending photo; recorded by Catalog.record_outcomes.

    kind:
      scored    a new score (and EXIF, hash) for the photo
      partner   the photo is the other file of a RAW+JPEG pair (`primary` is scored for both): not scored
      unchanged the content is the same as when it was scored: only the stat is refreshed
      adopted   the file is a moved photo (twin_id) that already has a current score
      error     the file cannot be scored; `error` says why
      missing   the file vanished before it could be scored
      changed   the file changed while being read: it stays pending and settles again
    `expected` is the stat the worker decided on; if the row changed since (the
    watcher saw a newer write), the outcome is dropped and the row stays pending.
    """

    photo_id: int
    kind: OutcomeKind
    expected: FileStat
    stat: FileStat | None = None
    content_hash: str | None = None
    score: ScoreRecord | None = None
    exif: "ExifData | None" = None
    error: str | None = None
    twin_id: int | None = None  # merge this pending row into that photo first
    path: str | None = None  # the path the worker read; a 'missing' or 'error' found at an old path is dropped
    partners: tuple[str, ...] = ()  # scored/unchanged/adopted: the other files of the shot (RAW+JPEG pair)
    primary: str | None = None  # partner: the path of the shot's scored file
    primary_stat: FileStat | None = None  # partner: that file's stat, to queue it if it is not in the catalog yet


@dataclass(frozen=True)
class Recorded:
    photo_id: int  # the photo the outcome ended on (the twin's id after a merge)
    kind: OutcomeKind
    recorded: bool  # False when the row had changed meanwhile
    folder: str | None


@dataclass(frozen=True)
class SyncCounts:
    """What a walk found, each file counted once."""

    new: int = 0  # not in the catalog: queued
    changed: int = 0  # size or mtime changed (or a failed file retried): queued
    rescore: int = 0  # scored by another engine: queued
    queued: int = 0  # unchanged on disk but still waiting to be scored (e.g. a scan that was stopped)
    unchanged: int = 0  # unchanged and scored (or failed) already: skipped
    errors: int = 0  # could not be stat'ed
    missing: int = 0  # in the catalog, no longer on disk
    reappeared: int = 0  # missing before, back now: queued

    @property
    def to_score(self) -> int:
        return self.new + self.changed + self.rescore + self.queued + self.reappeared


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    kind: str  # 'scan' | 'watch'
    fingerprint: str
    started_at: float  # when the worker started (model loaded, queue known)
    ended_at: float  # when its last batch was recorded
    photos: int  # photos recorded (scored, kept, failed or found missing)
    scored: int
    errors: int
    busy_seconds: float  # time spent waiting for decodes, scoring and recording (never more than the span)

    @property
    def rate(self) -> float | None:
        """Photos recorded per second of busy time."""
        return self.photos / self.busy_seconds if self.busy_seconds > 0 else None


@dataclass(frozen=True)
class FlagRow:
    photo_id: int
    folder: str
    fused: float | None
    flag: str | None
    flag_source: str | None
    rating: int
    low_quality: bool


class FlagChange(Protocol):
    """One shot brought in line with the auto policy, as the catalog writes it (curator.flags.Change)."""

    @property
    def photo_id(self) -> int: ...
    @property
    def low_quality(self) -> bool: ...
    @property
    def flag(self) -> str | None: ...  # the auto flag wanted; a user's flag is kept
    @property
    def flag_changed(self) -> bool: ...


@dataclass(frozen=True)
class SidecarMark:
    """A photo whose XMP sidecar may hold decisions to import, and the sidecar mtime last imported."""

    photo_id: int
    path: str
    folder: str
    seen_mtime_ns: int | None  # None: no sidecar imported yet


@dataclass(frozen=True)
class SidecarImport:
    """What one sidecar says a person decided (curator.xmp.imported_decision), to record as the user's."""

    photo_id: int
    mtime_ns: int  # the sidecar's mtime, noted so an unchanged sidecar is not read again
    flag: str | None = None  # 'reject' or None (leave the flag)
    rating: int | None = None  # 1-5, or None (leave the rating)
    label: str | None = None  # a colour word, or None (leave the label)


@dataclass(frozen=True)
class FrameRow:
    """What burst grouping needs of one shot (curator.culling turns it into a curator.bursts.Frame)."""

    photo_id: int
    folder: str
    capture_time: str | None
    fused: float | None
    exposure_bias: float | None
    embedding: np.ndarray | None
