"""The catalog worker's job queue and burst tracker: plain Python, no Qt, no catalog."""

from __future__ import annotations

from types import SimpleNamespace

from ui.background.burst_tracker import BurstTracker
from ui.background.catalog_actions import top_roots
from ui.background.catalog_jobs import (MAX_RETRIES, Decide, GroupBursts, JobQueue, LoadDetail, Poll, Recompute, RejectBurst,
                             Reload, WriteXmp)


def _drain(q: JobQueue) -> list:
    q.stop()  # take() returns None instead of waiting once nothing is left
    out = []
    while (job := q.take()) is not None:
        out.append(job)
    return out


def test_decisions_first_then_detail_recompute_actions_reload() -> None:
    q = JobQueue(lambda: False)
    q.put(Poll())
    q.put(Reload())
    q.put(WriteXmp(None))
    q.put(Recompute(0.3, 10.0))
    q.put(LoadDetail(1))
    q.put(Decide(5, (("flag", "pick"),)))
    q.put(RejectBurst(7))
    first = q.take()
    assert first == Decide(5, (("flag", "pick"),))
    # the burst reject is an edit: it keeps its place among the decisions (undo steps over them in order)
    assert [q.take() for _ in range(5)] == [RejectBurst(7), LoadDetail(1), Recompute(0.3, 10.0), WriteXmp(None),
                                           Reload()]  # the reload took the poll with it


def test_latest_detail_and_recompute_win() -> None:
    q = JobQueue(lambda: False)
    q.put(LoadDetail(1))
    q.put(LoadDetail(2))
    q.put(Recompute(0.1, 5.0))
    q.put(Recompute(0.2, 5.0))
    assert q.take() == LoadDetail(2)
    assert q.take() == Recompute(0.2, 5.0)


def test_decisions_come_out_even_when_stopping() -> None:
    q = JobQueue(lambda: False)
    q.put(Reload())
    q.put(Decide(1, ()))
    assert _drain(q) == [Decide(1, ())]


def test_background_bursts_only_when_on_and_idle() -> None:
    due = [True]
    q = JobQueue(lambda: due[0])
    q.put(Reload())
    q.set_background(True)
    assert q.take() == Reload()
    assert q.take() == GroupBursts()
    assert not q.should_yield()
    q.put(Decide(1, ()))
    assert q.should_yield()


def test_a_busy_decision_is_retried_in_front_then_given_up() -> None:
    q = JobQueue(lambda: False)
    q.put(Decide(2, ()))
    job = Decide(1, (), tries=0)
    assert q.retry(job)
    assert q.take() == Decide(1, (), tries=1)
    assert not q.retry(Decide(1, (), tries=MAX_RETRIES))


def _row(pid: int, folder: str, t: str | None, fused: float | None, *, partner_of: int | None = None):
    return SimpleNamespace(photo_id=pid, folder=folder, capture_time=t, fused=fused, partner_of=partner_of,
                           status="scored")


def test_burst_tracker_regroups_only_changed_folders() -> None:
    tr = BurstTracker()
    rows = [_row(1, "/a", "2024-01-01T10:00:00", 0.5), _row(2, "/a", "2024-01-01T10:00:01", 0.6),
            _row(3, "/b", "2024-01-01T10:00:00", 0.5), _row(4, "/b", None, 0.6)]  # /b: one frame can join
    tr.rows_loaded(rows)
    assert tr.due()
    assert tr.note_rows() == []
    todo = tr.next_folder()
    assert todo is not None and todo[0] == "/a" and tr.next_folder() is None
    folder, sig = todo
    tr.grouped(folder, sig)
    tr.rows_loaded(rows)
    tr.note_rows()
    assert not tr.due()  # nothing changed
    tr.rows_loaded(rows[:1])  # /a lost a frame: its bursts are cleared
    assert tr.note_rows() == ["/a"]


def test_burst_tracker_retries_a_busy_folder_only() -> None:
    tr = BurstTracker()
    tr.rows_loaded([_row(1, "/a", "t1", 0.5), _row(2, "/a", "t2", 0.6)])
    tr.note_rows()
    todo = tr.next_folder()
    assert todo is not None
    folder, sig = todo
    tr.failed(folder, sig, retry=True)
    assert tr.next_folder() == (folder, sig)
    tr.failed(folder, sig, retry=False)
    assert not tr.due()


def test_top_roots_keeps_the_outermost_folders() -> None:
    assert top_roots(["/p/a", "/p", "/q/b", "/q/b/c", "/pa"]) == ["/p", "/pa", "/q/b"]


def test_undo_keeps_its_place_among_the_edits() -> None:
    from ui.background.catalog_jobs import Redo, RejectBursts, Undo

    q = JobQueue(lambda: False)
    q.put(Decide(1, (("flag", "pick"),)))
    q.put(RejectBurst(2))
    q.put(Undo())
    q.put(LoadDetail(3))
    q.put(Decide(4, (("rating", 2),)))
    q.put(Redo())
    q.put(RejectBursts(None, dry_run=True))  # a dry run changes nothing: an action, after the edits
    assert [q.take() for _ in range(7)] == [Decide(1, (("flag", "pick"),)), RejectBurst(2), Undo(),
                                           Decide(4, (("rating", 2),)), Redo(), LoadDetail(3),
                                           RejectBursts(None, dry_run=True)]
