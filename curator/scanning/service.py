"""The composition root: builds the catalog, the engine, the worker and the watcher, runs them, closes them.

`scan()` is the one-shot job of `curator scan`; `WatchService` is `curator
watch`, and what the gallery runs in a thread for its in-process `--watch`.
Both sync the catalog with the folders first (new, changed, moved, gone and
stale-engine photos), then let the worker drain the pending queue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from curator.actions import culling
from curator.actions.culling import CullingRules, FlagPolicy, flag_policy_for
from curator.actions.engine_loading import load_engine, load_provisional_engine
from curator.catalog import CURRENT_KINDS, Catalog, CatalogError, FileEntry, SyncCounts
from curator.actions.embedding_backfill import FillSummary, fill_embeddings
from curator.errors import UserError
from curator.disk.files import is_photo_path, walk_photos
from curator.settings import Settings
from curator.actions.sidecar_sync import ImportReport, SidecarWriter, import_for_records, import_sidecars
from curator.disk.identity import normalize_path, stat_file
from curator.scanning.lock import ScoringLock
from curator.scanning.worker import BatchReport, Totals, Worker, WorkerOptions

if TYPE_CHECKING:
    from iqa_engine import Engine

    from curator.scanning.watcher import GuardedObserver
    from curator.actions.taste_learning import Retrainer
    from curator.scanning.ray_scan import RayOptions

log = logging.getLogger("curator.scanning.service")



@dataclass(frozen=True)
class WatchStatus:
    queue_length: int  # pending photos in the catalog (the watcher scores all of them)
    scored: int  # photos whose score became current this session (scored, or kept after a move)
    errors: int  # photos that could not be scored this session
    rate: float  # photos/s over the last half-minute of work


@dataclass(frozen=True)
class Collected:
    roots: list[str]  # normalised folders and files given
    entries: list[FileEntry]
    not_photos: list[str]  # files given explicitly that are not photos by extension


@dataclass
class ScanSummary:
    found: int = 0
    sync: SyncCounts = field(default_factory=SyncCounts)
    totals: Totals = field(default_factory=Totals)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): this run's failures
    earlier_errors: int = 0  # photos under the folders still in error from earlier runs (not tried again)
    not_photos: list[str] = field(default_factory=list)
    other_scorer: str | None = None  # pid of the process that will score what we queued
    interrupted: bool = False
    flags_changed: int = 0
    reasons_changed: int = 0  # shots whose reasons changed
    sidecars_imported: int = 0  # sidecars whose ratings, labels or rejects a person set came in as decisions
    sidecar_failures: list[tuple[str, str]] = field(default_factory=list)  # (sidecar, reason): not read
    embeddings: FillSummary | None = None  # CLIP embeddings added for photos scored before them


# -- building blocks ----------------------------------------------------------------


def collect(inputs: Iterable[str | os.PathLike[str]]) -> Collected:
    """Walk folders (recursively, symlink loops skipped) and stat every photo; files are taken as given."""
    roots: list[str] = []
    entries: list[FileEntry] = []
    not_photos: list[str] = []
    seen: set[str] = set()
    for raw in inputs:
        p = Path(raw).expanduser()
        if not os.path.lexists(p):
            raise UserError(f"no such file or folder: {raw}")
        if p.is_dir():
            root = os.path.realpath(p)
            roots.append(root)
            paths: Iterable[Path] = walk_photos(root)
        elif is_photo_path(p):
            roots.append(normalize_path(p))
            paths = [p]
        else:
            not_photos.append(str(raw))
            continue
        for path in paths:
            # Under a folder, a photo's identity is the path as walked from the folder's real path (as the
            # watcher reports it); a file given by itself has its folder's symlinks resolved.
            norm = os.path.abspath(path) if p.is_dir() else normalize_path(path)
            if norm in seen:
                continue
            seen.add(norm)
            result = stat_file(norm)
            if result.kind == "ok":
                entries.append(FileEntry(norm, result.stat))
            elif result.kind == "error":
                entries.append(FileEntry(norm, None, result.error))
    return Collected(roots, entries, not_photos)


def sync(catalog: Catalog, roots: Sequence[str], fingerprint: str, *, retry_errors: bool = False,
         dimensions_fingerprint: str | None = None) -> SyncCounts:
    """Bring the catalog in line with the folders: queue what is new, changed or stale (or lacks current
    quality values); mark what is gone."""
    found = collect(roots)
    return catalog.sync_files(found.roots or list(roots), found.entries, fingerprint=fingerprint,
                              retry_errors=retry_errors, dimensions_fingerprint=dimensions_fingerprint)


# -- curator scan -------------------------------------------------------------------


def scan(settings: Settings, inputs: Sequence[str], *, engine: Engine | None = None,
         flag_policy: FlagPolicy | None = None, retry_errors: bool = False, triage: bool = False,
         stop: threading.Event | None = None,
         on_start: Callable[[int], None] | None = None,
         on_progress: Callable[[int, int, float], None] | None = None,
         reasons_only: bool = False, ray: RayOptions | None = None) -> ScanSummary:
    """Score every new, changed or stale photo under `inputs` into the catalog, then return.

    Scored photos without current quality values (dimensions, measurements) get them, their stored score
    kept. With reasons_only, only those are processed (nothing is scored). Every folder's reasons are
    derived again at the end, so a changed [reasons] setting applies.

    on_start(total) is called once the queue is known; on_progress(done, total, rate) after each batch.
    With `ray`, the decoding and scoring run on a Ray cluster's actors (curator.scanning.ray_scan); the rest is the same.
    triage: provisional scores first for any queue (`scan --triage`), not only past `[watch] triage_over`.
    """
    stop = stop or threading.Event()
    summary = ScanSummary()
    found = collect(inputs)
    summary.not_photos = found.not_photos
    summary.found = len(found.entries)
    if not found.roots:
        return summary
    catalog = Catalog.open(settings.db_path)
    lock = ScoringLock(settings.db_path)
    try:
        have_lock = lock.acquire()
        if found.entries:
            engine = engine or load_engine(settings)
        imported = _sync_for_scan(catalog, settings, found, engine, summary, retry_errors=retry_errors,
                                  reasons_only=reasons_only)
        if not have_lock:
            summary.other_scorer = lock.holder() or "?"
            return summary
        rules = CullingRules.from_settings(settings, flag_policy_for(catalog, settings, flag_policy))
        queued = catalog.queue_length(found.roots, scored_only=reasons_only)
        if queued and engine is None:  # photos queued earlier under these folders, not walked now
            engine = load_engine(settings)
        if on_start:
            on_start(queued)
        if engine is not None:
            _score_queue(catalog, settings, engine, found.roots, rules, summary, stop, on_progress=on_progress,
                         triage=triage, reasons_only=reasons_only, ray=ray)
        summary.interrupted = stop.is_set()
        summary.earlier_errors = len(catalog.error_paths(found.roots) - {path for path, _ in summary.errors})
        if not summary.interrupted:
            _derive_after_scan(catalog, found.roots, rules, imported.folders, summary)
        return summary
    finally:
        lock.release()
        catalog.close()


def _sync_for_scan(catalog: Catalog, settings: Settings, found: Collected, engine: Engine | None,
                   summary: ScanSummary, *, retry_errors: bool, reasons_only: bool) -> ImportReport:
    """The catalog brought in line with what the walk found (summary.sync, and the files that could not be
    read in summary.errors), then the sidecars' decisions imported; the import's report."""
    # A walk that found no photos compares no scores, so its sync needs no engine and no model
    # load: it only marks what the catalog had there as missing.
    summary.sync = catalog.sync_files(found.roots, found.entries, retry_errors=retry_errors,
                                      fingerprint=engine.fingerprint if engine else "",
                                      reasons_only=reasons_only,
                                      dimensions_fingerprint=getattr(engine, "dimensions_fingerprint", None))
    summary.errors = [(e.path, e.error or "cannot be read") for e in found.entries if e.stat is None]
    # Ratings, labels and rejects a person set in sidecars (Lightroom, darktable) become user decisions.
    imported = import_sidecars(catalog, settings.xmp_naming, scope=found.roots)
    summary.sidecars_imported, summary.sidecar_failures = imported.imported, imported.failures
    return imported


def _score_queue(catalog: Catalog, settings: Settings, engine: Engine, roots: list[str], rules: CullingRules,
                 summary: ScanSummary, stop: threading.Event, *,
                 on_progress: Callable[[int, int, float], None] | None, triage: bool, reasons_only: bool,
                 ray: RayOptions | None) -> None:
    """Score the queue under the roots (locally, or on a Ray cluster's actors) into summary, then give the
    photos scored before embeddings existed theirs."""

    def batch_done(report: BatchReport) -> None:
        summary.errors.extend(report.errors)
        summary.flags_changed += report.flags_changed
        if on_progress:
            done = report.totals.done
            on_progress(done, done + catalog.queue_length(roots, scored_only=reasons_only), report.rate)

    options = WorkerOptions.from_settings(settings)
    if ray is not None:  # the actors score exactly: no triage on a cluster
        from curator.scanning.ray_scan import run_on_ray

        summary.totals = run_on_ray(ray, catalog, engine, stop, options, rules=rules,
                                    scope=roots, on_batch=batch_done, reasons_only=reasons_only)
    else:
        worker = Worker(catalog, engine, options, rules=rules, scope=roots, on_batch=batch_done,
                        reasons_only=reasons_only,
                        # --reasons-only scores nothing, so it has nothing to triage
                        provisional_factory=None if reasons_only else (
                            lambda: load_provisional_engine(settings, engine, forced=triage)),
                        triage_forced=triage and not reasons_only)
        summary.totals = worker.run(stop, until_idle=True)
        summary.reasons_changed = worker.reasons_changed
    if not stop.is_set():  # photos scored before embeddings existed get theirs; scores untouched
        summary.embeddings = fill_embeddings(catalog, engine, roots, stop=stop)


def _derive_after_scan(catalog: Catalog, roots: list[str], rules: CullingRules, imported_folders: Iterable[str],
                       summary: ScanSummary) -> None:
    """After a scan that ran to the end: the flags of the folders whose photos went missing or re-appeared
    (they change folder rankings too) or got imported decisions, and every folder's reasons (so a changed
    [reasons] setting applies)."""
    gone_or_back = summary.sync.missing or summary.sync.reappeared
    folders = set(imported_folders)
    if gone_or_back or folders:
        if gone_or_back:
            folders |= {os.path.dirname(r) for r in roots} | set(catalog.folders(under=roots))
        summary.flags_changed += culling.recompute_flags(catalog, rules, folders=sorted(folders))
    summary.reasons_changed += culling.recompute_reasons(catalog, catalog.folders(under=roots), rules)


# -- curator watch ------------------------------------------------------------------


class WatchService:
    """Catch up as `scan` does, then watch the folders and score what lands, until `stop` is set.

    on_status is called (from the thread running run()) after every batch and
    about once a second while idle. The engine is loaded in run() unless one
    is given. Raises CatalogError when another process is already scoring
    into this catalog.
    """

    def __init__(self, settings: Settings, dirs: list[Path], on_status: Callable[[WatchStatus], None] | None = None,
                 engine: Engine | None = None, *, flag_policy: FlagPolicy | None = None, polling: bool = False,
                 rescan_seconds: float = 600.0, on_batch: Callable[[BatchReport], None] | None = None,
                 on_ready: Callable[[], None] | None = None, xmp: bool = False,
                 xmp_interval: float = 1.0) -> None:
        self.settings = settings
        self.dirs = [Path(d) for d in dirs]
        self.on_status = on_status
        self.engine = engine
        self.flag_policy = flag_policy
        self.polling = polling
        self.rescan_seconds = rescan_seconds
        self.on_batch = on_batch
        self.on_ready = on_ready  # called once the observer runs and the catch-up sync is queued
        self.xmp = xmp  # keep XMP sidecars in step with the catalog's decisions (watch --xmp)
        self.xmp_interval = xmp_interval  # while idle, look for new decisions this often
        self.writer: SidecarWriter | None = None
        self.totals = Totals()
        self.sync_counts: SyncCounts | None = None
        self._last_status: WatchStatus | None = None
        self._last_status_at = 0.0
        self._worker: Worker | None = None
        self.observer: GuardedObserver | None = None  # while run() runs
        self.retrainer: Retrainer | None = None  # retrains the taste model after every N decisions
        self._last_taste_poke = 0.0

    def roots(self) -> list[str]:
        roots = []
        for d in self.dirs:
            p = d.expanduser()
            if not p.is_dir():
                raise UserError(f"not a folder: {d}")
            roots.append(os.path.realpath(p))
        return roots

    def run(self, stop: threading.Event) -> None:
        from curator.scanning.watcher import CatalogEventHandler, GuardedObserver

        roots = self.roots()
        catalog = Catalog.open(self.settings.db_path)
        lock = ScoringLock(self.settings.db_path)
        try:
            if not lock.acquire():
                raise CatalogError(f"another curator process (pid {lock.holder() or '?'}) is already scoring into "
                                   f"{self.settings.db_path}; stop it first")
            engine = self.engine or load_engine(self.settings)
            s = self.settings
            rules = CullingRules.from_settings(s, flag_policy_for(catalog, s, self.flag_policy))
            worker = Worker(catalog, engine, WorkerOptions.from_settings(s), rules=rules,
                            # The lock holder scores the whole queue: pending photos left by a killed scan
                            # of other folders, or queued by a scan while we run, are not stranded.
                            scope=None, on_batch=lambda r: self._batch_done(catalog, roots, r), run_kind="watch",
                            on_recorded=lambda rec: import_for_records(catalog, s.xmp_naming, rec),
                            provisional_factory=lambda: load_provisional_engine(s, engine))
            self.writer = SidecarWriter.from_settings(catalog, s) if self.xmp else None
            self.totals = worker.totals
            self._worker = worker
            self.retrainer = self._retrainer(rules)
            fingerprint, dimensions = engine.fingerprint, getattr(engine, "dimensions_fingerprint", None)

            def sync_tree(path: str) -> SyncCounts:
                return sync(catalog, [path], fingerprint, dimensions_fingerprint=dimensions)

            handler = CatalogEventHandler(catalog, wake=worker.wake, sync_tree=sync_tree,
                                          min_interval=s.poll_interval_seconds)
            # Events missed while a dead observer was restarted are found by syncing the folders again.
            guard = GuardedObserver(roots, handler, polling=self.polling,
                                    on_restart=lambda: sync(catalog, roots, fingerprint))
            self.observer = guard
            guard.start()
            try:
                self.sync_counts = sync(catalog, roots, fingerprint, dimensions_fingerprint=dimensions)
                self._import(catalog, roots, rules)
                if self.writer is not None:
                    self.writer.write_all(roots)
                last_sync = last_xmp = time.monotonic()
                if self.on_ready:
                    self.on_ready()
                self._emit(catalog, roots, force=True)

                def idle() -> None:
                    nonlocal last_sync, last_xmp
                    guard.check()  # never watch deaf: a dead observer thread is restarted, or we exit
                    if self.rescan_seconds and time.monotonic() - last_sync > self.rescan_seconds:
                        last_sync = time.monotonic()
                        try:  # events can be lost (an overflowing inotify queue); a periodic sync finds them
                            sync(catalog, roots, fingerprint, dimensions_fingerprint=dimensions)
                            self._import(catalog, roots, rules)  # sidecars edited in Lightroom meanwhile
                        except (CatalogError, OSError) as exc:
                            log.warning("periodic rescan failed: %s", exc)
                    self._poke_taste(catalog)
                    if self.writer is not None and time.monotonic() - last_xmp >= self.xmp_interval:
                        last_xmp = time.monotonic()  # decisions made in the gallery or by `curator flag`
                        self._write_sidecars(())
                    self._emit(catalog, roots)

                worker.on_idle = idle
                worker.run(stop)
            finally:
                guard.stop()
                if self.retrainer is not None:
                    self.retrainer.join(timeout=60)  # let a retraining in flight store its model
        finally:
            lock.release()
            catalog.close()

    def _import(self, catalog: Catalog, roots: list[str], rules: CullingRules) -> None:
        """Import what sidecars under the roots say a person decided; re-flag the folders it changed."""
        report = import_sidecars(catalog, self.settings.xmp_naming, scope=roots)
        for _sidecar, reason in report.failures:
            log.warning("%s", reason)
        if report.folders:
            culling.recompute_flags(catalog, rules, folders=report.folders)

    def _retrainer(self, rules: CullingRules) -> Retrainer:
        from curator.actions.taste_learning import Retrainer, taste_options

        rule, options = taste_options(self.settings)

        def reflag(catalog: Catalog) -> None:  # flags ranked by taste follow the new values
            if catalog.flag_basis() == "taste":
                culling.recompute_flags(catalog, rules)

        return Retrainer(lambda: Catalog.open(self.settings.db_path), every=self.settings.taste_retrain_every,
                         say=log.info, rule=rule, options=options, on_trained=reflag)

    def _poke_taste(self, catalog: Catalog) -> None:
        """Retrain the taste model when enough decisions were made since (at most every 2 s: a COUNT query)."""
        if self.retrainer is None or time.monotonic() - self._last_taste_poke < 2.0:
            return
        self._last_taste_poke = time.monotonic()
        try:
            self.retrainer.poke(catalog)
        except CatalogError as exc:
            log.warning("could not look for new decisions to learn from: %s", exc)

    def _write_sidecars(self, photo_ids: Iterable[int]) -> None:
        assert self.writer is not None
        try:
            self.writer.write_changed(photo_ids)
        except (CatalogError, OSError) as exc:  # the next batch or idle turn writes what was missed
            log.warning("could not write XMP sidecars: %s", exc)

    def _batch_done(self, catalog: Catalog, roots: list[str], report: BatchReport) -> None:
        if self.observer is not None:
            self.observer.check()
        self._poke_taste(catalog)
        if self.writer is not None:  # after the flags were recomputed: the batch and every changed decision
            self._write_sidecars(r.photo_id for r in report.recorded
                                 if r.recorded and r.kind in CURRENT_KINDS)
        if self.on_batch:
            self.on_batch(report)
        self._emit(catalog, roots, force=True)

    def _emit(self, catalog: Catalog, roots: list[str], force: bool = False) -> None:
        if self.on_status is None:
            return
        now = time.monotonic()
        if not force and now - self._last_status_at < 1.0:
            return
        t = self.totals
        status = WatchStatus(queue_length=catalog.queue_length(),
                             scored=t.scored + t.adopted + t.unchanged + t.paired,
                             errors=t.errors, rate=self._worker.rate if self._worker else 0.0)
        self._last_status_at = now
        if force or status != self._last_status:
            self._last_status = status
            self.on_status(status)
