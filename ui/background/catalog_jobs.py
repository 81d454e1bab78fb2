"""The catalog worker's requests as typed jobs, and the queue that orders them. No Qt here.

Each request is a frozen dataclass. The queue coalesces what only needs its
latest value (one reload, one re-flag, one detail) and keeps in order what must
not be lost (the user's edits first, then the user's other actions):

    edits > detail > re-flag > actions (a folder's dry run, Write XMP) > reload > poll > background bursts

The edits (decisions, "reject all but the best", undo, redo) share one queue, in the
order given: an undo always undoes the edit made just before it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeGuard

RETRY_SECONDS = 0.5  # a job the lock turned away is tried again after this pause (or sooner, on a new request)
MAX_RETRIES = 8  # a decision is retried this many times (each waits out SQLite's busy timeout)
MAX_RETRIES_STOPPING = 4  # fewer once the window is closing


@dataclass(frozen=True)
class Decide:
    """The user's decision on one photo (flag, rating, label: the fields to change)."""

    photo_id: int
    changes: tuple[tuple[str, Any], ...]
    tries: int = 0
    name: ClassVar[str] = "decision"


@dataclass(frozen=True)
class DecideMany:
    """One decision on several photos (a multi-selection): one catalog transaction, one undo step."""

    photo_ids: tuple[int, ...]
    changes: tuple[tuple[str, Any], ...]
    name: ClassVar[str] = "decision"


@dataclass(frozen=True)
class Undo:
    name: ClassVar[str] = "undo"


@dataclass(frozen=True)
class Redo:
    name: ClassVar[str] = "redo"


@dataclass(frozen=True)
class LoadDetail:
    photo_id: int
    name: ClassVar[str] = "detail"


@dataclass(frozen=True)
class Recompute:
    """Re-flag with this policy; folder None re-flags everything and stores the policy."""

    threshold: float | None
    bottom_percent: float
    folder: str | None = None
    name: ClassVar[str] = "recompute"

    @property
    def policy(self) -> tuple[float | None, float]:
        return (self.threshold, self.bottom_percent)


@dataclass(frozen=True)
class Reload:
    name: ClassVar[str] = "reload"


@dataclass(frozen=True)
class Poll:
    """Reload only if the catalog changed since the last load."""

    name: ClassVar[str] = "poll"


@dataclass(frozen=True)
class GroupBursts:
    """A slice of background burst grouping."""

    name: ClassVar[str] = "bursts"


@dataclass(frozen=True)
class RejectBurst:
    """"Reject all but the best" in the burst of this photo."""

    photo_id: int
    name: ClassVar[str] = "burst_reject"


@dataclass(frozen=True)
class RejectBursts:
    """"Reject all but the best" in every burst of these folders (None: every folder)."""

    folders: tuple[str, ...] | None
    dry_run: bool = False
    name: ClassVar[str] = "burst_reject"


@dataclass(frozen=True)
class WriteXmp:
    """Write every decision under these folders (None: all of them) to XMP sidecars."""

    roots: tuple[str, ...] | None
    name: ClassVar[str] = "xmp"


@dataclass(frozen=True)
class Search:
    """Rank the photos by CLIP similarity to a text (the model loads on the first search)."""

    text: str
    name: ClassVar[str] = "search"


@dataclass(frozen=True)
class FindDuplicates:
    """Library-wide duplicate groups under these folders (None: every folder)."""

    roots: tuple[str, ...] | None
    name: ClassVar[str] = "duplicates"


@dataclass(frozen=True)
class RejectDuplicates:
    """"Reject all but the best" in these duplicate groups (photo ids, best first), one transaction."""

    groups: tuple[tuple[int, ...], ...]
    name: ClassVar[str] = "duplicates_reject"


