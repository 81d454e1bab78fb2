"""Keeps the detail pane on the grid's selection: its row, its catalog detail (windows, EXIF) and its preview.

The pane is "open" while the photographer has it switched on, whether or not it is on screen: the
loupe, compare and survey hide the grid (and the pane with it) but not the pane's place. A pane on
screen follows every selection change; one behind another view is brought up to date when the grid
comes back (`sync`), so that after any view switch it names the photo a decision key acts on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QSplitter

from ui.background.catalog_worker import CatalogWorker
from ui.detail.pane import DetailPane
from ui.grid.gallery_model import GalleryModel
from ui.grid.grid_view import GalleryView
from ui.grid.thumbnails import ThumbnailLoader

if TYPE_CHECKING:
    from curator.catalog import GalleryRow, PhotoDetail
    from curator.rules.explain import Why
    from ui.heatmap.layers import HeatLayer


class DetailSync(QObject):
    def __init__(self, pane: DetailPane, view: GalleryView, model: GalleryModel, splitter: QSplitter,
                 loader: ThumbnailLoader, worker: CatalogWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pane, self.view, self.model, self.splitter = pane, view, model, splitter
        self.loader, self.worker = loader, worker
        view.selectionModel().currentChanged.connect(self._on_current_changed)
        loader.previewReady.connect(pane.set_preview)
        loader.previewFailed.connect(pane.preview_failed)

    def is_open(self) -> bool:
        """Switched on by the photographer (on screen, or behind the loupe, compare or survey)."""
        return not self.pane.isHidden()

    def set_visible(self, visible: bool) -> None:
        pane = self.pane
        if visible == self.is_open():
            return
        if visible:
            pane.show()
            total = max(self.splitter.width(), 800)
            side = max(420, total * 2 // 5)
            self.splitter.setSizes([total - side, side])
            self.show_current()
        else:
            pane.hide()
        if self.view.currentIndex().isValid():
            QTimer.singleShot(0, lambda: self.view.scrollTo(self.view.currentIndex()))
        self.view.setFocus()

    def toggle_heatmap(self) -> None:
        self.set_visible(True)
        self.pane.toggle_heatmap()

    def show_current(self) -> None:
        row = self.view.current_row()
        if row is None:
            self.pane.clear("No photo selected")
            return
        changed = row.photo_id != self.pane.photo_id
        self._show_row(row)
        if changed or self.pane.detail is None:
            self.worker.load_detail(row.photo_id)
        if (changed or not self.pane.preview_loaded) and row.status != "missing":
            self.loader.request_preview(row)

    def rows_reloaded(self) -> None:
        """After a reload: the shown photo's row changed (a decision elsewhere, a new score)?"""
        row, shown = self.view.current_row(), self.pane.row
        if not self.is_open() or row is None or shown is None or row.photo_id != shown.photo_id \
                or row == shown:
            return
        self._show_row(row)
        if row.fused != shown.fused or self.pane.detail is None:
            self.worker.load_detail(row.photo_id)  # new windows for the heatmap

    def row_refreshed(self, row: GalleryRow) -> None:
        if self.is_open() and self.pane.photo_id == row.photo_id:
            self._show_row(row)

    def keywords_loaded(self, photo_id: int, keywords: list[tuple[str, float]] | None) -> None:
        self.pane.set_keywords(photo_id, keywords)

    def detail_loaded(self, photo_id: int, detail: PhotoDetail | None) -> None:
        if detail is not None:
            self.pane.set_detail(detail)

    def why_loaded(self, photo_id: int, why: Why | None, layers: dict[str, HeatLayer]) -> None:
        self.pane.set_why(photo_id, why, layers)

    def sync(self) -> None:
        """After a view switch: an open pane shows the grid's current photo, whatever happened meanwhile."""
        if self.is_open():
            self.show_current()

    def _on_current_changed(self, *_indexes: object) -> None:
        if self.pane.isVisible():  # behind the loupe it waits for `sync`: no decoding for a pane not seen
            self.show_current()

    def _show_row(self, row: GalleryRow) -> None:
        also = tuple(r.path for r in self.model.partner_rows(row.photo_id))
        self.pane.show_row(row, self.model.rank(row.photo_id), self.model.score_decimals, also)
