"""The sort/filter layer between the catalog rows and the grid.

It plays the part of a QSortFilterProxyModel, but a QSortFilterProxyModel
would call back into Python for every comparison (n log n calls: seconds at
100k photos), and a Python QAbstractProxyModel must answer index() in Python,
which QListView calls several times per item on every layout. So this is a
QAbstractListModel (index() stays in C++) holding the view order as a list of
source rows: it sorts with Python's own `sorted` on a key cached per row,
filters in one pass, and tells the view about changes in the smallest form it
can: rows removed, a layout change (selection and persistent indexes follow
their photos), rows inserted. A decision that does not move a photo (flags
and ratings are not sort keys) costs one bisect. mapToSource/mapFromSource
keep the proxy vocabulary.

Photos that belong together show as one tile: the second file of a RAW+JPEG
pair (`partner_of` set) is never shown, the shot's scored file standing for
both; bursts are laid out by ui.rules.tiling. The orders themselves are plain
functions and arrays in ui.rules.ordering.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from curator.rules.reasons import VOCABULARY

from ui.grid.gallery_model import BURST_ROLE, ROW_ROLE, GalleryModel
from ui.rules.ordering import FILTER_PREDICATES, SORT_KEYS, GalleryCounts, SortColumns, count_rows, in_folder
from ui.rules.tiling import BurstGroup, BurstTile, consecutive_runs, tile_bursts

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

# Beyond this many separate removed/inserted runs, a change resets the proxy.
_MAX_RUNS = 64


class GalleryProxy(QAbstractListModel):
    countsChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sort = "score_asc"
        self._filter = "all"
        self._reason: str | None = None  # only photos with this reason (curator.rules.reasons), or every photo
        self._folder: str | None = None
        self._cols = SortColumns([])  # the sort fields of every source row
        self._sorted_all: list[int] | None = []  # every source row in sort order (None: stale)
        self._order: list[int] = []  # proxy row -> source row
        self._pos: dict[int, int] | None = {}  # source row -> proxy row (None: stale)
        self._source: GalleryModel | None = None
        self._collapse = True  # bursts as one tile each
        self._expanded: set[int] = set()  # photo ids of the bursts shown expanded
        self._tiles: dict[int, BurstTile] = {}  # photo id -> what its tile shows of its burst
        self._similarity: dict[int, float] | None = None  # a search's photo id -> cosine; None: no search

    # --- configuration --------------------------------------------------------------------------
    @property
    def filter_name(self) -> str:
        return self._filter

    @property
    def folder(self) -> str | None:
        return self._folder

    @property
    def sort_kind(self) -> str:
        return self._sort

    @property
    def reason(self) -> str | None:
        return self._reason

    def set_reason(self, reason: str | None) -> None:
        """Show only the photos with this reason (None: every photo), within the filter and folder."""
        reason = reason or None
        if reason is not None and reason not in VOCABULARY:
            raise ValueError(f"unknown reason {reason!r}")
        if reason != self._reason:
            self._reason = reason
            self._apply(self._wanted_order())

    def _predicate(self) -> Callable[[GalleryRow], bool]:
        """The filter's test, and the reason's when one is chosen."""
        accept = FILTER_PREDICATES[self._filter]
        reason = self._reason
        if reason is None:
            return accept
        return lambda r: reason in r.reasons and accept(r)

    def set_sort(self, kind: str) -> None:
        if kind not in SORT_KEYS:
            raise ValueError(f"unknown sort {kind!r}")
        if kind != self._sort:
            self._sort = kind
            self._sorted_all = None
            self._apply(self._wanted_order())

    def set_filter(self, name: str) -> None:
        if name not in FILTER_PREDICATES:
            raise ValueError(f"unknown filter {name!r}")
        if name != self._filter:
            self._filter = name
            self._apply(self._wanted_order())

    def set_folder(self, folder: str | None) -> None:
        folder = folder or None
        if folder != self._folder:
            self._folder = folder
            self._apply(self._wanted_order())

    @property
    def searching(self) -> bool:
        return self._similarity is not None

    def set_similarity(self, scores: dict[int, float] | None) -> None:
        """Order by similarity to a search (photo id -> cosine), best first; photos the search did not
        rank (no embedding yet) follow in the chosen sort. None goes back to the chosen sort."""
        self._similarity = None if scores is None else dict(scores)
        self._sorted_all = None
        self._apply(self._wanted_order())

    @property
    def collapse_bursts(self) -> bool:
        return self._collapse

    def set_collapse_bursts(self, on: bool) -> None:
        on = bool(on)
        if on != self._collapse:
            self._collapse = on
            self._expanded.clear()
            self._apply(self._wanted_order())
            self._repaint_all()

    def is_expanded(self, group: BurstGroup) -> bool:
        return not self._expanded.isdisjoint(group.ids)

    def set_expanded(self, group: BurstGroup, expanded: bool) -> None:
        if expanded == self.is_expanded(group):
            return
        if expanded:
            self._expanded.update(group.ids)
        else:
            self._expanded.difference_update(group.ids)
        self._apply(self._wanted_order())
        self._repaint_all()

    def shown_id_for(self, photo_id: int) -> int | None:
        """The photo whose tile shows this one: itself, its shot's scored file, or its collapsed burst's top."""
        src = self._source
        row = src.photo(photo_id) if src is not None else None
        if src is None or row is None:
            return None
        if row.partner_of is not None:
            photo_id = row.partner_of
        if self.proxy_row_for_id(photo_id) is not None:
            return photo_id
        group = src.burst_of(photo_id)
        if group is not None:
            for pid in group.ids:
                if self.proxy_row_for_id(pid) is not None:
                    return pid
        return None

    def accepts(self, row: GalleryRow) -> bool:
        """Whether the filter and the folder let this photo through (bursts aside)."""
        return row.partner_of is None and in_folder(row.folder, self._folder) and self._predicate()(row)

    def counts(self) -> GalleryCounts:
        """The status line's counts: shown, and within the chosen folder everything else. A RAW+JPEG pair
        counts once (its second file is left out)."""
        src = self._source
        if src is None:
            return count_rows([], shown=0, pairs=0, bursts=[])
        rows: Sequence[GalleryRow] = src.rows()
        folder = self._folder
        if folder is not None or self._cols.partner_rows:
            rows = [r for r in rows if r.partner_of is None and in_folder(r.folder, folder)]
        pairs = sum(1 for s in self._cols.partner_rows if in_folder(src.row_at(s).folder, folder))
        groups = [g for g in src.burst_groups() if _group_in(src, g, folder)]
        return count_rows(rows, shown=len(self._order), pairs=pairs, bursts=groups)

    # --- mapping --------------------------------------------------------------------------------
    def sourceModel(self) -> GalleryModel | None:
        return self._source

    def setSourceModel(self, model: GalleryModel | None) -> None:
        old = self._source
        if old is not None:
            for sig, slot in self._connections(old):
                sig.disconnect(slot)
        self.beginResetModel()
        self._source = model
        if model is not None:
            for sig, slot in self._connections(model):
                sig.connect(slot)
        self._rekey()
        self._order = self._wanted_order()
        self._pos = None
        self.endResetModel()
        self.countsChanged.emit()

    def _connections(self, model: GalleryModel) -> tuple[tuple[Any, Any], ...]:
        return ((model.modelAboutToBeReset, self._on_about_to_reset), (model.modelReset, self._on_reset),
                (model.rowsAboutToBeRemoved, self._on_rows_about_to_be_removed),
                (model.rowsRemoved, self._on_rows_removed), (model.rowsInserted, self._on_rows_inserted),
                (model.dataChanged, self._on_data_changed), (model.layoutChanged, self._on_layout_changed),
                (model.burstsChanged, self._on_bursts_changed))

    def mapToSource(self, proxy_index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        src = self._source
        if src is None or not proxy_index.isValid():
            return QModelIndex()
        r = proxy_index.row()
        if r < 0 or r >= len(self._order):
            return QModelIndex()
        return src.index(self._order[r], 0)

    def mapFromSource(self, source_index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        if not source_index.isValid():
            return QModelIndex()
        r = self.proxy_row(source_index.row())
        return QModelIndex() if r is None else self.index(r, 0)

    def proxy_row(self, source_row: int) -> int | None:
        if self._pos is None:
            self._pos = {s: i for i, s in enumerate(self._order)}
        return self._pos.get(source_row)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r = index.row()
        if self._source is None or r < 0 or r >= len(self._order):
            return None
        if role == BURST_ROLE:
            if not self._tiles:
                return None
            return self._tiles.get(self._source.row_at(self._order[r]).photo_id)
        return self._source.row_data(self._order[r], role)

    def burst_tile(self, photo_id: int) -> BurstTile | None:
        return self._tiles.get(photo_id)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def row_at(self, proxy_row: int) -> GalleryRow:
        return self._model().row_at(self._order[proxy_row])

    def photo_ids(self) -> list[int]:
        src = self._model()
        return [src.row_at(s).photo_id for s in self._order]

    def proxy_row_for_id(self, photo_id: int) -> int | None:
        s = self._model().row_for_id(photo_id)
        return None if s is None else self.proxy_row(s)

    def _model(self) -> GalleryModel:
        """The source model (set before the proxy has any row)."""
        if self._source is None:
            raise RuntimeError("GalleryProxy has no source model")
        return self._source

    # --- the order ------------------------------------------------------------------------------
    def _rekey(self) -> None:
        """Rebuild the sort columns from the source rows."""
        src = self._source
        self._cols = SortColumns(src.rows() if src is not None else [])
        self._sorted_all = None

    def _all_sorted(self) -> list[int]:
        if self._sorted_all is None:
            order = self._cols.order(self._sort)
            if self._similarity is not None:
                order = sorted(order, key=self._key())  # stable: ties and unranked photos keep the sort
            self._sorted_all = order
        return self._sorted_all

    def _key(self) -> Any:
        """The key the shown order is sorted by (bisect inserts with it)."""
        if self._similarity is None:
            return self._cols.key(self._sort)
        rows, sims = self._model().rows(), self._similarity
        return lambda s: -sims.get(rows[s].photo_id, -2.0)

    def _wanted_order(self) -> list[int]:
        """The rows to show, in order (and, as it goes, what each tile shows of its burst)."""
        src = self._source
        self._tiles = {}
        if src is None:
            return []
        rows = src.rows()
        accept = self._predicate()
        folder = self._folder
        hidden = self._cols.partner_rows
        if self._filter == "all" and self._reason is None and not folder:
            order = list(self._all_sorted()) if not hidden else [s for s in self._all_sorted() if s not in hidden]
        else:
            order = [s for s in self._all_sorted()
                     if s not in hidden and in_folder(rows[s].folder, folder) and accept(rows[s])]
        groups = src.burst_groups() if self._collapse else []
        if not groups:
            return order
        order, self._tiles = tile_bursts(order, groups, row_of=src.row_for_id, fused_of=lambda s: rows[s].fused,
                                         expanded=self.is_expanded)
        return order

    def _on_bursts_changed(self) -> None:
        self._apply(self._wanted_order())
        self._repaint_all()

    def _repaint_all(self) -> None:
        if self._order:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._order) - 1, 0), [BURST_ROLE])

    def _apply(self, new: list[int]) -> None:
        """Move from the current order to `new` with removals, a layout change and insertions."""
        old = self._order
        if new == old:
            self.countsChanged.emit()
            return
        new_set, old_set = set(new), set(old)
        removed = consecutive_runs([i for i, s in enumerate(old) if s not in new_set])
        added = consecutive_runs([i for i, s in enumerate(new) if s not in old_set])
        if len(removed) + len(added) > _MAX_RUNS:
            self.beginResetModel()
            self._order = new
            self._pos = None
            self.endResetModel()
            self.countsChanged.emit()
            return
        for lo, hi in reversed(removed):
            self.beginRemoveRows(QModelIndex(), lo, hi)
            del self._order[lo:hi + 1]
            self._pos = None
            self.endRemoveRows()
        survivors = [s for s in new if s in old_set]
        if survivors != self._order:
            self.layoutAboutToBeChanged.emit()
            persistent = self.persistentIndexList()
            sources = [self._order[p.row()] if 0 <= p.row() < len(self._order) else None for p in persistent]
            self._order = survivors
            self._pos = None
            moved = [QModelIndex() if s is None or (p := self.proxy_row(s)) is None else self.index(p, 0)
                     for s in sources]
            self.changePersistentIndexList(persistent, moved)
            self.layoutChanged.emit()
        for lo, hi in added:
            self.beginInsertRows(QModelIndex(), lo, hi)
            self._order[lo:lo] = new[lo:hi + 1]
            self._pos = None
            self.endInsertRows()
        self.countsChanged.emit()

    # --- source signals -------------------------------------------------------------------------
    def _on_about_to_reset(self) -> None:
        self.beginResetModel()

    def _on_reset(self) -> None:
        self._rekey()
        self._order = self._wanted_order()
        self._pos = None
        self.endResetModel()
        self.countsChanged.emit()

    def _on_layout_changed(self, *args: object) -> None:  # Qt passes parents and a hint: all rows change anyway
        self.beginResetModel()
        self._rekey()
        self._order = self._wanted_order()
        self._pos = None
        self.endResetModel()
        self.countsChanged.emit()

    def _on_rows_about_to_be_removed(self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int) -> None:
        gone = sorted(p for p in (self.proxy_row(s) for s in range(first, last + 1)) if p is not None)
        for lo, hi in reversed(consecutive_runs(gone)):
            self.beginRemoveRows(QModelIndex(), lo, hi)
            del self._order[lo:hi + 1]
            self._pos = None
            self.endRemoveRows()

    def _on_rows_removed(self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int) -> None:
        n = last - first + 1
        self._order = [s - n if s > last else s for s in self._order]
        self._rekey()
        self._pos = None
        self.countsChanged.emit()

    def _on_rows_inserted(self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int) -> None:
        n = last - first + 1
        if first < self._cols.n:  # not an append: shift what follows
            self._order = [s + n if s >= first else s for s in self._order]
            self._pos = None
        self._rekey()
        self._apply(self._wanted_order())

    def _on_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Sequence[int] = ()) -> None:
        first, last = top_left.row(), bottom_right.row()
        if roles and ROW_ROLE not in roles and int(Qt.ItemDataRole.DisplayRole) not in roles:
            # presentation only (e.g. percentile colours): repaint the shown range
            if self._order:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._order) - 1, 0), roles)
            return
        src = self._model()
        outcome = "same"
        for s in range(first, last + 1):
            change = self._cols.update(s, src.row_at(s))
            if change == "rebuild":
                outcome = "rebuild"
                break
            if change == "moved":
                outcome = "moved"
        if outcome == "rebuild":
            self._rekey()
        elif outcome == "moved":
            self._sorted_all = None
        if outcome == "same" and self._collapse and any(
                src.burst_of(src.row_at(s).photo_id) is not None for s in range(first, last + 1)):
            outcome = "burst"  # a frame of a burst: which frame stands for it may change
        if outcome != "same" or last - first > 16 or (self._collapse and self._expanded):
            self._apply(self._wanted_order())  # (an expanded burst's frames sit out of sort order: no bisect)
        else:
            for s in range(first, last + 1):
                self._place(s)
            self.countsChanged.emit()
        shown = sorted(p for p in (self.proxy_row(s) for s in range(first, last + 1)) if p is not None)
        for lo, hi in consecutive_runs(shown):
            self.dataChanged.emit(self.index(lo, 0), self.index(hi, 0), roles)

    def _place(self, s: int) -> None:
        """Show or hide one source row whose sort fields did not change."""
        row = self._model().row_at(s)
        p = self.proxy_row(s)
        want = self.accepts(row)
        if p is not None and not want:
            self.beginRemoveRows(QModelIndex(), p, p)
            del self._order[p]
            self._pos = None
            self.endRemoveRows()
        elif p is None and want and s not in self._cols.partner_rows:
            key = self._key()
            at = bisect.bisect_left(self._order, key(s), key=key)
            self.beginInsertRows(QModelIndex(), at, at)
            self._order.insert(at, s)
            self._pos = None
            self.endInsertRows()


def _group_in(src: GalleryModel, group: BurstGroup, folder: str | None) -> bool:
    row = src.photo(group.ids[0])
    return row is not None and in_folder(row.folder, folder)
