"""The loupe, driven with keys on the real window: E opens it, the arrows flip, Z zooms to 100 % on the
sharpest window, decisions act on the photo shown, Esc goes back."""

from __future__ import annotations

from PySide6.QtCore import Qt


def _decision(db, photo_id):
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        row = cat.photo_detail(photo_id).row
    return row.flag, row.flag_source, row.rating


def _painted(w, pid):
    c = w.loupe.canvas
    return c.photo_id == pid and c.pixmap is not None


def test_loupe_keys_flip_zoom_decide_and_go_back(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    qtbot.keyClick(w.view, Qt.Key.Key_E)
    assert w.in_loupe() and w.loupe.hasFocus()
    assert not w.view_bar.isVisible()
    qtbot.waitUntil(lambda: _painted(w, order[0]), timeout=10_000)
    row0 = w.model.photo(order[0])
    assert row0.name in w.loupe.info.text()
    # the picture fills the canvas: the photo's rectangle touches two opposite edges
    left, top, pw, ph = w.loupe.canvas.viewport.image_rect()
    cw, ch = w.loupe.canvas.width(), w.loupe.canvas.height()
    assert abs(pw - cw) < 1.5 or abs(ph - ch) < 1.5

    # the neighbour was preloaded: Right paints it at once, with no wait at all
    qtbot.waitUntil(lambda: w.loupe_images.picture(w.model.photo(order[1])) is not None, timeout=10_000)
    qtbot.keyClick(w.loupe, Qt.Key.Key_Right)
    assert w.current_photo_id() == order[1]
    assert _painted(w, order[1])
    assert w.model.photo(order[1]).name in w.loupe.info.text()

    # Z: 100 % centred on the best-scoring window (stored per view in the catalog)
    qtbot.waitUntil(lambda: w.loupe_sync.detail is not None, timeout=10_000)
    detail = w.loupe_sync.detail
    best = max((v for v in detail.views if v.box is not None), key=lambda v: v.fused)
    qtbot.keyClick(w.loupe, Qt.Key.Key_Z)
    vp = w.loupe.canvas.viewport
    assert vp.zoomed and abs(vp.effective_scale - 1.0) < 1e-9
    sx = vp.image_w / detail.scored_size[0]
    want_x = (best.box[0] + best.box[2]) / 2 * sx
    # the centre is the window's centre, unless clamping kept the view inside the photo
    assert vp.clamped() == vp
    half = vp.view_w / 2
    assert abs(vp.cx - min(max(want_x, half), vp.image_w - half)) < 1e-6 or vp.view_w >= vp.image_w
    assert "100 %" in w.loupe.info.text()
    # Shift+Left pans; Z again fits
    before = vp.cx
    qtbot.keyClick(w.loupe, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert w.loupe.canvas.viewport.cx <= before
    qtbot.keyClick(w.loupe, Qt.Key.Key_Z)
    assert not w.loupe.canvas.viewport.zoomed

    # H overlays the heatmap
    qtbot.keyClick(w.loupe, Qt.Key.Key_H)
    assert w.loupe.canvas.show_heatmap and w.loupe.canvas.heatmap is not None

    # a decision acts on the photo shown, then the loupe advances
    qtbot.keyClick(w.loupe, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: _decision(db, order[1]) == ("reject", "user", 0), timeout=5000)
    assert w.current_photo_id() == order[2]
    assert w.loupe.canvas.photo_id == order[2]

    qtbot.keyClick(w.loupe, Qt.Key.Key_Escape)
    assert not w.in_loupe() and w.view.hasFocus() and w.view_bar.isVisible()
    assert w.current_photo_id() == order[2]


def test_loupe_never_shows_the_previous_picture_under_the_next_name(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    w.open_loupe()
    qtbot.waitUntil(lambda: _painted(w, order[0]), timeout=10_000)
    # jump far: nothing of photo 5 is preloaded
    w.loupe_images.forget_queued()
    w.select_row(5)
    c = w.loupe.canvas
    assert c.photo_id == order[5]
    if c.pixmap is None:  # not decoded yet: a placeholder with the new name, never the old picture
        assert w.model.photo(order[5]).name in c.message
    else:  # or this photo's own thumbnail, until its picture arrives
        assert c.pixmap_kind in ("thumb", "screen", "full")
    qtbot.waitUntil(lambda: _painted(w, order[5]) and c.pixmap_kind == "screen", timeout=10_000)
    # X acts on the photo whose name is shown
    qtbot.keyClick(w.loupe, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: _decision(db, order[5])[0] == "reject", timeout=5000)
    assert _decision(db, order[0])[0] != "reject" or w.model.photo(order[0]).flag_source == "auto"


def test_double_click_and_enter_open_the_loupe(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    qtbot.keyClick(w.view, Qt.Key.Key_Return)
    assert w.in_loupe()
    qtbot.keyClick(w.loupe, Qt.Key.Key_Return)
    assert not w.in_loupe()
    idx = w.view.currentIndex()
    rect = w.view.visualRect(idx)
    # QTest's double click is only a double click after a first press and release
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.in_loupe()


def test_flipping_fast_skips_the_photos_passed_and_shows_the_last(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    w = open_window(db)
    w.set_sort("name")
    w.select_row(0)
    order = w.proxy.photo_ids()
    w.open_loupe()
    for _ in range(8):
        qtbot.keyClick(w.loupe, Qt.Key.Key_Right)
    assert w.current_photo_id() == order[8]
    row = w.model.photo(order[8])
    if row.status != "missing":
        qtbot.waitUntil(lambda: w.loupe.canvas.photo_id == order[8] and w.loupe.canvas.pixmap_kind == "screen"
                        or w.loupe.canvas.message.startswith("Cannot"), timeout=10_000)
    qtbot.waitUntil(lambda: not w.loupe_images._pending, timeout=10_000)  # nothing left stuck "on its way"
    # a photo skipped on the way is decoded when it is asked for again
    qtbot.keyClick(w.loupe, Qt.Key.Key_Home)  # not a loupe key: nothing happens
    w.select_row(3)
    qtbot.waitUntil(lambda: w.loupe.canvas.photo_id == order[3] and w.loupe.canvas.pixmap_kind == "screen"
                    or w.loupe.canvas.message.startswith("Cannot"), timeout=10_000)


def test_the_info_line_names_the_reasons_a_frame_is_weak(shoot_catalog, open_window, qtbot):
    import dataclasses

    from ui.viewers.loupe import info_text

    db, ids = shoot_catalog
    w = open_window(db)
    row = w.model.photo(ids["shoot-a/astronaut"])
    assert "blurry" not in info_text(dataclasses.replace(row, reasons=()), (1, 5))
    line = info_text(dataclasses.replace(row, reasons=("blurry", "too-dark")), (5, 5))
    assert "#5 of 5 in this shoot" in line and "blurry, too-dark" in line
