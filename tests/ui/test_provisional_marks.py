"""A provisional score (triage's quick first pass) looks provisional: a hollow badge, and a note in the detail pane."""

from __future__ import annotations

import dataclasses
from typing import Any


def _row(**changes: Any):
    from curator.catalog import GalleryRow

    base: dict[str, Any] = dict(
        photo_id=1, path="/x/a.jpg", folder="/x", name="a.jpg", status="scored", error=None, width=600,
        height=400, mtime=1.0, size=10, capture_time=None, camera=None, lens=None, iso=None,
        exposure_time=None, f_number=None, focal_length=None, orientation=None, fused=0.61, cosine=0.5,
        magnitude=0.7, w_cosine=0.6, w_magnitude=0.4, flag=None, flag_source=None, rating=0, label=None,
        low_quality=False)
    return dataclasses.replace(GalleryRow(**base), **changes)


def _paint_tile(row):
    """(the tile painted by the real delegate, the delegate, the model)."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    from ui import theme
    from ui.grid.delegate import TILE, TileDelegate
    from ui.grid.gallery_model import GalleryModel

    class Loader:
        def thumbnail(self, row):
            pix = QPixmap(320, 213)
            pix.fill(QColor(90, 120, 160))
            return pix

        def failure(self, row):
            return None

    model = GalleryModel()
    model.set_rows([row])
    img = QImage(TILE, QImage.Format.Format_RGB32)
    img.fill(theme.BG)
    p = QPainter(img)
    opt = QStyleOptionViewItem()
    opt.rect = QRect(0, 0, TILE.width(), TILE.height())
    opt.state = QStyle.StateFlag.State_Enabled
    delegate = TileDelegate(Loader())
    delegate.paint(p, opt, model.index(0))
    p.end()
    return img, delegate, model


def _badge_pixels(row) -> list[int]:
    """The pixels inside the score badge's pill (top left of the tile), painted by the real delegate."""
    from PySide6.QtGui import QFontMetrics

    from ui.grid.gallery_model import SCORE_TEXT_ROLE

    img, delegate, model = _paint_tile(row)
    # a strip inside the pill (drawn 5 px into the tile, itself 4 px into the cell, as wide as its text
    # plus 10 px), above its text and inside its outline and rounded ends
    left = 4 + 5
    width = QFontMetrics(delegate._badge_font).horizontalAdvance(model.index(0).data(SCORE_TEXT_ROLE)) + 10
    return [img.pixel(x, 10) for x in range(left + 4, left + width - 4, 2)]


def test_a_provisional_score_has_a_hollow_badge(qtbot):
    from PySide6.QtGui import QColor

    filled = _badge_pixels(_row(status="scored", provisional=False))
    hollow = _badge_pixels(_row(status="pending", provisional=True))
    assert filled != hollow
    # the exact score's pill is filled with its rank colour; the provisional one is dark inside
    assert max(QColor(c).lightness() for c in hollow) < min(QColor(c).lightness() for c in filled)


def test_the_detail_pane_says_provisional(qtbot):
    from ui.detail.pane import PROVISIONAL_NOTE, DetailPane

    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show_row(_row(status="pending", provisional=True), 0.5)
    assert PROVISIONAL_NOTE in pane.score_note.text()
    pane.show_row(_row(photo_id=2), 0.5)
    assert PROVISIONAL_NOTE not in pane.score_note.text()


def _weak_mark_pixels(row) -> list[int]:
    """The pixels inside the weak mark's pill (top right of the tile, inside the 4 px cell margin)."""
    from PySide6.QtGui import QFontMetrics

    from ui.grid.delegate import TILE

    img, delegate, _ = _paint_tile(row)
    right = TILE.width() - 4 - 5
    width = QFontMetrics(delegate._small_bold).horizontalAdvance("WEAK") + 10
    return [img.pixel(x, 10) for x in range(right - width + 4, right - 4, 2)]


def test_a_weak_mark_reached_on_provisional_scores_is_hollow(qtbot):
    from PySide6.QtGui import QColor

    weak = dict(low_quality=True, flag="reject", flag_source="auto")
    filled = _weak_mark_pixels(_row(**weak))
    hollow = _weak_mark_pixels(_row(status="pending", provisional=True, verdict_provisional=True, **weak))
    assert max(QColor(c).lightness() for c in hollow) < min(QColor(c).lightness() for c in filled)


def test_the_detail_pane_and_the_loupe_say_a_verdict_is_provisional(qtbot):
    from ui.detail.pane import PROVISIONAL_VERDICT_NOTE, DetailPane
    from ui.viewers.loupe import info_text

    weak = dict(low_quality=True, flag="reject", flag_source="auto")
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show_row(_row(status="pending", provisional=True, verdict_provisional=True, **weak), 0.0)
    assert PROVISIONAL_VERDICT_NOTE in pane.score_note.text()
    pane.show_row(_row(photo_id=2, **weak), 0.0)
    assert PROVISIONAL_VERDICT_NOTE not in pane.score_note.text()
    assert "provisional" in info_text(_row(verdict_provisional=True, provisional=True, **weak), (5, 5))
    assert "provisional" not in info_text(_row(**weak), (5, 5))
