"""Live updates: what another connection writes shows up without a restart, selection and scroll kept."""

from __future__ import annotations

import time

from iqa_engine.testing import sample_photos, write_jpeg
from curator.testing.demo_catalog import add_photo, fake_score


def test_scores_from_another_connection_appear_within_2s(shoot_catalog, open_window, qtbot, tmp_path):
    from curator.catalog import Catalog

    db, ids = shoot_catalog
    w = open_window(db, poll_ms=1000)  # the production poll interval
    w.set_sort("score_asc")
    w.resize(700, 500)  # small, so the grid scrolls
    qtbot.wait(50)
    w.select_photo(ids["shoot-b/astronaut"])
    w.view.verticalScrollBar().setValue(w.view.verticalScrollBar().maximum() // 2)
    scroll = w.view.verticalScrollBar().value()
    selected = w.current_photo_id()
    late = ids["shoot-a/late"]
    assert w.model.photo(late).fused is None

    with Catalog.open(db) as other:  # e.g. a `curator watch` process
        t0 = time.perf_counter()
        other.record_score(late, fake_score(0.30, size=(120, 80)))
        new_path = write_jpeg(tmp_path / "shoot-a" / "arrived.jpg", sample_photos()["rocket"], size=(200, 133))
        new_id = add_photo(other, new_path, 0.90)
    qtbot.waitUntil(lambda: w.model.photo(late) is not None and w.model.photo(late).fused == 0.30
                    and w.model.photo(new_id) is not None, timeout=2000)
    assert time.perf_counter() - t0 < 2.0
    # the new scores are sorted into place
    order = w.proxy.photo_ids()
    assert order[0] == late  # 0.30 is now the worst
    assert order.index(new_id) == 11  # 0.90, the best of the 12 scored
    # selection and scroll are kept
    assert w.current_photo_id() == selected
    assert abs(w.view.verticalScrollBar().value() - scroll) <= 1
    assert w.view.selectionModel().isSelected(w.proxy.index(w.proxy.proxy_row_for_id(selected), 0))
    qtbot.waitUntil(lambda: " of 14 weak" in w.view_bar.count_label.text(), timeout=2000)


def test_decisions_made_elsewhere_show_up(shoot_catalog, open_window, qtbot):
    from curator.catalog import Catalog

    db, ids = shoot_catalog
    w = open_window(db)
    pid = ids["shoot-b/rocket"]
    with Catalog.open(db) as other:
        other.set_decision(pid, flag="pick", rating=4)
    qtbot.waitUntil(lambda: w.model.photo(pid).flag == "pick" and w.model.photo(pid).rating == 4, timeout=3000)


def test_an_empty_catalog_shows_a_friendly_hint_then_fills(tmp_path, open_window, qtbot):
    from curator.catalog import Catalog

    db = tmp_path / "empty.db"
    Catalog.open(db).close()
    w = open_window(db)
    assert w.proxy.rowCount() == 0
    assert "curator scan" in w.view.hint and "--watch" in w.view.hint
    w.view.viewport().repaint()  # paints the hint without trouble
    with Catalog.open(db) as other:
        pid = add_photo(other, write_jpeg(tmp_path / "s" / "a.jpg", sample_photos()["chelsea"], size=(90, 60)), 0.5)
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 1, timeout=3000)
    qtbot.waitUntil(lambda: w.current_photo_id() == pid, timeout=3000)


def test_a_file_that_is_not_a_catalog_is_explained_in_the_window(tmp_path, open_window, qtbot):
    db = tmp_path / "notes.db"
    db.write_text("this is not a database\n" * 100)
    w = open_window(db)
    assert w.proxy.rowCount() == 0
    assert "Cannot open the catalog" in w.view.hint
    assert "is damaged" in w.view.hint and ".recover" in w.view.hint
    assert not w.poll_timer.isActive()


def test_a_read_only_catalog_opens_for_viewing(shoot_catalog, open_window, qtbot):
    from curator.catalog import Catalog, CatalogError

    db, ids = shoot_catalog

    def opener(path, readonly):  # what Catalog.open does on a read-only folder (root ignores chmod)
        if not readonly:
            raise CatalogError(f"the catalog {path} is read-only; choose another with --db or CURATOR_DB")
        return Catalog.open(path, readonly=True)

    w = open_window(db, open_catalog=opener)
    assert w.proxy.rowCount() == 13
    assert "read-only" in w.status.catalog_label.text()
    pid = w.current_photo_id()
    from PySide6.QtCore import Qt

    qtbot.keyClick(w.view, Qt.Key.Key_P)
    assert "read-only" in w.status.message_label.text()
    assert w.model.photo(pid).flag != "pick"
    assert w.current_photo_id() == pid
