"""Keeps the loupe on the grid's selection: the picture (preloaded when it can be), the neighbours'
pictures in the background, the per-window scores (the heatmap, the sharpest window) and the info line.

The loupe follows the grid's current photo, so a decision key always acts on
the photo whose name the loupe shows; until that photo's picture is painted
the loupe shows a placeholder, never the previous picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from ui.heatmap.cells import heatmap_image, window_views
from ui.viewers.loupe import LoupeView, info_text
from ui.viewers.loupe_images import FULL, SCREEN, LoupeImages, LoupePicture
from ui.rules.zoom import sharpest_centre
from curator.display import shown

if TYPE_CHECKING:
    from curator.catalog import GalleryRow, PhotoDetail
    from ui.background.catalog_worker import CatalogWorker
    from ui.grid.gallery_model import GalleryModel
    from ui.grid.grid_view import GalleryView
    from ui.grid.thumbnails import ThumbnailLoader

PRELOAD_BEFORE, PRELOAD_AFTER = 1, 2
THUMB = "thumb"  # the canvas shows the grid's thumbnail while the picture is decoded
FULL_AFTER_MS = 250  # a photo looked at this long gets its full-size decode, ready for Z


def shoot_ranks(rows: list[GalleryRow]) -> dict[int, tuple[int, int]]:
    """photo id -> (rank, count) by fused score within its folder: 1 is the best; unscored rows have none."""
    by_folder: dict[str, list[GalleryRow]] = {}
    for row in rows:
        if row.fused is not None and row.partner_of is None:
            by_folder.setdefault(row.folder, []).append(row)
    out: dict[int, tuple[int, int]] = {}
    for members in by_folder.values():
        members.sort(key=lambda r: (-float(r.fused or 0.0), r.name))
        for i, row in enumerate(members):
            out[row.photo_id] = (i + 1, len(members))
    return out


class LoupeSync(QObject):
    def __init__(self, loupe: LoupeView, view: GalleryView, model: GalleryModel, worker: CatalogWorker,
                 images: LoupeImages, thumbnails: ThumbnailLoader | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loupe, self.view, self.model, self.worker, self.images = loupe, view, model, worker, images
        self.thumbnails = thumbnails  # the grid's thumbnail of the photo, shown until its picture arrives
        self.canvas = loupe.canvas
        self.active = False
        self.detail: PhotoDetail | None = None
        self._ranks: dict[str, dict[int, tuple[int, int]]] = {}
        self._full_timer = QTimer(self, singleShot=True, interval=FULL_AFTER_MS)
        self._full_timer.timeout.connect(self._want_full)
        view.selectionModel().currentChanged.connect(self._on_current_changed)
        images.ready.connect(self._on_ready)
        images.failed.connect(self._on_failed)
        for signal in (model.modelReset, model.dataChanged, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._forget_ranks)

    # --- open / close -----------------------------------------------------------------------------
    def open(self) -> None:
        self.active = True
        self.show_current()

    def close(self) -> None:
        self.active = False
        self._full_timer.stop()
        self.canvas.zoom_to(None)

    # --- what the keys ask ----------------------------------------------------------------------
    def step(self, delta: int) -> None:
        """The previous / next photo of the grid's order."""
        idx = self.view.currentIndex()
        r = (idx.row() if idx.isValid() else -1) + delta
        if 0 <= r < self.view.proxy.rowCount():
            self.view.select_row(r)

    def toggle_zoom(self) -> None:
        """100 % on the mouse (over the photo) or the sharpest window; again: back to fit."""
        canvas = self.canvas
        if not canvas.has_picture():
            return
        if canvas.viewport.zoomed:
            canvas.zoom_to(None)
        else:
            centre = canvas.image_point_under_mouse() or self.sharpest()
            canvas.zoom_to(1.0 / max(1.0, canvas.devicePixelRatioF()), centre)
            self._want_full()
        self._show_info()

    def toggle_heatmap(self) -> None:
        self.canvas.show_heatmap = not self.canvas.show_heatmap
        self.canvas.update()

    def sharpest(self) -> tuple[float, float] | None:
        """The centre of the best-scoring window, in the photo's pixels (None before the detail arrives)."""
        detail, v = self.detail, self.canvas.viewport
        if detail is None or detail.scored_size is None or detail.row.photo_id != self.canvas.photo_id:
            return None
        boxes = [(w.box, float(w.fused)) for w in window_views(detail.views) if w.box is not None]
        return sharpest_centre(boxes, detail.scored_size, (int(v.image_w), int(v.image_h)))

    # --- following the grid ------------------------------------------------------------------------
    def show_current(self) -> None:
        if not self.active:
            return
        row = self.view.current_row()
        if row is None:
            self.loupe.row = None
            self.canvas.show_placeholder(None, "No photo selected")
            self.loupe.info.setText("")
            return
        changed = row.photo_id != self.canvas.photo_id or self.loupe.row is None \
            or (row.mtime, row.size) != (self.loupe.row.mtime, self.loupe.row.size)
        self.loupe.row = row
        if changed:
            self.detail = None
            picture = self.images.picture(row, FULL) or self.images.picture(row, SCREEN)
            if picture is not None:
                self._paint(picture)
            else:
                thumb = self.thumbnails.thumbnail(row) if self.thumbnails is not None else None
                if thumb is not None:  # this photo's own thumbnail, enlarged: never the previous photo
                    size = (row.width, row.height) if row.width and row.height else (thumb.width(), thumb.height())
                    self.canvas.set_picture(row.photo_id, thumb, size, THUMB)
                else:
                    self.canvas.show_placeholder(row.photo_id, self._waiting_text(row))
                self.images.request(row, SCREEN, priority=100, urgent=True)
            if row.status != "missing":
                self.worker.load_detail(row.photo_id)
            self._want_around(row)
            self._preload_neighbours()
            self._full_timer.start()
        self._show_info()

    def row_changed(self) -> None:
        """A decision or a reload changed the shown row: refresh the info line."""
        if self.active:
            row = self.view.current_row()
            if row is not None and row.photo_id == self.canvas.photo_id:
                self.loupe.row = row
                self._show_info()

    def detail_loaded(self, photo_id: int, detail: PhotoDetail | None) -> None:
        if detail is None or photo_id != self.canvas.photo_id:
            return
        self.detail = detail
        self.canvas.set_heatmap(heatmap_image(detail.views, detail.scored_size))

    # --- pictures --------------------------------------------------------------------------------
    def _want_around(self, row: GalleryRow) -> None:
        """The pictures worth decoding now: this photo (screen and full size) and its neighbours."""
        idx, proxy = self.view.currentIndex(), self.view.proxy
        near = [proxy.row_at(n) for n in (idx.row() - 1, idx.row() + 1, idx.row() + 2)
                if idx.isValid() and 0 <= n < proxy.rowCount()]
        self.images.want_only([(row, SCREEN), (row, FULL)] + [(r, SCREEN) for r in near])

    def _preload_neighbours(self) -> None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return
        proxy, r = self.view.proxy, idx.row()
        order = [r + 1, r - 1, r + 2][:PRELOAD_AFTER + PRELOAD_BEFORE]
        for priority, n in zip((50, 40, 30), order, strict=False):
            if 0 <= n < proxy.rowCount():
                self.images.request(proxy.row_at(n), SCREEN, priority=priority)

    def _want_full(self) -> None:
        row = self.loupe.row
        if self.active and row is not None and row.photo_id == self.canvas.photo_id:
            full = self.images.picture(row, FULL)
            if full is not None:
                if self.canvas.pixmap_kind != FULL:
                    self._paint(full)
            else:
                self.images.request(row, FULL, priority=60)

    def _paint(self, picture: LoupePicture) -> None:
        self.canvas.set_picture(picture.photo_id, self.images.pixmap(picture), picture.original_size, picture.kind)
        if self.detail is not None and self.detail.row.photo_id == picture.photo_id:
            self.canvas.set_heatmap(heatmap_image(self.detail.views, self.detail.scored_size))

    def _on_ready(self, picture: LoupePicture) -> None:
        if self.active and picture.kind == SCREEN and picture.photo_id != self.canvas.photo_id:
            # a neighbour, preloaded: scale it to the screen now, so the arrow key only copies it
            self.canvas.prepare_fit(self.images.pixmap(picture), picture.original_size)
        row = self.loupe.row
        if not self.active or row is None or picture.photo_id != row.photo_id \
                or picture.stamp != (row.mtime, row.size):
            return
        if picture.kind == SCREEN and self.canvas.pixmap_kind == FULL and self.canvas.photo_id == row.photo_id:
            return  # the full-size picture is up already
        self._paint(picture)

    def _on_failed(self, photo_id: int, kind: str, reason: str) -> None:
        row = self.loupe.row
        if self.active and row is not None and photo_id == row.photo_id and kind == SCREEN:
            self.canvas.show_placeholder(photo_id, f"Cannot show {shown(row.name)}:\n{reason}")

    def _waiting_text(self, row: GalleryRow) -> str:
        if row.status == "missing":
            return f"{shown(row.name)} is missing.\nIt was moved or deleted since it was catalogued."
        failed = self.images.failure(row, SCREEN)
        return f"Cannot show {shown(row.name)}:\n{failed}" if failed else f"Loading {shown(row.name)}…"

    # --- the info line -------------------------------------------------------------------------------
    def _show_info(self) -> None:
        row = self.loupe.row
        if row is None:
            return
        v = self.canvas.viewport
        zoom = f"{v.effective_scale * self.canvas.devicePixelRatioF() * 100:.0f} %" if v.zoomed else ""
        self.loupe.info.setText(info_text(row, self._rank(row), zoom))

    def _rank(self, row: GalleryRow) -> tuple[int, int] | None:
        ranks = self._ranks.get(row.folder)
        if ranks is None:
            ranks = shoot_ranks([r for r in self.model.rows() if r.folder == row.folder])
            self._ranks[row.folder] = ranks
        return ranks.get(row.partner_of or row.photo_id)

    def _forget_ranks(self, *_args: object) -> None:
        self._ranks.clear()

    def _on_current_changed(self, *_indexes: object) -> None:
        self.show_current()
