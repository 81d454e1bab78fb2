"""The list model: one item per catalog photo (a GalleryRow), keyed by photo id.

The model's own order is arbitrary (catalog order, new photos appended); the
proxy sorts and filters. A reload from the catalog is applied as a diff, so a
live update changes only the rows that changed and the view keeps its
selection and scroll position.

The model also knows how photos belong together, so the proxy can show them
as one tile:

- RAW+JPEG pairs: the second file of a pair has `partner_of` set to the
  shot's scored file; `partners(photo_id)` and `shot_ids(photo_id)` name the
  files of a shot, and a decision shown before the catalog confirms it reaches
  them all (the catalog stores one decision per shot);
- bursts: `set_bursts` takes the catalog's burst groups per folder (computed
  on the catalog worker thread) as BurstGroup records.
"""

from __future__ import annotations

import dataclasses
import math
import os
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from curator.actions.culling import WEAK_MEANING, is_weak
from curator.rules.explain import REASON_HINTS
from curator.disk.files import HEIF_EXTENSIONS, JPEG_EXTENSIONS, RAW_EXTENSIONS
from curator.rules.standing import Standing, standings, tile_text
from ui.rules.tiling import BurstGroup, consecutive_runs
from curator.display import shown

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the GalleryRow
ID_ROLE = int(Qt.ItemDataRole.UserRole) + 2  # the photo id
RANK_ROLE = int(Qt.ItemDataRole.UserRole) + 3  # fused-score percentile in its folder, 0..1, or None
# the number on the tile: its rank in its folder ("3/24"), its percentile ("top 12%") or the fused score
# ("0.612"), as the [gallery] tile_number setting says; None when unscored
SCORE_TEXT_ROLE = int(Qt.ItemDataRole.UserRole) + 4
BURST_ROLE = int(Qt.ItemDataRole.UserRole) + 5  # a BurstTile (answered by the proxy), or None
PAIR_ROLE = int(Qt.ItemDataRole.UserRole) + 6  # "RAW+JPG" when the photo's shot has other files, else None
BURST_REJECTS_ROLE = int(Qt.ItemDataRole.UserRole) + 20  # rejected frames in the photo's burst (0 outside one)

def pair_badge(paths: Sequence[str]) -> str:
    """The badge for a shot of several files: "RAW+JPG", "RAW+HEIF" (RAW first, then the rendered file)."""
    kinds = []
    for path in paths:
        ext = os.path.splitext(path)[1].lower()
        kind = ("RAW" if ext in RAW_EXTENSIONS else "JPG" if ext in JPEG_EXTENSIONS
                else "HEIF" if ext in HEIF_EXTENSIONS else ext.lstrip(".").upper() or "?")
        if kind not in kinds:
            kinds.append(kind)
    kinds.sort(key=lambda k: (k != "RAW", k))
    return "+".join(kinds)

# Beyond this many separate changed/removed ranges a reload resets the model
# instead of signalling each range.
_MAX_RANGES = 64


