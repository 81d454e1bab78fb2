"""PySide6 6.12 on Python 3.11 loses a reference to None on every C++ call that returns nothing (see ui.qtfix).
Without the guard, a few seconds of scrolling abort the interpreter ("deallocating None")."""

from __future__ import annotations

import sys

from gallery_fixtures import open_window, shoot_catalog, thumb_cache  # noqa: F401 (fixtures)


def test_the_guard_outlasts_the_leak():
    from PySide6.QtCore import QRect

    from ui.qtfix import keep_none_alive, none_leak_per_call

    keep_none_alive()
    leak = none_leak_per_call()
    rect = QRect()
    before = sys.getrefcount(None)
    for _ in range(100_000):  # as many calls as a minute of scrolling makes
        rect.setWidth(1)
    after = sys.getrefcount(None)
    assert before - after == round(leak * 100_000)
    assert leak == 0 or after > 10**11  # a leaking build: None holds a reserve no session uses up


def test_scrolling_the_grid_for_a_while_does_not_abort(shoot_catalog, open_window, qtbot):
    db, _ = shoot_catalog
    w = open_window(db)
    w.resize(700, 500)  # small enough to scroll
    qtbot.waitUntil(lambda: w.view.verticalScrollBar().maximum() > 0, timeout=5000)
    bar = w.view.verticalScrollBar()
    for i in range(300):  # ~1000 painter calls per frame: None's own references would be gone in ~50
        bar.setValue((i * 97) % (bar.maximum() + 1))
        w.view.viewport().repaint()
    assert sys.getrefcount(None) > 0
