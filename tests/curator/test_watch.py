"""The watcher against real files on a real watchdog observer, scoring with the tiny model."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from catalog_support import hash_tree, make_settings, rows_by_name, running_watch, wait_for

from curator.catalog import Catalog, CatalogError
from curator.scanning.service import WatchService, WatchStatus
from curator.disk.identity import stat_file
from iqa_engine.testing import sample_photos, write_jpeg


@pytest.fixture()
def settings(tmp_path, tiny_model):
    return make_settings(tmp_path, tiny_model, scan_batch=16)


@pytest.fixture()
def inbox(tmp_path):
    d = tmp_path / "incoming"
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def small_jpegs(tmp_path_factory):
    """Small real photos, written once, to copy into watched folders."""
    folder = tmp_path_factory.mktemp("small")
    out = []
    for i, (name, arr) in enumerate(sample_photos().items()):
        out.append(write_jpeg(folder / f"{name}.jpg", arr, size=(192 + 16 * i, 144)))
    return out


def scored(cat: Catalog) -> dict[str, object]:
    return {Path(r.path).name: r for r in cat.gallery_rows() if r.status == "scored"}


def test_200_files_dropped_at_once_are_each_scored_exactly_once(settings, inbox, small_jpegs, tiny_engine, tmp_path):
    staging = tmp_path / "card"
    staging.mkdir()
    for i in range(200):
        shutil.copyfile(small_jpegs[i % len(small_jpegs)], staging / f"IMG_{i:04d}.jpg")
    originals = hash_tree(staging)
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine) as svc:
        for src in sorted(staging.iterdir()):
            shutil.copy2(src, inbox / src.name)  # as a card reader's copy does: content, then times
        wait_for(lambda: len(scored(cat)) == 200, timeout=90, what="200 scored rows")
        time.sleep(0.5)  # a late duplicate would show up now
        rows = cat.gallery_rows()
        assert len(rows) == 200 and len({r.path for r in rows}) == 200
        assert {r.status for r in rows} == {"scored"}
        # a backlog this long is triaged: a provisional score first, then the exact one, never twice each
        with sqlite3.connect(settings.db_path) as db:
            exact, provisional = db.execute("SELECT COUNT(*) FILTER (WHERE provisional = 0), "
                                            "COUNT(*) FILTER (WHERE provisional = 1) FROM scores").fetchone()
        assert exact == 200 and provisional <= 200
        assert cat.score_count() == exact + provisional
        with sqlite3.connect(settings.db_path) as db:
            provisional_of = dict(db.execute("SELECT photo_id, SUM(provisional) FROM scores GROUP BY photo_id"))
        # each photo recorded once exactly, plus once provisionally if triage reached it first
        assert all(cat.photo_detail(r.photo_id).scored_count == 1 + provisional_of[r.photo_id] for r in rows)
        assert cat.queue_length() == 0
        assert svc.totals.scored == 200
    assert svc.statuses and svc.statuses[-1].queue_length == 0
    assert isinstance(svc.statuses[-1], WatchStatus) and svc.statuses[-1].scored == 200
    assert hash_tree(inbox) == originals


def test_a_file_written_in_chunks_over_3_s_is_scored_once_after_it_is_complete(settings, inbox, tiny_engine,
                                                                               tmp_path):
    src = write_jpeg(tmp_path / "big.jpg", sample_photos()["motorcycle"])
    data = src.read_bytes()
    chunks = [data[i:i + len(data) // 10 + 1] for i in range(0, len(data), len(data) // 10 + 1)]
    target = inbox / "slow.jpg"
    settings = settings.with_overrides("test", settle_seconds=0.5)
    seen_status: list[str] = []
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        with open(target, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
                f.flush()
                time.sleep(3.0 / len(chunks))
                seen_status += [r.status for r in cat.gallery_rows()]
        assert "scored" not in seen_status and "error" not in seen_status  # never scored half-written
        wait_for(lambda: scored(cat).get("slow.jpg"), timeout=30, what="the slow file scored")
        time.sleep(1.0)
        row = scored(cat)["slow.jpg"]
        assert row.size == len(data)
        detail = cat.photo_detail(row.photo_id)
        assert detail.scored_count == 1 and cat.score_count() == 1
        import hashlib
        assert detail.content_hash == hashlib.sha256(data).hexdigest()


def test_rename_move_delete_and_rewrite_while_watching(settings, inbox, small_jpegs, tiny_engine):
    for src in small_jpegs[:3]:
        shutil.copy(src, inbox / src.name)
    a, b, c = (p.name for p in small_jpegs[:3])
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        wait_for(lambda: len(scored(cat)) == 3, what="catch-up")
        before = rows_by_name(cat)
        cat.set_decision(before[a].photo_id, flag="pick")

        (inbox / a).rename(inbox / "renamed.jpg")
        (inbox / "sub").mkdir()
        (inbox / b).rename(inbox / "sub" / b)
        (inbox / c).unlink()
        wait_for(lambda: set(rows_by_name(cat)) == {"renamed.jpg", b, c}
                 and rows_by_name(cat)[b].folder.endswith("sub") and rows_by_name(cat)[c].status == "missing",
                 what="rename, move and delete")
        after = rows_by_name(cat)
        assert after["renamed.jpg"].photo_id == before[a].photo_id
        assert (after["renamed.jpg"].fused, after["renamed.jpg"].flag) == (before[a].fused, "pick")
        assert after[b].photo_id == before[b].photo_id and after[b].status == "scored"
        assert after[c].fused == before[c].fused  # kept, not erased

        (inbox / "sub").rename(inbox / "shoot2")  # a folder renamed
        wait_for(lambda: rows_by_name(cat)[b].folder == str(inbox / "shoot2"), what="folder rename")

        write_jpeg(inbox / "renamed.jpg", sample_photos()["astronaut"], size=(100, 80))  # rewritten later
        wait_for(lambda: cat.photo_detail(after["renamed.jpg"].photo_id).scored_count == 2
                 and rows_by_name(cat)["renamed.jpg"].status == "scored", what="rescore")
        assert rows_by_name(cat)["renamed.jpg"].flag == "pick"

        shutil.copy(small_jpegs[2], inbox / "back.jpg")  # the deleted photo comes back under a new name
        wait_for(lambda: rows_by_name(cat).get("back.jpg") and rows_by_name(cat)["back.jpg"].status == "scored",
                 what="moved back")
        assert rows_by_name(cat)["back.jpg"].photo_id == before[c].photo_id
        assert c not in rows_by_name(cat)
        assert all(cat.photo_detail(r.photo_id).scored_count == 1 for n, r in rows_by_name(cat).items()
                   if n != "renamed.jpg")


def test_bad_files_are_recorded_and_the_watcher_keeps_going(settings, inbox, small_jpegs, tiny_engine):
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        (inbox / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 nothing more")
        (inbox / "readme.txt").write_text("not a photo")
        (inbox / "photo.jpg.part").write_bytes(small_jpegs[0].read_bytes())
        (inbox / "photo.jpg.part").rename(inbox / "photo.jpg")  # a browser's download finishing
        wait_for(lambda: rows_by_name(cat).get("broken.jpg") and rows_by_name(cat)["broken.jpg"].status == "error",
                 what="the error recorded")
        wait_for(lambda: "photo.jpg" in scored(cat), what="the good photo after it")
        names = set(rows_by_name(cat))
        assert names == {"broken.jpg", "photo.jpg"}


def test_pending_work_left_in_the_catalog_is_resumed(settings, inbox, small_jpegs, tiny_engine):
    for src in small_jpegs:
        shutil.copy(src, inbox / src.name)
    with Catalog.open(settings.db_path) as cat:
        for p in sorted(inbox.iterdir()):  # as a killed watcher leaves them: queued, not scored
            cat.enqueue_path(str(p), stat_file(p).stat, now=0.0)
        assert cat.queue_length() == 5
        with running_watch(settings, [inbox], tiny_engine):
            wait_for(lambda: len(scored(cat)) == 5, what="resumed queue")
        assert cat.score_count() == 5


def test_one_scorer_per_catalog(settings, inbox, tiny_engine):
    with running_watch(settings, [inbox], tiny_engine):
        second = WatchService(settings, [inbox], engine=tiny_engine)
        with pytest.raises(CatalogError, match="already scoring"):
            second.run(threading.Event())


def test_watching_a_missing_folder_is_a_user_error(settings, tmp_path, tiny_engine):
    from curator.errors import UserError

    with pytest.raises(UserError, match="not a folder"):
        WatchService(settings, [tmp_path / "nope"], engine=tiny_engine).run(threading.Event())


def test_a_scan_while_watching_only_queues_and_the_watcher_scores_it(settings, inbox, small_jpegs, tiny_engine,
                                                                    tmp_path):
    from curator.scanning import service

    other = tmp_path / "elsewhere"
    other.mkdir()
    for src in small_jpegs[:2]:
        shutil.copy(src, other / src.name)
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        summary = service.scan(settings, [str(other)], engine=tiny_engine)
        assert summary.other_scorer is not None and summary.sync.new == 2 and summary.totals.done == 0
        wait_for(lambda: len(scored(cat)) == 2, what="the watcher scoring what the scan queued")
