"""The grid's sorts, filters and counts as plain functions and arrays. No Qt here.

`SORT_KEYS` and `FILTER_PREDICATES` are the specification; `SortColumns` is
the fast form of the same orders (one numpy lexsort per sort over 100k rows),
which the proxy (ui.grid.proxy) uses and the tests hold against `sort_rows`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curator.actions.culling import is_weak
from curator.disk.files import is_under
from curator.rules.labels import LABELS

if TYPE_CHECKING:
    from curator.catalog import GalleryRow
    from ui.rules.tiling import BurstGroup

# (key, label) in toolbar order
SORTS: tuple[tuple[str, str], ...] = (
    ("score_asc", "Score: worst first"),
    ("score_desc", "Score: best first"),
    ("taste_desc", "My taste: likeliest keeps first"),  # curator learn's taste value
    ("time", "Capture time"),
    ("name", "File name"),
)
FILTERS: tuple[tuple[str, str], ...] = (
    ("all", "All photos"),
    ("flagged", "Weak"),  # curator.actions.culling.is_weak: what `curator list --flagged` lists
    ("picks", "Picks"),
    ("rejects", "Rejects"),
    ("unflagged", "Unflagged"),
    *((f"rated{n}", "★" * n + (" or more" if n < 5 else "")) for n in range(1, 6)),
    *((f"label{colour}", f"Label: {colour}") for colour in LABELS),
    ("unscored", "Unscored"),
    ("errors", "Errors & missing"),
)

_NO_TIME = "9999"  # photos without any time sort last
_TZ_OFFSET = -time.altzone if time.daylight and time.localtime().tm_isdst > 0 else -time.timezone


def _mtime_iso(mtime: float) -> str:
    """A file time as local ISO 8601 (a fixed UTC offset: the same in Python and in the vectorised sort)."""
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(mtime // 1) + _TZ_OFFSET))
    except (OverflowError, OSError, ValueError, TypeError):
        return _NO_TIME


def _time_of(row: GalleryRow) -> str:
    return row.capture_time or _mtime_iso(row.mtime)


def _name_key(r: GalleryRow) -> tuple[str, str, int]:
    return (r.name.casefold(), r.folder, r.photo_id)


# The orders, as plain key functions: the specification the vectorised SortColumns must match.
SORT_KEYS: dict[str, Callable[[GalleryRow], tuple]] = {
    # unscored photos sort after scored ones in both directions
    "score_asc": lambda r: (r.fused is None, 0.0 if r.fused is None else r.fused, _name_key(r)),
    "score_desc": lambda r: (r.fused is None, 0.0 if r.fused is None else -r.fused, _name_key(r)),
    # photos the taste model has not rated (none trained yet, or not scored) sort last
    "taste_desc": lambda r: (r.taste is None, 0.0 if r.taste is None else -r.taste, _name_key(r)),
    "time": lambda r: (_time_of(r), _name_key(r)),
    "name": _name_key,
}

def _rated_at_least(n: int) -> Callable[[GalleryRow], bool]:
    return lambda r: (r.rating or 0) >= n


def _labelled(colour: str) -> Callable[[GalleryRow], bool]:
    return lambda r: r.label == colour


FILTER_PREDICATES: dict[str, Callable[[GalleryRow], bool]] = {
    "all": lambda r: True,
    "flagged": is_weak,
    "picks": lambda r: r.flag == "pick",
    "rejects": lambda r: r.flag == "reject",
    "unflagged": lambda r: r.flag is None,
    **{f"rated{n}": _rated_at_least(n) for n in range(1, 6)},
    **{f"label{c}": _labelled(c) for c in LABELS},
    "unscored": lambda r: r.fused is None and r.status not in ("error", "missing"),
    "errors": lambda r: r.status in ("error", "missing"),
}


def in_folder(row_folder: str, folder: str | None) -> bool:
    """A folder (shoot) filter includes its subfolders."""
    if not folder:
        return True
    return is_under(row_folder, folder)


def short_folder(path: str) -> str:
    """The last two parts of a folder's path, as the toolbar and messages name it."""
    parts = Path(path).parts
    return os.path.join(*parts[-2:]) if len(parts) >= 2 else path


def sort_rows(rows: Iterable[GalleryRow], sort: str = "score_asc", filter_name: str = "all",
              folder: str | None = None) -> list[GalleryRow]:
    """The grid's order as a plain function (what it shows, top-left first; bursts and pairs aside)."""
    accept = FILTER_PREDICATES[filter_name]
    return sorted((r for r in rows if in_folder(r.folder, folder) and accept(r)), key=SORT_KEYS[sort])


@dataclass(frozen=True)
class GalleryCounts:
    """The status line's counts within the chosen folder (a RAW+JPEG pair counts once)."""

    shown: int  # tiles in the grid
    total: int
    weak: int  # curator.actions.culling.is_weak
    pick: int = 0
    reject: int = 0
    pending: int = 0
    error: int = 0
    missing: int = 0
    pairs: int = 0
    bursts: int = 0
    burst_frames: int = 0


def count_rows(rows: Sequence[GalleryRow], *, shown: int, pairs: int,
               bursts: Sequence[BurstGroup]) -> GalleryCounts:
    """Counts over these rows (one per shot, already limited to the folder)."""
    status = Counter(map(attrgetter("status"), rows))
    flags = Counter(map(attrgetter("flag"), rows))
    return GalleryCounts(shown, len(rows), sum(map(is_weak, rows)), flags.get("pick", 0), flags.get("reject", 0),
                         status.get("pending", 0), status.get("error", 0), status.get("missing", 0), pairs,
                         len(bursts), sum(g.size for g in bursts))


