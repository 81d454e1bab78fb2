"""`scan` end to end in-process (real catalog file, tiny model): skip, rescore, moves, bad input, originals."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from catalog_support import hash_tree, make_settings, rows_by_name

from curator.actions import culling
from curator.actions.culling import CullingRules
from curator.scanning import service
from curator.catalog import Catalog, FileStat, PendingItem
from curator.disk.identity import stat_file
from curator.scanning.inspection import inspect_photo
from curator.scanning.worker import Worker, WorkerOptions
from iqa_engine.testing import sample_photos, write_jpeg

FAST = WorkerOptions(settle_seconds=0.0)  # no settling wait: the files are complete


@pytest.fixture()
def settings(tmp_path, tiny_model):
    return make_settings(tmp_path, tiny_model)


def scan(settings, *paths, engine, **kw):
    return service.scan(settings, [str(p) for p in paths], engine=engine, **kw)


def test_scan_scores_everything_once_and_skips_unchanged(settings, photo_dir, tiny_engine):
    summary = scan(settings, photo_dir, engine=tiny_engine)
    assert (summary.found, summary.sync.new, summary.totals.scored, summary.totals.errors) == (5, 5, 5, 0)
    with Catalog.open(settings.db_path) as cat:
        rows = cat.gallery_rows()
        assert {r.status for r in rows} == {"scored"}
        assert all(r.fused is not None and r.width and r.height for r in rows)
        assert cat.score_count() == 5
        assert [r.run_id for r in cat.runs()] and cat.runs()[0].photos == 5
    again = scan(settings, photo_dir, engine=tiny_engine)
    assert (again.sync.unchanged, again.totals.done) == (5, 0)
    with Catalog.open(settings.db_path) as cat:
        assert cat.score_count() == 5
        assert {cat.photo_detail(r.photo_id).scored_count for r in cat.gallery_rows()} == {1}


def test_rewritten_files_are_rescored_and_touched_ones_are_not(settings, photo_dir, tiny_engine):
    scan(settings, photo_dir, engine=tiny_engine)
    write_jpeg(photo_dir / "coffee.jpg", sample_photos()["coffee"], quality=40)  # new content
    st = os.stat(photo_dir / "rocket.jpg")
    os.utime(photo_dir / "rocket.jpg", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # same content
    summary = scan(settings, photo_dir, engine=tiny_engine)
    assert (summary.sync.changed, summary.totals.scored, summary.totals.unchanged) == (2, 1, 1)
    with Catalog.open(settings.db_path) as cat:
        rows = rows_by_name(cat)
        assert cat.photo_detail(rows["coffee.jpg"].photo_id).scored_count == 2
        assert cat.photo_detail(rows["rocket.jpg"].photo_id).scored_count == 1
        assert rows["rocket.jpg"].mtime == pytest.approx(os.stat(photo_dir / "rocket.jpg").st_mtime)


def test_renamed_and_moved_files_keep_their_score_deleted_are_missing(settings, photo_dir, tiny_engine):
    scan(settings, photo_dir, engine=tiny_engine)
    with Catalog.open(settings.db_path) as cat:
        before = rows_by_name(cat)
        cat.set_decision(before["coffee.jpg"].photo_id, flag="pick", rating=5)
    (photo_dir / "coffee.jpg").rename(photo_dir / "espresso.jpg")
    (photo_dir / "sub").mkdir()
    shutil.move(photo_dir / "rocket.jpg", photo_dir / "sub" / "rocket.jpg")
    (photo_dir / "chelsea.jpg").unlink()
    summary = scan(settings, photo_dir, engine=tiny_engine)
    assert (summary.totals.scored, summary.totals.adopted, summary.sync.missing) == (0, 2, 3)
    with Catalog.open(settings.db_path) as cat:
        after = rows_by_name(cat)
        assert set(after) == {"astronaut.jpg", "motorcycle.jpg", "espresso.jpg", "rocket.jpg", "chelsea.jpg"}
        esp = after["espresso.jpg"]
        assert esp.photo_id == before["coffee.jpg"].photo_id
        assert (esp.fused, esp.flag, esp.rating, esp.status) == (before["coffee.jpg"].fused, "pick", 5, "scored")
        assert after["rocket.jpg"].photo_id == before["rocket.jpg"].photo_id
        assert after["rocket.jpg"].folder == str(photo_dir / "sub")
        assert after["chelsea.jpg"].status == "missing" and after["chelsea.jpg"].fused == before["chelsea.jpg"].fused
        assert cat.score_count() == 5
        assert {cat.photo_detail(r.photo_id).scored_count for r in after.values()} == {1}


def test_a_score_from_another_engine_is_rescored(settings, photo_dir, tiny_engine, tiny_model):
    from iqa_engine import Engine

    other = Engine(tiny_model.engine_config(protocol="global"))
    assert other.fingerprint != tiny_engine.fingerprint
    scan(settings, photo_dir, engine=other)
    summary = scan(settings, photo_dir, engine=tiny_engine)
    assert (summary.sync.rescore, summary.totals.scored) == (5, 5)
    with Catalog.open(settings.db_path) as cat:
        assert cat.score_count() == 10  # both engines' scores are kept, keyed by fingerprint
        for row in cat.gallery_rows():
            assert cat.photo_detail(row.photo_id).fingerprint == tiny_engine.fingerprint


def test_bad_input_is_recorded_and_never_stops_the_batch(settings, photo_dir, tiny_engine, tmp_path):
    good = hash_tree(photo_dir)
    (photo_dir / "empty.jpg").write_bytes(b"")
    (photo_dir / "text.jpg").write_text("not a photo at all")
    data = (photo_dir / "coffee.jpg").read_bytes()
    (photo_dir / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (photo_dir / "notes.txt").write_text("ignored: not a photo by extension")
    os.symlink(photo_dir / "loop-b.jpg", photo_dir / "loop-a.jpg")
    os.symlink(photo_dir / "loop-a.jpg", photo_dir / "loop-b.jpg")
    os.symlink(tmp_path / "nowhere.jpg", photo_dir / "dangling.jpg")
    os.mkfifo(photo_dir / "pipe.jpg")  # opening it for reading would block forever
    (photo_dir / "cycle").mkdir()
    os.symlink(photo_dir, photo_dir / "cycle" / "back")  # a directory symlink loop
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(photo_dir / "sock.jpg"))
    summary = scan(settings, photo_dir, engine=tiny_engine)
    sock.close()
    assert summary.totals.scored == 5
    with Catalog.open(settings.db_path) as cat:
        rows = rows_by_name(cat)
        assert "notes.txt" not in rows
        errors = {name: r.error for name, r in rows.items() if r.status == "error"}
        assert set(errors) == {"empty.jpg", "text.jpg", "truncated.jpg", "loop-a.jpg", "loop-b.jpg",
                               "dangling.jpg", "pipe.jpg", "sock.jpg"}
        assert "empty" in errors["empty.jpg"]
        assert errors["loop-a.jpg"] == "symbolic link loop"
        assert errors["dangling.jpg"] == "broken symbolic link"
        assert errors["pipe.jpg"] == "not a regular file"
        assert all(e and "\n" not in e for e in errors.values())
        assert [Path(r.path).name for r in cat.query_rows(errors=True)] == sorted(errors)
        assert {r.status for n, r in rows.items() if n not in errors} == {"scored"}
    # errors are not retried until the file changes (or --retry-errors)
    again = scan(settings, photo_dir, engine=tiny_engine)
    assert again.totals.done == 0
    retried = scan(settings, photo_dir, engine=tiny_engine, retry_errors=True)
    assert retried.totals.errors == 3  # the readable-but-broken ones; the unreadable are recorded by the walk
    for name, digest in good.items():
        assert hash_tree(photo_dir)[name] == digest


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied_is_recorded(settings, photo_dir, tiny_engine):
    locked = photo_dir / "locked.jpg"
    shutil.copy(photo_dir / "coffee.jpg", locked)
    locked.chmod(0)
    try:
        scan(settings, photo_dir, engine=tiny_engine)
    finally:
        locked.chmod(0o644)
    with Catalog.open(settings.db_path) as cat:
        assert rows_by_name(cat)["locked.jpg"].error == "permission denied"


def test_a_file_that_vanishes_before_scoring_is_marked_missing(settings, photo_dir, tiny_engine):
    path = photo_dir / "coffee.jpg"
    with Catalog.open(settings.db_path) as cat:
        cat.enqueue_path(str(path), stat_file(path).stat, now=0.0)
        path.unlink()
        worker = Worker(cat, tiny_engine, options=FAST, scope=[str(photo_dir)])
        worker.run(threading.Event(), until_idle=True)
        row = rows_by_name(cat)["coffee.jpg"]
        assert (row.status, row.error) == ("missing", "vanished before it could be scored")


def test_a_file_changed_since_it_settled_goes_back_to_settling(settings, photo_dir, tiny_engine):
    path = str(photo_dir / "coffee.jpg")
    real = stat_file(path).stat
    item = PendingItem(1, path, str(photo_dir), FileStat(real.size - 1, real.mtime_ns), 0.0, None)
    with Catalog.open(settings.db_path) as cat:
        result = inspect_photo(item, tiny_engine, cat)
    assert (result.kind, result.stat) == ("changed", real)


def test_a_scoring_failure_is_narrowed_to_the_photo_that_caused_it(settings, photo_dir, tiny_engine):
    class Fussy:
        """The real engine, except that it cannot score the coffee photo."""

        fingerprint = tiny_engine.fingerprint
        clip_fingerprint = tiny_engine.clip_fingerprint
        config = tiny_engine.config
        embed_paths = tiny_engine.embed_paths

        def __init__(self):
            self.bad = None

        def prepare_path(self, path):
            prepared = tiny_engine.prepare_path(path)
            if Path(path).name == "coffee.jpg":
                self.bad = prepared
            return prepared

        def score_prepared(self, prepared):
            if any(p is self.bad for p in prepared):
                raise RuntimeError("CUDA error: an illegal memory access (simulated)")
            return tiny_engine.score_prepared(prepared)

    summary = scan(settings, photo_dir, engine=Fussy())
    assert (summary.totals.scored, summary.totals.errors) == (4, 1)
    with Catalog.open(settings.db_path) as cat:
        row = rows_by_name(cat)["coffee.jpg"]
        assert row.status == "error" and "scoring failed (RuntimeError" in row.error


def test_exif_lands_in_the_catalog(settings, tmp_path, tiny_engine):
    from test_exif import write_exif_jpeg

    folder = tmp_path / "shoot"
    write_exif_jpeg(folder / "a.jpg")
    scan(settings, folder, engine=tiny_engine)
    with Catalog.open(settings.db_path) as cat:
        [row] = cat.gallery_rows()
        assert (row.camera, row.lens, row.iso, row.exposure_time, row.f_number, row.focal_length, row.orientation,
                row.capture_time) == ("Canon EOS R5", "RF24-70mm F2.8 L IS USM", 400, 0.004, 2.8, 50.0, 6,
                                      "2024-05-01T10:20:30.25+02:00")
        assert row.width == 24 and row.height == 32  # upright (orientation 6 turns it)
        assert cat.photo_detail(row.photo_id).exposure_bias == pytest.approx(-2 / 3)


def test_flags_are_computed_per_folder_as_photos_land(settings, tmp_path, tiny_engine):
    photos = sample_photos()
    for folder in ("a", "b"):
        for i, (name, arr) in enumerate(photos.items()):
            write_jpeg(tmp_path / "shoots" / folder / f"{name}.jpg", arr, size=(160 + 8 * i, 120))
    scan(settings.with_overrides("test", bottom_percent=40.0), tmp_path / "shoots", engine=tiny_engine,
         flag_policy=(None, 40.0))
    with Catalog.open(settings.db_path) as cat:
        for folder in ("a", "b"):
            rows = cat.gallery_rows(str(tmp_path / "shoots" / folder))
            assert sum(r.flag == "reject" for r in rows) == 2  # floor(5 * 40%)
            worst = sorted(rows, key=lambda r: (r.fused, r.photo_id))[:2]
            assert {r.flag for r in worst} == {"reject"} and all(r.low_quality for r in worst)


def test_a_second_scorer_only_queues(settings, photo_dir, tiny_engine):
    from curator.scanning.lock import ScoringLock

    lock = ScoringLock(settings.db_path)
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    assert lock.acquire()
    try:
        summary = scan(settings, photo_dir, engine=tiny_engine)
    finally:
        lock.release()
    assert summary.other_scorer == str(os.getpid())
    assert summary.totals.done == 0
    with Catalog.open(settings.db_path) as cat:
        assert cat.queue_length() == 5
    finished = scan(settings, photo_dir, engine=tiny_engine)  # the queued work is picked up
    assert finished.totals.scored == 5


def test_scan_never_touches_the_originals(settings, photo_dir, tiny_engine):
    before = hash_tree(photo_dir)
    stats = {p: os.stat(p) for p in photo_dir.iterdir()}
    scan(settings, photo_dir, engine=tiny_engine)
    (photo_dir / "coffee.jpg").rename(photo_dir / "moved.jpg")
    scan(settings, photo_dir, engine=tiny_engine)
    with Catalog.open(settings.db_path) as cat:
        culling.recompute_flags(cat, CullingRules(0.99, 50))
        list(cat.export_records())
    after = hash_tree(photo_dir)
    assert sorted(after.values()) == sorted(before.values())
    for p, st in stats.items():
        q = photo_dir / "moved.jpg" if p.name == "coffee.jpg" else p
        assert os.stat(q).st_mtime_ns == st.st_mtime_ns



def test_a_catalog_locked_for_a_while_is_retried_not_fatal(settings, photo_dir, tiny_engine, monkeypatch):
    from curator.catalog import CatalogError

    scan(settings, photo_dir, engine=tiny_engine)  # creates the catalog
    (photo_dir / "new.jpg").write_bytes((photo_dir / "coffee.jpg").read_bytes()[::-1])  # an error to record
    write_jpeg(photo_dir / "fresh.jpg", sample_photos()["rocket"], size=(160, 120))
    original = Catalog.record_outcomes
    calls = {"n": 0}

    def flaky(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise CatalogError("the catalog stayed locked by another process (simulated)")
        return original(self, *a, **kw)

    monkeypatch.setattr(Catalog, "record_outcomes", flaky)
    monkeypatch.setattr(Worker, "MAX_FAILURES", 4)
    summary = scan(settings, photo_dir, engine=tiny_engine)
    assert (summary.totals.scored, summary.totals.errors) == (1, 1)
    with Catalog.open(settings.db_path) as cat:
        assert cat.queue_length() == 0
        assert cat.photo_detail(rows_by_name(cat)["fresh.jpg"].photo_id).scored_count == 1
