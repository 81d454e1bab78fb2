"""The thumbnail grid: its key map (a table), its selection, and the hint it shows when empty."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QRect, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from ui import theme
from ui.delegate import TILE
from ui.ordering import short_folder

if TYPE_CHECKING:
    from curator.catalog import GalleryRow
    from ui.proxy import GalleryProxy


@dataclass(frozen=True)
class Command:
    """What a key asks of the window: a command name, and for "decide" the decision's fields."""

    name: str
    changes: tuple[tuple[str, Any], ...] = ()


_NONE = Qt.KeyboardModifier.NoModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier


def _decide(**changes: Any) -> Command:
    return Command("decide", tuple(changes.items()))


# (key, modifiers) -> command. Navigation keys are QListView's own.
KEYMAP: dict[tuple[int, Qt.KeyboardModifier], Command] = {
    (int(Qt.Key.Key_P), _NONE): _decide(flag="pick"),
    (int(Qt.Key.Key_X), _NONE): _decide(flag="reject"),
    (int(Qt.Key.Key_U), _NONE): _decide(flag=None),
    **{(int(Qt.Key.Key_0) + n, _NONE): _decide(rating=n) for n in range(6)},
    (int(Qt.Key.Key_Return), _NONE): Command("toggle_detail"),
    (int(Qt.Key.Key_Enter), _NONE): Command("toggle_detail"),
    (int(Qt.Key.Key_Space), _NONE): Command("toggle_detail"),
    (int(Qt.Key.Key_Escape), _NONE): Command("close_detail"),
    (int(Qt.Key.Key_G), _NONE): Command("close_detail"),  # back to the grid, as Lightroom's G
    (int(Qt.Key.Key_E), _NONE): Command("open_detail"),
    (int(Qt.Key.Key_H), _NONE): Command("toggle_heatmap"),
    # expand / collapse the burst under the selection: S as Lightroom's stack key, B for "burst"
    (int(Qt.Key.Key_S), _NONE): Command("toggle_burst"),
    (int(Qt.Key.Key_B), _NONE): Command("toggle_burst"),
    (int(Qt.Key.Key_X), _SHIFT): Command("reject_burst_others"),
}
KEYS_HINT = ("P pick · X reject · U unflag · 0–5 rate · S burst · ⇧X keep best · Enter details · H heatmap · "
             "Ctrl+F search")


def hint_text(db_path: Path, open_error: str | None, loaded: bool, photos: int, filter_label: str,
              folder: str | None) -> str:
    """What the empty grid says ("title\nbody"): why it is empty, and what to do about it."""
    if open_error is not None:
        return f"Cannot open the catalog\n{db_path}\n\n{open_error}"
    if not loaded:
        return "Opening the catalog…"
    if photos == 0:
        return ("No photos in this catalog yet\n"
                "Score a shoot that is on disk:\n"
                "curator scan ~/Pictures/2024-06-01-wedding\n\n"
                "or score a card dump while it lands, right here:\n"
                "curator gallery --watch ~/Pictures/incoming\n\n"
                f"catalog: {db_path}")
    where = f" in {short_folder(folder)}" if folder else ""
    return f"No photos match “{filter_label}”{where}\nChoose “All photos” or another folder in the toolbar."


class GalleryView(QListView):
    """The grid over a GalleryProxy. A key in KEYMAP becomes a `command` signal."""

    command = Signal(object)  # a Command

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A wrapping list, not IconMode: the same grid on screen, but IconMode asks the model
        # for every index twice as often on each layout (100k photos: 0.5 s more to open).
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setGridSize(TILE)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        self.setMouseTracking(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hint = ""
        self._hint_font = QFont()
        self._hint_font.setPixelSize(13)
        self._title_font = QFont()
        self._title_font.setPixelSize(20)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        command = KEYMAP.get((int(event.key()), mods))
        if command is None:
            super().keyPressEvent(event)
        else:
            self.command.emit(command)

    # --- selection --------------------------------------------------------------------------------
    @property
    def proxy(self) -> GalleryProxy:
        return self.model()  # type: ignore[return-value]  # the window sets a GalleryProxy, nothing else

    def current_row(self) -> GalleryRow | None:
        idx = self.currentIndex()
        return self.proxy.row_at(idx.row()) if idx.isValid() else None

    def current_photo_id(self) -> int | None:
        row = self.current_row()
        return None if row is None else row.photo_id

    def select_row(self, r: int, scroll: bool = True) -> None:
        proxy = self.proxy
        if r < 0 or r >= proxy.rowCount():
            return
        idx = proxy.index(r, 0)
        self.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if scroll:
            self.scrollTo(idx)

    def select_photo(self, photo_id: int, scroll: bool = True) -> bool:
        r = self.proxy.proxy_row_for_id(photo_id)
        if r is None:
            return False
        self.select_row(r, scroll)
        return True

    def reselect(self, previous: int | None) -> None:
        """After the sort, filter or folder changed: the same photo if it is still shown, else the first."""
        if previous is not None and self.select_photo(previous):
            return
        if self.proxy.rowCount():
            self.select_row(0)

    def keep_selection(self, photo_id: int | None) -> None:
        """After tiles were stacked or unstacked: select the tile that now shows this photo."""
        if photo_id is None:
            return
        proxy = self.proxy
        if self.current_photo_id() == photo_id and proxy.proxy_row_for_id(photo_id) is not None:
            return
        shown = proxy.shown_id_for(photo_id)
        if shown is not None:
            self.select_photo(shown)
        elif proxy.rowCount() and self.current_photo_id() is None:
            self.select_row(0)

    # --- the empty grid's hint ----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        super().paintEvent(event)
        model = self.model()
        if self.hint and (model is None or model.rowCount() == 0):
            self._paint_hint()

    def _paint_hint(self) -> None:
        title, _, body = self.hint.partition("\n")
        p = QPainter(self.viewport())
        area = self.viewport().rect().adjusted(40, 40, -40, -40)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        body = body.strip("\n")
        title_h = QFontMetrics(self._title_font).height() + 14
        p.setFont(self._hint_font)
        body_h = p.boundingRect(area, flags, body).height() if body else 0
        top = area.top() + max(0, (area.height() - title_h - body_h) // 2)
        p.setPen(theme.TEXT)
        p.setFont(self._title_font)
        p.drawText(QRect(area.left(), top, area.width(), title_h), flags | Qt.AlignmentFlag.AlignTop, title)
        if body:
            p.setPen(theme.TEXT_DIM)
            p.setFont(self._hint_font)
            p.drawText(QRect(area.left(), top + title_h, area.width(), body_h + 4),
                       flags | Qt.AlignmentFlag.AlignTop, body)
        p.end()
