"""The dark, calm look (Lightroom Library-like): palette, style sheet and score colours."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BG = QColor(0x23, 0x23, 0x23)  # grid background
PANEL = QColor(0x2d, 0x2d, 0x2d)  # toolbar, detail pane
CELL = QColor(0x36, 0x36, 0x36)  # a tile
CELL_HOVER = QColor(0x3e, 0x3e, 0x3e)
CELL_SELECTED = QColor(0x55, 0x55, 0x55)
ACCENT = QColor(0x8a, 0xb4, 0xf8)  # selection outline, slider
TEXT = QColor(0xd6, 0xd6, 0xd6)
TEXT_DIM = QColor(0x9a, 0x9a, 0x9a)
TEXT_FAINT = QColor(0x6e, 0x6e, 0x6e)
WEAK = QColor(0xe5, 0x48, 0x3b)  # the low-quality marker
PICK = QColor(0xf2, 0xf2, 0xf2)
REJECT = QColor(0xe5, 0x48, 0x3b)
STAR = QColor(0xe8, 0xe8, 0xe8)
STAR_EMPTY = QColor(0x8a, 0x8a, 0x8a)
COSINE = QColor(0x6f, 0xa8, 0xdc)
MAGNITUDE = QColor(0xc3, 0x8f, 0xe0)

# score badge: percentile of the fused score within its folder, worst -> best
_RANK_COLOURS = (
    (0.15, QColor(0xd7, 0x3c, 0x32)),
    (0.35, QColor(0xe0, 0x7b, 0x2e)),
    (0.65, QColor(0xc9, 0xa2, 0x27)),
    (0.85, QColor(0x7c, 0xab, 0x3c)),
    (1.01, QColor(0x2f, 0x9e, 0x5b)),
)
NO_RANK = QColor(0x5b, 0x6b, 0x7d)


def rank_colour(rank: float | None, weak: bool = False) -> QColor:
    """The score's colour from where it sits in its folder. Red means weak (curator.actions.culling.is_weak): a photo
    the policy does not mark weak never shows red, even at the bottom of its folder (a folder of 3 and a
    bottom 15% marks none)."""
    if rank is None:
        return NO_RANK
    bands = _RANK_COLOURS if weak else _RANK_COLOURS[1:]
    for upper, colour in bands:
        if rank < upper:
            return colour
    return _RANK_COLOURS[-1][1]


STYLE_SHEET = f"""
QMainWindow, QWidget#central {{ background: {BG.name()}; }}
QWidget {{ color: {TEXT.name()}; font-size: 12px; }}
QToolBar {{ background: {PANEL.name()}; border: none; border-bottom: 1px solid #1a1a1a; spacing: 8px; padding: 5px 8px; }}
QToolBar QLabel {{ color: {TEXT_DIM.name()}; }}
QToolBar#workflowBar {{ border-bottom: none; border-top: 1px solid #1a1a1a; padding: 3px 8px; }}
QLabel#keysLabel {{ color: {TEXT_FAINT.name()}; }}
QToolButton {{ background: #3a3a3a; border: 1px solid #4a4a4a; border-radius: 3px; padding: 2px 8px;
    min-height: 18px; }}
QToolButton:hover {{ background: #444; }}
QToolButton:checked {{ background: #3d4a5c; border-color: {ACCENT.name()}; color: #ffffff; }}
QToolButton[popupMode="1"] {{ padding-right: 20px; }}
QToolButton::menu-button {{ border: none; border-left: 1px solid #4a4a4a; width: 16px; }}
QMenu {{ background: #333; border: 1px solid #4a4a4a; }}
QMenu::item {{ padding: 4px 22px 4px 14px; }}
QMenu::item:selected {{ background: #555; }}
QLabel#countLabel {{ color: {TEXT.name()}; font-weight: bold; padding-left: 10px; }}
QComboBox, QSpinBox, QDoubleSpinBox {{ background: #3a3a3a; border: 1px solid #4a4a4a; border-radius: 3px;
    padding: 2px 6px; min-height: 20px; selection-background-color: #5a5a5a; }}
QComboBox QAbstractItemView {{ background: #333; border: 1px solid #4a4a4a; selection-background-color: #555; }}
QComboBox::drop-down {{ border: none; width: 16px; }}
QSlider::groove:horizontal {{ height: 4px; background: #4a4a4a; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: #7a7a7a; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: #d0d0d0; width: 12px; margin: -5px 0; border-radius: 6px; }}
QListView {{ background: {BG.name()}; border: none; }}
QScrollBar:vertical {{ background: {BG.name()}; width: 11px; margin: 0; }}
QScrollBar::handle:vertical {{ background: #4d4d4d; border-radius: 4px; min-height: 30px; margin: 2px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QWidget#detail {{ background: {PANEL.name()}; border-left: 1px solid #1a1a1a; }}
QWidget#detail QLabel {{ background: transparent; }}
QScrollArea#detailScroll, QWidget#detailInfo {{ background: {PANEL.name()}; }}
QLabel#detailTitle {{ font-size: 14px; font-weight: bold; color: #ececec; }}
QLabel#scoreBig {{ font-size: 26px; font-weight: bold; }}
QLabel#sectionHeading {{ color: {TEXT_FAINT.name()}; font-size: 10px; font-weight: bold; letter-spacing: 1px;
    padding-top: 6px; }}
QLabel#exifKey {{ color: {TEXT_DIM.name()}; }}
QLabel#path {{ color: {TEXT_DIM.name()}; font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }}
QCheckBox {{ color: {TEXT.name()}; spacing: 6px; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid #6a6a6a; border-radius: 2px; background: #3a3a3a; }}
QCheckBox::indicator:checked {{ background: {ACCENT.name()}; border-color: {ACCENT.name()}; }}
QStatusBar {{ background: {PANEL.name()}; color: {TEXT_DIM.name()}; border-top: 1px solid #1a1a1a; }}
QStatusBar QLabel {{ color: {TEXT_DIM.name()}; padding: 0 6px; }}
QSplitter::handle {{ background: #1a1a1a; width: 1px; }}
QToolTip {{ background: #3a3a3a; color: #e6e6e6; border: 1px solid #555; padding: 4px; }}
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, PANEL)
    pal.setColor(QPalette.ColorRole.WindowText, TEXT)
    pal.setColor(QPalette.ColorRole.Base, QColor(0x2a, 0x2a, 0x2a))
    pal.setColor(QPalette.ColorRole.AlternateBase, CELL)
    pal.setColor(QPalette.ColorRole.Text, TEXT)
    pal.setColor(QPalette.ColorRole.Button, QColor(0x3a, 0x3a, 0x3a))
    pal.setColor(QPalette.ColorRole.ButtonText, TEXT)
    pal.setColor(QPalette.ColorRole.Highlight, QColor(0x5a, 0x5a, 0x5a))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor(0xff, 0xff, 0xff))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(0x3a, 0x3a, 0x3a))
    pal.setColor(QPalette.ColorRole.ToolTipText, TEXT)
    pal.setColor(QPalette.ColorRole.PlaceholderText, TEXT_FAINT)
    app.setPalette(pal)
    app.setStyleSheet(STYLE_SHEET)
