"""The real window while culling a shoot: the detail pane never shows the old picture under a new name,
keeps its preview's size whatever the text under it, and shows corrupt EXIF as a dash; the bottom-percent
box gives the keys back; a folder switch clears the status message; an expanded burst scrolls into view and
a collapsed one shows its rejects. (Each was a bug seen in a cull.)"""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication



def test_the_detail_pane_never_shows_the_previous_picture_under_the_next_name(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    w.set_detail_visible(True)
    qtbot.waitUntil(lambda: w.detail.preview_loaded and w.detail.preview.pixmap is not None, timeout=10_000)
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    name = w.current_row().name
    assert w.detail.title.text() == name
    if not w.detail.preview_loaded:  # until its picture arrives: a placeholder naming it, no picture
        assert w.detail.preview.pixmap is None and name in w.detail.preview.message
    qtbot.waitUntil(lambda: w.detail.preview_loaded, timeout=10_000)


def test_the_preview_keeps_its_size_whatever_the_text_below(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_detail_visible(True)
    qtbot.wait(50)
    row = w.current_row()
    w.detail.show_row(row, 0.5)
    QApplication.processEvents()
    before = w.detail.preview.geometry()
    long_path = "/photos/" + "a-very-long-folder-name/" * 12 + "IMG_0001.CR2"
    w.detail.show_row(dataclasses.replace(row, error="x" * 400), 0.01, also=(long_path, long_path))
    QApplication.processEvents()
    assert w.detail.preview.geometry() == before
    assert w.detail.info_scroll.verticalScrollBar().maximum() >= 0  # the text scrolls instead


def test_a_click_on_the_bottom_percent_box_gives_the_keys_back_to_the_grid(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.activateWindow()
    w.set_sort("name")
    w.select_row(0)
    pid = w.current_photo_id()
    spin = w.policy.bottom_spin
    percent = w.policy.bottom_percent
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.view, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_3)
    assert w.model.photo(pid).rating == 3  # a rating, not "3 %"
    assert w.policy.bottom_percent == percent
    # typing into the box (a double-click) keeps it, but a letter is a grid key again, and reaches the grid
    spin.setFocus()
    qtbot.mouseDClick(spin, Qt.MouseButton.LeftButton)
    spin.setFocus()
    nxt = w.current_photo_id()
    qtbot.keyClick(spin, Qt.Key.Key_P)
    assert QApplication.focusWidget() is w.view
    assert w.model.photo(nxt).flag == "pick"


def test_a_folder_switch_clears_the_last_folders_message(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    folder_a = w.model.photo(ids["shoot-a/astronaut"]).folder
    folder_b = w.model.photo(ids["shoot-b/astronaut"]).folder
    w.set_folder(folder_a)
    w.status.say("XMP sidecars: 26 written")
    w.set_folder(folder_b)
    assert w.status.message_label.text() == ""


@pytest.mark.parametrize("field,value,label", [("exposure_time", 4294967295.0, "Shutter"),
                                               ("f_number", 4294967295.0, "Aperture"),
                                               ("focal_length", -1.0, "Focal length"),
                                               ("iso", 4294967295, "ISO")])
def test_implausible_exif_shows_as_a_dash(shoot_catalog, open_window, qtbot, field, value, label):
    from ui.rules.exif_wording import exif_lines
    from ui.viewers.loupe import info_text

    db, ids = shoot_catalog
    w = open_window(db)
    row = dataclasses.replace(w.model.photo(ids["shoot-a/astronaut"]), **{field: value})
    assert dict(exif_lines(row))[label] == "—"
    assert "4294967295" not in info_text(row, None) and "4.29497e+09" not in info_text(row, None)
    good = dict(exif_lines(dataclasses.replace(row, exposure_time=1 / 250, f_number=2.8, iso=400, focal_length=50)))
    assert (good["Shutter"], good["Aperture"], good["ISO"], good["Focal length"]) == ("1/250 s", "f/2.8", "ISO 400",
                                                                                       "50 mm")


def test_expanding_the_last_burst_scrolls_its_frames_into_view(long_shoot_with_a_burst_last, open_window, qtbot):
    db, ids = long_shoot_with_a_burst_last
    w = open_window(db)
    qtbot.waitUntil(lambda: len(w.model.burst_groups()) == 1, timeout=10_000)
    w.resize(900, 720)  # two rows of tiles fit
    w.set_sort("name")
    best = ids["z4"]
    assert w.proxy.photo_ids()[-1] == best  # the burst's tile is the last
    w.select_photo(best)
    qtbot.wait(50)
    qtbot.keyClick(w.view, Qt.Key.Key_S)
    last = w.proxy.photo_ids()[-1]
    assert last != best

    def last_frame_visible() -> bool:
        rect = w.view.visualRect(w.proxy.index(w.proxy.proxy_row_for_id(last), 0))
        return w.view.viewport().rect().contains(rect)

    qtbot.waitUntil(last_frame_visible, timeout=3000)
    assert w.view.viewport().rect().contains(w.view.visualRect(w.view.currentIndex()))


def test_a_collapsed_burst_shows_how_many_of_its_frames_are_rejected(long_shoot_with_a_burst_last, open_window,
                                                                     qtbot):
    from curator.catalog import Catalog
    from ui.grid.gallery_model import BURST_REJECTS_ROLE

    db, ids = long_shoot_with_a_burst_last
    with Catalog.open(db) as cat:
        for name in ("z0", "z1"):
            cat.set_decision(ids[name], flag="reject")
    w = open_window(db)
    qtbot.waitUntil(lambda: len(w.model.burst_groups()) == 1, timeout=10_000)
    tile = w.proxy.index(w.proxy.proxy_row_for_id(ids["z4"]), 0)
    assert w.proxy.burst_tile(ids["z4"]).state == "collapsed"
    assert w.proxy.data(tile, BURST_REJECTS_ROLE) == 2
    w.view.viewport().repaint()  # the "2 ✕" pill paints
    w.select_photo(ids["z4"])
    with Catalog.open(db) as cat:
        cat.set_decision(ids["z2"], flag="reject")
    qtbot.waitUntil(lambda: w.proxy.data(tile, BURST_REJECTS_ROLE) == 3, timeout=5000)
