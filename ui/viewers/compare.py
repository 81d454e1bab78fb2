"""Compare (C): two photos side by side, zoom and pan in step, as Lightroom's compare view.

The left pane is the select, the right the candidate. Left/Right replace the
candidate with the previous / next photo of the grid, Shift+Left/Right the
select. Z shows both at 100 % on the same spot (the mouse, or the select's
sharpest window); a drag or the wheel on either moves both. A decision key acts
on the pane with the outline (click a pane to choose it). Esc goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget

from ui.viewers.canvas_set import CanvasSetView
from ui.viewers.loupe_images import FULL, LoupeImages
from ui.viewers.photo_canvas import PhotoCanvas
from ui.rules.zoom import Viewport

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

_NONE = Qt.KeyboardModifier.NoModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier
GAP = 4  # px between the panes

COMPARE_KEYS: dict[tuple[int, Qt.KeyboardModifier], str] = {
    (int(Qt.Key.Key_Right), _NONE): "candidate_next",
    (int(Qt.Key.Key_Left), _NONE): "candidate_previous",
    (int(Qt.Key.Key_Right), _SHIFT): "select_next",
    (int(Qt.Key.Key_Left), _SHIFT): "select_previous",
    (int(Qt.Key.Key_Tab), _NONE): "other_pane",
    (int(Qt.Key.Key_Z), _NONE): "zoom",
    (int(Qt.Key.Key_H), _NONE): "heatmap",
    (int(Qt.Key.Key_Escape), _NONE): "close",
    (int(Qt.Key.Key_C), _NONE): "close",
    (int(Qt.Key.Key_G), _NONE): "close",
}


def compare_pair(order: Sequence[int], current: int, burst: Sequence[int] | None,
                 score: dict[int, float | None]) -> tuple[int, int] | None:
    """(select, candidate) for C: the two best frames of the burst under the selection, else the
    selection and the photo after it (before it, at the end). None with fewer than two photos."""
    if burst is not None and len(burst) >= 2:
        def best_first(photo_id: int) -> float:
            value = score.get(photo_id)
            return -value if value is not None else float("inf")

        best = sorted(burst, key=best_first)
        return best[0], best[1]
    if current not in order or len(order) < 2:
        return None
    at = order.index(current)
    return current, order[at + 1] if at + 1 < len(order) else order[at - 1]


class CompareView(CanvasSetView):
    KEYS = COMPARE_KEYS
    PREFIX = "compare"

    def __init__(self, images: LoupeImages, parent: QWidget | None = None) -> None:
        super().__init__(images, parent)
        self.setObjectName("compare")
        self._syncing = False
        # the zoom both panes share (None: fit); a pane whose picture lands later takes it then
        self._held: Viewport | None = None

    def reset_zoom(self) -> None:
        """A new compare starts fitted."""
        self._held = None
        for canvas in self.canvases:
            canvas.zoom_to(None)

    def held_viewport(self) -> Viewport | None:
        return self._held

    def show_pair(self, select: GalleryRow, candidate: GalleryRow) -> None:
        zoom = self._held
        self.show_rows([select, candidate], active=self.active_index)
        for canvas in self.canvases:
            if not canvas.property("synced"):  # each canvas joins the sync once
                canvas.viewportChanged.connect(lambda v, c=canvas: self._sync(c, v))
                canvas.setProperty("synced", True)
        if zoom is not None:  # a new candidate comes in at the zoom the user is checking
            for canvas in self.canvases:
                if canvas.has_picture():  # one still decoding takes it when its pixels land
                    canvas.set_viewport(zoom)
            for row in self.rows:  # at 100 %, every pixel
                self.images.request(row, FULL, priority=70)

    @property
    def select(self) -> GalleryRow | None:
        return self.rows[0] if self.rows else None

    @property
    def candidate(self) -> GalleryRow | None:
        return self.rows[1] if len(self.rows) > 1 else None

    def toggle_zoom(self, centre_fraction: tuple[float, float] | None) -> None:
        """Both panes to 100 % (the same spot, as fractions of the photo) or both back to fit."""
        if not self.canvases:
            return
        first = self.canvases[self.active_index]
        if first.viewport.zoomed:
            first.zoom_to(None)
            return
        mouse = next((c.image_point_under_mouse() for c in self.canvases if c.image_point_under_mouse()), None)
        v = first.viewport
        if mouse is not None:
            centre: tuple[float, float] | None = mouse
        elif centre_fraction is not None:
            centre = (centre_fraction[0] * v.image_w, centre_fraction[1] * v.image_h)
        else:
            centre = None
        first.zoom_to(1.0 / max(1.0, first.devicePixelRatioF()), centre)
        for row in self.rows:  # the full-size pictures, so 100 % shows every pixel
            self.images.request(row, FULL, priority=70)

    def toggle_heatmap(self) -> None:
        on = not (self.canvases and self.canvases[0].show_heatmap)
        for canvas in self.canvases:
            canvas.show_heatmap = on
            canvas.update()

    def _sync(self, source: PhotoCanvas, viewport: Viewport) -> None:
        if self._syncing:
            return
        if source.has_picture():
            self._held = viewport if viewport.zoomed else None
        self._syncing = True
        try:
            for canvas in self.canvases:
                if canvas is not source:
                    canvas.set_viewport(viewport)
        finally:
            self._syncing = False

    def lay_out(self) -> None:
        n = len(self.canvases)
        if not n:
            return
        w = (self.width() - GAP * (n - 1)) // n
        for i, canvas in enumerate(self.canvases):
            canvas.setGeometry(QRect(i * (w + GAP), 0, w, self.height()))
            canvas.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.lay_out()
