"""The catalog against real SQLite files: opening, migrations, rows, decisions, flags, threads."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

from curator.actions import culling
from curator.actions.culling import CullingRules
from curator.catalog import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    Catalog,
    CatalogError,
    FileEntry,
    FileStat,
    Outcome,
)
from curator.errors import UserError
from iqa_engine.results import PhotoScore, ViewScore

ROOT = "/photos"


def fake_score(fused: float, fingerprint: str = "fp-a", views: int = 3) -> PhotoScore:
    vs = tuple(ViewScore(box=(i * 10, 0, i * 10 + 224, 224) if i < views - 1 else None, fused=fused + i * 0.01,
                         cosine=0.5 + i, magnitude=1.0 + i, w_cosine=0.4, w_magnitude=0.6) for i in range(views))
    emb = np.arange(8, dtype=np.float32)
    emb /= np.linalg.norm(emb)
    return PhotoScore(score=fused, fused=fused, cosine=0.5, magnitude=1.0, w_cosine=0.4, w_magnitude=0.6,
                      mode="fused", protocol="koniq", model="tiny", fingerprint=fingerprint, views=vs,
                      scored_size=(300, 224), original_size=(600, 448), embedding=emb, elapsed_ms=12.5)


def add_scored(cat: Catalog, path: str, fused: float, fingerprint: str = "fp-a") -> int:
    stat = FileStat(1000, 1)
    pid = cat.upsert_photo(path, stat, status="pending")
    [rec] = cat.record_outcomes([Outcome(pid, "scored", expected=stat, stat=stat, content_hash=f"h-{path}",
                                         score=fake_score(fused, fingerprint))])
    assert rec.recorded
    return pid


@pytest.fixture()
def cat(tmp_path):
    with Catalog.open(tmp_path / "deep" / "dir" / "catalog.db") as c:
        yield c


# -- opening -------------------------------------------------------------------------


def test_open_creates_folders_file_wal_and_current_schema(tmp_path):
    path = tmp_path / "a" / "b" / "catalog.db"
    with Catalog.open(path) as c:
        assert c.schema_version() == SCHEMA_VERSION
        assert c.integrity_check() == "ok"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()
    with Catalog.open(path) as c:  # reopening is a no-op
        assert c.schema_version() == SCHEMA_VERSION


def test_catalog_error_is_a_user_error():
    assert issubclass(CatalogError, UserError)


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "catalog.db"
    Catalog.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(CatalogError, match="newer than this curator"):
        Catalog.open(path)
    with pytest.raises(CatalogError, match="newer"):
        Catalog.open(path, readonly=True)


def test_a_corrupt_file_is_refused(tmp_path):
    path = tmp_path / "catalog.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(CatalogError, match=r"is damaged.*\.recover"):
        Catalog.open(path)


def test_someone_elses_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="not a curator catalog"):
        Catalog.open(path)


def test_a_read_only_path_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(CatalogError, match="cannot create the catalog folder"):
        Catalog.open(blocker / "catalog.db")
    with pytest.raises(CatalogError, match="directory"):
        Catalog.open(tmp_path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    Catalog.open(folder / "catalog.db").close()
    folder.chmod(0o555)
    try:
        with pytest.raises(CatalogError, match="read-only"):
            Catalog.open(folder / "catalog.db")
    finally:
        folder.chmod(0o755)


def test_a_missing_catalog_is_an_error_when_it_may_not_be_created(tmp_path):
    with pytest.raises(CatalogError, match="no catalog"):
        Catalog.open(tmp_path / "none.db", create=False)
    with pytest.raises(CatalogError, match="no catalog"):
        Catalog.open(tmp_path / "none.db", readonly=True)
    assert not (tmp_path / "none.db").exists()


def test_readonly_catalog_reads_but_cannot_write(tmp_path):
    path = tmp_path / "catalog.db"
    with Catalog.open(path) as c:
        pid = add_scored(c, "/p/a.jpg", 0.5)
    with Catalog.open(path, readonly=True) as ro:
        assert [r.photo_id for r in ro.gallery_rows()] == [pid]
        with pytest.raises(CatalogError, match="read-only"):
            ro.set_decision(pid, flag="pick")


# -- migrations ------------------------------------------------------------------------


def make_v1_catalog(path: Path) -> None:
    """A catalog as the first schema left it, with a scored photo and a user decision."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("BEGIN")
    MIGRATIONS[1](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO photos (id, path, folder, name, size, mtime_ns, content_hash, width, height, status, "
                 "added_at, updated_at) VALUES (1, '/p/a.jpg', '/p', 'a.jpg', 10, 5, 'h', 600, 400, 'scored', 0, 0)")
    conn.execute("INSERT INTO scores (photo_id, fingerprint, score, fused, cosine, magnitude, w_cosine, w_magnitude, "
                 "scored_at) VALUES (1, 'fp-old', 0.4, 0.4, 0.5, 1.0, 0.4, 0.6, 1.0)")
    conn.execute("INSERT INTO exif (photo_id, make, model, camera, iso) VALUES (1, 'Canon', 'EOS', 'Canon EOS', 100)")
    conn.execute("INSERT INTO decisions (photo_id, flag, flag_source, rating, label) VALUES (1, 'pick', 'user', 4, 'Red')")
    conn.execute("COMMIT")
    conn.close()


def test_an_old_schema_migrates_and_keeps_everything(tmp_path):
    path = tmp_path / "catalog.db"
    make_v1_catalog(path)
    with Catalog.open(path) as c:
        assert c.schema_version() == SCHEMA_VERSION
        [row] = c.gallery_rows()
        assert (row.path, row.status, row.fused, row.flag, row.flag_source, row.rating, row.label, row.camera,
                row.iso) == ("/p/a.jpg", "scored", 0.4, "pick", "user", 4, "Red", "Canon EOS", 100)
        assert row.low_quality is False and row.provisional is False  # every old score is exact
        detail = c.photo_detail(row.photo_id)
        assert detail.scored_count == 1 and detail.exposure_bias is None
        assert c.integrity_check() == "ok"
        culling.recompute_flags(c, CullingRules(None, 100))  # the new columns work
        assert c.gallery_rows()[0].flag == "pick"
    backup = tmp_path / "catalog.db.v1.bak"
    assert backup.exists()
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_a_failed_migration_leaves_the_old_version(tmp_path, monkeypatch):
    path = tmp_path / "catalog.db"
    make_v1_catalog(path)

    def broken(db):
        db.execute("ALTER TABLE photos ADD COLUMN half_done INTEGER")
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setitem(MIGRATIONS, 2, broken)
    with pytest.raises(CatalogError):
        Catalog.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "half_done" not in [r[1] for r in conn.execute("PRAGMA table_info(photos)")]
    conn.close()


# -- rows -------------------------------------------------------------------------------


def test_gallery_rows_join_the_latest_score_whatever_the_engine(cat):
    pid = add_scored(cat, "/p/a.jpg", 0.30, "fp-a")
    time.sleep(0.01)
    cat.upsert_photo("/p/a.jpg", FileStat(1000, 1), status="pending")
    cat.record_outcomes([Outcome(pid, "scored", expected=FileStat(1000, 1), score=fake_score(0.70, "fp-b"))])
    [row] = cat.gallery_rows()
    assert row.fused == pytest.approx(0.70)
    assert cat.score_count(pid) == 2  # both engines' scores are kept
    assert cat.photo_detail(pid).fingerprint == "fp-b"


def test_gallery_rows_by_folder_and_folders(cat):
    add_scored(cat, "/p/x/1.jpg", 0.1)
    add_scored(cat, "/p/y/2.jpg", 0.2)
    add_scored(cat, "/p/y/3.jpg", 0.3)
    assert cat.folders() == ["/p/x", "/p/y"]
    assert [r.name for r in cat.gallery_rows("/p/y")] == ["2.jpg", "3.jpg"]
    assert len(cat.gallery_rows()) == 3
    assert [r.name for r in cat.query_rows(under="/p", sort="-score")] == ["3.jpg", "2.jpg", "1.jpg"]
    assert [r.name for r in cat.query_rows(sort="score", limit=2)] == ["1.jpg", "2.jpg"]


def test_photo_detail_round_trips_views_sizes_and_embedding(cat):
    pid = add_scored(cat, "/p/a.jpg", 0.5)
    d = cat.photo_detail(pid)
    score = fake_score(0.5)
    assert d.row.width == 600 and d.row.height == 448
    assert d.scored_size == (300, 224)
    assert len(d.views) == 3
    assert d.views[0].box == (0, 0, 224, 224) and d.views[-1].box is None
    for got, want in zip(d.views, score.views, strict=True):
        assert got.fused == pytest.approx(want.fused, rel=1e-6)
        assert got.magnitude == pytest.approx(want.magnitude, rel=1e-6)
    np.testing.assert_allclose(cat.embedding(pid), score.embedding)
    assert cat.embedding(pid).dtype == np.float32
    assert cat.photo_detail(999_999) is None


def test_set_decision_changes_only_what_is_given(cat):
    pid = add_scored(cat, "/p/a.jpg", 0.5)
    cat.set_decision(pid, rating=3)
    cat.set_decision(pid, label="red")
    cat.set_decision(pid, flag="pick")
    row = cat.gallery_rows()[0]
    assert (row.flag, row.flag_source, row.rating, row.label) == ("pick", "user", 3, "Red")
    cat.set_decision(pid, flag="none")
    row = cat.gallery_rows()[0]
    assert (row.flag, row.flag_source, row.rating, row.label) == (None, "user", 3, "Red")
    cat.set_decision(pid, rating=0, label=None)
    row = cat.gallery_rows()[0]
    assert (row.rating, row.label) == (0, None)


@pytest.mark.parametrize("changes, message", [
    ({"flag": "maybe"}, "unknown flag"), ({"rating": 6}, "rating"), ({"rating": 2.5}, "rating"),
    ({"label": "Orange"}, "unknown label"), ({"source": "robot"}, "source")])
def test_set_decision_refuses_bad_values(cat, changes, message):
    pid = add_scored(cat, "/p/a.jpg", 0.5)
    with pytest.raises(CatalogError, match=message):
        cat.set_decision(pid, **changes)


def test_set_decision_on_an_unknown_photo(cat):
    with pytest.raises(CatalogError, match="no photo"):
        cat.set_decision(12345, flag="pick")


def test_auto_never_overrides_a_user_flag(cat):
    pid = add_scored(cat, "/p/a.jpg", 0.5)
    cat.set_decision(pid, flag="pick")
    cat.set_decision(pid, flag="reject", source="auto")
    row = cat.gallery_rows()[0]
    assert (row.flag, row.flag_source) == ("pick", "user")


def test_a_user_decision_survives_re_flagging(cat):
    ids = [add_scored(cat, f"/p/{i}.jpg", i / 10) for i in range(10)]
    assert culling.recompute_flags(cat, CullingRules(None, 30)) == 3
    rows = {r.photo_id: r for r in cat.gallery_rows()}
    assert {i for i, r in rows.items() if r.flag == "reject"} == set(ids[:3])
    # the user picks the worst, clears the second worst's reject, and rejects a good one
    cat.set_decision(ids[0], flag="pick")
    cat.set_decision(ids[1], flag=None)
    cat.set_decision(ids[9], flag="reject")
    for threshold, bottom in ((None, 30), (0.95, 100), (None, 0), (0.5, 50)):
        culling.recompute_flags(cat, CullingRules(threshold, bottom))
        rows = {r.photo_id: r for r in cat.gallery_rows()}
        assert (rows[ids[0]].flag, rows[ids[0]].flag_source) == ("pick", "user")
        assert (rows[ids[1]].flag, rows[ids[1]].flag_source) == (None, "user")
        assert (rows[ids[9]].flag, rows[ids[9]].flag_source) == ("reject", "user")
    culling.recompute_flags(cat, CullingRules(None, 30))
    rows = {r.photo_id: r for r in cat.gallery_rows()}
    assert rows[ids[0]].low_quality and rows[ids[0]].flag == "pick"  # weak, though the user picked it
    assert rows[ids[2]].flag == "reject" and rows[ids[2]].flag_source == "auto"
    assert culling.recompute_flags(cat, CullingRules(None, 30)) == 0  # nothing left to change


def test_recompute_flags_for_one_folder_only(cat):
    for i in range(10):
        add_scored(cat, f"/p/a/{i}.jpg", i / 10)
        add_scored(cat, f"/p/b/{i}.jpg", i / 10)
    assert culling.recompute_flags(cat, CullingRules(None, 20), folder="/p/a") == 2
    assert {r.folder for r in cat.gallery_rows() if r.flag} == {"/p/a"}


def test_flag_policy_is_stored(cat):
    assert cat.flag_policy() is None
    cat.set_flag_policy(0.25, 10)
    assert cat.flag_policy() == (0.25, 10.0)
    cat.set_flag_policy(None, 20)
    assert cat.flag_policy() == (None, 20.0)


# -- the queue ---------------------------------------------------------------------------


def test_sync_queues_new_changed_and_stale_and_marks_gone_missing(cat):
    a, b, c, d = (f"{ROOT}/{n}.jpg" for n in "abcd")
    st = FileStat(10, 1_000_000_000)
    counts = cat.sync_files([ROOT], [FileEntry(a, st), FileEntry(b, st), FileEntry(c, st)], fingerprint="fp",
                            gone=lambda p: True, now=5.0)
    assert (counts.new, counts.unchanged) == (3, 0)
    assert cat.queue_length([ROOT]) == 3
    # score a and b (b with another engine), then sync again: c changed, d is new, a is gone
    ids = {r.path: r.photo_id for r in cat.gallery_rows()}
    cat.record_outcomes([Outcome(ids[a], "scored", expected=st, score=fake_score(0.5, "fp")),
                         Outcome(ids[b], "scored", expected=st, score=fake_score(0.5, "fp-old"))])
    counts = cat.sync_files([ROOT], [FileEntry(b, st), FileEntry(c, FileStat(11, 2)), FileEntry(d, st),
                                     FileEntry(f"{ROOT}/e.jpg", None, "symbolic link loop")],
                            fingerprint="fp", gone=lambda p: True, now=6.0)
    assert (counts.new, counts.changed, counts.rescore, counts.missing, counts.errors) == (1, 1, 1, 1, 1)
    rows = {Path(r.path).name: r for r in cat.gallery_rows()}
    assert rows["a.jpg"].status == "missing" and rows["a.jpg"].fused == pytest.approx(0.5)  # kept, not erased
    assert rows["b.jpg"].status == "pending"
    assert rows["e.jpg"].status == "error" and rows["e.jpg"].error == "symbolic link loop"
    # nothing changed: nothing queued
    again = cat.sync_files([ROOT], [FileEntry(b, st), FileEntry(c, FileStat(11, 2)), FileEntry(d, st)],
                           fingerprint="fp", gone=lambda p: True)
    assert again.new == again.changed == again.rescore == 0


def test_record_outcomes_skips_a_row_that_changed_meanwhile(cat):
    st = FileStat(10, 1)
    pid = cat.upsert_photo("/p/a.jpg", st, status="pending")
    cat.enqueue_path("/p/a.jpg", FileStat(20, 2))  # the watcher saw a newer write
    [rec] = cat.record_outcomes([Outcome(pid, "scored", expected=st, score=fake_score(0.5))])
    assert not rec.recorded
    assert cat.gallery_rows()[0].status == "pending"
    assert cat.score_count() == 0


def test_a_batch_is_atomic(cat):
    st = FileStat(10, 1)
    a = cat.upsert_photo("/p/a.jpg", st, status="pending")
    b = cat.upsert_photo("/p/b.jpg", st, status="pending")
    with pytest.raises(ValueError):
        cat.record_outcomes([Outcome(a, "scored", expected=st, score=fake_score(0.5)),
                             Outcome(b, "nonsense", expected=st)])
    assert cat.score_count() == 0
    assert {r.status for r in cat.gallery_rows()} == {"pending"}


def test_moves_keep_the_photo_its_score_and_decision(cat):
    pid = add_scored(cat, "/p/a/1.jpg", 0.5)
    cat.set_decision(pid, flag="pick")
    assert cat.move_path("/p/a/1.jpg", "/p/a/renamed.jpg")
    assert cat.move_tree("/p/a", "/q/b") == 1
    [row] = cat.gallery_rows()
    assert (row.photo_id, row.path, row.folder, row.flag, row.fused) == (pid, "/q/b/renamed.jpg", "/q/b", "pick",
                                                                         pytest.approx(0.5))
    assert not cat.move_path("/p/unknown.jpg", "/p/x.jpg")
    assert cat.mark_missing("/q/b/renamed.jpg") == 1
    assert cat.gallery_rows()[0].status == "missing" and cat.score_count(pid) == 1


def test_adopting_a_twin_merges_the_new_row_into_the_old_photo(cat):
    old = add_scored(cat, "/p/old.jpg", 0.5)
    cat.set_decision(old, rating=4)
    cat.mark_missing("/p/old.jpg")
    st = FileStat(1000, 1)
    new = cat.upsert_photo("/p/new.jpg", st, status="pending")
    [rec] = cat.record_outcomes([Outcome(new, "adopted", expected=st, stat=st, twin_id=old)])
    assert rec.photo_id == old
    [row] = cat.gallery_rows()
    assert (row.photo_id, row.path, row.status, row.rating) == (old, "/p/new.jpg", "scored", 4)
    assert cat.photo_detail(old).scored_count == 1


# -- polling and threads ---------------------------------------------------------------------


def test_data_version_changes_when_another_connection_commits(tmp_path):
    path = tmp_path / "catalog.db"
    with Catalog.open(path) as gallery, Catalog.open(path) as writer:
        v0 = gallery.data_version()
        assert gallery.data_version() == v0
        add_scored(writer, "/p/a.jpg", 0.5)
        v1 = gallery.data_version()
        assert v1 != v0
        pid = gallery.gallery_rows()[0].photo_id
        gallery.set_decision(pid, flag="pick")  # its own commit does not count
        assert gallery.data_version() == v1


def test_threads_each_use_their_own_connection_and_writes_serialise(cat):
    ids = [add_scored(cat, f"/p/{i}.jpg", i / 100) for i in range(40)]
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for k, pid in enumerate(ids):
                cat.set_decision(pid, rating=(k + offset) % 6)
                cat.gallery_rows()
                if k % 10 == 0:
                    culling.recompute_flags(cat, CullingRules(None, 15))
        except BaseException as exc:  # noqa: BLE001 - surfaced in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cat.integrity_check() == "ok"
    assert len(cat.gallery_rows()) == 40


def test_closed_catalog_says_so(tmp_path):
    c = Catalog.open(tmp_path / "c.db")
    c.close()
    with pytest.raises(CatalogError, match="closed"):
        c.gallery_rows()


def test_a_photo_renamed_while_being_read_is_not_marked_missing(cat):
    st = FileStat(10, 1)
    pid = cat.upsert_photo("/p/old.jpg", st, status="pending")
    cat.move_path("/p/old.jpg", "/p/new.jpg")  # the watcher saw the rename while the worker read the old path
    [rec] = cat.record_outcomes([Outcome(pid, "missing", expected=st, error="vanished", path="/p/old.jpg")])
    assert not rec.recorded
    assert cat.gallery_rows()[0].status == "pending"  # looked at again, under its new name
