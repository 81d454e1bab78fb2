"""Bursts and brackets: pure functions over simple frame records.

A **burst** is a run of frames, in capture order, where each frame was taken
within ``gap_seconds`` (default 2 s) of the one before it AND its CLIP image
embedding has a cosine similarity of at least ``similarity`` (default 0.9)
with the one before it. Comparing neighbours (not every pair) lets a burst
follow a subject that moves slowly across the frame.

A **bracket** is a stretch of frames, each within ``gap_seconds`` of the one
before, whose EXIF exposure bias changes at every frame: 0, -1, +1 or
-2, -1, 0, +1, +2. Brackets shot back to back (0, -1, +1, 0, -1, +1) form one
stretch: without the camera's own bracket metadata the boundary between two
sets is a guess, and what matters is which frames are bracketed. Bracket
frames are kept together in one group even when their embeddings differ (a
-2 EV frame does not look like a +2 EV frame to CLIP), and they are
**protected**: the under- and over-exposed frames score low by design, so
they must never be auto-rejected, neither by "reject all but the best" nor
by the flag policy (pass ``bracketed_ids`` to it).

What is deliberately conservative:

- a frame without a capture time or an embedding is never joined to a burst
  (it becomes a group of one, so nothing rejects it as a duplicate);
- "reject all but the best" skips a burst in which any frame has no fused
  score yet: the best frame is not known;
- a false bracket (a burst at 0 EV followed, within the gap, by a frame at
  -1 EV marks those last two frames as a bracket) only ever protects frames.

The best frame of a burst is the one with the highest fused score (the
earliest on a tie) among the frames without a disqualifying reason
(``blurry``, ``too-bright`` or ``too-dark``, see curator.rules.reasons): a blurred or
badly exposed frame never wins over one without, whatever its score. When
every frame has such a reason, the highest score wins.

Capture times and exposure biases come from the catalog's EXIF (curator.disk.exif
reads DateTimeOriginal with its sub-seconds and UTC offset, and
ExposureBiasValue); embeddings are the CLIP image embeddings it stores.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

DEFAULT_GAP_SECONDS = 2.0
DEFAULT_SIMILARITY = 0.9
# Reasons that keep a frame from being a burst's best while a frame without them exists.
DISQUALIFYING_REASONS = frozenset({"blurry", "too-bright", "too-dark"})
_BIAS_TOLERANCE = 1e-3  # EV; cameras store 1/3 EV steps as rationals such as -2/3


@dataclass(frozen=True)
class Frame:
    """One photo, as burst grouping needs it (the catalog builds these)."""

    photo_id: Hashable
    capture_time: float | datetime | str | None  # seconds (any epoch), a datetime or ISO 8601; None: unknown
    embedding: Sequence[float] | np.ndarray | None = field(default=None, compare=False, repr=False)
    fused: float | None = None  # MA-CLIP fused score; None: not scored yet
    exposure_bias: float | None = None  # EXIF ExposureBiasValue in EV; None: unknown
    reasons: tuple[str, ...] = ()  # curator.rules.reasons words; see DISQUALIFYING_REASONS

    @property
    def seconds(self) -> float | None:
        t = self.capture_time
        if t is None:
            return None
        if isinstance(t, str):  # ISO 8601, as the catalog stores it
            try:
                t = datetime.fromisoformat(t)
            except ValueError:
                return None
        if isinstance(t, datetime):
            if t.tzinfo is None:  # naive EXIF time: only differences matter, so read it as UTC
                t = t.replace(tzinfo=UTC)
            return t.timestamp()
        return float(t)


@dataclass(frozen=True)
class Burst:
    """A group of frames (one frame for a photo that belongs to no burst)."""

    frames: tuple[Frame, ...]  # capture order
    bracketed: frozenset[Hashable] = frozenset()  # photo ids in a bracket: never auto-reject

    @property
    def ids(self) -> tuple[Hashable, ...]:
        return tuple(f.photo_id for f in self.frames)

    @property
    def size(self) -> int:
        return len(self.frames)

    @property
    def is_burst(self) -> bool:
        return len(self.frames) > 1

    @property
    def is_bracket(self) -> bool:
        """Every frame is part of a bracket (an exposure series, e.g. for HDR)."""
        return self.is_burst and all(f.photo_id in self.bracketed for f in self.frames)

    @property
    def complete(self) -> bool:
        """Every frame has a fused score, so the best frame is known."""
        return all(f.fused is not None for f in self.frames)

    @property
    def best(self) -> Hashable | None:
        """The highest fused score (earliest on a tie) among the frames without a disqualifying
        reason, or among all frames when each has one; None when no frame is scored."""
        scored = [f for f in self.frames if f.fused is not None]
        eligible = [f for f in scored if not DISQUALIFYING_REASONS.intersection(f.reasons)] or scored
        best_id: Hashable | None = None
        best_fused = -math.inf
        for f in eligible:
            if f.fused is not None and (best_id is None or f.fused > best_fused):
                best_id, best_fused = f.photo_id, f.fused
        return best_id


@dataclass(frozen=True)
class BurstDecision:
    photo_id: Hashable
    verdict: str  # "reject" (or "pick" for the best, with pick_best=True)
    best_id: Hashable  # the frame kept in its place
    burst_size: int


def cosine_similarity(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    va = np.asarray(a, dtype=np.float64).ravel()
    vb = np.asarray(b, dtype=np.float64).ravel()
    if va.shape != vb.shape:
        raise ValueError(f"embeddings differ in size: {va.shape[0]} and {vb.shape[0]}")
    na, nb = float(np.linalg.norm(va)), float(np.linalg.norm(vb))
    if na == 0.0 or nb == 0.0 or not math.isfinite(na) or not math.isfinite(nb):
        return 0.0
    return float(np.dot(va, vb) / (na * nb))


def _in_time_order(frames: Iterable[Frame]) -> tuple[list[Frame], list[Frame]]:
    """(timed frames sorted by time, stably; frames without a time, in input order)."""
    timed: list[Frame] = []
    untimed: list[Frame] = []
    seen: set[Hashable] = set()
    for f in frames:
        if f.photo_id in seen:
            raise ValueError(f"photo id {f.photo_id!r} appears twice")
        seen.add(f.photo_id)
        (timed if f.seconds is not None else untimed).append(f)
    timed.sort(key=_time)
    return timed, untimed


def _time(f: Frame) -> float:
    """A timed frame's capture time (the frames _in_time_order puts in `timed`)."""
    if f.seconds is None:
        raise ValueError(f"photo id {f.photo_id!r} has no capture time")
    return f.seconds


