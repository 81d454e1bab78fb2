"""The grid's order and filters match what the catalog holds."""

from __future__ import annotations

import os


from ui.rules.ordering import FILTERS, SORTS, sort_rows


def _catalog_rows(db):
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        return cat.gallery_rows()


def test_every_sort_and_filter_matches_the_catalog(shoot_catalog, open_window):
    db, ids = shoot_catalog
    rows = _catalog_rows(db)
    w = open_window(db)
    assert w.model.rowCount() == len(rows) == 13
    folder_a = os.path.dirname(next(r.path for r in rows if r.photo_id == ids["shoot-a/astronaut"]))
    for folder in (None, folder_a):
        w.set_folder(folder)
        for sort, _ in SORTS:
            w.set_sort(sort)
            for name, _ in FILTERS:
                w.set_filter(name)
                expected = [r.photo_id for r in sort_rows(rows, sort, name, folder)]
                assert w.proxy.photo_ids() == expected, (folder, sort, name)


def test_orders_against_independent_expectations(shoot_catalog, open_window):
    db, ids = shoot_catalog
    rows = {r.photo_id: r for r in _catalog_rows(db)}
    w = open_window(db)

    w.set_sort("score_asc")
    shown = [rows[i] for i in w.proxy.photo_ids()]
    scored = [r.fused for r in shown if r.fused is not None]
    assert scored == sorted(scored) and len(scored) == 10
    assert all(r.fused is None for r in shown[10:])  # unscored, errors and missing last
    assert shown[0].photo_id == ids["shoot-a/motorcycle"]  # 0.38, the worst

    w.set_sort("score_desc")
    shown = [rows[i] for i in w.proxy.photo_ids()]
    assert [r.fused for r in shown[:10]] == sorted(scored, reverse=True)
    assert shown[0].photo_id == ids["shoot-b/chelsea"]  # 0.80, the best

    w.set_sort("time")
    shown = [rows[i] for i in w.proxy.photo_ids()]
    with_time = [r.capture_time for r in shown if r.capture_time]
    assert with_time == sorted(with_time) and len(with_time) == 10

    w.set_sort("name")
    names = [rows[i].name.casefold() for i in w.proxy.photo_ids()]
    assert names == sorted(names)

    # the catalog's own SQL ordering agrees on the scored photos
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        sql = [r.photo_id for r in cat.query_rows(sort="score") if r.fused is not None]
    w.set_sort("score_asc")
    assert w.proxy.photo_ids()[:10] == sql


def test_filters_pick_the_right_photos(shoot_catalog, open_window):
    db, ids = shoot_catalog
    rows = _catalog_rows(db)
    w = open_window(db)
    expect = {
        "all": {r.photo_id for r in rows},
        "flagged": {r.photo_id for r in rows if r.low_quality},
        "picks": {r.photo_id for r in rows if r.flag == "pick"},
        "rejects": {r.photo_id for r in rows if r.flag == "reject"},
        "unscored": {ids["shoot-a/late"]},
        "errors": {ids["shoot-b/broken"], ids["shoot-b/gone"]},
    }
    assert expect["flagged"], "the fixture's bottom-20% policy flags some photos"
    for name, want in expect.items():
        w.set_filter(name)
        assert set(w.proxy.photo_ids()) == want, name


def test_count_label_and_folder_chooser(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    rows = _catalog_rows(db)
    w = open_window(db)
    flagged = sum(r.low_quality for r in rows)
    qtbot.waitUntil(lambda: w.view_bar.count_label.text() == f"{flagged} of {len(rows)} weak", timeout=3000)
    qtbot.waitUntil(lambda: w.view_bar.folder_box.count() == 3, timeout=3000)  # all + two shoots
    w.view_bar.folder_box.setCurrentIndex(1)
    folder = w.view_bar.folder_box.currentData()
    in_folder = [r for r in rows if r.folder == folder]
    assert set(w.proxy.photo_ids()) == {r.photo_id for r in in_folder}
    qtbot.waitUntil(lambda: w.view_bar.count_label.text().startswith(
        f"{sum(r.low_quality for r in in_folder)} of {len(in_folder)} weak"), timeout=3000)


def test_folder_option_limits_the_grid(shoot_catalog, open_window, tmp_path):
    db, _ = shoot_catalog
    w = open_window(db, folder=str(tmp_path / "shoot-b"))
    assert w.proxy.rowCount() == 7
    assert all(w.proxy.row_at(i).folder == str(tmp_path / "shoot-b") for i in range(7))


def test_threshold_and_bottom_controls_reflag_live(shoot_catalog, open_window, qtbot):
    db, _ = shoot_catalog
    w = open_window(db)
    w.set_flag_policy(0.5, 0.0)  # what the slider and the spin box do, without their debounce
    qtbot.waitUntil(lambda: {r.photo_id for r in w.model.rows() if r.low_quality}
                    == {r.photo_id for r in _catalog_rows(db) if r.fused is not None and r.fused < 0.5},
                    timeout=5000)
    assert sum(r.low_quality for r in w.model.rows()) == 3  # 0.38, 0.44, 0.49
    qtbot.waitUntil(lambda: w.view_bar.count_label.text().startswith("3 of 13 weak"), timeout=3000)
    # the slider itself, dragged to its far left, turns the threshold off
    w.policy.threshold_slider.setValue(0)
    w.policy.bottom_spin.setValue(0)
    qtbot.waitUntil(lambda: not any(r.low_quality for r in w.model.rows()), timeout=5000)
    assert all(not r.low_quality for r in _catalog_rows(db))
