"""The thumbnail grid: its key map (a table), its selection, and the hint it shows when empty."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QItemSelectionModel, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from ui import theme
from ui.grid.delegate import TILE, TileDelegate
from ui.grid.key_names import Binding, keys_label
from ui.rules.ordering import FILTERS, short_folder

if TYPE_CHECKING:
    from curator.catalog import GalleryRow
    from ui.grid.proxy import GalleryProxy


@dataclass(frozen=True)
class Command:
    """What a key asks of the window: a command name, and for "decide" the decision's fields."""

    name: str
    changes: tuple[tuple[str, Any], ...] = ()


_NONE = Qt.KeyboardModifier.NoModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier
_CTRL = Qt.KeyboardModifier.ControlModifier
FILTER_SHORTCUTS = tuple(name for name, _ in FILTERS[:9])  # Ctrl+Alt+1..9, in the Show menu's order


def _decide(**changes: Any) -> Command:
    return Command("decide", tuple(changes.items()))


# (key, modifiers) -> command. Navigation keys are QListView's own.
KEYMAP: dict[tuple[int, Qt.KeyboardModifier], Command] = {
    (int(Qt.Key.Key_P), _NONE): _decide(flag="pick"),
    (int(Qt.Key.Key_X), _NONE): _decide(flag="reject"),
    (int(Qt.Key.Key_U), _NONE): _decide(flag=None),
    **{(int(Qt.Key.Key_0) + n, _NONE): _decide(rating=n) for n in range(6)},
    (int(Qt.Key.Key_Space), _NONE): Command("toggle_detail"),
    (int(Qt.Key.Key_I), _NONE): Command("toggle_detail"),  # the photo's info, as Lightroom's I
    (int(Qt.Key.Key_Escape), _NONE): Command("close_detail"),
    (int(Qt.Key.Key_G), _NONE): Command("close_detail"),  # back to the grid, as Lightroom's G
    # the loupe: E (Lightroom's), Enter; Z opens it at 100 %
    (int(Qt.Key.Key_E), _NONE): Command("open_loupe"),
    (int(Qt.Key.Key_Return), _NONE): Command("open_loupe"),
    (int(Qt.Key.Key_Enter), _NONE): Command("open_loupe"),
    (int(Qt.Key.Key_Z), _NONE): Command("open_loupe_zoomed"),
    (int(Qt.Key.Key_C), _NONE): Command("open_compare"),
    (int(Qt.Key.Key_N), _NONE): Command("open_survey"),
    (int(Qt.Key.Key_H), _NONE): Command("toggle_heatmap"),
    # expand / collapse the burst under the selection: S as Lightroom's stack key, B for "burst"
    (int(Qt.Key.Key_S), _NONE): Command("toggle_burst"),
    (int(Qt.Key.Key_B), _NONE): Command("toggle_burst"),
    (int(Qt.Key.Key_X), _SHIFT): Command("reject_burst_others"),
    # undo and redo every decision, the burst rejects included
    (int(Qt.Key.Key_Z), _CTRL): Command("undo"),
    (int(Qt.Key.Key_Z), _CTRL | _SHIFT): Command("redo"),
    (int(Qt.Key.Key_Y), _CTRL): Command("redo"),
    # colour labels as in Lightroom (purple has no key there either)
    (int(Qt.Key.Key_6), _NONE): _decide(label="Red"),
    (int(Qt.Key.Key_7), _NONE): _decide(label="Yellow"),
    (int(Qt.Key.Key_8), _NONE): _decide(label="Green"),
    (int(Qt.Key.Key_9), _NONE): _decide(label="Blue"),
    (int(Qt.Key.Key_CapsLock), _NONE): Command("toggle_auto_advance"),
    # the Show filter: Ctrl+Alt+1 all photos, 2 weak, 3 picks, 4 rejects, 5 unflagged, 6 rated ★ or more...
    **{(int(Qt.Key.Key_1) + i, _CTRL | Qt.KeyboardModifier.AltModifier): Command("filter:" + name)
       for i, name in enumerate(FILTER_SHORTCUTS)},
    (int(Qt.Key.Key_Question), _NONE): Command("cheat_sheet"),
    (int(Qt.Key.Key_Question), _SHIFT): Command("cheat_sheet"),
}
SHARED_WITH_VIEWS = frozenset({"decide", "undo", "redo", "toggle_auto_advance", "cheat_sheet"})  # grid commands the loupe and other views pass on


def shared_view_command(key: tuple[int, Qt.KeyboardModifier]) -> Command | None:
    """The grid's command for this key when the loupe and the other views pass it on (SHARED_WITH_VIEWS)."""
    command = KEYMAP.get(key)
    return command if command is not None and command.name in SHARED_WITH_VIEWS else None
