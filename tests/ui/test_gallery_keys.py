"""Keyboard culling: each key writes the right user decision at once and moves to the next photo."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt


def _decision(db, photo_id):
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        row = cat.photo_detail(photo_id).row
    return row.flag, row.flag_source, row.rating


def test_keys_write_user_decisions_and_advance(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    order = w.proxy.photo_ids()
    assert w.current_photo_id() is not None  # a photo is selected on open (and kept across re-sorts)
    w.select_row(0)

    steps = [(Qt.Key.Key_P, ("pick", "user", 0)), (Qt.Key.Key_X, ("reject", "user", 0)),
             (Qt.Key.Key_3, (None, None, 3)), (Qt.Key.Key_5, (None, None, 5))]
    for i, (key, want) in enumerate(steps):
        assert w.current_photo_id() == order[i]
        qtbot.keyClick(w.view, key)
        assert w.current_photo_id() == order[i + 1], "the selection moves on after a decision"
        qtbot.waitUntil(lambda pid=order[i], want=want: _decision(db, pid) == want, timeout=5000)

    # U clears a flag, as a user decision (an auto flag never comes back over it)
    w.select_photo(order[0])
    qtbot.keyClick(w.view, Qt.Key.Key_U)
    qtbot.waitUntil(lambda: _decision(db, order[0]) == (None, "user", 0), timeout=5000)
    # 0 clears the rating
    w.select_photo(order[2])
    qtbot.keyClick(w.view, Qt.Key.Key_0)
    qtbot.waitUntil(lambda: _decision(db, order[2])[2] == 0, timeout=5000)
    # the grid shows what the catalog holds
    qtbot.waitUntil(lambda: w.model.photo(order[1]).flag == "reject", timeout=3000)
    assert w.model.photo(order[1]).flag_source == "user"


def test_navigation_keys(shoot_catalog, open_window, qtbot):
    db, _ = shoot_catalog
    w = open_window(db)
    order = w.proxy.photo_ids()
    qtbot.keyClick(w.view, Qt.Key.Key_End)
    assert w.current_photo_id() == order[-1]
    qtbot.keyClick(w.view, Qt.Key.Key_Home)
    assert w.current_photo_id() == order[0]
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    assert w.current_photo_id() == order[1]
    qtbot.keyClick(w.view, Qt.Key.Key_Left)
    assert w.current_photo_id() == order[0]
    per_row = max(1, w.view.viewport().width() // w.view.gridSize().width())
    qtbot.keyClick(w.view, Qt.Key.Key_Down)
    assert w.current_photo_id() == order[min(per_row, len(order) - 1)]


def test_last_photo_stays_selected(shoot_catalog, open_window, qtbot):
    db, _ = shoot_catalog
    w = open_window(db)
    last = w.proxy.photo_ids()[-1]
    w.select_photo(last)
    qtbot.keyClick(w.view, Qt.Key.Key_2)
    assert w.current_photo_id() == last
    qtbot.waitUntil(lambda: _decision(db, last)[2] == 2, timeout=5000)


def test_a_reject_leaves_the_picks_filter_and_selection_moves_on(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    first, second = w.proxy.photo_ids()[:2]
    w.select_row(0)
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    w.set_filter("picks")
    assert w.proxy.photo_ids() == [first, second]
    w.select_photo(first)
    qtbot.keyClick(w.view, Qt.Key.Key_X)
    assert w.proxy.photo_ids() == [second]
    assert w.current_photo_id() == second
    qtbot.waitUntil(lambda: _decision(db, first)[0] == "reject", timeout=5000)


def test_space_opens_the_detail_pane_with_the_score_explained(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("score_asc")
    assert not w.detail.isVisible()
    qtbot.keyClick(w.view, Qt.Key.Key_Space)
    assert w.detail.isVisible()
    pid = w.current_photo_id()
    assert pid == ids["shoot-a/motorcycle"]
    qtbot.waitUntil(lambda: w.detail.detail is not None and w.detail.preview_loaded, timeout=10_000)
    assert w.detail.score.text() == "0.380"
    assert w.detail.title.text() == "motorcycle.jpg"
    assert w.detail.exif_labels["Camera"].text() == "Fujifilm X-T4"
    assert w.detail.exif_labels["Shutter"].text() == "1/250 s"
    assert w.detail.exif_labels["Aperture"].text() == "f/2.8"
    assert w.detail.cues.values is not None
    assert w.detail.preview.heatmap is not None  # per-window scores are there to show
    qtbot.keyClick(w.view, Qt.Key.Key_H)
    assert w.detail.preview.show_heatmap
    # arrowing with the pane open follows the selection
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.detail.photo_id == w.current_photo_id() and w.detail.detail is not None, timeout=5000)
    qtbot.keyClick(w.view, Qt.Key.Key_Escape)
    assert not w.detail.isVisible()


def test_a_locked_catalog_never_freezes_the_window(shoot_catalog, open_window, qtbot):
    """Another process holds the write lock: the key press returns at once, the grid shows
    the decision, the status bar says the catalog is busy, and the write lands when the lock goes."""
    import sqlite3

    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    pid = w.current_photo_id()
    other = sqlite3.connect(str(db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a writer in another connection holds the lock
    try:
        t = time.perf_counter()
        qtbot.keyClick(w.view, Qt.Key.Key_P)
        assert time.perf_counter() - t < 0.5
        assert w.model.photo(pid).flag == "pick"  # shown at once
        start = time.perf_counter()
        ticks = []
        while time.perf_counter() - start < 2.0:  # the event loop keeps turning
            t = time.perf_counter()
            qtbot.wait(50)
            ticks.append(time.perf_counter() - t)
        assert max(ticks) < 0.5
        assert "busy" in w.status.busy_label.text()
        assert _decision(db, pid)[0] is None  # not written yet
    finally:
        other.execute("ROLLBACK")
        other.close()
    qtbot.waitUntil(lambda: _decision(db, pid) == ("pick", "user", 0), timeout=10_000)
    qtbot.waitUntil(lambda: w.status.busy_label.text() == "", timeout=5000)
