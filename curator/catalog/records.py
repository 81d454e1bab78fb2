"""The plain records the catalog takes and hands out (frozen dataclasses; no engine or Qt types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

import numpy as np

from curator.disk.files import FileStat

if TYPE_CHECKING:
    from curator.disk.exif import ExifData

STATUSES = ("pending", "scored", "error", "missing")
FLAGS = ("pick", "reject")
FLAG_SOURCES = ("auto", "user")
SORTS = ("name", "score", "-score", "time", "taste", "-taste")

# What the worker found for one pending photo (see Outcome).
OutcomeKind = Literal["scored", "measured", "partner", "unchanged", "adopted", "error", "missing", "changed"]
OUTCOME_KINDS: tuple[str, ...] = get_args(OutcomeKind)
# the photo ends with a current score
CURRENT_KINDS = frozenset({"scored", "measured", "partner", "unchanged", "adopted"})


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # set_decision's "leave this field as it is"


@dataclass(frozen=True)
class DecisionState:
    """One shot's decisions row exactly as stored (stored False: there is no row), so undo can put it back."""

    photo_id: int  # the shot's scored file
    stored: bool
    flag: str | None = None
    flag_source: str | None = None
    rating: int = 0
    label: str | None = None
    low_quality: bool = False
    decided_at: float | None = None


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
class QualityRecord:
    """A photo's quality dimensions and classic measurements as stored (see iqa_engine's PhotoScore)."""

    dimensions_fingerprint: str
    dimensions: Mapping[str, float]  # name -> 0..1, higher is better (the mean over the views)
    measures: Mapping[str, float]  # iqa_engine.measures scalars by name
    measured_size: tuple[int, int]  # (width, height) the focus windows' boxes refer to
    focus_grid: tuple[int, int]  # (rows, cols) of focus_windows
    focus_windows: tuple[float, ...]  # variance of the Laplacian per window, row-major
    # per view: its box in scored-size pixels (None: the global view) and its dimension values
    view_boxes: tuple[tuple[int, int, int, int] | None, ...] = ()
    view_dimensions: tuple[Mapping[str, float], ...] = ()

    @classmethod
    def from_result(cls, result: Any) -> QualityRecord | None:
        """From an engine result with dimensions and measures (None when it has neither)."""
        fingerprint = getattr(result, "dimensions_fingerprint", None)
        measures = getattr(result, "measures", None)
        if fingerprint is None or measures is None:
            return None
        views = tuple(getattr(result, "views", ()))
        return cls(str(fingerprint), {k: float(v) for k, v in dict(result.dimensions).items()},
                   measures.scalars(), tuple(measures.size), tuple(measures.focus_grid),
                   tuple(float(v) for v in measures.focus_windows), tuple(v.box for v in views),
                   tuple({k: float(x) for k, x in dict(getattr(v, "dimensions", {}) or {}).items()}
                         for v in views))


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
    quality: QualityRecord | None = None  # the dimensions and measurements computed with the score
    clip: ClipEmbedding | None = None  # the standard CLIP embedding from the same pass
    # Triage's quick first-pass score: the photo stays in the queue until its exact score lands.
    provisional: bool = False

    @classmethod
    def from_result(cls, result: Any) -> ScoreRecord:
        """Copy an engine result (anything with these attributes, e.g. iqa_engine's PhotoScore)."""
        if isinstance(result, ScoreRecord):
            return result
        views = tuple(ViewRecord(v.box, v.fused, v.cosine, v.magnitude, v.w_cosine, v.w_magnitude)
                      for v in result.views)
        return cls(result.fingerprint, result.score, result.fused, result.cosine, result.magnitude,
                   result.w_cosine, result.w_magnitude, result.mode, result.protocol, result.model,
                   tuple(result.scored_size), tuple(result.original_size), views,
                   np.asarray(result.embedding), float(getattr(result, "elapsed_ms", 0.0) or 0.0),
                   getattr(result, "decode_source", None), QualityRecord.from_result(result),
                   ClipEmbedding.from_result(result))


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
    # The probability that the user keeps the shot, by the current taste model (curator.actions.taste_learning); None
    # before a model is trained, or for a photo it has not rated.
    taste: float | None = None
    reasons: tuple[str, ...] = ()  # why the shot is weak (curator.rules.reasons vocabulary), at most two
    # The score shown is a provisional one (triage's quick first pass), until the exact score lands.
    provisional: bool = False
    # The auto policy's verdict (low_quality, an auto flag) was reached on provisional scores: this shot's
    # own, or another in its folder's bottom-N% ranking. It is recomputed when the exact scores land.
    verdict_provisional: bool = False


GALLERY_FIELDS = tuple(f.name for f in fields(GalleryRow))


@dataclass(frozen=True)
class QualityRow:
    """One shot's stored quality values, as the reasons policy and the detail pane read them."""

    photo_id: int
    folder: str
    dimensions: Mapping[str, float]
    measures: Mapping[str, float]
    reasons: tuple[str, ...]
    exposure_bias: float | None = None
    capture_time: str | None = None
    dimensions_fingerprint: str | None = None


