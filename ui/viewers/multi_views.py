"""Opens and drives compare (C) and survey (N) over the grid: which photos they show, what their keys do.

The window hands in what these need (the grid, the catalog worker, the stack the
views live in, and how to save a decision); a decision in either view acts on the
photo with the outline, and is one undo step like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStackedWidget, QWidget

from ui.viewers.compare import CompareView, compare_pair
from ui.grid.grid_view import Command
from ui.viewers.loupe_images import LoupeImages
from ui.viewers.loupe_sync import shoot_ranks
from ui.viewers.survey import MAX_FRAMES, SurveyView
from ui.rules.zoom import sharpest_centre
from curator.display import shown

if TYPE_CHECKING:
    from curator.catalog import GalleryRow, PhotoDetail
    from ui.background.catalog_worker import CatalogWorker
    from ui.grid.gallery_model import GalleryModel
    from ui.grid.grid_view import GalleryView


class MultiViews(QObject):
    def __init__(self, stack: QStackedWidget, view: GalleryView, model: GalleryModel, worker: CatalogWorker,
                 images: LoupeImages, *, decide_on: Callable[[int, dict[str, Any]], None],
                 say: Callable[[str], None], back: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack, self.view, self.model, self.worker = stack, view, model, worker
        self._decide_on, self._say, self._back = decide_on, say, back
        self.compare = CompareView(images)
        self.survey = SurveyView(images)
        self.compare.caption = self._caption
        self.survey.caption = self._caption
        for widget in (self.compare, self.survey):
            stack.addWidget(widget)
        self._detail: PhotoDetail | None = None
        self._best: int | None = None  # the surveyed burst's best frame
        # compare's arrows step through these: the burst's frames when the pair came from a burst
        # (a collapsed burst shows one tile in the grid, so the grid's order cannot reach the others)
        self._frames: list[int] | None = None
        self.handlers: dict[str, Callable[[], None]] = {
            "compare:candidate_next": lambda: self._step(1, 1), "compare:candidate_previous": lambda: self._step(1, -1),
            "compare:select_next": lambda: self._step(0, 1), "compare:select_previous": lambda: self._step(0, -1),
            "compare:other_pane": lambda: self.compare.move_cursor(1),
            "compare:zoom": lambda: self.compare.toggle_zoom(self._sharpest_fraction()),
            "compare:heatmap": self.compare.toggle_heatmap, "compare:close": back,
            "survey:next": lambda: self.survey.move_cursor(1), "survey:previous": lambda: self.survey.move_cursor(-1),
            "survey:reject_and_remove": self._reject_and_remove, "survey:remove": self._remove,
            "survey:heatmap": self.survey.toggle_heatmap, "survey:close": back,
        }

    def active(self) -> QWidget | None:
        w = self.stack.currentWidget()
        return w if w in (self.compare, self.survey) else None

    def current_row(self) -> GalleryRow | None:
        """The photo a decision key acts on in the active view (the one with the outline)."""
        w = self.active()
        return w.current_row() if isinstance(w, (CompareView, SurveyView)) else None

    # --- compare -----------------------------------------------------------------------------------
    def open_compare(self) -> bool:
        current = self.view.current_photo_id()
        if current is None:
            return False
        order = self.view.proxy.photo_ids()
        group = self.model.burst_of(current)
        burst = list(group.ids) if group is not None else None
        score = {pid: (r.fused if (r := self.model.photo(pid)) is not None else None) for pid in burst or []}
        pair = compare_pair(order, current, burst, score)
        if pair is None:
            self._say("Compare needs two photos")
            return False
        select, candidate = self.model.photo(pair[0]), self.model.photo(pair[1])
        if select is None or candidate is None:
            return False
        self._frames = burst if burst is not None and len(burst) >= 2 else None
        self.stack.setCurrentWidget(self.compare)
        self.compare.active_index = 0
        self.compare.reset_zoom()
        self.compare.show_pair(select, candidate)
        self.compare.setFocus()
        self._detail = None
        self.worker.load_detail(select.photo_id)
        return True

    def compare_order(self) -> list[int]:
        """What compare's arrows step through: the burst's frames, or the grid's order."""
        return list(self._frames) if self._frames is not None else self.view.proxy.photo_ids()

    def _step(self, pane: int, delta: int) -> None:
        """Replace the candidate (pane 1) or the select (pane 0) with the photo before / after it in
        compare's order (the burst's frames, else the grid's)."""
        rows = self.compare.rows
        if len(rows) < 2:
            return
        order = self.compare_order()
        other = rows[1 - pane].photo_id
        if rows[pane].photo_id not in order:  # never jump to an unrelated photo: stay
            return
        at = order.index(rows[pane].photo_id) + delta
        if 0 <= at < len(order) and order[at] == other:
            at += delta
        if not 0 <= at < len(order):
            return
        new = self.model.photo(order[at])
        if new is None:
            return
        pair = [rows[0], rows[1]]
        pair[pane] = new
        self.compare.show_pair(pair[0], pair[1])
        if pane == 0:
            self._detail = None
            self.worker.load_detail(new.photo_id)

    def detail_loaded(self, photo_id: int, detail: PhotoDetail | None) -> None:
        if detail is not None and self.compare.select is not None and photo_id == self.compare.select.photo_id:
            self._detail = detail

    def _sharpest_fraction(self) -> tuple[float, float] | None:
        d = self._detail
        if d is None or d.scored_size is None:
            return None
        boxes = [(v.box, float(v.fused)) for v in d.views if v.box is not None]
        centre = sharpest_centre(boxes, d.scored_size, (1, 1))
        return centre

    # --- survey ------------------------------------------------------------------------------------
    def open_survey(self) -> bool:
        """The multi-selection (2–6), else the burst under the selection, else the photo and those after it."""
        current = self.view.current_photo_id()
        if current is None:
            return False
        selected = self.view.selected_photo_ids()
        group = self.model.burst_of(current)
        self._best = None
        if len(selected) >= 2:
            ids = selected[:MAX_FRAMES]
        elif group is not None:
            ids = list(group.ids)[:MAX_FRAMES]
            self._best = group.top
        else:
            order = self.view.proxy.photo_ids()
            at = order.index(current)
            ids = order[at:at + 4]
        rows = [r for r in (self.model.photo(i) for i in ids) if r is not None]
        if len(rows) < 2:
            self._say("Survey needs two photos or more: select them, or choose a burst")
            return False
        self.stack.setCurrentWidget(self.survey)
        self.survey.show_rows(rows, active=0)
        self.survey.setFocus()
        return True

    def _reject_and_remove(self) -> None:
        row = self.survey.current_row()
        if row is None:
            return
        self._decide_on(row.photo_id, {"flag": "reject"})
        self._remove(rejected=True)

    def _remove(self, rejected: bool = False) -> None:
        row = self.survey.current_row()
        if row is None:
            return
        self.survey.remove_current()
        what = "Rejected and took" if rejected else "Took"
        self._say(f"{what} {shown(row.name)} out of the survey")
        if len(self.survey.rows) < 1:
            self._back()

    # --- shared --------------------------------------------------------------------------------------
    def handle(self, command: Command) -> bool:
        handler = self.handlers.get(command.name)
        if handler is None:
            return False
        handler()
        return True

    def row_changed(self, row: GalleryRow) -> None:
        for w in (self.compare, self.survey):
            w.update_row(row)

    def _caption(self, row: GalleryRow) -> str:
        ranks = shoot_ranks([r for r in self.model.rows() if r.folder == row.folder])
        rank = ranks.get(row.partner_of or row.photo_id)
        parts = [shown(row.name)]
        if rank is not None:
            parts.append(f"#{rank[0]} of {rank[1]}")
        if row.reasons:
            parts.append(", ".join(row.reasons))
        if self._best == row.photo_id and self.stack.currentWidget() is self.survey:
            parts.append("best of the burst")
        if row.flag:
            parts.append({"pick": "picked", "reject": "rejected"}[row.flag])
        if row.rating:
            parts.append("★" * int(row.rating))
        return "  ·  ".join(parts)
