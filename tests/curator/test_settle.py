"""The settle rule (chokidar's awaitWriteFinish) with a fake clock."""

from __future__ import annotations

import pytest

from curator.disk.files import FileStat
from curator.rules.settle import Settler, check

A = FileStat(100, 1_000)
B = FileStat(200, 2_000)


def test_a_new_file_starts_its_quiet_period_now():
    v = check(None, 0.0, A, now=10.0, quiet=2.0)
    assert (v.ready, v.changed, v.since, v.wait) == (False, True, 10.0, 2.0)


def test_unchanged_for_less_than_the_quiet_period_waits_for_the_rest():
    v = check(A, 10.0, A, now=11.5, quiet=2.0)
    assert not v.ready and not v.changed
    assert v.since == 10.0
    assert v.wait == pytest.approx(0.5)


def test_unchanged_for_the_quiet_period_is_settled():
    assert check(A, 10.0, A, now=12.0, quiet=2.0).ready
    assert check(A, 10.0, A, now=99.0, quiet=2.0).ready


@pytest.mark.parametrize("current", [FileStat(101, 1_000), FileStat(100, 1_001)])
def test_any_change_of_size_or_mtime_restarts_the_quiet_period(current):
    v = check(A, 10.0, current, now=11.9, quiet=2.0)
    assert (v.ready, v.changed, v.since) == (False, True, 11.9)


def test_a_file_that_cannot_be_stated_is_ready_at_once_so_its_error_is_recorded():
    assert check(A, 10.0, None, now=10.0, quiet=2.0).ready


def test_zero_quiet_means_no_wait():
    assert check(None, 0.0, A, now=5.0, quiet=0.0).ready


def test_settler_follows_a_file_written_in_chunks_with_an_injected_clock():
    now = [0.0]
    settler = Settler(quiet=2.0, clock=lambda: now[0])
    sizes = [10, 20, 30, 40]
    # a chunk every 0.5 s: never quiet for 2 s while the copy runs
    for i, size in enumerate(sizes):
        now[0] = i * 0.5
        assert not settler.observe("f", FileStat(size, size))
    # polling every 100 ms after the last chunk: ready exactly 2 s after it
    last = now[0]
    ready_at = None
    for step in range(1, 40):
        now[0] = last + step * 0.1
        if settler.observe("f", FileStat(40, 40)):
            ready_at = now[0]
            break
    assert ready_at == pytest.approx(last + 2.0)
    assert len(settler) == 0  # forgotten once ready


def test_settler_tracks_files_independently():
    now = [0.0]
    settler = Settler(quiet=1.0, clock=lambda: now[0])
    settler.observe("a", A)
    now[0] = 0.5
    settler.observe("b", B)
    now[0] = 1.0
    assert settler.observe("a", A)
    assert not settler.observe("b", B)
    now[0] = 1.5
    assert settler.observe("b", B)
