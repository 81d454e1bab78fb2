"""Colour labels on 6-9, auto-advance (Caps Lock and the toolbar), the `?` sheet, the detail pane's stars,
the window reopening where it was left, and the Show filters with their shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt


def _label(db, photo_id):
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        return cat.photo_detail(photo_id).row.label


def test_colour_keys_set_and_clear_a_label(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    for i, (key, colour) in enumerate(((Qt.Key.Key_6, "Red"), (Qt.Key.Key_7, "Yellow"), (Qt.Key.Key_8, "Green"),
                                       (Qt.Key.Key_9, "Blue"))):
        qtbot.keyClick(w.view, key)
        qtbot.waitUntil(lambda pid=order[i], colour=colour: _label(db, pid) == colour, timeout=5000)
    assert w.current_photo_id() == order[4]
    w.select_photo(order[0])
    qtbot.keyClick(w.view, Qt.Key.Key_6)  # red again on a red photo: cleared
    qtbot.waitUntil(lambda: _label(db, order[0]) is None, timeout=5000)
    assert w.status.message_label.text() == "Label cleared"


def test_auto_advance_can_be_switched_off(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    first = w.current_photo_id()
    qtbot.keyClick(w.view, Qt.Key.Key_CapsLock)
    assert not w.auto_advance_action.isChecked() and "Auto-advance off" in w.status.message_label.text()
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    assert w.current_photo_id() == first  # stays on the photo just decided
    w.auto_advance_action.trigger()  # the toolbar's toggle
    qtbot.keyClick(w.view, Qt.Key.Key_3)
    assert w.current_photo_id() != first
    # in the loupe too
    w.open_loupe()
    qtbot.keyClick(w.loupe, Qt.Key.Key_CapsLock)
    shown = w.loupe.canvas.photo_id
    qtbot.keyClick(w.loupe, Qt.Key.Key_X)
    assert w.loupe.canvas.photo_id == shown


def test_question_mark_shows_every_key(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    qtbot.keyClick(w.view, Qt.Key.Key_Question)
    assert w.cheat_sheet.isVisible()
    text = w.cheat_sheet.label.text()
    for needle in ("Ctrl+Z", "Caps Lock", "Compare", "Survey", "Loupe", "6–9", "Ctrl+F"):
        assert needle in text
    qtbot.keyClick(w.cheat_sheet, Qt.Key.Key_Escape)
    assert not w.cheat_sheet.isVisible()


def test_clicking_the_stars_in_the_detail_pane_sets_the_rating(shoot_catalog, open_window, qtbot):
    from PySide6.QtCore import QPoint

    from curator.catalog import Catalog

    db, ids = shoot_catalog
    w = open_window(db)
    w.set_detail_visible(True)
    pid = w.current_photo_id()
    qtbot.waitUntil(lambda: w.detail.photo_id == pid, timeout=5000)
    marks = w.detail.marks
    fourth = QPoint(6 + 3 * 15, 10)  # the fourth star's centre: radius 6, 15 px from star to star
    qtbot.mouseClick(marks, Qt.MouseButton.LeftButton, pos=fourth)

    def rating() -> int:
        with Catalog.open(db, readonly=True) as cat:
            return cat.photo_detail(pid).row.rating

    qtbot.waitUntil(lambda: rating() == 4, timeout=5000)
    assert w.current_photo_id() == pid  # a click rates the photo shown, and stays on it
    qtbot.waitUntil(lambda: marks.rating == 4, timeout=5000)
    qtbot.mouseClick(marks, Qt.MouseButton.LeftButton, pos=fourth)  # the same star again: cleared
    qtbot.waitUntil(lambda: rating() == 0, timeout=5000)


def test_the_gallery_reopens_where_it_was_left(shoot_catalog, open_window, qtbot, tmp_path):
    from ui.session_state import open_settings

    db, ids = shoot_catalog
    state = tmp_path / "gallery.ini"
    w = open_window(db, remember=open_settings(state))
    folder_b = w.model.photo(ids["shoot-b/rocket"]).folder
    w.set_folder(folder_b)
    w.set_sort("name")
    w.set_filter("flagged")
    w.set_filter("all")
    w.select_photo(ids["shoot-b/rocket"])
    w.resize(1100, 720)
    w.close()
    again = open_window(db, remember=open_settings(state))
    assert again.proxy.folder == folder_b and again.proxy.sort_kind == "name"
    assert again.current_photo_id() == ids["shoot-b/rocket"]
    from ui.session_state import load_state  # (open_window resizes the window itself; the stored size:)

    assert load_state(open_settings(state), db).size == (1100, 720)


def test_show_filters_and_their_shortcuts(shoot_catalog, open_window, qtbot):
    from curator.catalog import Catalog

    db, ids = shoot_catalog
    with Catalog.open(db) as cat:
        cat.set_decision(ids["shoot-a/coffee"], rating=4, label="Green")
        cat.set_decision(ids["shoot-a/rocket"], rating=2)
    w = open_window(db)
    ctrl_alt = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(w.view, Qt.Key.Key_7, ctrl_alt)  # the 7th entry: rated ★★ or more
    assert w.proxy.filter_name == "rated2"
    assert sorted(w.proxy.photo_ids()) == sorted([ids["shoot-a/coffee"], ids["shoot-a/rocket"]])
    w.set_filter("rated3")
    assert w.proxy.photo_ids() == [ids["shoot-a/coffee"]]
    w.set_filter("labelGreen")
    assert w.proxy.photo_ids() == [ids["shoot-a/coffee"]]
    qtbot.keyClick(w.view, Qt.Key.Key_5, ctrl_alt)  # unflagged
    assert w.proxy.filter_name == "unflagged"
    assert all(w.model.photo(i).flag is None for i in w.proxy.photo_ids())
    qtbot.keyClick(w.view, Qt.Key.Key_1, ctrl_alt)
    assert w.proxy.filter_name == "all"
