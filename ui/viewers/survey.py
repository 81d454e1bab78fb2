"""Survey (N): two to six photos, each as large as fits: a multi-selection, or a whole burst.

The arrows move the outline; a decision key acts on the photo with the outline.
X rejects that photo and takes it out of the survey (Delete only takes it out).
A burst's best frame is marked, and each frame shows its rank in the shoot.
Esc goes back to the grid.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget

from ui.viewers.canvas_set import CanvasSetView
from ui.viewers.loupe_images import LoupeImages

_NONE = Qt.KeyboardModifier.NoModifier
GAP = 4
MAX_FRAMES = 6

SURVEY_KEYS: dict[tuple[int, Qt.KeyboardModifier], str] = {
    (int(Qt.Key.Key_Right), _NONE): "next",
    (int(Qt.Key.Key_Down), _NONE): "next",
    (int(Qt.Key.Key_Left), _NONE): "previous",
    (int(Qt.Key.Key_Up), _NONE): "previous",
    (int(Qt.Key.Key_X), _NONE): "reject_and_remove",
    (int(Qt.Key.Key_Delete), _NONE): "remove",
    (int(Qt.Key.Key_Backspace), _NONE): "remove",
    (int(Qt.Key.Key_H), _NONE): "heatmap",
    (int(Qt.Key.Key_Escape), _NONE): "close",
    (int(Qt.Key.Key_N), _NONE): "close",
    (int(Qt.Key.Key_G), _NONE): "close",
}


def survey_grid(n: int, width: int, height: int) -> tuple[int, int]:
    """(columns, rows) that make n cells of a 3:2 photo as large as they can be in width × height."""
    best, best_cols = -1.0, 1
    for cols in range(1, max(1, n) + 1):
        rows = math.ceil(n / cols)
        cw, ch = (width - GAP * (cols - 1)) / cols, (height - GAP * (rows - 1)) / rows
        side = min(cw / 3, ch / 2)  # the largest 3:2 photo in the cell
        if side > best:
            best, best_cols = side, cols
    return best_cols, math.ceil(n / best_cols)


class SurveyView(CanvasSetView):
    KEYS = SURVEY_KEYS
    PREFIX = "survey"

    def __init__(self, images: LoupeImages, parent: QWidget | None = None) -> None:
        super().__init__(images, parent)
        self.setObjectName("survey")

    def remove_current(self) -> int | None:
        """Take the photo with the outline out of the survey; its id."""
        row = self.current_row()
        if row is None:
            return None
        rows = [r for r in self.rows if r.photo_id != row.photo_id]
        self.show_rows(rows, active=min(self.active_index, len(rows) - 1))
        return row.photo_id

    def toggle_heatmap(self) -> None:
        on = not (self.canvases and self.canvases[0].show_heatmap)
        for canvas in self.canvases:
            canvas.show_heatmap = on
            canvas.update()

    def lay_out(self) -> None:
        n = len(self.canvases)
        if not n:
            return
        cols, rows = survey_grid(n, self.width(), self.height())
        w = (self.width() - GAP * (cols - 1)) // cols
        h = (self.height() - GAP * (rows - 1)) // rows
        for i, canvas in enumerate(self.canvases):
            r, c = divmod(i, cols)
            canvas.setGeometry(QRect(c * (w + GAP), r * (h + GAP), w, h))
            canvas.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.lay_out()
