"""Rank and percentile of a photo in its folder, and the number a tile shows."""

from __future__ import annotations

import math

from curator.rules.standing import Standing, percentile_in_folder, standings, tile_text


def test_percentile_in_folder():
    assert percentile_in_folder({"a": 1.0, "b": 3.0, "c": 2.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert percentile_in_folder({"a": 1.0, "b": 1.0, "c": 2.0}) == {"a": 0.25, "b": 0.25, "c": 1.0}
    assert percentile_in_folder({"a": 5.0}) == {"a": 1.0}
    assert percentile_in_folder({"a": math.nan, "b": 1.0, "c": 2.0, "d": None}) == {"b": 0.0, "c": 1.0}


def test_ranks_put_the_best_first_and_ties_share_the_better_rank():
    s = standings({"a": 0.7, "b": 0.9, "c": 0.7, "d": 0.1, "e": None})
    assert {k: v.rank for k, v in s.items()} == {"b": 1, "a": 2, "c": 2, "d": 4}
    assert all(v.of == 4 for v in s.values())
    assert s["b"].percentile == 1.0 and s["d"].percentile == 0.0


def test_tile_text():
    st = Standing(rank=3, of=24, percentile=22 / 23)
    assert tile_text(st, 0.74123) == "3/24"
    assert tile_text(st, 0.74123, "percentile") == "top 5%"
    assert tile_text(Standing(24, 24, 0.0), 0.1, "percentile") == "top 100%"
    assert tile_text(Standing(1, 24, 1.0), 0.9, "percentile") == "top 1%"
    assert tile_text(st, 0.74123, "raw") == "0.741"
    assert tile_text(None, None) == "" and tile_text(None, math.nan, "raw") == ""
