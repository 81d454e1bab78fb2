"""The auto flag policy, as a pure function of the catalog's rows.

A photo is *low quality* when either holds:
  - its fused score is below an absolute threshold (if one is set);
  - it is in the bottom N% of its folder: the floor(n * N / 100) lowest fused
    scores among the n scored photos of that folder (a folder is one shoot;
    ties are broken by photo id so the result is stable). A folder of fewer
    than 100/N photos has no relative rejects, so the first photo landing in a
    new folder is never rejected for being alone.

Low-quality photos get the auto flag 'reject'; others lose an auto reject.
A decision the user made always wins:
  - a flag the user set (or cleared) is never changed;
  - a photo the user rated (1 star or more) gets no auto flag, and loses one
    it had.
`low_quality` itself is kept for every scored photo, so a gallery can still
show that a photo the user picked is technically weak.
Photos without a score (pending for the first time, errors) are left alone.

A verdict reached on provisional scores (triage's quick first pass) is marked
provisional: a shot's own provisional score, or, for the bottom N%, any
provisional score in its folder's ranking. Triage recomputes the policy after
every batch, so the mark goes when the exact scores land.

Protected photos (the frames of an exposure bracket, curator.rules.bursts.bracketed_ids)
are never auto-rejected, and they are left out of their folder's ranking: a -2 EV
frame scores low by design, and must neither take a bottom-N% place nor be
compared with ordinary frames. Only the absolute threshold marks them low quality.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


class FlagInput(Protocol):
    """A shot as the policy reads it (read-only, so the catalog's frozen FlagRow fits)."""

    @property
    def photo_id(self) -> int: ...
    @property
    def folder(self) -> str: ...
    @property
    def fused(self) -> float | None: ...
    @property
    def flag(self) -> str | None: ...
    @property
    def flag_source(self) -> str | None: ...
    @property
    def rating(self) -> int: ...
    @property
    def low_quality(self) -> bool: ...


def _provisional(r: FlagInput) -> bool:
    """Its score is provisional (rows without the attribute, like a plain test row, are exact)."""
    return bool(getattr(r, "provisional", False))


def _stored_provisional(r: FlagInput) -> bool:
    return bool(getattr(r, "verdict_provisional", False))


BASES = ("score", "taste")  # what a photo is ranked and thresholded by


def _value(r: FlagInput, basis: str) -> float | None:
    """The fused score, or (basis "taste") the probability that the user keeps the shot, if it has one."""
    value = r.fused if basis == "score" else getattr(r, "taste", None)
    return None if value is None or math.isnan(value) else value


@dataclass(frozen=True)
class Change:
    photo_id: int
    low_quality: bool
    flag: str | None  # the auto flag wanted ('reject' or None); ignored for user flags
    flag_changed: bool
    provisional: bool = False  # the verdict was reached on provisional scores


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    flags_changed: int
    low_quality: frozenset[int]


def bottom_count(n: int, bottom_percent: float) -> int:
    """How many of n photos are in the bottom N% (rounded down)."""
    if n <= 0 or bottom_percent <= 0:
        return 0
    return min(n, math.floor(n * bottom_percent / 100.0 + 1e-9))


def low_quality_ids(rows: Iterable[FlagInput], *, threshold: float | None, bottom_percent: float,
                    protected: Collection[int] = (), basis: str = "score") -> set[int]:
    by_folder: dict[str, list[tuple[float, int]]] = defaultdict(list)
    low: set[int] = set()
    for r in rows:
        value = _value(r, basis)
        if value is None:  # unscored, or (by taste) not rated by the taste model: never ranked
            continue
        if threshold is not None and value < threshold:
            low.add(r.photo_id)
        if r.photo_id not in protected:
            by_folder[r.folder].append((value, r.photo_id))
    for scored in by_folder.values():
        scored.sort()
        low.update(pid for _, pid in scored[:bottom_count(len(scored), bottom_percent)])
    return low


def plan(rows: Sequence[FlagInput], *, threshold: float | None, bottom_percent: float,
         protected: Collection[int] = (), basis: str = "score") -> Plan:
    """The changes that bring the rows in line with the policy (and nothing else).

    `protected` photo ids (bracketed frames) never get an auto reject and are not ranked. `basis`
    "taste" ranks and thresholds by each shot's taste value (rows need a `taste` attribute) instead
    of the fused score; a scored shot without one is not ranked.
    """
    if not 0 <= bottom_percent <= 100:
        raise ValueError("bottom_percent must be between 0 and 100")
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose score or taste")
    protected = frozenset(protected)
    low = low_quality_ids(rows, threshold=threshold, bottom_percent=bottom_percent, protected=protected,
                          basis=basis)
    # folders whose bottom-N% ranking holds a provisional score: every ranked verdict there is provisional
    ranked_on_provisional = ({r.folder for r in rows if _provisional(r) and r.photo_id not in protected
                              and _value(r, basis) is not None} if bottom_percent > 0 else set())
    changes: list[Change] = []
    flags_changed = 0
    for r in rows:
        if r.fused is None:
            continue
        is_low = r.photo_id in low
        on_provisional = _provisional(r) or (r.folder in ranked_on_provisional and r.photo_id not in protected
                                             and _value(r, basis) is not None)
        if r.flag_source == "user":
            wanted, flag_changed = r.flag, False
        else:
            wanted = "reject" if is_low and r.rating <= 0 and r.photo_id not in protected else None
            flag_changed = wanted != r.flag
        if flag_changed or is_low != bool(r.low_quality) or on_provisional != _stored_provisional(r):
            changes.append(Change(r.photo_id, is_low, wanted, flag_changed, on_provisional))
            flags_changed += flag_changed
    return Plan(tuple(changes), flags_changed, frozenset(low))
