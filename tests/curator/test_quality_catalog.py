"""Quality values and reasons in the catalog: stored with a score or alone, read back, migrated, queued again
when missing, and derived per folder by the reasons policy."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import sqlite_utils

from curator.actions import culling
from curator.testing.degradations import add_luma_noise, gaussian_blur
from curator.catalog import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, Catalog, FileEntry, FileStat, Outcome
from curator.rules.reasons import ReasonRules
from iqa_engine.measures import measure
from iqa_engine.results import PhotoScore, ViewScore
from iqa_engine.testing import sample_photos

DIMS = ("sharpness", "noise", "exposure")


def engine_result(image: np.ndarray, fused: float, dims: dict[str, float] | None = None,
                  fingerprint: str = "fp-a", dimensions_fingerprint: str | None = "dims-a") -> PhotoScore:
    """An engine result as the engine makes it: real measurements of `image`, dimensions given."""
    dims = dims if dims is not None else {d: 0.5 for d in DIMS}
    views = (ViewScore((0, 0, 224, 224), fused, 0.5, 1.0, 0.4, 0.6, {d: v - 0.1 for d, v in dims.items()}),
             ViewScore(None, fused, 0.5, 1.0, 0.4, 0.6, {d: v + 0.1 for d, v in dims.items()}))
    emb = np.ones(8, dtype=np.float32) / np.sqrt(8)
    return PhotoScore(score=fused, fused=fused, cosine=0.5, magnitude=1.0, w_cosine=0.4, w_magnitude=0.6,
                      mode="fused", protocol="koniq", model="tiny", fingerprint=fingerprint, views=views,
                      scored_size=image.shape[1::-1], original_size=image.shape[1::-1], embedding=emb,
                      dimensions=dict(dims), dimensions_fingerprint=dimensions_fingerprint,
                      measures=measure(image) if dimensions_fingerprint else None)


def record(cat: Catalog, path: str, result: PhotoScore, kind: str = "scored", pid: int | None = None) -> int:
    stat = FileStat(1000, 1)
    if pid is None:
        pid = cat.upsert_photo(path, stat, status="pending")
    else:
        cat.upsert_photo(path, stat, status="pending")
    [rec] = cat.record_outcomes([Outcome(pid, kind, expected=stat, stat=stat, content_hash=f"h-{path}",
                                         score=result)])
    assert rec.recorded
    return pid


@pytest.fixture()
def cat(tmp_path):
    with Catalog.open(tmp_path / "catalog.db") as c:
        yield c


@pytest.fixture(scope="module")
def photos():
    sharp = sample_photos(1)["astronaut"]
    return {"sharp": sharp, "blurred": gaussian_blur(sharp, 4), "noisy": add_luma_noise(sharp, 25)}


def test_quality_is_stored_with_the_score_and_read_back(cat, photos):
    result = engine_result(photos["sharp"], 0.6, {"sharpness": 0.7, "noise": 0.4, "exposure": 0.5})
    pid = record(cat, "/s/a.jpg", result)
    detail = cat.quality_detail(pid)
    assert detail is not None
    q = detail.quality
    assert q.dimensions == pytest.approx({"sharpness": 0.7, "noise": 0.4, "exposure": 0.5})
    assert q.measures == pytest.approx(result.measures.scalars())
    assert q.dimensions_fingerprint == "dims-a" and q.reasons == ()
    assert detail.measured_size == (512, 512) and detail.focus_grid == result.measures.focus_grid
    assert detail.focus_windows == pytest.approx(result.measures.focus_windows, rel=1e-6)  # float32 storage
    assert detail.view_boxes == ((0, 0, 224, 224), None)
    assert detail.view_dimensions[0] == pytest.approx({"sharpness": 0.6, "noise": 0.3, "exposure": 0.4})
    assert cat.has_quality(pid, "dims-a") and not cat.has_quality(pid, "dims-b")
    assert cat.dimension_names() == ["exposure", "noise", "sharpness"]
    assert cat.quality_by_id([pid, 999]).keys() == {pid}


def test_a_measured_outcome_keeps_the_stored_score(cat, photos):
    pid = record(cat, "/s/a.jpg", engine_result(photos["sharp"], 0.6, dimensions_fingerprint=None))
    assert cat.quality_detail(pid) is None
    before = cat.photo_detail(pid)
    # the next pass computes the quality values; its fused score (0.1 here) must not replace the stored one
    record(cat, "/s/a.jpg", engine_result(photos["sharp"], 0.1, dimensions_fingerprint="dims-a"), "measured", pid)
    after = cat.photo_detail(pid)
    assert after.row.fused == before.row.fused == 0.6 and after.scored_count == before.scored_count == 1
    assert cat.has_quality(pid, "dims-a")


def test_sync_queues_scored_photos_without_current_quality(cat, photos):
    stat = FileStat(1000, 1)
    a = record(cat, "/s/a.jpg", engine_result(photos["sharp"], 0.6))
    b = record(cat, "/s/b.jpg", engine_result(photos["sharp"], 0.6, dimensions_fingerprint=None))
    found = [FileEntry("/s/a.jpg", stat), FileEntry("/s/b.jpg", stat), FileEntry("/s/new.jpg", stat)]
    counts = cat.sync_files(["/s"], found, fingerprint="fp-a", dimensions_fingerprint="dims-a", gone=lambda p: False)
    assert (counts.new, counts.remeasure, counts.unchanged) == (1, 1, 1)
    assert {i.photo_id for i in cat.pending_items()} == {b, cat.photo_id_for_path("/s/new.jpg")}
    # other dimensions (prompts edited): both are measured again; reasons only: nothing else is queued
    counts = cat.sync_files(["/s"], found + [FileEntry("/s/other.jpg", stat)], fingerprint="fp-a",
                            dimensions_fingerprint="dims-b", reasons_only=True, gone=lambda p: False)
    # a: to measure again; b and new.jpg: queued already (the worker takes b, which has a score); other: skipped
    assert (counts.remeasure, counts.queued, counts.skipped, counts.new) == (1, 2, 1, 0)
    assert {i.photo_id for i in cat.pending_items(scored_only=True)} == {a, b}
    assert cat.queue_length(["/s"], scored_only=True) == 2 and cat.queue_length(["/s"]) == 3
    assert cat.photo_id_for_path("/s/other.jpg") is None


def test_reasons_are_derived_per_folder_and_filter_the_rows(cat, photos):
    ids = {}
    for i in range(6):
        ids[f"sharp{i}"] = record(cat, f"/s/sharp{i}.jpg", engine_result(photos["sharp"], 0.6))
    ids["blurred"] = record(cat, "/s/blurred.jpg", engine_result(photos["blurred"], 0.9))
    ids["noisy"] = record(cat, "/s/noisy.jpg", engine_result(photos["noisy"], 0.5))
    # a folder of one: no folder to compare with, but the blur is past the absolute guard (focus_floor)
    ids["alone"] = record(cat, "/t/alone.jpg", engine_result(photos["blurred"], 0.5))
    ids["alone_noisy"] = record(cat, "/u/alone.jpg", engine_result(photos["noisy"], 0.5))
    assert culling.recompute_reasons(cat) == 4
    rows = {r.name: r for r in cat.gallery_rows()}
    assert rows["blurred.jpg"].reasons == ("blurry",) and rows["noisy.jpg"].reasons == ("noisy",)
    assert rows["sharp0.jpg"].reasons == ()
    by_id = {r.photo_id: r for r in cat.gallery_rows()}
    assert by_id[ids["alone"]].reasons == ("blurry",)
    assert by_id[ids["alone_noisy"]].reasons == ("noisy",)  # 25 levels: past noise_max
    assert [r.path for r in cat.query_rows(reason="blurry")] == ["/s/blurred.jpg", "/t/alone.jpg"]
    assert [r.path for r in cat.query_rows(reason="noisy", under="/s")] == ["/s/noisy.jpg"]
    assert cat.query_rows(reason="too-dark") == []
    assert culling.recompute_reasons(cat) == 0  # nothing changed: nothing written
    # stricter rules, read from settings: the blurred frame no longer qualifies
    strict = culling.CullingRules(reasons=ReasonRules(focus_ratio=0.0001, focus_floor=1e-9))
    assert culling.recompute_reasons(cat, ["/s"], strict) == 1
    assert [r.path for r in cat.query_rows(reason="blurry")] == ["/t/alone.jpg"]
    # the burst frames carry the reasons (a blurred frame is never a burst's best)
    culling.recompute_reasons(cat, ["/s"])
    frames = {f.photo_id: f for f in cat.burst_frames("/s", embeddings=False)}
    assert frames[ids["blurred"]].reasons == ("blurry",)


def make_v3_catalog(path) -> None:
    """A catalog as schema 3 left it, with one scored photo."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("BEGIN")
    db = sqlite_utils.Database(conn)
    for step in (1, 2, 3):
        MIGRATIONS[step](db)
    conn.execute("PRAGMA user_version = 3")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO photos (id, path, folder, name, size, mtime_ns, content_hash, width, height, status, "
                 "added_at, updated_at) VALUES (1, '/p/a.jpg', '/p', 'a.jpg', 10, 5, 'h', 600, 400, 'scored', 0, 0)")
    conn.execute("INSERT INTO scores (photo_id, fingerprint, score, fused, cosine, magnitude, w_cosine, w_magnitude, "
                 "scored_at) VALUES (1, 'fp-old', 0.4, 0.4, 0.5, 1.0, 0.4, 0.6, 1.0)")
    conn.execute("COMMIT")
    conn.close()


