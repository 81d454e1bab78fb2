"""The loupe: one photo filling the window on dark grey, with a thin info line; its keys as a table.

Arrows go to the previous / next photo, Z toggles 100 % (on the sharpest window,
or the mouse), Shift+arrows and drag pan, the wheel zooms, H shows the heatmap,
and the grid's decision keys act on the photo shown. Esc (or E, Enter, G) goes
back to the grid. What the loupe shows is decided by ui.viewers.loupe_sync.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.grid.grid_view import Command, shared_view_command
from ui.viewers.photo_canvas import PhotoCanvas
from curator.display import shown

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

PAN_STEP = 120  # view pixels per Shift+arrow
_NONE = Qt.KeyboardModifier.NoModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier

# (key, modifiers) -> the loupe's own command; the grid's decision keys (KEYMAP's "decide") act here too
LOUPE_KEYS: dict[tuple[int, Qt.KeyboardModifier], str] = {
    (int(Qt.Key.Key_Right), _NONE): "next",
    (int(Qt.Key.Key_Down), _NONE): "next",
    (int(Qt.Key.Key_Left), _NONE): "previous",
    (int(Qt.Key.Key_Up), _NONE): "previous",
    (int(Qt.Key.Key_Z), _NONE): "zoom",
    (int(Qt.Key.Key_H), _NONE): "heatmap",
    (int(Qt.Key.Key_Right), _SHIFT): "pan_right",
    (int(Qt.Key.Key_Left), _SHIFT): "pan_left",
    (int(Qt.Key.Key_Up), _SHIFT): "pan_up",
    (int(Qt.Key.Key_Down), _SHIFT): "pan_down",
    (int(Qt.Key.Key_Escape), _NONE): "close",
    (int(Qt.Key.Key_E), _NONE): "close",
    (int(Qt.Key.Key_G), _NONE): "close",
    (int(Qt.Key.Key_Return), _NONE): "close",
    (int(Qt.Key.Key_Enter), _NONE): "close",
}
_PANS = {"pan_right": (-PAN_STEP, 0), "pan_left": (PAN_STEP, 0), "pan_up": (0, PAN_STEP), "pan_down": (0, -PAN_STEP)}

# what the colour keys and the flags read as on the info line
_FLAGS = {"pick": "Picked", "reject": "Rejected"}


def info_text(row: GalleryRow, rank: tuple[int, int] | None, zoom: str = "") -> str:
    """The loupe's info line: name · rank in the shoot · reasons · stars · flag · label · shutter aperture
    ISO focal."""
    from ui.rules.exif_wording import fmt_aperture, fmt_focal, fmt_iso, fmt_shutter

    parts = [shown(row.name)]
    if rank is not None:
        parts.append(f"#{rank[0]} of {rank[1]} in this shoot")
    if row.reasons:  # why curator finds it weak: what to check at 100 %
        parts.append(", ".join(row.reasons))
    if row.rating:
        parts.append("★" * int(row.rating))
    flag = _FLAGS.get(row.flag or "")
    if flag:
        auto = " (auto, provisional)" if row.verdict_provisional else " (auto)"
        parts.append(flag + (auto if row.flag_source == "auto" else ""))
    if row.label:
        parts.append(str(row.label))
    exif = [s for s in (fmt_shutter(row.exposure_time), fmt_aperture(row.f_number),
                        fmt_iso(row.iso),
                        fmt_focal(row.focal_length)) if s]
    if exif:
        parts.append("  ".join(exif))
    if zoom:
        parts.append(zoom)
    return "   ·   ".join(parts)


class LoupeView(QWidget):
    """The loupe's widgets and keys. `command`: a Command (the grid's decisions, or "loupe:<name>")."""

    command = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loupe")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.canvas = PhotoCanvas(self)
        self.info = QLabel(self)
        self.info.setObjectName("loupeInfo")
        self.info.setStyleSheet("background: #1e1e1e; padding: 4px 10px;")
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.info, 0)
        self.row: GalleryRow | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = (int(event.key()), mods)
        name = LOUPE_KEYS.get(key)
        if name in _PANS:
            self.canvas.pan_by(*_PANS[name])
            return
        if name is not None:
            self.command.emit(Command("loupe:" + name))
            return
        grid_command = shared_view_command(key)
        if grid_command is not None:
            self.command.emit(grid_command)
            return
        super().keyPressEvent(event)
