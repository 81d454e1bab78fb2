"""Triage end to end in-process: real catalog file, tiny model, real JPEGs.

Provisional scores first (the `global` protocol), exact after; a stop between
or during the passes loses nothing; a photo landing during the exact pass
gets its provisional score next. Random weights: the scores test plumbing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest
from catalog_support import make_settings, rows_by_name, wait_for
from iqa_engine.testing import sample_photos, write_jpeg

from curator.scanning import service
from curator.catalog import Catalog
from curator.disk.identity import stat_file
from curator.actions.culling import CullingRules
from curator.scanning.worker import Worker, WorkerOptions

FAST = WorkerOptions(settle_seconds=0.0)  # no settling wait: the files are complete


@pytest.fixture()
def settings(tmp_path, tiny_model):
    # the photos are written just before the scan: no settle wait, so the first batch sees all of them
    return make_settings(tmp_path, tiny_model, settle_seconds=0.0)


@pytest.fixture(scope="module")
def engines(tiny_model):
    from iqa_engine import Engine

    exact = Engine(tiny_model.engine_config())
    return exact, Engine(exact.config.replace(protocol="global"), backbone=exact.backbone)


def _fingerprints(cat: Catalog) -> dict[str, int]:
    return {fp: n for fp, _model, _protocol, n in cat.fingerprints()}


def test_scan_triage_gives_every_photo_a_provisional_then_an_exact_score(settings, photo_dir, engines):
    exact, quick = engines
    seen_after_first_batch: list[tuple[str, bool, str]] = []
    extras_after_first_batch: list[tuple[int, int]] = []

    def first_batch(report) -> None:
        if not seen_after_first_batch:
            with Catalog.open(settings.db_path) as cat:
                seen_after_first_batch.extend((r.name, r.provisional, r.status) for r in cat.gallery_rows())
                # the quick pass is the score alone: measurements and the embedding come with the exact one
                extras_after_first_batch.append((sum(map(len, cat.quality_rows().values())),
                                                 sum(n for _, n in cat.clip_fingerprints())))

    summary = service.scan(settings, [str(photo_dir)], engine=exact, triage=True,
                           on_progress=lambda *a: first_batch(None))
    assert summary.totals.errors == 0
    # the first batch was the provisional pass over all five photos: each shows a provisional score
    assert sorted(seen_after_first_batch) == sorted((n, True, "pending") for n, _, _ in seen_after_first_batch)
    assert len(seen_after_first_batch) == 5
    assert extras_after_first_batch == [(0, 0)]
    with Catalog.open(settings.db_path) as cat:
        assert sum(map(len, cat.quality_rows().values())) == 5
        assert [n for _, n in cat.clip_fingerprints()] == [5]
        rows = cat.gallery_rows()
        assert {(r.status, r.provisional) for r in rows} == {("scored", False)}
        assert _fingerprints(cat) == {exact.fingerprint: 5, quick.fingerprint: 5}
        for r in rows:  # the exact score is the one shown
            assert cat.photo_detail(r.photo_id).fingerprint == exact.fingerprint


def test_a_stop_after_the_provisional_pass_loses_nothing_and_the_next_run_finishes_exactly(settings, photo_dir,
                                                                                           engines):
    exact, quick = engines
    stop = threading.Event()
    with Catalog.open(settings.db_path) as cat:
        service.sync(cat, [str(photo_dir)], exact.fingerprint)
        first = Worker(cat, exact, options=FAST, scope=[str(photo_dir)], provisional_engine=quick,
                       triage_forced=True, on_batch=lambda r: stop.set())
        first.run(stop)
        rows = cat.gallery_rows()
        assert {(r.status, r.provisional) for r in rows} == {("pending", True)}  # the queue still holds them
        assert cat.backlog([str(photo_dir)]) == (0, 5)
        # a fresh worker (as after kill -9), without --triage and under the threshold, resumes the exact pass
        second = Worker(cat, exact, options=FAST, scope=[str(photo_dir)], provisional_engine=quick)
        second.run(threading.Event(), until_idle=True)
        assert {(r.status, r.provisional) for r in cat.gallery_rows()} == {("scored", False)}
        assert _fingerprints(cat) == {exact.fingerprint: 5, quick.fingerprint: 5}


def test_a_photo_landing_during_the_exact_pass_is_scored_provisionally_next(settings, photo_dir, engines, tmp_path):
    exact, quick = engines
    newcomer = write_jpeg(photo_dir / "newcomer.jpg", sample_photos()["rocket"], size=(700, 500))
    newcomer_stat = stat_file(newcomer).stat
    newcomer.rename(tmp_path / "held-back.jpg")  # it lands later
    batches: list[dict[str, tuple[bool, str]]] = []
    with Catalog.open(settings.db_path) as cat:
        service.sync(cat, [str(photo_dir)], exact.fingerprint)

        def after(report) -> None:
            batches.append({r.name: (r.provisional, r.status) for r in cat.gallery_rows()})
            if len(batches) == 2:  # after the first exact batch: the photo lands
                (tmp_path / "held-back.jpg").rename(newcomer)
                assert cat.enqueue_path(str(newcomer), newcomer_stat)

        worker = Worker(cat, exact, options=FAST, scope=[str(photo_dir)], provisional_engine=quick,
                        triage_forced=True, on_batch=after)
        worker.run(threading.Event(), until_idle=True)
        final = rows_by_name(cat)
    # batch 1: provisional for the five; batch 2: the first exact ones (small batches during triage)
    assert all(p for p, _ in batches[0].values()) and len(batches[0]) == 5
    assert sum(not p for p, _ in batches[1].values()) == 2
    # batch 3: the newcomer's provisional score, before the backlog's remaining exact scores
    assert batches[2]["newcomer.jpg"] == (True, "pending")
    assert sum(not p for name, (p, _) in batches[2].items() if name != "newcomer.jpg") == 2
    assert {(r.status, r.provisional) for r in final.values()} == {("scored", False)} and len(final) == 6


def test_photos_queued_only_for_their_quality_values_get_no_provisional_score(settings, photo_dir, engines):
    """Scored before the quality values existed (as a catalog from before them): the whole folder is queued
    again, but every photo keeps its exact score and is only measured, even with triage forced."""
    from iqa_engine import Engine

    exact, quick = engines
    without_reasons = Engine(exact.config.replace(reasons=False), backbone=exact.backbone)
    assert without_reasons.fingerprint == exact.fingerprint  # the reasons never change the score
    scope = [str(photo_dir)]
    with Catalog.open(settings.db_path) as cat:
        service.sync(cat, scope, exact.fingerprint)
        Worker(cat, without_reasons, options=FAST, scope=scope).run(threading.Event(), until_idle=True)
        counts = service.sync(cat, scope, exact.fingerprint, dimensions_fingerprint=exact.dimensions_fingerprint)
        assert counts.remeasure == 5
        assert cat.backlog(scope) == (0, 0)  # each already shows its exact score: nothing for triage's first pass
        worker = Worker(cat, exact, options=FAST, scope=scope, provisional_engine=quick, triage_forced=True)
        totals = worker.run(threading.Event(), until_idle=True)
        assert (totals.measured, totals.scored) == (5, 0)
        assert {(r.status, r.provisional) for r in cat.gallery_rows()} == {("scored", False)}
        assert _fingerprints(cat) == {exact.fingerprint: 5}  # no provisional score was made


def test_a_moved_photo_scored_provisionally_shows_its_exact_score_again(settings, photo_dir, engines, tmp_path):
    """A photo moved to a new path is a new row to triage's first pass; once it is matched to its old row
    (whose exact score is current), that exact score is the one shown, though the provisional one is newer."""
    exact, quick = engines
    scope = [str(photo_dir)]
    with Catalog.open(settings.db_path) as cat:
        service.sync(cat, scope, exact.fingerprint)
        Worker(cat, exact, options=FAST, scope=scope).run(threading.Event(), until_idle=True)
        before = {r.name: r.fused for r in cat.gallery_rows()}
        (photo_dir / "rocket.jpg").rename(photo_dir / "moved.jpg")
        service.sync(cat, scope, exact.fingerprint, dimensions_fingerprint=exact.dimensions_fingerprint)
        assert cat.backlog(scope) == (1, 0)
        worker = Worker(cat, exact, options=FAST, scope=scope, provisional_engine=quick, triage_forced=True)
        worker.run(threading.Event(), until_idle=True)
        rows = rows_by_name(cat)
        assert rows["moved.jpg"].status == "scored" and rows["moved.jpg"].provisional is False
        assert rows["moved.jpg"].fused == before["rocket.jpg"]  # the exact score, not rescored
        assert cat.photo_detail(rows["moved.jpg"].photo_id).fingerprint == exact.fingerprint
        assert _fingerprints(cat) == {exact.fingerprint: 5, quick.fingerprint: 1}


@pytest.mark.slow
def test_kill_9_in_either_pass_loses_nothing(tmp_path, tiny_model):
    """`scan --triage` killed in the provisional pass and again in the exact pass; a third run finishes."""
    inbox = tmp_path / "inbox"
    photos = list(sample_photos().items())
    n = 40
    for i in range(n):
        name, arr = photos[i % len(photos)]
        write_jpeg(inbox / f"IMG_{i:03d}.jpg", arr, size=(640 - i, 480))
    db = tmp_path / "catalog.db"
    env = dict(os.environ, CURATOR_SETTINGS=str(tmp_path / "none.toml"), PYTHONUNBUFFERED="1")
    env.pop("CURATOR_DB", None)
    cmd = [sys.executable, "-m", "curator", "scan", str(inbox), "--db", str(db), "--settle", "0", "--triage",
           *tiny_model.cli_args()]

    def counts() -> tuple[int, int]:
        """(provisional score rows, exact score rows)."""
        if not db.exists():
            return 0, 0
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                row = conn.execute("SELECT COALESCE(SUM(provisional), 0), COALESCE(SUM(1 - provisional), 0) "
                                   "FROM scores").fetchone()
                return int(row[0]), int(row[1])
            finally:
                conn.close()
        except sqlite3.Error:
            return 0, 0

    def run_until(ready) -> None:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: ready() or proc.poll() is not None, timeout=180, interval=0.01, what="the pass")
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()

    run_until(lambda: counts()[0] > 0)  # killed once the provisional pass has recorded a batch
    provisional_at_kill, exact_at_kill = counts()
    assert provisional_at_kill > 0 and exact_at_kill < n
    run_until(lambda: counts()[1] >= 2)  # killed in the exact pass
    assert 2 <= counts()[1] < n
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM photos WHERE status = 'scored'").fetchone()[0] == n
        # one provisional and one exact score per photo: nothing lost, nothing scored twice
        assert conn.execute("SELECT SUM(provisional), SUM(1 - provisional), COUNT(DISTINCT photo_id) "
                            "FROM scores").fetchone() == (n, n, n)
    finally:
        conn.close()


def test_verdicts_on_provisional_scores_are_marked_until_the_exact_scores_land(settings, photo_dir, engines):
    exact, quick = engines
    stop = threading.Event()
    rules = CullingRules(2.0, 0.0)  # a threshold above every fused score: every photo is weak, on whatever scores it has
    with Catalog.open(settings.db_path) as cat:
        service.sync(cat, [str(photo_dir)], exact.fingerprint)
        first = Worker(cat, exact, options=FAST, scope=[str(photo_dir)], provisional_engine=quick,
                       triage_forced=True, rules=rules, on_batch=lambda r: stop.set())
        first.run(stop)
        rows = cat.gallery_rows()
        assert {(r.provisional, r.low_quality, r.flag, r.verdict_provisional) for r in rows} == {
            (True, True, "reject", True)}
        kept = rows[0]
        cat.set_user_flags([(kept.photo_id, "pick")])  # the photographer disagrees, mid-triage
        Worker(cat, exact, options=FAST, scope=[str(photo_dir)], provisional_engine=quick,
               rules=rules).run(threading.Event(), until_idle=True)
        rows = {r.photo_id: r for r in cat.gallery_rows()}
        assert {(r.provisional, r.low_quality, r.verdict_provisional) for r in rows.values()} == {
            (False, True, False)}
        assert (rows[kept.photo_id].flag, rows[kept.photo_id].flag_source) == ("pick", "user")
        assert {(r.flag, r.flag_source) for i, r in rows.items() if i != kept.photo_id} == {("reject", "auto")}
