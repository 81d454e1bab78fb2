"""`?`: every key of the gallery in one window, grouped by view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

# (view, [(keys, what they do)]): the key tables' meaning, as a photographer reads it
KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Everywhere", (
        ("P · X · U", "pick · reject · unflag (then on to the next photo, when auto-advance is on)"),
        ("0–5", "rating"),
        ("6 · 7 · 8 · 9", "colour label red · yellow · green · blue (again: clear it)"),
        ("Caps Lock", "auto-advance on / off (also in the bottom toolbar)"),
        ("Ctrl+Z", "undo the last decision"),
        ("Ctrl+Shift+Z · Ctrl+Y", "redo"),
        ("?", "this sheet"),
    )),
    ("Grid", (
        ("arrows · Home · End", "move"),
        ("Shift+arrows · Shift/Ctrl+click", "select several: a decision key acts on all of them, one undo step"),
        ("E · Enter · double-click", "loupe"),
        ("Z", "loupe at 100 %"),
        ("C", "compare the selection with the next photo (a burst: its two best frames)"),
        ("N", "survey the selection (2–6 photos) or the burst"),
        ("Space · I", "detail pane"),
        ("H", "heatmap of window scores"),
        ("S · B", "expand / collapse the burst"),
        ("Shift+X", "reject all but the best of the burst"),
        ("+ · − · Ctrl+wheel", "thumbnail size"),
        ("Ctrl+Alt+1 … 9", "Show: all, weak, picks, rejects, unflagged, ★ or more … ★★★★ or more"),
        ("Esc · G", "close the detail pane"),
    )),
    ("Loupe", (
        ("← → (↑ ↓)", "previous / next photo"),
        ("Z", "100 % on the sharpest window (or under the mouse); again: fit"),
        ("Shift+arrows · drag", "pan"),
        ("wheel", "zoom in steps"),
        ("H", "heatmap"),
        ("Esc · E · Enter · G", "back to the grid"),
    )),
    ("Compare", (
        ("← →", "another candidate (right pane)"),
        ("Shift+← →", "another select (left pane)"),
        ("Tab · click", "which pane the decision keys act on"),
        ("Z · drag · wheel", "100 %, pan and zoom, both panes in step"),
        ("Esc · C", "back to the grid"),
    )),
    ("Survey", (
        ("arrows · click", "which photo the decision keys act on"),
        ("X", "reject it and take it out of the survey"),
        ("Delete", "take it out of the survey"),
        ("Esc · N", "back to the grid"),
    )),
)


def cheat_sheet_html() -> str:
    parts = []
    for view, rows in KEYS:
        parts.append(f"<h3 style='margin:10px 0 4px 0'>{view}</h3><table cellspacing='0' cellpadding='2'>")
        parts += [f"<tr><td style='padding-right:18px'><b>{k}</b></td><td>{what}</td></tr>" for k, what in rows]
        parts.append("</table>")
    return "".join(parts)


class CheatSheet(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keys")
        self.label = QLabel(cheat_sheet_html())
        self.label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # any key closes it
        self.close()
