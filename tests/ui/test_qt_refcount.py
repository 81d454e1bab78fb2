"""PySide6 6.12.0 loses a reference to None on every C++ call that returns nothing; on Python
3.11, where None is not immortal, a few seconds of scrolling then abort the interpreter
("deallocating None"). pyproject.toml excludes that release; these tests catch a build that leaks."""

from __future__ import annotations

import sys


def test_installed_pyside6_does_not_leak_none():
    from PySide6.QtCore import QRect

    rect = QRect()
    before = sys.getrefcount(None)
    for _ in range(1000):
        rect.setWidth(1)
    assert before - sys.getrefcount(None) < 10  # a leaking build loses one per call


def test_scrolling_the_grid_for_a_while_does_not_abort(shoot_catalog, open_window, qtbot):
    db, _ = shoot_catalog
    w = open_window(db)
    w.resize(700, 500)  # small enough to scroll
    qtbot.waitUntil(lambda: w.view.verticalScrollBar().maximum() > 0, timeout=5000)
    bar = w.view.verticalScrollBar()
    start = sys.getrefcount(None)
    for i in range(300):  # ~1000 painter calls per frame
        bar.setValue((i * 97) % (bar.maximum() + 1))
        w.view.viewport().repaint()
    assert sys.getrefcount(None) > start - 1000