def _time_runs(timed: list[Frame], gap_seconds: float) -> list[list[Frame]]:
    runs: list[list[Frame]] = []
    for f in timed:
        if runs and _time(f) - _time(runs[-1][-1]) <= gap_seconds:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


def _brackets_in_run(run: list[Frame]) -> list[list[Frame]]:
    """Maximal stretches of a time-run in which the exposure bias changes at every frame."""
    sets: list[list[Frame]] = []
    current: list[Frame] = []
    last_bias = math.nan  # the exposure bias of current[-1]
    for f in run:
        bias = f.exposure_bias
        if bias is None or not math.isfinite(bias):
            if len(current) >= 2:
                sets.append(current)
            current = []
            continue
        if current and abs(bias - last_bias) < _BIAS_TOLERANCE:
            if len(current) >= 2:
                sets.append(current)
            current = [f]
        else:
            current.append(f)
        last_bias = bias
    if len(current) >= 2:
        sets.append(current)
    return sets


def bracket_sets(frames: Iterable[Frame], gap_seconds: float = DEFAULT_GAP_SECONDS) -> list[tuple[Hashable, ...]]:
    """Photo ids of each bracketed stretch (exposure bias changing at every frame), in capture order."""
    timed, _ = _in_time_order(frames)
    return [tuple(f.photo_id for f in s) for run in _time_runs(timed, gap_seconds) for s in _brackets_in_run(run)]


def bracketed_ids(frames: Iterable[Frame], gap_seconds: float = DEFAULT_GAP_SECONDS) -> frozenset[Hashable]:
    """Every photo id that is part of a bracket: the flag policy must not auto-reject these."""
    return frozenset(i for s in bracket_sets(frames, gap_seconds) for i in s)


def group_bursts(frames: Iterable[Frame], gap_seconds: float = DEFAULT_GAP_SECONDS,
                 similarity: float = DEFAULT_SIMILARITY) -> list[Burst]:
    """Every frame in exactly one group, groups in capture order (untimed frames last, alone)."""
    if gap_seconds < 0:
        raise ValueError("gap_seconds must be >= 0")
    timed, untimed = _in_time_order(frames)
    bracket_of: dict[Hashable, int] = {}
    brackets = (s for run in _time_runs(timed, gap_seconds) for s in _brackets_in_run(run))
    for index, members in enumerate(brackets):
        bracket_of.update({f.photo_id: index for f in members})
    groups: list[list[Frame]] = []
    for f in timed:
        if groups:
            prev = groups[-1][-1]
            close_in_time = _time(f) - _time(prev) <= gap_seconds
            same_bracket = (f.photo_id in bracket_of and bracket_of[f.photo_id] == bracket_of.get(prev.photo_id))
            alike = (f.embedding is not None and prev.embedding is not None
                     and cosine_similarity(f.embedding, prev.embedding) >= similarity)
            if close_in_time and (same_bracket or alike):
                groups[-1].append(f)
                continue
        groups.append([f])
    groups.extend([f] for f in untimed)
    return [Burst(tuple(g), frozenset(f.photo_id for f in g if f.photo_id in bracket_of)) for g in groups]


def reject_all_but_best(bursts: Iterable[Burst], locked: Collection[Hashable] = (),
                        pick_best: bool = False) -> list[BurstDecision]:
    """The decisions that keep only the best frame of each burst.

    Never rejected: the best frame, bracketed frames, and `locked` ids (photos
    the user already decided on). Bursts of one frame and bursts with an
    unscored frame are left alone. With pick_best, the best frame of each
    burst gets a "pick" (unless locked).
    """
    locked_set = set(locked)
    decisions: list[BurstDecision] = []
    for burst in bursts:
        if not burst.is_burst or not burst.complete:
            continue
        best = burst.best
        for f in burst.frames:
            if f.photo_id in locked_set:
                continue
            if f.photo_id == best:
                if pick_best:
                    decisions.append(BurstDecision(f.photo_id, "pick", best, burst.size))
            elif f.photo_id not in burst.bracketed:
                decisions.append(BurstDecision(f.photo_id, "reject", best, burst.size))
    return decisions
