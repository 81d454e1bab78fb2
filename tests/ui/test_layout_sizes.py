"""The window at laptop and desktop sizes: nothing overlaps or is cut off, the detail pane scrolls,
and the grid's columns fill its width. Checked on the widgets' geometries, offscreen."""

from __future__ import annotations

from itertools import pairwise

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget

SIZES = [(1024, 700), (1366, 768), (1920, 1080), (2560, 1440)]


def _rect_in_window(w, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(w, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize("size", SIZES, ids=[f"{a}x{b}" for a, b in SIZES])
def test_nothing_overlaps_at_this_size(shoot_catalog, open_window, qtbot, size):
    db, ids = shoot_catalog
    w = open_window(db)
    w.resize(*size)
    w.set_detail_visible(True)
    qtbot.waitUntil(lambda: w.detail.detail is not None, timeout=10_000)
    QApplication.processEvents()
    assert (w.width(), w.height()) == size
    window = w.rect()
    # the bars and the central area tile the window without overlapping
    parts = [w.view_bar, w.centralWidget(), w.workflow_bar, w.status]
    rects = [_rect_in_window(w, p) for p in parts]
    for i, a in enumerate(rects):
        assert window.contains(a), f"{parts[i].objectName() or type(parts[i]).__name__} is cut off at {size}"
        for b in rects[i + 1:]:
            assert not a.intersects(b)
    # every toolbar item that shows lies inside its bar (the rest goes to the bar's » menu)
    for bar in (w.view_bar, w.workflow_bar):
        inside = bar.rect()
        for child in bar.findChildren(QWidget):
            if child.isVisible() and child.parent() is bar:
                r = QRect(child.mapTo(bar, QPoint(0, 0)), child.size())
                assert inside.contains(r), f"{type(child).__name__} sticks out of the toolbar at {size}"
    # the detail pane: preview above, its text below in a scroll area, neither overlapping
    pane = w.detail
    preview = _rect_in_window(w, pane.preview)
    info = _rect_in_window(w, pane.info_scroll)
    assert preview.height() >= 150 and not preview.intersects(info)
    assert _rect_in_window(w, pane).contains(info)
    # the EXIF rows do not sit on top of each other
    labels = [pane.exif_labels[k] for k in ("Camera", "Lens", "ISO", "Shutter", "Aperture")]
    tops = [lab.mapTo(pane, QPoint(0, 0)).y() for lab in labels]
    assert all(b - a >= labels[0].fontMetrics().height() for a, b in pairwise(tops))
    # the grid's columns fill the viewport: no strip wider than a few pixels at the right
    vw = w.view.viewport().width()
    cell = w.view.gridSize().width()
    assert vw - (vw // cell) * cell < max(8, vw // cell)
    first, second = (w.view.visualRect(w.proxy.index(r, 0)) for r in (0, 1))
    if vw // cell >= 2:  # the second tile is beside the first, in the next cell
        assert second.top() == first.top() and second.left() == first.right() + 1


def test_thumbnail_size_keys_and_ctrl_wheel(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    before = w.view.tile()
    qtbot.keyClick(w.view, Qt.Key.Key_Plus)
    assert w.view.tile().width() > before.width()
    qtbot.keyClick(w.view, Qt.Key.Key_Minus)
    qtbot.keyClick(w.view, Qt.Key.Key_Minus)
    assert w.view.tile().width() < before.width()


def test_long_status_texts_never_widen_the_window(shoot_catalog, open_window, qtbot):
    """A long catalog path, message or folder count ends in "…" (whole in its tooltip) rather than pushing
    the window past the screen, in every view."""
    from PySide6.QtCore import Qt as _Qt

    db, ids = shoot_catalog
    w = open_window(db)
    w.resize(1024, 700)
    long = "/a/very/long/path/to/a/catalog/" * 12 + "catalog.db"
    w.status.catalog_label.setText(long)
    w.status.say("Rejected 3 frames of the burst of " + "DSCF1104-a-long-name.jpg, " * 10)
    w.status.show_notice("DEMO: scores from random weights, they mean nothing about quality")
    for key in (None, _Qt.Key.Key_C):
        if key is not None:
            qtbot.keyClick(w.view, key)
        QApplication.processEvents()
        assert (w.width(), w.height()) == (1024, 700), w.view_name()
        assert w.status.catalog_label.toolTip() == long
        assert _rect_in_window(w, w.status.notice_label).right() <= w.width()
