"""A decision key always lands on the frame the photographer sees: the detail pane, the loupe and
compare name the same photo after every view switch, compare stays inside the burst it was opened
on, and the shared zoom holds for a frame whose pixels arrive late. Each on the real window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_support import stored_decision


def test_the_detail_pane_names_the_photo_selected_in_the_loupe_after_esc(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    qtbot.keyClick(w.view, Qt.Key.Key_Space)  # the detail pane
    assert w.detail.isVisible()
    qtbot.waitUntil(lambda: w.detail.photo_id == w.current_photo_id(), timeout=5000)
    qtbot.keyClick(w.view, Qt.Key.Key_E)
    assert w.view_name() == "loupe"
    for _ in range(3):
        qtbot.keyClick(w.loupe, Qt.Key.Key_Right)
    shown_in_loupe = w.current_photo_id()
    assert shown_in_loupe == w.proxy.photo_ids()[3]
    qtbot.keyClick(w.loupe, Qt.Key.Key_Escape)
    assert w.view_name() == "grid" and w.detail.isVisible()
    # the pane, the grid's selection and the key's target are one photo
    assert w.detail.photo_id == shown_in_loupe
    assert w.detail.title.text() == w.current_row().name
    qtbot.keyClick(w.view, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: stored_decision(db, shown_in_loupe) == ("reject", "user"), timeout=5000)
    assert stored_decision(db, w.proxy.photo_ids()[0])[1] != "user"


def test_compare_on_a_collapsed_burst_steps_through_its_frames_only(long_shoot_with_a_burst_last, open_window, qtbot):
    db, ids = long_shoot_with_a_burst_last
    w = open_window(db)
    qtbot.waitUntil(lambda: len(w.model.burst_groups()) == 1, timeout=10_000)
    w.set_sort("name")
    burst = {ids[f"z{i}"] for i in range(5)}
    assert w.proxy.burst_tile(ids["z4"]).state == "collapsed"
    w.select_photo(ids["z4"])
    qtbot.keyClick(w.view, Qt.Key.Key_C)
    assert w.view_name() == "compare"
    cmp = w.multi.compare
    assert [r.photo_id for r in cmp.rows] == [ids["z4"], ids["z3"]]  # the burst's two best frames
    seen = set()
    for _ in range(8):  # Right, past the burst's end: the candidate never leaves the burst
        qtbot.keyClick(cmp, Qt.Key.Key_Right)
        seen.add(cmp.candidate.photo_id)
        assert cmp.candidate.photo_id in burst
        assert cmp.candidate.photo_id != cmp.select.photo_id
    for _ in range(8):
        qtbot.keyClick(cmp, Qt.Key.Key_Left)
        seen.add(cmp.candidate.photo_id)
        assert cmp.candidate.photo_id in burst
    assert seen == burst - {ids["z4"]}  # every other frame of the burst was reachable
    qtbot.keyClick(cmp, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert cmp.select.photo_id in burst


def _compare_on_a05(shoot, open_window, qtbot):
    """The window in compare, opened on the lone frame a05 (its candidate: a06, the grid's next)."""
    db, ids = shoot
    w = open_window(db)
    w.set_sort("name")
    w.select_photo(ids["a05"])
    qtbot.keyClick(w.view, Qt.Key.Key_C)
    return w, ids, w.multi.compare


def test_compare_lone_photos_still_step_through_the_grid(long_shoot_with_a_burst_last, open_window, qtbot):
    w, ids, cmp = _compare_on_a05(long_shoot_with_a_burst_last, open_window, qtbot)
    assert [r.photo_id for r in cmp.rows] == [ids["a05"], ids["a06"]]
    qtbot.keyClick(cmp, Qt.Key.Key_Right)
    assert cmp.candidate.photo_id == ids["a07"]


def test_compare_keeps_the_shared_zoom_on_a_frame_not_yet_decoded(long_shoot_with_a_burst_last, open_window, qtbot):
    w, ids, cmp = _compare_on_a05(long_shoot_with_a_burst_last, open_window, qtbot)
    qtbot.waitUntil(lambda: all(c.has_picture() for c in cmp.canvases), timeout=10_000)
    qtbot.keyClick(cmp, Qt.Key.Key_Z)
    left = cmp.canvases[0]
    assert left.viewport.zoomed
    # Right onto a frame whose picture is not decoded yet: it lands later, and lands zoomed
    from ui.viewers.loupe_images import FULL, SCREEN

    coming = w.model.photo(ids["a07"])
    assert w.loupe_images.picture(coming, SCREEN) is None and w.loupe_images.picture(coming, FULL) is None
    qtbot.keyClick(cmp, Qt.Key.Key_Right)
    right = cmp.canvases[1]
    assert cmp.candidate.photo_id == ids["a07"]
    assert not right.has_picture()  # a placeholder until its pixels land
    qtbot.waitUntil(right.has_picture, timeout=10_000)
    assert left.viewport.zoomed and right.viewport.zoomed
    assert right.viewport.scale == left.viewport.scale
    qtbot.keyClick(cmp, Qt.Key.Key_Z)  # Z again: both back to fit
    assert not left.viewport.zoomed and not right.viewport.zoomed