def test_schema_3_migrates_keeping_scores_and_queues_the_measurements(tmp_path):
    path = tmp_path / "catalog.db"
    make_v3_catalog(path)
    with Catalog.open(path) as c:
        assert c.schema_version() == SCHEMA_VERSION
        [row] = c.gallery_rows()
        assert row.fused == 0.4 and row.reasons == ()
        counts = c.sync_files(["/p"], [FileEntry("/p/a.jpg", FileStat(10, 5))], fingerprint="fp-old",
                              dimensions_fingerprint="dims-a", gone=lambda p: False)
        assert counts.remeasure == 1 and counts.rescore == 0
    assert (tmp_path / "catalog.db.v3.bak").exists()


def test_keep_best_passes_over_blurred_and_badly_exposed_frames(cat, photos):
    """A 5-frame burst (sharp, blurred, noisy, dark, +60 % bright) where the bright frame scores highest:
    "keep the best" keeps the sharp one."""
    from curator.testing.degradations import scale_exposure
    from curator.disk.exif import ExifData

    sharp = photos["sharp"]
    bright = np.clip(sharp.astype(np.float64) * 1.6, 0, 255).astype(np.uint8)
    frames = {"sharp": (sharp, 0.60), "blurred": (photos["blurred"], 0.55), "noisy": (photos["noisy"], 0.50),
              "dark": (scale_exposure(sharp, 0.25), 0.40), "bright": (bright, 0.72)}
    ids = {}
    stat = FileStat(1000, 1)
    for i, (name, (image, fused)) in enumerate(frames.items()):
        pid = cat.upsert_photo(f"/b/{name}.jpg", stat, status="pending")
        exif = ExifData(capture_time=f"2024-06-01T10:00:0{i}.{i}", exposure_bias=0.0)
        [rec] = cat.record_outcomes([Outcome(pid, "scored", expected=stat, stat=stat, content_hash=f"h{i}",
                                             score=engine_result(image, fused), exif=exif)])
        ids[name] = rec.photo_id
    culling.recompute_reasons(cat, ["/b"])
    reasons = {name: cat.quality_by_id([pid])[pid].reasons for name, pid in ids.items()}
    assert "blurry" in reasons["blurred"] and "too-dark" in reasons["dark"] and "too-bright" in reasons["bright"]
    assert reasons["sharp"] == ()
    [burst] = culling.bursts(cat, "/b")
    assert burst.size == 5 and burst.best == ids["sharp"]
    kept = culling.reject_all_but_best(cat, ["/b"])
    assert set(kept.rejected) == set(ids.values()) - {ids["sharp"]}
