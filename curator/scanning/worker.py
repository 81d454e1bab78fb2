"""The scoring worker: pending photos in the catalog -> settled? -> decoded ahead -> scored -> recorded.

Stages, each a small function (as beets' importer pipeline):
  select   pending rows whose file has settled (curator.rules.settle), oldest first
  inspect  in a thread pool, a few photos ahead: stat, content hash, EXIF,
           decode and views (engine.prepare_path); a moved photo is recognised
           by its hash and keeps its score instead of being rescored; the
           second file of a RAW+JPEG pair (curator.disk.raw_pairs) is not decoded at
           all: it is linked to the shot's scored file
  score    one engine.score_prepared call per batch (in this thread)
  record   one catalog transaction per batch, so a crash loses a whole batch
           or nothing, and a photo is never recorded twice; then the new
           scores get their taste value (curator.actions.taste_learning) and the folders
           their flags

A bad file never stops a batch: its reason is recorded on its row. Files are
only ever opened for reading.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from curator.actions import culling
from curator.actions.culling import CullingRules
from curator.catalog import Catalog, CatalogError, Outcome, PendingItem, Recorded, ScoreRecord
from curator.disk.identity import stat_file
from curator.rules import settle, triage
from curator.scanning.inspection import Inspection, inspect_photo, inspection_result
from curator.settings import Settings
from curator.display import shown

if TYPE_CHECKING:
    from iqa_engine import Engine

log = logging.getLogger("curator.scanning.worker")


# -- the worker ---------------------------------------------------------------------


# The Totals field each recorded outcome kind adds to ("changed" is queued again: it adds to none).
_TALLY = {"scored": "scored", "measured": "measured", "unchanged": "unchanged", "adopted": "adopted",
          "partner": "paired", "error": "errors", "missing": "missing"}


@dataclass
class Totals:
    scored: int = 0  # exact scores recorded
    provisional: int = 0  # triage's quick first-pass scores recorded (each photo is scored exactly later)
    measured: int = 0  # quality values computed, the stored score kept
    unchanged: int = 0
    adopted: int = 0
    paired: int = 0  # second files of RAW+JPEG pairs, linked to their shot's scored file (not scored)
    errors: int = 0
    missing: int = 0
    batches: int = 0
    busy_seconds: float = 0.0

    @property
    def done(self) -> int:
        return (self.scored + self.measured + self.unchanged + self.adopted + self.paired + self.errors
                + self.missing)

    def count(self, kind: str, *, provisional: bool = False) -> None:
        """One photo recorded as `kind` (an Outcome's); "changed" counts nowhere: it is queued again."""
        tally = "provisional" if kind == "scored" and provisional else _TALLY.get(kind)
        if tally is not None:
            setattr(self, tally, getattr(self, tally) + 1)


@dataclass(frozen=True)
class BatchReport:
    recorded: tuple[Recorded, ...]
    paths: dict[int, str]  # photo id -> path, for messages
    errors: tuple[tuple[str, str], ...]  # (path, reason)
    totals: Totals
    seconds: float
    rate: float  # photos/s over the last ~30 s of work
    flags_changed: int = 0


@dataclass
class _Rate:
    window: float = 30.0
    samples: deque = field(default_factory=deque)  # (end time, photos, seconds)

    def add(self, end: float, photos: int, seconds: float) -> None:
        self.samples.append((end, photos, seconds))
        while self.samples and end - self.samples[0][0] > self.window:
            self.samples.popleft()

    def value(self) -> float:
        busy = sum(s for _, _, s in self.samples)
        return sum(n for _, n, _ in self.samples) / busy if busy > 0 else 0.0


@dataclass(frozen=True)
class WorkerOptions:
    """How the worker scores the queue, as the settings say: the one mapping from Settings to a Worker
    (scan, watch, the gallery's watch and Ray all build their worker from it)."""

    batch_size: int = 8
    settle_seconds: float = 2.0  # a file is scored once its size and mtime held this long (curator.rules.settle)
    poll_interval: float = 0.1
    triage_over: int = 50  # a backlog longer than this gets provisional scores first (curator.rules.triage)

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        return cls(batch_size=settings.scan_batch, settle_seconds=settings.settle_seconds,
                   poll_interval=settings.poll_interval_seconds, triage_over=max(0, settings.triage_over))


class Worker:
    """Scores the catalog's pending photos in batches until stopped (or, with until_idle, until none are left)."""

    def __init__(self, catalog: Catalog, engine: Engine, options: WorkerOptions | None = None, *,
                 rules: CullingRules | None = None,
                 scope: Sequence[str] | None = None, clock: Callable[[], float] = time.time,
                 on_batch: Callable[[BatchReport], None] | None = None,
                 on_idle: Callable[[], None] | None = None, run_kind: str = "scan",
                 on_recorded: Callable[[Sequence[Recorded]], Sequence[str]] | None = None,
                 reasons_only: bool = False, provisional_engine: Engine | None = None,
                 triage_forced: bool = False,
                 provisional_factory: Callable[[], Engine | None] | None = None) -> None:
        options = options or WorkerOptions()
        self.catalog = catalog
        self.engine = engine
        # Triage (curator.rules.triage): with a provisional engine, a long backlog gets its quick scores
        # first and its exact scores after; without one, every photo is scored exactly at once.
        self.provisional_engine = provisional_engine
        # builds the provisional engine the first time triage is needed (most queues never need it)
        self._provisional_factory = provisional_factory
        self.triage_over = int(options.triage_over)
        self.triage_forced = bool(triage_forced)
        self._triage_on = False
        self.batch_size = max(1, int(options.batch_size))
        self.settle_seconds = float(options.settle_seconds)
        self.poll_interval = max(0.01, float(options.poll_interval))
        # each batch's folders get their flags and reasons again, by these rules
        self.rules = rules or CullingRules()
        self.scope = list(scope) if scope else None
        self.clock = clock
        self.on_batch = on_batch
        self.on_idle = on_idle
        self.run_kind = run_kind
        # Called with each batch's records before the flags are recomputed (the XMP import at scan time);
        # returns more folders whose flags need recomputing.
        self.on_recorded = on_recorded
        self.reasons_only = reasons_only  # measure photos that have a score; score nothing
        self.reasons_changed = 0  # shots whose reasons changed, over the batches so far
        self.run_id: int | None = None
        self.totals = Totals()
        self._rate = _Rate()
        self._wake = threading.Event()
        self._said_taste_stale = False
        self.decode_workers = max(1, getattr(getattr(engine, "config", None), "decode_workers", 2))

    def wake(self) -> None:
        """Poll the queue now (the watcher calls this after enqueueing)."""
        self._wake.set()

    @property
    def rate(self) -> float:
        return self._rate.value()

    # -- select ---------------------------------------------------------------

    def select_ready(self, limit: int, exclude: Sequence[int] = (),
                     provisional: bool | None = None) -> tuple[list[PendingItem], float]:
        """Pending items whose files have settled, and how long until the next one might
        (provisional: see Catalog.pending_items)."""
        candidates = self.catalog.pending_items(self.scope, limit=limit * 4 + 16, exclude=exclude,
                                                scored_only=self.reasons_only, provisional=provisional)
        ready: list[PendingItem] = []
        wait = self.poll_interval
        for item in candidates:
            if len(ready) >= limit:
                break
            now = self.clock()
            result = stat_file(item.path)
            verdict = settle.check(item.stat, item.settle_since, result.stat, now, self.settle_seconds)
            if verdict.ready:
                ready.append(item)
            else:
                wait = min(wait, verdict.wait)
                if verdict.changed and result.stat is not None:
                    self.catalog.note_unsettled(item.photo_id, result.stat, verdict.since)
        return ready, max(wait, 0.01)

    # -- score ----------------------------------------------------------------

    def score(self, inspections: Sequence[Inspection], *, provisional: bool = False) -> list[Outcome]:
        """Stage 3: the model for the batch's decoded photos; a failure is narrowed to the photo that caused it.

        provisional: triage's first pass, by the provisional engine; its scores are marked so."""
        engine = self.provisional_engine if provisional and self.provisional_engine else self.engine
        to_score = [i for i in inspections if i.kind in ("score", "measure")]
        scores: dict[int, Any] = {}
        failures: dict[int, str] = {}
        if to_score:
            try:
                results = engine.score_prepared([i.prepared for i in to_score])
                scores = {id(i): s for i, s in zip(to_score, results, strict=True)}
            except Exception:  # noqa: BLE001 - narrow the failure to the photo that caused it
                for i in to_score:
                    try:
                        scores[id(i)] = engine.score_prepared([i.prepared])[0]
                    except Exception as exc:  # noqa: BLE001 - that photo's error, the batch goes on
                        failures[id(i)] = f"scoring failed ({type(exc).__name__}: {exc})"
        outcomes = []
        for i in inspections:
            expected = i.item.stat
            if i.kind == "measure":  # the stored score stays; a failure leaves the photo as it was
                if id(i) in failures:
                    outcomes.append(Outcome(i.item.photo_id, "unchanged", expected, stat=i.stat,
                                            content_hash=i.content_hash, partners=i.partners))
                else:
                    outcomes.append(Outcome(i.item.photo_id, "measured", expected, stat=i.stat,
                                            content_hash=i.content_hash, score=ScoreRecord.from_result(scores[id(i)]),
                                            partners=i.partners))
            elif i.kind == "score":
                if id(i) in failures:
                    outcomes.append(Outcome(i.item.photo_id, "error", expected, stat=i.stat,
                                            content_hash=i.content_hash, error=failures[id(i)], path=i.item.path))
                else:
                    outcomes.append(Outcome(i.item.photo_id, "scored", expected, stat=i.stat,
                                            content_hash=i.content_hash, exif=i.exif,
                                            score=dataclasses.replace(  # the catalog's own record
                                                ScoreRecord.from_result(scores[id(i)]), provisional=provisional),
                                            twin_id=i.twin_id, partners=i.partners))
            else:
                outcomes.append(Outcome(i.item.photo_id, i.kind, expected, stat=i.stat,
                                        content_hash=i.content_hash, exif=i.exif, error=i.error,
                                        twin_id=i.twin_id, path=i.item.path, partners=i.partners,
                                        primary=i.primary, primary_stat=i.primary_stat))
        return outcomes

    # -- the loop -------------------------------------------------------------

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> Totals:
        """Work until `stop` is set (then the current batch is parked or finished), or until idle.

        A catalog that stays locked or fails for a while is retried with a growing pause (the batch
        stays pending); after MAX_FAILURES failures in a row the CatalogError is raised.
        """
        self._started_at = self.clock()
        # (item, its inspection, the pass it was selected for: "exact" or "provisional")
        self._inflight: deque[tuple[PendingItem, Future[Inspection], str]] = deque()
        self._next_poll = 0.0
        self._wait = self.poll_interval
        failures = 0
        with ThreadPoolExecutor(max_workers=self.decode_workers, thread_name_prefix="inspect") as pool:
            try:
                while not stop.is_set():
                    try:
                        if not self._step(pool, stop, until_idle):
                            break
                        failures = 0
                    except CatalogError as exc:
                        failures += 1
                        if failures >= self.MAX_FAILURES:
                            raise
                        pause = min(30.0, 0.5 * 2 ** failures)
                        log.warning("catalog unavailable (%s); trying again in %.0f s", exc, pause)
                        stop.wait(pause)
            finally:
                for _, fut, _ in self._inflight:
                    fut.cancel()
        return self.totals

    MAX_FAILURES = 8

    def _plan(self) -> tuple[str, int, bool | None]:
        """(the pass to feed, its batch size, the provisional filter for selecting its photos)."""
        if self.provisional_engine is None and self._provisional_factory is None:
            return "exact", self.batch_size, None
        unscored, awaiting = self.catalog.backlog(self.scope)
        step = triage.next_step(triage.Backlog(unscored, awaiting), triage_on=self._triage_on,
                                triage_over=self.triage_over, forced=self.triage_forced, batch_size=self.batch_size)
        if step.triage and self.provisional_engine is None and self._provisional_factory is not None:
            self.provisional_engine = self._provisional_factory()
            self._provisional_factory = None
            if self.provisional_engine is None:
                return "exact", self.batch_size, None
        self._triage_on = step.triage
        if step.kind == "provisional":
            return "provisional", step.batch, False
        if step.triage:  # the exact pass: only photos that already show a provisional score
            return "exact", step.batch, True
        return "exact", self.batch_size, None

    def _step(self, pool: ThreadPoolExecutor, stop: threading.Event, until_idle: bool) -> bool:
        """One turn of the loop: top up the decode-ahead, then score one batch or wait. False: stop now."""
        inflight = self._inflight
        kind, batch_size, provisional = self._plan()
        engine = self.provisional_engine if kind == "provisional" and self.provisional_engine else self.engine
        lookahead = 2 * batch_size
        now = time.monotonic()
        if len(inflight) < lookahead and now >= self._next_poll:
            ready, self._wait = self.select_ready(lookahead - len(inflight), [item.photo_id for item, _, _ in inflight],
                                                  provisional)
            for item in ready:
                inflight.append((item, pool.submit(inspect_photo, item, engine, self.catalog, self.reasons_only),
                                 kind))
            self._next_poll = now if ready else now + min(self._wait, self.poll_interval)
        if not inflight:
            return self._idle(until_idle)
        t0 = time.monotonic()
        # one pass per batch: the planned pass's photos first (a new photo's provisional score does not
        # wait for the exact photos already decoded), else the oldest in flight
        batch_kind = kind if any(k == kind for _, _, k in inflight) else inflight[0][2]
        batch = [entry for entry in inflight if entry[2] == batch_kind][:batch_size]
        for entry in batch:
            inflight.remove(entry)
        inspections = [inspection_result(item, fut) for item, fut, _ in batch]
        if stop.is_set():
            return False  # park: nothing recorded, the rows stay pending for the next run
        self._finish_batch(inspections, t0, provisional=batch_kind == "provisional")
        return True

    def _idle(self, until_idle: bool) -> bool:
        """Nothing in flight: stop if asked to run until idle and the queue is empty, else wait for news."""
        if until_idle and self.catalog.queue_length(self.scope, scored_only=self.reasons_only) == 0:
            return False
        if self.on_idle:
            self.on_idle()
        self._wake.wait(min(self._wait, self.poll_interval))
        if self._wake.is_set():
            self._wake.clear()
            self._next_poll = 0.0
        return True

    def _finish_batch(self, inspections: list[Inspection], t0: float, *, provisional: bool = False) -> None:
        outcomes = self.score(inspections, provisional=provisional)
        if self.run_id is None:  # started when run() began, so busy time always fits in the run's span
            self.run_id = self.catalog.start_run(self.run_kind, self.engine.fingerprint, now=self._started_at)
        recorded = self.catalog.record_outcomes(outcomes, now=self.clock(), run_id=self.run_id,
                                                busy_seconds=time.monotonic() - t0)
        self._refresh_taste(recorded)
        flags_changed = self._recompute_folders(recorded)
        seconds = time.monotonic() - t0  # waiting for the decode-ahead, scoring and recording
        done = 0
        errors = []
        paths = {i.item.photo_id: i.item.path for i in inspections}
        for r, i in zip(recorded, inspections, strict=True):
            if not r.recorded:
                continue
            self.totals.count(r.kind, provisional=provisional)
            if r.kind == "error":
                errors.append((i.item.path, i.error or "could not be scored"))
            if r.kind != "changed":
                done += 1
        self.totals.batches += 1
        self.totals.busy_seconds += seconds
        self._rate.add(time.monotonic(), done, seconds)
        for path, reason in errors:  # INFO: scan prints them itself, watch shows INFO
            log.info("%s: %s", shown(path), shown(reason))
        if self.on_batch:
            self.on_batch(BatchReport(tuple(recorded), paths, tuple(errors), self.totals, seconds, self.rate,
                                      flags_changed))

    def _recompute_folders(self, recorded: Sequence[Recorded]) -> int:
        """The derived data of the folders a batch touched: sidecars imported (on_recorded), then flags and
        reasons recomputed; the flags changed. A catalog failure is logged: the next batch or scan catches up."""
        flags_changed = 0
        folders = {r.folder for r in recorded if r.recorded and r.folder and r.kind != "changed"}
        if self.on_recorded is not None:
            try:
                folders.update(self.on_recorded(recorded))
            except CatalogError as exc:  # the next scan imports what was missed
                log.warning("could not import XMP sidecars: %s", exc)
        if not folders:
            return flags_changed
        try:
            flags_changed = culling.recompute_flags(self.catalog, self.rules, folders=sorted(folders))
        except CatalogError as exc:  # flags are derived data: the next batch recomputes them
            log.warning("could not recompute flags: %s", exc)
        try:
            self.reasons_changed += culling.recompute_reasons(self.catalog, sorted(folders), self.rules)
        except CatalogError as exc:  # reasons are derived data too
            log.warning("could not recompute reasons: %s", exc)
        return flags_changed

    def _refresh_taste(self, recorded: Sequence[Recorded]) -> None:
        """Give the photos just scored their taste value, before the flags (which may rank by it)."""
        from curator.actions.taste_learning import TasteModelStale, refresh

        ids = [r.photo_id for r in recorded if r.recorded and r.kind in ("scored", "adopted")]
        if not ids:
            return
        try:
            refresh(self.catalog, ids, self.engine.fingerprint)
        except TasteModelStale as exc:
            if not self._said_taste_stale:  # once per run: every batch would say the same
                log.warning("new photos get no taste value: %s", exc)
                self._said_taste_stale = True
        except CatalogError as exc:  # derived data: `curator learn` rates every photo again
            log.warning("could not give new photos their taste value: %s", exc)