TILE_SCALES = (0.75, 0.875, 1.0, 1.25, 1.5, 1.75)  # thumbnail sizes: Ctrl+wheel, + and −
THUMB_KEYS = {int(Qt.Key.Key_Plus): 1, int(Qt.Key.Key_Equal): 1, int(Qt.Key.Key_Minus): -1}


def reflow(viewport_width: int, tile: QSize) -> QSize:
    """The grid cell that fills the width exactly: as many columns of at least the tile's width as fit,
    each widened a little, so no dead strip is left at the right."""
    usable = viewport_width - 1  # QListView wraps a row that reaches the last pixel
    cols = max(1, usable // max(1, tile.width()))
    return QSize(max(tile.width(), usable // cols), tile.height())


# Keys the window binds whatever view has the focus (a QShortcut each): (key, modifiers) -> command name
WINDOW_KEYS: dict[Binding, str] = {(int(Qt.Key.Key_F), _CTRL): "search"}


def command_id(command: Command) -> str:
    """How the key guides name a grid command: "toggle_burst", "decide:flag=pick", "decide:rating=3"."""
    return command.name + "".join(f":{k}={v}" for k, v in command.changes)


def grid_bindings() -> list[tuple[Binding, str]]:
    """Every key the grid and the window bind, with its command's id, in the maps' order."""
    out = [(binding, command_id(command)) for binding, command in KEYMAP.items()]
    out += [((key, _NONE), "thumbnail_larger" if step > 0 else "thumbnail_smaller") for key, step in THUMB_KEYS.items()]
    return out + list(WINDOW_KEYS.items())


# The bottom toolbar's reminder: (command ids, word), its keys read from the maps (`?` lists them all)
_HINT = (("decide:flag=pick", "pick"), ("decide:flag=reject", "reject"), ("decide:flag=None", "unflag"),
         ("decide:rating=*", "rate"), ("toggle_burst", "burst"), ("reject_burst_others", "keep best"),
         ("open_loupe", "loupe"), ("open_loupe_zoomed", "100 %"), ("toggle_detail", "details"),
         ("toggle_heatmap", "heatmap"), ("search", "search"))
KEYS_HINT = " · ".join(
    f"{keys_label((b for b, c in grid_bindings() if fnmatchcase(c, pattern)), '/')} {word}" for pattern, word in _HINT)


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
        self._scale_index = TILE_SCALES.index(1.0)
        self.setGridSize(TILE)
        self.setSpacing(0)
        # Shift/Ctrl+click and Shift+arrows select several photos: a decision key acts on all of them
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        # always there, so the columns computed for the width (reflow) never change when it appears
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setMouseTracking(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hint = ""
        self._hint_font = QFont()
        self._hint_font.setPixelSize(13)
        self._title_font = QFont()
        self._title_font.setPixelSize(20)

    # --- tile size -----------------------------------------------------------------------------------
    def tile(self) -> QSize:
        """The chosen thumbnail size (before the reflow widens it to the width)."""
        s = TILE_SCALES[self._scale_index]
        return QSize(round(TILE.width() * s), round(TILE.height() * s))

    def step_tile_size(self, step: int) -> None:
        self._scale_index = max(0, min(len(TILE_SCALES) - 1, self._scale_index + step))
        self._reflow()
        if self.currentIndex().isValid():
            self.scrollTo(self.currentIndex())

    def _reflow(self) -> None:
        cell = reflow(self.viewport().width(), self.tile())
        if cell != self.gridSize():
            delegate = self.itemDelegate()
            if isinstance(delegate, TileDelegate):
                delegate.tile = QSize(cell)  # the tiles fill their cells
            self.setGridSize(cell)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.angleDelta().y():
            self.step_tile_size(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        step = THUMB_KEYS.get(int(event.key()))
        if step is not None and not mods & ~Qt.KeyboardModifier.ShiftModifier:
            self.step_tile_size(step)
            return
        command = KEYMAP.get((int(event.key()), mods))
        if command is None:
            super().keyPressEvent(event)
        else:
            self.command.emit(command)

    # --- selection --------------------------------------------------------------------------------
    @property
    def proxy(self) -> GalleryProxy:
        return cast("GalleryProxy", self.model())  # the window sets a GalleryProxy, nothing else

    def current_row(self) -> GalleryRow | None:
        idx = self.currentIndex()
        return self.proxy.row_at(idx.row()) if idx.isValid() else None

    def current_photo_id(self) -> int | None:
        row = self.current_row()
        return None if row is None else row.photo_id

    def selected_photo_ids(self) -> list[int]:
        """The selected photos in grid order (the current one alone when only it is selected)."""
        proxy = self.proxy
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [proxy.row_at(r).photo_id for r in rows if 0 <= r < proxy.rowCount()]

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
    def paintEvent(self, event: QPaintEvent) -> None:
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
