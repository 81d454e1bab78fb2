"""A folder nested ~1,000 levels deep: the walk must neither crash nor lose the photos beside it."""

from __future__ import annotations

import logging
from pathlib import Path

from catalog_support import make_settings
from catalog_support import make_deep

from iqa_engine.testing import sample_photos, write_jpeg

from curator.scanning import service
from curator.catalog import Catalog
from curator.disk.files import MAX_DEPTH, walk_photos


def test_walk_survives_1100_levels_and_skips_what_is_past_the_cap_with_one_warning(tmp_path, caplog, deep_roots):
    deep_roots.append(tmp_path)
    arr = sample_photos()["coffee"]
    write_jpeg(tmp_path / "a_before.jpg", arr, size=(64, 48))
    make_deep(tmp_path, 1100)
    write_jpeg(tmp_path / "e_after" / "x.jpg", arr, size=(64, 48))
    shallow = tmp_path.joinpath(*(["d"] * 10)) / "shallow.jpg"
    write_jpeg(shallow, arr, size=(64, 48))
    with caplog.at_level(logging.WARNING, logger="curator.disk.files"):
        found = list(walk_photos(tmp_path))
    assert found == [tmp_path / "a_before.jpg", shallow, tmp_path / "e_after" / "x.jpg"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"more than {MAX_DEPTH} levels deep" in warnings[0]
    assert "\n" not in warnings[0]


def test_walk_still_goes_down_to_the_cap(tmp_path):
    deepest = tmp_path.joinpath(*(["d"] * 5))
    write_jpeg(deepest / "ok.jpg", sample_photos()["coffee"], size=(64, 48))
    assert list(walk_photos(tmp_path, max_depth=5)) == [deepest / "ok.jpg"]
    assert list(walk_photos(tmp_path, max_depth=4)) == []


def test_scan_of_a_deep_tree_records_the_photos_beside_it(tmp_path, tiny_model, tiny_engine, deep_roots):
    settings = make_settings(tmp_path, tiny_model)
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    deep_roots.append(shoot)
    write_jpeg(shoot / "beside.jpg", sample_photos()["chelsea"], size=(96, 64))
    make_deep(shoot, 1000)
    summary = service.scan(settings, [str(shoot)], engine=tiny_engine)
    assert (summary.found, summary.totals.scored) == (1, 1)
    with Catalog.open(settings.db_path) as cat:
        assert [Path(r.path).name for r in cat.gallery_rows()] == ["beside.jpg"]
