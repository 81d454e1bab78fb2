"""What a file found by a walk means for the scoring queue: a pure rule, table-tested.

`Catalog.sync_files` walks a folder, looks up each file's row, and asks
`classify` which class the file is in: that says which of the walk's counts
(`SyncCounts`) it adds to and what the catalog does with its row:

    not in the catalog                          new         a pending row is inserted
    size or mtime differ from the row's         changed     pending again, its quiet period from now
    the row is missing (the file is back)       reappeared  pending again
    scored, by another engine                   rescore     pending again
    scored, without current quality values      remeasure   pending again (the worker keeps the score)
    failed before, and errors are retried       changed     pending again
    still pending (a scan was stopped)          queued      left as it is: the worker takes it
    anything else                               unchanged   left as it is
    a file that cannot be stat'ed               errors      its row records the failure

With reasons_only (`scan --reasons-only`) only photos to remeasure are queued;
pending ones are counted as queued, scored or failed ones as unchanged, and
the rest (new, changed, stale) are skipped: left for a scan.

"Pending again" starts the file's quiet period (curator.rules.settle) at its
mtime, so a file quiet since then need not wait again, except when the file
changed: then it starts now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from curator.rules.settle import FileStat

# What the catalog does with a file's row.
INSERT = "insert"  # a new row, pending
REQUEUE = "requeue"  # the row pending again, with the walked size and mtime
RECORD_ERROR = "record_error"  # the row (new if need be) says why the file could not be stat'ed
LEAVE = "leave"  # nothing


@dataclass(frozen=True)
class Queueing:
    """A class of walked file: the count it adds to, and what happens to its row."""

    count: str  # the SyncCounts field
    action: str  # INSERT, REQUEUE, RECORD_ERROR or LEAVE
    settle_from_now: bool = False  # REQUEUE: the quiet period starts now, not at the file's mtime


NEW = Queueing("new", INSERT)
CHANGED = Queueing("changed", REQUEUE, settle_from_now=True)
RETRIED = Queueing("changed", REQUEUE)  # failed before, tried again (retry_errors): counted as changed
REAPPEARED = Queueing("reappeared", REQUEUE)
RESCORE = Queueing("rescore", REQUEUE)
REMEASURE = Queueing("remeasure", REQUEUE)
QUEUED = Queueing("queued", LEAVE)
UNCHANGED = Queueing("unchanged", LEAVE)
SKIPPED = Queueing("skipped", LEAVE)
UNREADABLE = Queueing("errors", RECORD_ERROR)


class Known(Protocol):
    """The catalog's row for a walked file (curator.catalog.KnownFile)."""

    @property
    def stat(self) -> FileStat: ...  # size and mtime as last recorded

    @property
    def status(self) -> str: ...  # "pending", "scored", "error" or "missing"

    @property
    def has_current_score(self) -> bool: ...  # it (or its shot) has a score from the current engine

    @property
    def has_current_quality(self) -> bool: ...  # and quality values from the current dimensions


def classify(found: FileStat | None, known: Known | None, *, retry_errors: bool = False,
             reasons_only: bool = False) -> Queueing:
    """The class of a walked file: `found`, its size and mtime (None: it could not be stat'ed), and `known`,
    the catalog's row for its path (None: there is none)."""
    if found is None:
        return UNREADABLE
    if reasons_only:
        return _for_reasons_only(found, known)
    if known is None:
        return NEW
    if known.stat != found:
        return CHANGED
    if known.status == "missing":
        return REAPPEARED
    if known.status == "scored" and not known.has_current_score:
        return RESCORE
    if known.status == "scored" and not known.has_current_quality:
        return REMEASURE
    if known.status == "error" and retry_errors:
        return RETRIED
    if known.status == "pending":  # e.g. left by a scan that was stopped: scored now, so say so
        return QUEUED
    return UNCHANGED


def _for_reasons_only(found: FileStat, known: Known | None) -> Queueing:
    if known is None:
        return SKIPPED
    same = known.stat == found
    if same and known.status == "scored" and not known.has_current_quality:
        return REMEASURE
    if known.status == "pending":  # the worker takes those that have a score
        return QUEUED
    if same and known.status in ("scored", "error"):
        return UNCHANGED
    return SKIPPED


def quiet_since(found: FileStat, now: float) -> float:
    """When a queued file's quiet period (curator.rules.settle) starts: at its mtime, unless that is in the
    future. A file already quiet since its mtime need not wait again."""
    return min(found.mtime_ns / 1e9, now)
