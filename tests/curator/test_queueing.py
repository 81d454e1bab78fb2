"""What a walked file means for the queue (curator.rules.queueing): the whole table, one row per case."""

from __future__ import annotations

import pytest

from curator.catalog.records import KnownFile
from curator.disk.files import FileStat
from curator.rules.queueing import (CHANGED, INSERT, LEAVE, NEW, QUEUED, REAPPEARED, RECORD_ERROR, REMEASURE,
                                    REQUEUE, RESCORE, RETRIED, SKIPPED, UNCHANGED, UNREADABLE, Queueing, classify,
                                    quiet_since)

ON_DISK = FileStat(1000, 5_000_000_000)
EDITED = FileStat(1200, 9_000_000_000)


def row(status: str, stat: FileStat = ON_DISK, *, score: bool = True, quality: bool = True) -> KnownFile:
    """The catalog's row for the file: its status, the stat it recorded, and whether its score and quality
    values are current."""
    return KnownFile(1, "/shoot/a.jpg", stat, status, has_current_score=score, has_current_quality=quality)


# (what the walk found, the catalog's row, retry_errors, the class)
SCAN = [
    pytest.param(ON_DISK, None, False, NEW, id="not in the catalog: new"),
    pytest.param(None, None, False, UNREADABLE, id="cannot be stat'ed, no row"),
    pytest.param(None, row("scored"), False, UNREADABLE, id="cannot be stat'ed, a scored row"),
    pytest.param(EDITED, row("scored"), False, CHANGED, id="edited since scored"),
    pytest.param(EDITED, row("missing"), False, CHANGED, id="back, and edited"),
    pytest.param(EDITED, row("error"), False, CHANGED, id="failed, edited since"),
    pytest.param(EDITED, row("pending"), False, CHANGED, id="pending, edited since"),
    pytest.param(ON_DISK, row("missing"), False, REAPPEARED, id="missing, back as it was"),
    pytest.param(ON_DISK, row("missing", score=False), False, REAPPEARED, id="missing, back, stale score"),
    pytest.param(ON_DISK, row("scored", score=False), False, RESCORE, id="scored by another engine"),
    pytest.param(ON_DISK, row("scored", score=False, quality=False), False, RESCORE,
                 id="another engine and old quality values: rescored"),
    pytest.param(ON_DISK, row("scored", quality=False), False, REMEASURE, id="old quality values"),
    pytest.param(ON_DISK, row("scored"), False, UNCHANGED, id="scored, current"),
    pytest.param(ON_DISK, row("scored"), True, UNCHANGED, id="scored, current, errors retried"),
    pytest.param(ON_DISK, row("error"), False, UNCHANGED, id="failed before"),
    pytest.param(ON_DISK, row("error"), True, RETRIED, id="failed before, errors retried"),
    pytest.param(ON_DISK, row("pending"), False, QUEUED, id="still pending (a stopped scan)"),
    pytest.param(ON_DISK, row("pending", score=False, quality=False), False, QUEUED, id="pending, nothing current"),
]

REASONS_ONLY = [
    pytest.param(ON_DISK, None, SKIPPED, id="not in the catalog: left for a scan"),
    pytest.param(None, None, UNREADABLE, id="cannot be stat'ed, no row"),
    pytest.param(None, row("scored"), UNREADABLE, id="cannot be stat'ed, a scored row"),
    pytest.param(ON_DISK, row("scored", quality=False), REMEASURE, id="old quality values"),
    pytest.param(ON_DISK, row("scored", score=False, quality=False), REMEASURE,
                 id="another engine and old quality values: remeasured, never rescored"),
    pytest.param(EDITED, row("scored", quality=False), SKIPPED, id="edited since scored: left for a scan"),
    pytest.param(ON_DISK, row("scored"), UNCHANGED, id="scored, current"),
    pytest.param(ON_DISK, row("scored", score=False), UNCHANGED, id="another engine, current quality values"),
    pytest.param(ON_DISK, row("error"), UNCHANGED, id="failed before"),
    pytest.param(EDITED, row("error"), SKIPPED, id="failed, edited since"),
    pytest.param(ON_DISK, row("pending"), QUEUED, id="pending"),
    pytest.param(EDITED, row("pending"), QUEUED, id="pending, edited since"),
    pytest.param(ON_DISK, row("missing"), SKIPPED, id="missing, back"),
]


@pytest.mark.parametrize(("found", "known", "retry_errors", "expected"), SCAN)
def test_a_scan_classifies_each_walked_file(found: FileStat | None, known: KnownFile | None, retry_errors: bool,
                                            expected: Queueing) -> None:
    assert classify(found, known, retry_errors=retry_errors) == expected


@pytest.mark.parametrize(("found", "known", "expected"), REASONS_ONLY)
@pytest.mark.parametrize("retry_errors", [False, True])
def test_reasons_only_queues_only_photos_to_remeasure(found: FileStat | None, known: KnownFile | None,
                                                     expected: Queueing, retry_errors: bool) -> None:
    assert classify(found, known, retry_errors=retry_errors, reasons_only=True) == expected


@pytest.mark.parametrize(("queueing", "count", "action", "from_now"), [
    (NEW, "new", INSERT, False),
    (CHANGED, "changed", REQUEUE, True),  # its quiet period starts again now
    (RETRIED, "changed", REQUEUE, False),
    (REAPPEARED, "reappeared", REQUEUE, False),
    (RESCORE, "rescore", REQUEUE, False),
    (REMEASURE, "remeasure", REQUEUE, False),
    (QUEUED, "queued", LEAVE, False),
    (UNCHANGED, "unchanged", LEAVE, False),
    (SKIPPED, "skipped", LEAVE, False),
    (UNREADABLE, "errors", RECORD_ERROR, False),
])
def test_each_class_says_its_count_and_what_happens_to_the_row(queueing: Queueing, count: str, action: str,
                                                               from_now: bool) -> None:
    assert (queueing.count, queueing.action, queueing.settle_from_now) == (count, action, from_now)


def test_the_quiet_period_starts_at_the_mtime_unless_that_is_in_the_future() -> None:
    assert quiet_since(ON_DISK, now=100.0) == 5.0
    assert quiet_since(ON_DISK, now=2.0) == 2.0
