"""The triage planner: which pass runs next, from the backlog's counts alone."""

from __future__ import annotations

import pytest

from curator.rules.triage import (
    EXACT_BATCH_DURING_TRIAGE,
    PROVISIONAL_BATCH,
    Backlog,
    Step,
    is_provisional,
    next_step,
)


def _run(backlog: Backlog, triage_on: bool = False, triage_over: int = 50, forced: bool = False) -> Step:
    return next_step(backlog, triage_on=triage_on, triage_over=triage_over, forced=forced, batch_size=8)


def test_a_short_queue_is_scored_exactly_at_once() -> None:
    assert _run(Backlog(unscored=50, awaiting_exact=0)) == Step("exact", 8, False)


def test_a_long_queue_gets_provisional_scores_first() -> None:
    assert _run(Backlog(unscored=51, awaiting_exact=0)) == Step("provisional", PROVISIONAL_BATCH, True)


def test_scan_triage_forces_it_on_any_queue() -> None:
    assert _run(Backlog(unscored=3, awaiting_exact=0), forced=True).kind == "provisional"


def test_the_exact_pass_follows_in_small_batches_until_every_photo_is_exact() -> None:
    step = _run(Backlog(unscored=0, awaiting_exact=200), triage_on=True)
    assert step == Step("exact", EXACT_BATCH_DURING_TRIAGE, True)
    assert _run(Backlog(unscored=0, awaiting_exact=0), triage_on=True) == Step("idle", 0, False)


def test_a_photo_landing_during_the_exact_pass_is_scored_provisionally_next() -> None:
    # triage is on, below the threshold: the one new photo still jumps ahead of the backlog
    step = _run(Backlog(unscored=1, awaiting_exact=150), triage_on=True)
    assert step.kind == "provisional" and step.triage


def test_a_restart_resumes_the_exact_pass() -> None:
    """After kill -9 the worker starts with triage off; photos with only a provisional score resume it."""
    assert _run(Backlog(unscored=0, awaiting_exact=40), triage_on=False).kind == "exact"
    assert _run(Backlog(unscored=5, awaiting_exact=40), triage_on=False).kind == "provisional"


def test_a_simulated_backlog_ends_exact_with_every_photo_provisional_first() -> None:
    """200 photos, 10 more arrive midway through the exact pass: each photo is provisional before any exact."""
    unscored, provisional, exact, on = 200, 0, 0, False
    first_exact_at_provisional_count = None
    steps = 0
    while True:
        step = _run(Backlog(unscored, provisional), triage_on=on)
        on = step.triage
        if step.kind == "idle":
            break
        if step.kind == "provisional":
            n = min(step.batch, unscored)
            unscored, provisional = unscored - n, provisional + n
        else:
            if first_exact_at_provisional_count is None:
                first_exact_at_provisional_count = provisional + exact
            n = min(step.batch, provisional)
            provisional, exact = provisional - n, exact + n
        steps += 1
        if steps == 20:
            unscored += 10  # photos landing during pass two
    assert first_exact_at_provisional_count == 200
    assert exact == 210 and unscored == provisional == 0


@pytest.mark.parametrize(("has_exact", "has_provisional", "expected"),
                         [(False, True, True), (True, True, False), (True, False, False), (False, False, False)])
def test_provisional_only_until_the_exact_score_lands(has_exact: bool, has_provisional: bool, expected: bool) -> None:
    assert is_provisional(has_exact, has_provisional) is expected


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        next_step(Backlog(1, 0), triage_on=False, triage_over=-1, forced=False, batch_size=8)