# the user's own long requests, run in order
Action = RejectBurst | RejectBursts | WriteXmp | Search | FindDuplicates | RejectDuplicates
_ACTIONS = (RejectBurst, RejectBursts, WriteXmp, Search, FindDuplicates, RejectDuplicates)
Edit = Decide | DecideMany | RejectBurst | RejectBursts | Undo | Redo  # what undo steps over, in order
Job = (Decide | DecideMany | Undo | Redo | LoadDetail | Recompute | Reload | Poll | GroupBursts | RejectBurst
       | RejectBursts | WriteXmp | Search | FindDuplicates | RejectDuplicates)


def is_edit(job: Job) -> TypeGuard[Edit]:
    """A change the user made to decisions (a folder's dry run changes nothing: it is an action)."""
    if isinstance(job, RejectBursts):
        return not job.dry_run
    return isinstance(job, (Decide, DecideMany, RejectBurst, Undo, Redo))


class JobQueue:
    """Thread-safe: any thread puts, the worker thread takes. `background_due` (called on the worker
    thread) says whether background burst grouping has work; it runs only when nothing else waits."""

    def __init__(self, background_due: Callable[[], bool]) -> None:
        self._cond = threading.Condition()
        self._background_due = background_due
        self._background_on = False
        self._stopping = False
        self._decisions: deque[Edit] = deque()
        self._actions: deque[Action] = deque()
        self._detail: LoadDetail | None = None
        self._recompute: Recompute | None = None
        self._reload = False
        self._poll = False

    def put(self, job: Job) -> None:
        with self._cond:
            self._put(job)
            self._cond.notify_all()

    def _put(self, job: Job) -> None:
        if is_edit(job):
            self._decisions.append(job)
        elif isinstance(job, _ACTIONS):
            self._actions.append(job)
        elif isinstance(job, LoadDetail):
            self._detail = job  # only the latest selection matters
        elif isinstance(job, Recompute):
            self._recompute = job  # only the latest slider value matters
        elif isinstance(job, Reload):
            self._reload = True
        elif isinstance(job, Poll):
            self._poll = True

    def set_background(self, on: bool) -> None:
        with self._cond:
            self._background_on = bool(on)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def decisions_waiting(self) -> int:
        with self._cond:
            return len(self._decisions)

    def should_yield(self) -> bool:
        """A long background job stops early for this: a decision waits, or the window is closing."""
        with self._cond:
            return bool(self._decisions) or self._stopping

    def take(self) -> Job | None:
        """The next job, waiting for one; None once stopping (decisions still come out first)."""
        with self._cond:
            while True:
                if self._decisions:  # first, and even when stopping: a decision is never dropped
                    return self._decisions.popleft()
                if self._stopping:
                    return None
                if self._detail is not None:
                    detail, self._detail = self._detail, None
                    return detail
                if self._recompute is not None:
                    recompute, self._recompute = self._recompute, None
                    return recompute
                if self._actions:
                    return self._actions.popleft()
                if self._reload:
                    self._reload = self._poll = False
                    return Reload()
                if self._poll:
                    self._poll = False
                    return Poll()
                if self._background_on and self._background_due():
                    return GroupBursts()
                self._cond.wait()

    def retry(self, job: Job) -> bool:
        """Put back a job the catalog's lock turned away, then pause a little (a new request cuts the
        pause short). False when a decision has run out of tries: it is dropped, and the caller says so."""
        with self._cond:
            if isinstance(job, Decide):
                if job.tries >= (MAX_RETRIES_STOPPING if self._stopping else MAX_RETRIES):
                    return False
                self._decisions.appendleft(Decide(job.photo_id, job.changes, job.tries + 1))
            elif is_edit(job):
                self._decisions.appendleft(job)
            elif isinstance(job, _ACTIONS):
                self._actions.appendleft(job)
            elif isinstance(job, LoadDetail):
                self._detail = self._detail or job  # a newer selection wins
            elif isinstance(job, Recompute):
                self._recompute = self._recompute or job
            elif isinstance(job, (Reload, Poll)):
                self._reload = True
            # GroupBursts: the burst tracker keeps the folder pending itself
            self._cond.wait(RETRY_SECONDS)
            return True
