"""The grid's orders, counts and burst tiles as plain functions: no Qt, no catalog file."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from ui.rules.ordering import FILTERS, SORT_KEYS, SORTS, SortColumns, count_rows, in_folder, short_folder, sort_rows
from ui.rules.tiling import BurstGroup, consecutive_runs, tile_bursts


def _row(pid: int, name: str, folder: str = "/p/a", fused: float | None = 0.5, **changes):
    from curator.catalog import GalleryRow

    base: dict[str, Any] = dict(
                photo_id=pid, path=f"{folder}/{name}", folder=folder, name=name, status="scored", error=None,
                width=None, height=None, mtime=1_700_000_000.0 + pid, size=1, capture_time=None, camera=None,
                lens=None, iso=None, exposure_time=None, f_number=None, focal_length=None, orientation=None,
                fused=fused, cosine=None, magnitude=None, w_cosine=None, w_magnitude=None, flag=None,
                flag_source=None, rating=0, label=None, low_quality=False)
    base.update(changes)
    return GalleryRow(**base)


@pytest.fixture()
def rows():
    rng = random.Random(3)
    tastes = random.Random(4)
    out = []
    for i in range(60):
        fused = None if i % 9 == 0 else round(rng.uniform(0.2, 0.8), 2)  # ties and unscored ones
        taste = None if i % 6 == 0 else round(tastes.uniform(0.0, 1.0), 1)  # ties, and photos not rated
        out.append(_row(i + 1, f"IMG_{rng.randrange(20):03d}.jpg", f"/p/{'ab'[i % 2]}", fused,
                        capture_time=None if i % 4 == 0 else f"2024-06-01T10:{i % 7:02d}:00",
                        low_quality=i % 5 == 0, flag=("pick", "reject", None)[i % 3],
                        status="error" if i == 9 else "scored", taste=taste))
    return out


@pytest.mark.parametrize("sort", [s for s, _ in SORTS])
def test_the_array_orders_match_the_key_functions(rows, sort):
    cols = SortColumns(rows)
    assert [rows[s].photo_id for s in cols.order(sort)] == [r.photo_id for r in sorted(rows, key=SORT_KEYS[sort])]
    key = cols.key(sort)
    keys = [key(s) for s in cols.order(sort)]
    assert keys == sorted(keys)  # what bisecting one row into place relies on


def test_a_changed_row_says_how_the_order_changes(rows):
    cols = SortColumns(rows)
    assert cols.update(0, rows[0]) == "same"
    assert cols.update(0, dataclasses.replace(rows[0], fused=0.99)) == "moved"
    changed = dataclasses.replace(rows[2], taste=0.01)
    assert cols.update(2, changed) == "moved"
    now = [changed if r is rows[2] else r for r in rows]
    assert [now[s].photo_id for s in cols.order("taste_desc")] == [
        r.photo_id for r in sorted(now, key=SORT_KEYS["taste_desc"])]
    assert cols.update(1, dataclasses.replace(rows[1], name="zzz.jpg")) == "rebuild"


def test_filters_and_folders(rows):
    for name, _ in FILTERS:
        shown = sort_rows(rows, "name", name, "/p/a")
        assert all(in_folder(r.folder, "/p/a") for r in shown)
    assert {r.photo_id for r in sort_rows(rows, "name", "flagged")} == {r.photo_id for r in rows if r.low_quality}
    assert in_folder("/p/a/day1", "/p/a") and not in_folder("/p/ab", "/p/a")
    assert short_folder("/home/me/Pictures/2024/city") == "2024/city"


def test_counts(rows):
    c = count_rows(rows, shown=7, pairs=2, bursts=[BurstGroup((1, 2, 3), 2, False)])
    assert (c.shown, c.total, c.pairs, c.bursts, c.burst_frames) == (7, 60, 2, 1, 3)
    assert c.weak == sum(r.low_quality for r in rows) and c.error == 1
    assert (c.pick, c.reject) == (20, 20)


def test_consecutive_runs():
    assert consecutive_runs([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]
    assert consecutive_runs([]) == []


def test_a_collapsed_burst_shows_its_best_frame_in_its_place():
    fused = {0: 0.3, 1: 0.9, 2: 0.5, 3: 0.7, 4: 0.4}  # row -> score; photo id = row + 10
    burst = BurstGroup((11, 12, 14), best=11, is_bracket=False, bracketed=frozenset({14}))
    order, tiles = tile_bursts([0, 2, 4, 1, 3], [burst], row_of=lambda pid: pid - 10, fused_of=fused.get,
                               expanded=lambda g: False)
    assert order == [0, 1, 3]  # 11 (row 1) stands for its burst where it sorts; 12 and 14 are behind it
    assert tiles[11].state == "collapsed" and tiles[11].is_best and tiles[11].position == 1
    assert tiles[14].bracketed and tiles[14].position == 3


def test_an_expanded_burst_follows_its_top_frame_and_a_filtered_best_hands_over():
    fused = {0: 0.3, 1: 0.9, 2: 0.5, 3: 0.7, 4: 0.4}
    burst = BurstGroup((11, 12, 14), best=11, is_bracket=True)
    order, tiles = tile_bursts([0, 2, 4, 3], [burst], row_of=lambda pid: pid - 10, fused_of=fused.get,
                               expanded=lambda g: True)
    assert order == [0, 2, 4, 3] and tiles[12].state == "expanded" and tiles[12].is_bracket
    # the best (row 1) is filtered out: the best-scoring frame that is shown (row 2) stands for the burst
    order, _ = tile_bursts([2, 4, 3], [burst], row_of=lambda pid: pid - 10, fused_of=fused.get,
                           expanded=lambda g: False)
    assert order == [2, 3]