class GalleryModel(QAbstractListModel):
    burstsChanged = Signal()  # set_bursts changed which photos form bursts

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[GalleryRow] = []
        self._pos: dict[int, int] = {}  # photo id -> model row
        # percentile of each fused score within its folder, computed per folder when first painted
        self._members: dict[str, int] | None = None  # folder -> code in _folder_codes
        self._folder_codes = np.zeros(0, dtype=np.int64)  # model row -> folder code
        self._rank: dict[str, dict[int, float]] = {}  # folder -> photo id -> percentile
        self._standing: dict[str, dict[int, Standing]] = {}  # folder -> shot id -> rank among its shots
        self._loaded = False
        self.score_decimals = 3
        self.tile_number = "rank"  # curator.rules.standing.TILE_NUMBERS
        self._partners: dict[int, list[int]] | None = {}  # scored file -> the other files of its shot (None: stale)
        self._bursts: dict[str, list[BurstGroup]] = {}  # folder -> its bursts (groups of two or more)
        self._burst_of: dict[int, BurstGroup] = {}  # photo id -> its burst

    # --- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self.row_data(index.row(), role)

    def row_data(self, r: int, role: int) -> Any:
        if r < 0 or r >= len(self._rows):
            return None
        row = self._rows[r]
        if role == ROW_ROLE:
            return row
        if role == ID_ROLE:
            return row.photo_id
        if role == RANK_ROLE:
            return self._rank_of(row)
        if role == SCORE_TEXT_ROLE:
            if row.fused is None:
                return None
            if self.tile_number == "raw":
                return f"{row.fused:.{self.score_decimals}f}"
            return tile_text(self.standing(row), row.fused, self.tile_number) or None
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(row.name)
        if role == PAIR_ROLE:
            return self.pair_badge(row.photo_id)
        if role == BURST_REJECTS_ROLE:
            return self.burst_rejects(row.photo_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(row, self._rank_of(row), self.partner_rows(row.photo_id), self._burst_of.get(row.photo_id))
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # --- access -------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """True once the first catalog load has arrived (an empty catalog is loaded, too)."""
        return self._loaded

    def rows(self) -> Sequence[GalleryRow]:
        return self._rows

    def row_at(self, r: int) -> GalleryRow:
        return self._rows[r]

    def row_for_id(self, photo_id: int) -> int | None:
        return self._pos.get(photo_id)

    def photo(self, photo_id: int) -> GalleryRow | None:
        r = self._pos.get(photo_id)
        return None if r is None else self._rows[r]

    def rank(self, photo_id: int) -> float | None:
        row = self.photo(photo_id)
        return None if row is None else self._rank_of(row)

    def _rank_of(self, row: GalleryRow) -> float | None:
        if row.fused is None:
            return None
        ranks = self._rank.get(row.folder)
        if ranks is None:
            rows = self._rows
            ranks = self._rank[row.folder] = folder_percentiles(rows[r] for r in self._folder_members(row.folder))
        return ranks.get(row.photo_id)

    def standing(self, row: GalleryRow) -> Standing | None:
        """Where the photo's shot stands in its folder: rank among the folder's shots (a RAW+JPEG pair is one)."""
        if row.fused is None:
            return None
        standings_ = self._standing.get(row.folder)
        if standings_ is None:
            rows = self._rows
            shots = {rows[r].photo_id: rows[r].fused for r in self._folder_members(row.folder)
                     if rows[r].partner_of is None}
            standings_ = self._standing[row.folder] = standings(shots)
        return standings_.get(row.partner_of if row.partner_of is not None else row.photo_id)

    def _folder_members(self, folder: str) -> list[int]:
        """The model rows of one folder."""
        if self._members is None:  # folder of every row, as codes (built once per change)
            folders = list(map(attrgetter("folder"), self._rows))
            codes: dict[str, int] = {}
            self._folder_codes = np.fromiter(map(lambda f: codes.setdefault(f, len(codes)), folders),
                                             dtype=np.int64, count=len(folders))
            self._members = codes
        code = self._members.get(folder)
        return np.flatnonzero(self._folder_codes == code).tolist() if code is not None else []

    # --- shots (RAW+JPEG pairs) -------------------------------------------------------------------
    def _partner_map(self) -> dict[int, list[int]]:
        if self._partners is None:
            partners: dict[int, list[int]] = {}
            rows = self._rows
            for row in rows:
                if row.partner_of is not None:
                    partners.setdefault(row.partner_of, []).append(row.photo_id)
            self._partners = partners
        return self._partners

    def partners(self, photo_id: int) -> tuple[int, ...]:
        """The other files of this scored file's shot (a RAW+JPEG pair's RAW), or ()."""
        return tuple(self._partner_map().get(photo_id, ()))

    def partner_rows(self, photo_id: int) -> list[GalleryRow]:
        return [r for r in map(self.photo, self.partners(photo_id)) if r is not None]

    def shot_ids(self, photo_id: int) -> tuple[int, ...]:
        """Every file of this photo's shot, the scored file first (as Catalog.shot_ids, from the rows here)."""
        row = self.photo(photo_id)
        if row is None:
            return ()
        primary = row.partner_of if row.partner_of is not None and row.partner_of in self._pos else photo_id
        return (primary,) + self.partners(primary)

    def pair_badge(self, photo_id: int) -> str | None:
        others = self.partner_rows(photo_id)
        if not others:
            return None
        return pair_badge([self._rows[self._pos[photo_id]].path] + [r.path for r in others])

    # --- bursts -------------------------------------------------------------------------------
    def set_bursts(self, by_folder: Mapping[str, Iterable[Any]]) -> None:
        """Replace the bursts of these folders (curator.rules.bursts.Burst or BurstGroup; an empty list clears a
        folder). Groups of one frame are dropped: they are no burst."""
        changed = False
        for folder, groups in by_folder.items():
            new = [g if isinstance(g, BurstGroup) else BurstGroup.from_burst(g) for g in groups]
            new = [g for g in new if g.size > 1]
            if new:
                changed |= self._bursts.get(folder) != new
                self._bursts[folder] = new
            elif folder in self._bursts:
                del self._bursts[folder]
                changed = True
        if changed:
            self._burst_of = {pid: g for groups in self._bursts.values() for g in groups for pid in g.ids}
            self.burstsChanged.emit()

    def burst_groups(self) -> list[BurstGroup]:
        return [g for groups in self._bursts.values() for g in groups]

    def burst_rejects(self, photo_id: int) -> int:
        """How many frames of this photo's burst are rejected (what a collapsed stack says)."""
        group = self._burst_of.get(photo_id)
        if group is None:
            return 0
        return sum(1 for pid in group.ids if (r := self.photo(pid)) is not None and r.flag == "reject")

    def burst_of(self, photo_id: int) -> BurstGroup | None:
        """The burst this photo belongs to (a group of two or more), or None."""
        return self._burst_of.get(photo_id)

    def _forget_ranks(self) -> None:
        self._members = None
        self._rank = {}
        self._standing = {}
        self.score_decimals = score_decimals(map(attrgetter("fused"), self._rows))

    # --- updates ------------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[GalleryRow]) -> None:
        """Bring the model to exactly these rows, signalling only what changed."""
        new = list(rows)
        first_load = not self._loaded
        self._loaded = True
        new_ids = {row.photo_id: row for row in new}
        if first_load or not self._rows or len(new_ids) != len(new):
            self._reset(new)
            return
        removed, changed, partners_stale, fused_moved = self._compare(new_ids)
        added = [row for row in new if row.photo_id not in self._pos]
        if removed or partners_stale or any(row.partner_of is not None for row in added):
            self._partners = None
        # every removed row counts here, not each run of them: a big removal resets
        if len(removed) + len(consecutive_runs(changed)) > _MAX_RANGES:
            self._reset(self._keep_order(new))
            return
        self._remove_runs(removed)
        # updates in place, at the rows' places after the removals
        changed_now = [r - bisect_left(removed, r) for r in changed]
        for r in changed_now:
            self._rows[r] = new_ids[self._rows[r].photo_id]
        # additions at the end (the proxy decides where they show)
        ranks_moved = bool(removed or added) or fused_moved
        if ranks_moved:
            self._forget_ranks()
        for lo, hi in consecutive_runs(changed_now):
            self.dataChanged.emit(self.index(lo), self.index(hi))
        if ranks_moved and self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1), [RANK_ROLE])
        self._append_rows(added)

    def _compare(self, new_ids: Mapping[int, GalleryRow]) -> tuple[list[int], list[int], bool, bool]:
        """One pass over the old rows: which are gone, which changed (old model rows whose photo has a new
        row), whether a pairing changed, and whether a change moves the ranks."""
        removed: list[int] = []
        changed: list[int] = []
        partners_stale = False
        fused_moved = False
        for r, row in enumerate(self._rows):
            fresh = new_ids.get(row.photo_id)
            if fresh is None:
                removed.append(r)
            elif fresh != row:
                changed.append(r)
                if fresh.partner_of != row.partner_of:
                    partners_stale = True
                # a changed scored row (or a changed score) re-ranks: its folder may have changed too
                if fresh.fused != row.fused or fresh.fused is not None:
                    fused_moved = True
        return removed, changed, partners_stale, fused_moved

    def _remove_runs(self, removed: list[int]) -> None:
        """Removals first, from the end, each contiguous run at once."""
        for lo, hi in consecutive_runs(removed)[::-1]:
            self.beginRemoveRows(QModelIndex(), lo, hi)
            del self._rows[lo:hi + 1]
            self.endRemoveRows()
        if removed:
            self._pos = {row.photo_id: r for r, row in enumerate(self._rows)}

    def _append_rows(self, added: list[GalleryRow]) -> None:
        if not added:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
        self._rows.extend(added)
        for i, row in enumerate(added):
            self._pos[row.photo_id] = start + i
        self.endInsertRows()

    def update_row(self, row: GalleryRow) -> bool:
        """Replace one photo's row (after a decision, or a fresh read); False if it is not here."""
        r = self._pos.get(row.photo_id)
        if r is None:
            return False
        if self._rows[r] == row:
            return True
        old = self._rows[r]
        self._rows[r] = row
        if old.partner_of != row.partner_of:
            self._partners = None
        ranks_moved = old.fused != row.fused or old.folder != row.folder
        if ranks_moved:
            self._forget_ranks()
        idx = self.index(r)
        self.dataChanged.emit(idx, idx)
        if ranks_moved:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1), [RANK_ROLE])
        return True

    def apply_decision(self, photo_id: int, **changes: Any) -> GalleryRow | None:
        """Optimistically show a user decision before the catalog confirms it, on every file of the
        photo's shot (a RAW+JPEG pair shares one decision); returns the photo's old row."""
        r = self._pos.get(photo_id)
        if r is None:
            return None
        old = self._rows[r]
        fields = {k: v for k, v in changes.items() if k in ("flag", "rating", "label")}
        if "flag" in fields:
            fields["flag_source"] = "user"  # the catalog records a user's clearing as a user decision too
        for pid in self.shot_ids(photo_id):
            row = self.photo(pid)
            if row is not None:
                self.update_row(dataclasses.replace(row, **fields))
        return old

    # --- internals ----------------------------------------------------------------------------
    def _reset(self, rows: list[GalleryRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._partners = None
        self._pos = dict(zip(map(attrgetter("photo_id"), rows), range(len(rows)), strict=True))
        self._forget_ranks()
        self.endResetModel()

    def _keep_order(self, new: list[GalleryRow]) -> list[GalleryRow]:
        """New rows in the current order where they already exist, new ones last."""
        order = {row.photo_id: r for r, row in enumerate(self._rows)}
        big = len(order)
        return sorted(new, key=lambda row: order.get(row.photo_id, big))


def score_decimals(scores: Iterable[float | None]) -> int:
    """Digits that tell this catalog's scores apart: 3 usually, up to 5 when they sit very close."""
    values = [s for s in scores if s is not None]
    if len(values) < 2:
        return 3
    spread = max(values) - min(values)
    if spread >= 0.05:
        return 3
    return int(min(5, 2 + math.ceil(-math.log10(max(spread, 1e-9)))))


def folder_percentiles(rows: Iterable[GalleryRow]) -> dict[int, float]:
    """photo id -> where its fused score sits in its folder: 0 = the folder's worst, 1 = its best.

    Ties share their mid-rank; a folder with one scored photo puts it at 0.5.
    Vectorised: 100k rows take a few tens of milliseconds.
    """
    ids: list[int] = []
    scores: list[float] = []
    groups: list[int] = []
    codes: dict[str, int] = {}
    for row in rows:
        if row.fused is not None:
            ids.append(row.photo_id)
            scores.append(row.fused)
            groups.append(codes.setdefault(row.folder, len(codes)))
    if not ids:
        return {}
    f = np.asarray(scores, dtype=np.float64)
    g = np.asarray(groups, dtype=np.int64)
    _, dense = np.unique(f, return_inverse=True)
    span = int(dense.max()) + 2
    key = g * span + dense
    ks = np.sort(key)
    lo = np.searchsorted(ks, key, "left")
    hi = np.searchsorted(ks, key, "right") - 1
    start = np.searchsorted(ks, g * span, "left")
    end = np.searchsorted(ks, (g + 1) * span, "left")
    n = end - start
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(n > 1, ((lo + hi) / 2.0 - start) / np.maximum(n - 1, 1), 0.5)
    return dict(zip(ids, pct.tolist(), strict=True))


def tooltip(row: GalleryRow, rank: float | None, partners: Sequence[GalleryRow] = (),
            burst: BurstGroup | None = None) -> str:
    lines = [shown(row.path)]
    for other in partners:
        lines.append(f"+ {shown(other.name)} (the same shot: one score, one decision)")
    if burst is not None:
        kind = "bracket" if burst.is_bracket else "burst"
        where = burst.ids.index(row.photo_id) + 1 if row.photo_id in burst.ids else 0
        best = " · the best frame" if burst.best == row.photo_id else ""
        lines.append(f"frame {where} of a {kind} of {burst.size}{best}")
    if row.fused is not None:
        pct = f" · better than {rank * 100:.0f}% of its folder" if rank is not None else ""
        lines.append(f"score {row.fused:.3f}{pct}")
    if is_weak(row):
        lines.append(WEAK_MEANING + (" (provisional: from quick first-pass scores)" if row.verdict_provisional
                                     else ""))
    for reason in row.reasons:
        lines.append(f"{reason}: {REASON_HINTS.get(reason, '')}")
    if row.status == "error":
        lines.append(f"error: {row.error or 'unreadable'}")
    elif row.status == "missing":
        lines.append("file missing")
    elif row.status == "pending":
        lines.append("waiting to be scored")
    return "\n".join(lines)