@dataclass(frozen=True)
class QualityDetail:
    """One shot's quality values with their per-window detail (the gallery's Why section and heatmap)."""

    quality: QualityRow
    measured_size: tuple[int, int] | None
    focus_grid: tuple[int, int] | None
    focus_windows: tuple[float, ...]
    view_boxes: tuple[tuple[int, int, int, int] | None, ...]
    view_dimensions: tuple[Mapping[str, float], ...]


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
    has_current_quality: bool = True  # quality values from the dimensions fingerprint asked (or none asked)


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
      measured  the photo's stored score is kept; only its quality values (score.quality) are recorded
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
    exif: ExifData | None = None
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
    remeasure: int = 0  # scored, but without current quality values (dimensions, measurements): queued
    skipped: int = 0  # reasons only: not scored yet (new, changed or stale), left for a scan

    @property
    def to_score(self) -> int:
        return self.new + self.changed + self.rescore + self.queued + self.reappeared + self.remeasure


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
    taste: float | None = None  # the shot's taste value, for the policy's taste basis
    provisional: bool = False  # its score is provisional (triage's quick first pass)
    verdict_provisional: bool = False  # the stored verdict was reached on provisional scores


class FlagChange(Protocol):
    """One shot brought in line with the auto policy, as the catalog writes it (curator.rules.flags.Change)."""

    @property
    def photo_id(self) -> int: ...
    @property
    def low_quality(self) -> bool: ...
    @property
    def flag(self) -> str | None: ...  # the auto flag wanted; a user's flag is kept
    @property
    def flag_changed(self) -> bool: ...
    @property
    def provisional(self) -> bool: ...  # the verdict was reached on provisional scores


@dataclass(frozen=True)
class SidecarMark:
    """A photo whose XMP sidecar may hold decisions to import, and the sidecar mtime last imported."""

    photo_id: int
    path: str
    folder: str
    seen_mtime_ns: int | None  # None: no sidecar imported yet


@dataclass(frozen=True)
class SidecarImport:
    """What one sidecar says a person decided (curator.disk.xmp.imported_decision), to record as the user's."""

    photo_id: int
    mtime_ns: int  # the sidecar's mtime, noted so an unchanged sidecar is not read again
    flag: str | None = None  # 'reject' or None (leave the flag)
    rating: int | None = None  # 1-5, or None (leave the rating)
    label: str | None = None  # a colour word, or None (leave the label)
    unreject: bool = False  # a person set a rating >= 0 over a reject: clear the shot's reject, if it has one


@dataclass(frozen=True)
class FrameRow:
    """What burst grouping needs of one shot (curator.actions.culling turns it into a curator.rules.bursts.Frame)."""

    photo_id: int
    folder: str
    capture_time: str | None
    fused: float | None
    exposure_bias: float | None
    embedding: np.ndarray | None
    reasons: tuple[str, ...] = ()  # the shot's stored reasons (a blurred frame is never a burst's best)


@dataclass(frozen=True)
class TasteDecision:
    """A decision the taste model may learn from: a flag the user set, or a rating (curator.taste.keeps)."""

    photo_id: int
    flag: str | None
    flag_source: str | None
    rating: int


@dataclass(frozen=True)
class TasteModelRow:
    """A trained taste model as the catalog stores it: a few figures to query, and the JSON record
    (curator.taste.model) that is the model itself."""

    fingerprint: str
    trained_at: float
    n_positive: int
    n_negative: int
    auc: float
    baseline_auc: float
    record: str


@dataclass(frozen=True)
class StoredTasteModel:
    model_id: int  # grows with every training: the model's version
    fingerprint: str
    trained_at: float
    record: str


@dataclass(frozen=True)
class ClipEmbedding:
    """A photo's standard CLIP embedding as the catalog stores it (float16), with its perceptual hash."""

    vector: np.ndarray  # L2-normalised; stored as little-endian float16
    fingerprint: str  # iqa_engine's clip_fingerprint
    perceptual_hash: int | None = None  # unsigned 64-bit dHash

    @classmethod
    def from_result(cls, result: Any) -> ClipEmbedding | None:
        """From an engine result with clip_embedding/clip_fingerprint (PhotoScore, PhotoEmbedding); None without."""
        vector = getattr(result, "clip_embedding", None)
        fingerprint = getattr(result, "clip_fingerprint", None)
        if vector is None or not fingerprint:
            return None
        return cls(np.asarray(vector), fingerprint, getattr(result, "perceptual_hash", None))


@dataclass(frozen=True)
class EmbeddingMatrix:
    """Stored embeddings of one engine: row i belongs to photo_ids[i]."""

    fingerprint: str
    photo_ids: tuple[int, ...]
    vectors: np.ndarray  # (N, D) float16


@dataclass(frozen=True)
class DuplicateRow:
    """One live shot as duplicate grouping needs it."""

    photo_id: int
    path: str
    folder: str
    content_hash: str | None
    capture_time: str | None  # ISO 8601
    fused: float | None
    perceptual_hash: int | None  # unsigned
    vector: np.ndarray | None  # float16


@dataclass(frozen=True)
class TermFeaturesRecord:
    """A vocabulary's ensembled text embeddings for one engine, as stored (iqa_engine.keywords.TermFeatures)."""

    vocabulary: str  # the vocabulary's fingerprint
    clip_fingerprint: str
    keywords: tuple[str, ...]
    matrix: np.ndarray  # (T, D) float32
    neutral: np.ndarray  # (D,) float32
    logit_scale: float
