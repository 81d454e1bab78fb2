"""Compare (C) and survey (N), driven with keys on the real window."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from ui_support import stored_decision

SHIFT = Qt.KeyboardModifier.ShiftModifier


def test_compare_keeps_both_panes_on_the_same_spot(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_folder(w.model.photo(ids["shoot-a/astronaut"]).folder)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    qtbot.keyClick(w.view, Qt.Key.Key_C)
    assert w.view_name() == "compare"
    cmp = w.multi.compare
    assert [r.photo_id for r in cmp.rows] == order[:2]  # the selection and the next photo
    left, right = cmp.canvases
    qtbot.waitUntil(lambda: left.has_picture() and right.has_picture(), timeout=10_000)
    assert left.geometry().right() < right.geometry().left()  # side by side, not overlapping

    qtbot.keyClick(cmp, Qt.Key.Key_Z)
    assert left.viewport.zoomed and right.viewport.zoomed
    # zoom in once more with the wheel is not needed: drag the left pane; the right one follows
    left.zoom_to(2.0)
    start = QPoint(left.width() // 2, left.height() // 2)
    qtbot.mousePress(left, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(left, start + QPoint(-37, 21))
    qtbot.mouseRelease(left, Qt.MouseButton.LeftButton, pos=start + QPoint(-37, 21))
    for point in ((30.0, 40.0), (120.0, 80.0), (200.0, 150.0)):
        lx, ly = left.viewport.to_view(*point)
        rx, ry = right.viewport.to_view(point[0] * right.viewport.image_w / left.viewport.image_w,
                                         point[1] * right.viewport.image_h / left.viewport.image_h)
        assert abs(lx - rx) < 1e-6 and abs(ly - ry) < 1e-6
    assert left.viewport.scale == right.viewport.scale == 2.0

    # Right replaces the candidate, Shift+Right the select
    qtbot.keyClick(cmp, Qt.Key.Key_Right)
    assert [r.photo_id for r in cmp.rows] == [order[0], order[2]]
    qtbot.keyClick(cmp, Qt.Key.Key_Right, SHIFT)
    assert [r.photo_id for r in cmp.rows] == [order[1], order[2]]
    # a decision acts on the pane with the outline (the select, until another pane is clicked)
    qtbot.keyClick(cmp, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: stored_decision(db, order[1]) == ("pick", "user"), timeout=5000)
    qtbot.keyClick(cmp, Qt.Key.Key_Escape)
    assert w.view_name() == "grid" and w.view_bar.isVisible()


def test_survey_of_a_multi_selection_with_x_on_a_frame(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_folder(w.model.photo(ids["shoot-a/astronaut"]).folder)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    qtbot.keyClick(w.view, Qt.Key.Key_Right, SHIFT)
    qtbot.keyClick(w.view, Qt.Key.Key_Right, SHIFT)
    assert w.view.selected_photo_ids() == order[:3]
    qtbot.keyClick(w.view, Qt.Key.Key_N)
    assert w.view_name() == "survey"
    sv = w.multi.survey
    assert [r.photo_id for r in sv.rows] == order[:3]
    qtbot.waitUntil(lambda: all(c.has_picture() for c in sv.canvases), timeout=10_000)
    rects = [c.geometry() for c in sv.canvases]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert all(sv.rect().contains(r) for r in rects)
    qtbot.keyClick(sv, Qt.Key.Key_Right)
    assert sv.current_row().photo_id == order[1]
    qtbot.keyClick(sv, Qt.Key.Key_X)  # rejects that frame and takes it out of the survey
    assert [r.photo_id for r in sv.rows] == [order[0], order[2]]
    qtbot.waitUntil(lambda: stored_decision(db, order[1]) == ("reject", "user"), timeout=5000)
    assert stored_decision(db, order[0])[1] != "user" and stored_decision(db, order[2])[1] != "user"
    qtbot.keyClick(sv, Qt.Key.Key_Escape)
    assert w.view_name() == "grid"


def test_a_decision_key_on_a_multi_selection_is_one_undo_step(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    for _ in range(3):
        qtbot.keyClick(w.view, Qt.Key.Key_Right, SHIFT)
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: all(stored_decision(db, i) == ("pick", "user") for i in order[:4]), timeout=5000)
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.status.message_label.text() == "Undid: pick 4 photos", timeout=5000)
    assert all(stored_decision(db, i)[1] != "user" for i in order[:4])


def test_a_photo_that_cannot_be_decoded_says_so_in_the_survey(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_folder(w.model.photo(ids["shoot-b/broken"]).folder)
    w.set_sort("name")
    w.select_photo(ids["shoot-b/broken"])
    qtbot.keyClick(w.view, Qt.Key.Key_N)
    sv = w.multi.survey
    broken = next(c for c in sv.canvases if c.photo_id == ids["shoot-b/broken"])
    qtbot.waitUntil(lambda: broken.message.startswith("Cannot show broken.jpg"), timeout=10_000)
    assert broken.pixmap is None
