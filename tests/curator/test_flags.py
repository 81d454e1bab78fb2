"""The auto flag policy: absolute threshold, bottom N% per folder, and the user always wins."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from curator.rules.flags import bottom_count, low_quality_ids, plan


@dataclass(frozen=True)
class Row:
    photo_id: int
    folder: str
    fused: float | None
    flag: str | None = None
    flag_source: str | None = None
    rating: int = 0
    low_quality: bool = False


def apply(rows, p):
    """The rows after a plan, as the catalog would store them."""
    by_id = {c.photo_id: c for c in p.changes}
    out = []
    for r in rows:
        c = by_id.get(r.photo_id)
        if c is None:
            out.append(r)
        elif r.flag_source == "user":
            out.append(replace(r, low_quality=c.low_quality))
        else:
            out.append(replace(r, low_quality=c.low_quality, flag=c.flag, flag_source="auto" if c.flag else None))
    return out


@pytest.mark.parametrize("n, expected", [(0, 0), (1, 0), (6, 0), (7, 1), (13, 1), (14, 2), (20, 3), (100, 15)])
def test_bottom_15_percent_rounds_down(n, expected):
    assert bottom_count(n, 15) == expected


def test_bottom_is_ranked_within_each_folder():
    rows = [Row(i, "a", float(i)) for i in range(10)] + [Row(100 + i, "b", 50.0 + i) for i in range(10)]
    low = low_quality_ids(rows, threshold=None, bottom_percent=20)
    assert low == {0, 1, 100, 101}  # the bottom two of each folder, though all of b beats all of a


def test_threshold_flags_across_folders():
    rows = [Row(1, "a", 0.2), Row(2, "a", 0.6), Row(3, "b", 0.3)]
    assert low_quality_ids(rows, threshold=0.5, bottom_percent=0) == {1, 3}


def test_ties_break_by_photo_id_so_the_result_is_stable():
    rows = [Row(i, "a", 1.0) for i in range(10, 0, -1)]
    assert low_quality_ids(rows, threshold=None, bottom_percent=30) == {1, 2, 3}


def test_plan_flags_the_weak_and_unflags_those_no_longer_weak():
    rows = [Row(1, "a", 0.1), Row(2, "a", 0.9, flag="reject", flag_source="auto", low_quality=True)]
    p = plan(rows, threshold=0.5, bottom_percent=0)
    assert p.flags_changed == 2
    after = {r.photo_id: r for r in apply(rows, p)}
    assert (after[1].flag, after[1].flag_source, after[1].low_quality) == ("reject", "auto", True)
    assert (after[2].flag, after[2].flag_source, after[2].low_quality) == (None, None, False)
    assert plan(list(after.values()), threshold=0.5, bottom_percent=0).changes == ()  # idempotent


def test_a_user_flag_is_never_changed_but_low_quality_is_still_reported():
    rows = [Row(1, "a", 0.1, flag="pick", flag_source="user"), Row(2, "a", 0.2, flag=None, flag_source="user"),
            Row(3, "a", 0.9, flag="reject", flag_source="user")]
    p = plan(rows, threshold=0.5, bottom_percent=0)
    assert p.flags_changed == 0
    after = {r.photo_id: r for r in apply(rows, p)}
    assert (after[1].flag, after[1].low_quality) == ("pick", True)
    assert (after[2].flag, after[2].flag_source, after[2].low_quality) == (None, "user", True)
    assert (after[3].flag, after[3].low_quality) == ("reject", False)


def test_a_rated_photo_gets_no_auto_flag_and_loses_one_it_had():
    rows = [Row(1, "a", 0.1, rating=3), Row(2, "a", 0.1, rating=2, flag="reject", flag_source="auto")]
    after = {r.photo_id: r for r in apply(rows, plan(rows, threshold=0.5, bottom_percent=0))}
    assert after[1].flag is None and after[1].low_quality
    assert after[2].flag is None and after[2].low_quality


def test_photos_without_a_score_are_left_alone():
    rows = [Row(1, "a", None, flag="reject", flag_source="auto", low_quality=True), Row(2, "a", 0.9)]
    assert plan(rows, threshold=0.5, bottom_percent=50).changes == ()


def test_bad_percentage_is_refused():
    with pytest.raises(ValueError):
        plan([], threshold=None, bottom_percent=150)


@dataclass(frozen=True)
class TasteRow(Row):
    taste: float | None = None


def test_by_taste_ranks_by_the_probability_of_a_keep_and_still_never_overrides_the_user():
    # the fused score says the opposite of the taste model: the basis decides who is rejected
    rows = [TasteRow(i, "/a", fused=0.9 - 0.1 * i, taste=0.1 * i) for i in range(1, 8)]
    rows.append(TasteRow(8, "/a", fused=0.05, taste=None))  # scored, but not rated by the taste model
    rows.append(TasteRow(9, "/a", fused=0.5, taste=0.01, flag="pick", flag_source="user"))
    rows.append(TasteRow(10, "/a", fused=0.5, taste=0.02))  # a bracketed frame
    by_score = plan(rows, threshold=None, bottom_percent=30, protected={10})
    by_taste = plan(rows, threshold=None, bottom_percent=30, protected={10}, basis="taste")
    assert by_score.low_quality == {8, 7}  # floor(9 ranked * 30%) = 2 lowest fused
    assert by_taste.low_quality == {9, 1}  # the 2 lowest tastes of the 8 rated, unprotected shots
    after = {r.photo_id: r for r in apply(rows, by_taste)}
    assert after[9].flag == "pick" and after[1].flag == "reject"  # the user's pick stays
    assert after[8].flag is None and after[10].flag is None  # unrated and bracketed: never rejected
    by_threshold = plan(rows, threshold=0.25, bottom_percent=0, protected={10}, basis="taste")
    assert by_threshold.low_quality == {1, 2, 9, 10}  # taste below 0.25; a bracket is marked but not flagged
    assert {r.photo_id: r for r in apply(rows, by_threshold)}[10].flag is None
    with pytest.raises(ValueError):
        plan(rows, threshold=None, bottom_percent=10, basis="stars")


@dataclass(frozen=True)
class TriageRow(Row):
    provisional: bool = False
    verdict_provisional: bool = False


def test_a_verdict_on_a_provisional_score_is_marked_provisional():
    rows = [TriageRow(1, "a", 0.1, provisional=True), TriageRow(2, "a", 0.9)]
    p = plan(rows, threshold=0.5, bottom_percent=0)
    assert {c.photo_id: (c.low_quality, c.flag, c.provisional) for c in p.changes} == {1: (True, "reject", True)}


def test_bottom_percent_verdicts_are_provisional_wherever_the_folder_ranks_a_provisional_score():
    # ten photos in "a", one provisional: every ranked verdict there rests on it; folder "b" is all exact
    rows = ([TriageRow(i, "a", i / 10, provisional=(i == 9)) for i in range(10)]
            + [TriageRow(100 + i, "b", i / 10) for i in range(10)])
    p = plan(rows, threshold=None, bottom_percent=15)
    marked = {c.photo_id for c in p.changes if c.provisional}
    assert marked == set(range(10))
    assert {c.photo_id for c in p.changes if c.low_quality} == {0, 100}


def test_the_mark_goes_when_the_exact_scores_land_and_a_user_flag_stays():
    before = [TriageRow(1, "a", 0.1, provisional=True, low_quality=True, flag="reject", flag_source="auto",
                        verdict_provisional=True),
              TriageRow(2, "a", 0.2, provisional=True, low_quality=True, flag="pick", flag_source="user",
                        verdict_provisional=True)]
    exact = [replace(r, provisional=False) for r in before]
    p = plan(exact, threshold=0.5, bottom_percent=0)
    by_id = {c.photo_id: c for c in p.changes}
    assert by_id[1] == type(by_id[1])(1, True, "reject", False, False)  # same verdict, now exact
    assert not by_id[2].flag_changed and by_id[2].flag == "pick" and not by_id[2].provisional
    # nothing to change once the stored mark agrees
    settled = [replace(r, verdict_provisional=False) for r in exact]
    assert plan(settled, threshold=0.5, bottom_percent=0).changes == ()
