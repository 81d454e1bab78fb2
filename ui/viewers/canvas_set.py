"""Several photos at once (compare, survey): a canvas per photo, each painted from the loupe's pictures
as they arrive, and a cursor (the frame the keys act on). The views lay the canvases out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

from ui.grid.grid_view import Command, shared_view_command
from ui.viewers.loupe_images import FULL, SCREEN, LoupeImages, LoupePicture
from ui.viewers.photo_canvas import PhotoCanvas
from ui.rules.zoom import Viewport
from curator.display import shown

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

Caption = Callable[["GalleryRow"], str]


class CanvasSetView(QWidget):
    """A widget of canvases, one per row. `command`: a Command (the grid's decisions, undo, or "<view>:<name>")."""

    command = Signal(object)
    KEYS: dict[tuple[int, Qt.KeyboardModifier], str] = {}  # (key, modifiers) -> this view's command name
    PREFIX = "view"

    def __init__(self, images: LoupeImages, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.images = images
        self.rows: list[GalleryRow] = []
        self.canvases: list[PhotoCanvas] = []
        self.active_index = 0
        self.caption: Caption = lambda row: shown(row.name)
        images.ready.connect(self._on_ready)
        images.failed.connect(self._on_failed)

    # --- content -------------------------------------------------------------------------------------
    def show_rows(self, rows: Sequence[GalleryRow], active: int = 0) -> None:
        """Show these photos (placeholders until their pictures arrive), the cursor on one of them."""
        old = {c.photo_id: c for c in self.canvases}
        self.rows = list(rows)
        keep: list[PhotoCanvas] = []
        for i, row in enumerate(self.rows):
            canvas = old.pop(row.photo_id, None)
            if canvas is None:
                canvas = PhotoCanvas(self)
                canvas.clicked.connect(lambda c=canvas: self._click(c))
                picture = self.images.picture(row, FULL) or self.images.picture(row, SCREEN)
                if picture is not None:
                    canvas.set_picture(row.photo_id, self.images.pixmap(picture), picture.original_size,
                                       picture.kind)
                elif self.images.failure(row, SCREEN) is not None or row.status == "missing":
                    canvas.show_placeholder(row.photo_id, f"Cannot show {shown(row.name)}:\n"
                                            f"{self.images.failure(row, SCREEN) or 'the file is missing'}")
                else:
                    canvas.show_placeholder(row.photo_id, f"Loading {shown(row.name)}…")
                    self.images.request(row, SCREEN, priority=90 - i)
            keep.append(canvas)
        for canvas in old.values():
            canvas.setParent(None)
            canvas.deleteLater()
        self.canvases = keep
        self.active_index = max(0, min(active, len(self.canvases) - 1))
        self.refresh_captions()
        self.lay_out()

    def refresh_captions(self) -> None:
        for i, (row, canvas) in enumerate(zip(self.rows, self.canvases, strict=True)):
            canvas.set_caption(self.caption(row))
            canvas.marked = i == self.active_index and len(self.canvases) > 1
            canvas.update()

    def update_row(self, row: GalleryRow) -> None:
        for i, old in enumerate(self.rows):
            if old.photo_id == row.photo_id:
                self.rows[i] = row
        self.refresh_captions()

    def current_row(self) -> GalleryRow | None:
        return self.rows[self.active_index] if self.rows else None

    def move_cursor(self, delta: int) -> None:
        if self.rows:
            self.active_index = (self.active_index + delta) % len(self.rows)
            self.refresh_captions()

    def lay_out(self) -> None:  # the views place their canvases
        raise NotImplementedError

    def held_viewport(self) -> Viewport | None:
        """The zoom a canvas takes when its first picture lands (compare: the panes' shared zoom)."""
        return None

    # --- keys --------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = (int(event.key()), mods)
        name = self.KEYS.get(key)
        if name is not None:
            self.command.emit(Command(f"{self.PREFIX}:{name}"))
            return
        grid_command = shared_view_command(key)
        if grid_command is not None:
            self.command.emit(grid_command)
            return
        super().keyPressEvent(event)

    # --- pictures ----------------------------------------------------------------------------------
    def _on_ready(self, picture: LoupePicture) -> None:
        for row, canvas in zip(self.rows, self.canvases, strict=True):
            if row.photo_id == picture.photo_id and picture.stamp == (row.mtime, row.size):
                if picture.kind == SCREEN and canvas.pixmap_kind == FULL:
                    continue
                viewport = canvas.viewport if canvas.has_picture() else self.held_viewport()
                canvas.set_picture(row.photo_id, self.images.pixmap(picture), picture.original_size, picture.kind)
                if viewport is not None and viewport.scale is not None:
                    canvas.set_viewport(viewport)

    def _on_failed(self, photo_id: int, kind: str, reason: str) -> None:
        for row, canvas in zip(self.rows, self.canvases, strict=True):
            if row.photo_id == photo_id and kind == SCREEN:
                canvas.show_placeholder(photo_id, f"Cannot show {shown(row.name)}:\n{reason}")

    def _click(self, canvas: PhotoCanvas) -> None:
        if canvas in self.canvases:
            self.active_index = self.canvases.index(canvas)
            self.refresh_captions()
        self.setFocus()
