"""Undo and redo in the gallery (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y): each decision is one step, written back
exactly as the catalog stored it, in one transaction; the status bar names what was undone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from iqa_engine.testing import sample_photos, write_jpeg
from curator.testing.demo_catalog import add_photo

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def decisions_table(db: Path) -> list[tuple]:
    """Every decisions row, every column, as stored."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT * FROM decisions ORDER BY photo_id").fetchall()
    finally:
        con.close()


@pytest.fixture()
def burst_shoot(tmp_path):
    """A 4-frame burst (exact scores, alike embeddings) and two lone frames; the auto policy flagged the
    bottom 40 %, so some rows hold auto verdicts that undo must put back as they were."""
    from curator.catalog import Catalog
    from curator.actions.culling import CullingRules, recompute_flags

    rng = np.random.default_rng(3)
    photos = sample_photos()
    look = rng.normal(size=8)
    look /= np.linalg.norm(look)
    ids: dict[str, int] = {}
    db = tmp_path / "catalog.db"
    with Catalog.open(db) as cat:
        for i, score in enumerate((0.52, 0.71, 0.48, 0.44)):
            path = write_jpeg(tmp_path / "shoot" / f"f{i + 1}.jpg", photos["astronaut"], size=(96, 96))
            ids[f"f{i + 1}"] = add_photo(cat, path, score, capture_time=f"2024-05-01T10:00:0{i}.500",
                                         embedding=look + rng.normal(0, 0.01, 8))
        for name, score, t in (("lone1", 0.66, "10:05:00"), ("lone2", 0.35, "10:09:00")):
            path = write_jpeg(tmp_path / "shoot" / f"{name}.jpg", photos["rocket"], size=(96, 64))
            emb = rng.normal(size=8)
            ids[name] = add_photo(cat, path, score, capture_time=f"2024-05-01T{t}", embedding=emb / np.linalg.norm(emb))
        recompute_flags(cat, CullingRules(None, 40.0))
    return db, ids


def test_undo_and_redo_of_a_burst_keep_best_restore_the_exact_rows(burst_shoot, open_window, qtbot):
    db, ids = burst_shoot
    w = open_window(db)
    qtbot.waitUntil(lambda: len(w.model.burst_groups()) == 1, timeout=10_000)
    original = decisions_table(db)
    assert any(r[2] == "auto" for r in original)  # an auto verdict is among the rows to put back

    w.select_photo(ids["f2"])  # the burst's tile (its best frame)
    qtbot.keyClick(w.view, Qt.Key.Key_X, SHIFT)  # reject all but the best
    qtbot.waitUntil(lambda: "Rejected 3 frames" in w.status.message_label.text(), timeout=10_000)
    rejected = decisions_table(db)
    assert {r[0]: (r[1], r[2]) for r in rejected if r[0] in (ids["f1"], ids["f3"], ids["f4"])} == {
        ids["f1"]: ("reject", "user"), ids["f3"]: ("reject", "user"), ids["f4"]: ("reject", "user")}

    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: w.status.message_label.text().startswith("Undid: reject 3 frames of the burst"),
                    timeout=10_000)
    assert decisions_table(db) == original  # every column, decided_at included
    qtbot.waitUntil(lambda: w.model.photo(ids["f1"]).flag_source != "user", timeout=5000)  # the grid follows

    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL | SHIFT)
    qtbot.waitUntil(lambda: w.status.message_label.text().startswith("Redid: reject 3 frames"), timeout=10_000)
    assert decisions_table(db) == rejected


def test_each_key_is_one_step_and_ctrl_y_redoes(burst_shoot, open_window, qtbot):
    db, ids = burst_shoot
    w = open_window(db)
    w.set_sort("name")
    w.select_photo(ids["lone1"])
    original = decisions_table(db)
    qtbot.keyClick(w.view, Qt.Key.Key_P)  # pick lone1, on to lone2
    qtbot.keyClick(w.view, Qt.Key.Key_3)  # 3 stars on lone2
    qtbot.waitUntil(lambda: w.model.photo(ids["lone2"]).rating == 3, timeout=5000)
    after_both = None
    qtbot.waitUntil(lambda: len(decisions_table(db)) >= len(original), timeout=5000)
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: w.status.message_label.text() == "Undid: 3 stars on lone2.jpg", timeout=10_000)
    qtbot.waitUntil(lambda: w.model.photo(ids["lone2"]).rating == 0, timeout=5000)
    assert w.model.photo(ids["lone1"]).flag == "pick"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: w.status.message_label.text() == "Undid: pick lone1.jpg", timeout=10_000)
    assert decisions_table(db) == original
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: w.status.message_label.text() == "Nothing to undo", timeout=10_000)
    qtbot.keyClick(w.view, Qt.Key.Key_Y, CTRL)
    qtbot.waitUntil(lambda: w.status.message_label.text() == "Redid: pick lone1.jpg", timeout=10_000)
    after_both = decisions_table(db)
    assert {r[0]: r[1] for r in after_both}[ids["lone1"]] == "pick"
    # a new decision clears what was undone: redo has nothing left
    w.select_photo(ids["lone1"])
    qtbot.keyClick(w.view, Qt.Key.Key_U)
    qtbot.keyClick(w.view, Qt.Key.Key_Y, CTRL)
    qtbot.waitUntil(lambda: w.status.message_label.text() == "Nothing to redo", timeout=10_000)