class SortColumns:
    """The sort fields of every source row as arrays, so each order is one numpy lexsort.

    Orders match SORT_KEYS exactly: name order is (casefolded name, folder,
    photo id); the others break ties by name order.
    """

    def __init__(self, rows: Sequence[GalleryRow]) -> None:
        # map/attrgetter keep the per-row work in C: 100k rows in a few tens of milliseconds
        n = self.n = len(rows)
        self.partner_of = list(map(attrgetter("partner_of"), rows))
        self.partner_rows = {s for s, p in enumerate(self.partner_of) if p is not None}  # never shown
        self.fused_list = list(map(attrgetter("fused"), rows))
        self.names = list(map(str.casefold, map(attrgetter("name"), rows)))
        self.folders = list(map(attrgetter("folder"), rows))
        self.captures = list(map(attrgetter("capture_time"), rows))
        self.mtimes = list(map(attrgetter("mtime"), rows))
        fused = np.array(self.fused_list, dtype=np.float64) if n else np.zeros(0)  # None -> nan
        self.isnone = np.isnan(fused)
        self.fused = np.where(self.isnone, 0.0, fused)
        self.taste_list = list(map(attrgetter("taste"), rows))
        taste = np.array(self.taste_list, dtype=np.float64) if n else np.zeros(0)  # None -> nan
        self.taste_none = np.isnan(taste)
        self.taste = np.where(self.taste_none, 0.0, taste)
        if n:
            codes = {f: i for i, f in enumerate(sorted(set(self.folders)))}
            folder_code = np.fromiter(map(codes.__getitem__, self.folders), dtype=np.int64, count=n)
            ids = np.fromiter(map(attrgetter("photo_id"), rows), dtype=np.int64, count=n)
            self.name_order = np.lexsort((ids, folder_code, np.array(self.names)))
        else:
            self.name_order = np.zeros(0, dtype=np.int64)
        self.name_rank = np.empty(n, dtype=np.int64)
        self.name_rank[self.name_order] = np.arange(n)
        self._times: np.ndarray | None = None

    def times(self) -> np.ndarray:
        if self._times is None:
            if not self.n:
                self._times = np.zeros(0, dtype="U1")
            else:
                secs = np.floor(np.asarray(self.mtimes, dtype=np.float64)).astype(np.int64) + _TZ_OFFSET
                derived = np.datetime_as_string(secs.astype("datetime64[s]"), unit="s").tolist()
                self._times = np.array([c or d for c, d in zip(self.captures, derived, strict=True)])
        return self._times

    def order(self, kind: str) -> list[int]:
        if kind == "name":
            return self.name_order.tolist()
        if kind == "score_asc":
            return np.lexsort((self.name_rank, self.fused, self.isnone)).tolist()
        if kind == "score_desc":
            return np.lexsort((self.name_rank, -self.fused, self.isnone)).tolist()
        if kind == "taste_desc":
            return np.lexsort((self.name_rank, -self.taste, self.taste_none)).tolist()
        if kind == "time":
            return np.lexsort((self.name_rank, self.times())).tolist()
        raise ValueError(f"unknown sort {kind!r}")

    def key(self, kind: str) -> Callable[[int], Any]:
        """A per-row key consistent with order(kind), for bisecting one row into place."""
        isnone, fused, rank = self.isnone, self.fused, self.name_rank
        if kind == "name":
            return lambda s: int(rank[s])
        if kind == "score_asc":
            return lambda s: (bool(isnone[s]), float(fused[s]), int(rank[s]))
        if kind == "score_desc":
            return lambda s: (bool(isnone[s]), -float(fused[s]), int(rank[s]))
        if kind == "taste_desc":
            taste, taste_none = self.taste, self.taste_none
            return lambda s: (bool(taste_none[s]), -float(taste[s]), int(rank[s]))
        times = self.times()
        return lambda s: (str(times[s]), int(rank[s]))

    def update(self, s: int, row: GalleryRow) -> str:
        """Take a changed row's sort fields: 'same', 'moved' (re-sort) or 'rebuild' (name order changed)."""
        if row.name.casefold() != self.names[s] or row.folder != self.folders[s]:
            return "rebuild"
        result = "same"
        if row.partner_of != self.partner_of[s]:  # paired or unpaired: shown or hidden
            self.partner_of[s] = row.partner_of
            if row.partner_of is None:
                self.partner_rows.discard(s)
            else:
                self.partner_rows.add(s)
            result = "moved"
        if row.fused != self.fused_list[s]:
            self.fused_list[s] = row.fused
            self.isnone[s] = row.fused is None
            self.fused[s] = 0.0 if row.fused is None else row.fused
            result = "moved"
        if row.taste != self.taste_list[s]:
            self.taste_list[s] = row.taste
            self.taste_none[s] = row.taste is None
            self.taste[s] = 0.0 if row.taste is None else row.taste
            result = "moved"
        if row.capture_time != self.captures[s] or row.mtime != self.mtimes[s]:
            self.captures[s], self.mtimes[s] = row.capture_time, row.mtime
            self._times = None
            result = "moved"
        return result
