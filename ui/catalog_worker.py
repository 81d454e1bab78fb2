"""All catalog access for the window, on one background thread with its own connection.

The GUI thread never touches SQLite: it posts requests here and gets results
back through queued signals. A catalog that another process holds locked
(a watcher's write, a long `curator flag`) therefore delays results but never
freezes the window; `busy_for()` lets the window say so.

Requests coalesce: one pending reload, one pending re-flag (the latest
slider value), one pending detail (the latest selection), while decisions
queue in order and go first. The user's actions ("reject all but the best",
"Write XMP") queue in order after them.

Bursts are grouped here too (Catalog.bursts, which reads the CLIP
embeddings), in the background: after each reload the worker notes which
folders' frames changed (capture times, scores, pairs) and regroups only
those, a few at a time between other requests, so a decision never waits for
a big catalog's bursts.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject, Signal

from curator.errors import UserError
from curator.settings import Settings
from ui.gallery_model import BurstGroup

log = logging.getLogger(__name__)

_RETRY_SECONDS = 0.5
_MAX_RETRIES = 8  # a decision is retried this many times (each waits out SQLite's busy timeout)
_BURST_SLICE_S = 0.25  # background burst grouping works in slices this long, then lets other requests in
_ACTION_JOBS = ("burst_reject", "xmp")  # the user's own long requests (not "another process holds the lock")


@dataclass(frozen=True)
class BurstRejectResult:
    """What "reject all but the best" did (or, in a dry run, would do)."""

    scope: str  # "burst" (the selected photo's burst) or "folders"
    dry_run: bool
    rejected: tuple[int, ...] = ()  # photo ids rejected (or to reject)
    bursts: int = 0  # bursts touched
    folders: tuple[str, ...] | None = None  # the folders asked for ("folders" scope; None: every folder)
    photo_id: int | None = None  # the selected photo ("burst" scope)
    note: str = ""  # why nothing was done, when nothing was


@dataclass(frozen=True)
class XmpResult:
    """A "Write XMP" run: the roots written and curator.xmp.WriteReport's counts."""

    roots: tuple[str, ...]
    written: int  # sidecars created or changed
    unchanged: int  # sidecars that already said the same
    clashes: tuple[str, ...] = ()  # one message per clash (shots that would share an Adobe sidecar)
    failures: tuple[str, ...] = ()  # one line per failure
    naming: str = "adobe"
    sidecars: tuple[str, ...] = field(default=(), compare=False)  # every sidecar considered


def top_roots(folders: Sequence[str]) -> list[str]:
    """The folders that are not inside another one of them (Write XMP's roots for "all folders")."""
    out: list[str] = []
    for f in sorted(set(folders), key=lambda f: (len(f), f)):
        if not any(f == r or f.startswith(r.rstrip("/\\") + os.sep) for r in out):
            out.append(f)
    return sorted(out)


def _default_open(path: Path, readonly: bool) -> Any:
    from curator.catalog import Catalog

    return Catalog.open(path, readonly=readonly)


def _is_busy(exc: BaseException) -> bool:
    """SQLite's lock errors, raw or as the catalog words them (a CatalogError)."""
    text = str(exc).lower()
    return isinstance(exc, (sqlite3.OperationalError, UserError)) and ("locked" in text or "busy" in text)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class CatalogWorker(QObject):
    opened = Signal(bool, str)  # read only?, why (when it fell back to read-only)
    openFailed = Signal(str)
    rowsLoaded = Signal(object)  # list[GalleryRow]
    foldersLoaded = Signal(object)  # list[str]
    detailLoaded = Signal(int, object)  # photo id, PhotoDetail or None
    rowRefreshed = Signal(object)  # GalleryRow, as stored after a decision
    decisionFailed = Signal(int, str)
    flagsRecomputed = Signal(int)
    policyLoaded = Signal(object)  # (threshold, bottom_percent) stored in the catalog, or None
    failed = Signal(str)  # anything else that went wrong, one line
    burstsLoaded = Signal(object)  # {folder: [BurstGroup]} for the folders regrouped ([] clears one)
    burstRejectDone = Signal(object)  # BurstRejectResult
    xmpWritten = Signal(object)  # XmpResult

    def __init__(self, db_path: Path | str, *, readonly: bool = False,
                 open_catalog: Callable[[Path, bool], Any] | None = None, settings: Settings | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.readonly = readonly
        self.settings = settings or Settings()  # burst grouping, XMP naming and mapping
        self._open_catalog = open_catalog or _default_open
        self._cond = threading.Condition()
        self._stop = False
        self._decisions: deque[tuple[int, dict[str, Any], int]] = deque()
        self._recompute: tuple | None = None
        self._reload = False
        self._detail: int | None = None
        self._poll = False
        self._actions: deque[tuple[str, Any]] = deque()  # the user's burst rejects and XMP writes, in order
        self._bursts_on = False  # group bursts in the background (the window turns it on after its first load)
        self._burst_pending: dict[str, int] = {}  # folder -> signature of its frames, to regroup
        self._burst_done: dict[str, int] = {}  # folder -> signature its bursts were grouped for
        self._burst_rows: Sequence[Any] | None = None  # the latest rows, to see which folders changed
        self._job: str | None = None
        self._job_started = 0.0
        self._thread: threading.Thread | None = None
        self._version: int | None = None
        self._folders: list[str] | None = None
        self.catalog: Any = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="curator-catalog", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                left = self.pending_decisions()
                log.warning("the catalog is still busy after %.0f s%s", timeout,
                            f"; {left} decision(s) may not be saved" if left else "")

    def busy_for(self) -> tuple[str | None, float]:
        """The request running now and for how many seconds (None, 0 when idle)."""
        job, started = self._job, self._job_started
        return (job, time.monotonic() - started) if job else (None, 0.0)

    def pending_decisions(self) -> int:
        with self._cond:
            return len(self._decisions) + (1 if self._job == "decision" else 0)

    # --- requests (any thread) -----------------------------------------------------------------
    def reload(self) -> None:
        with self._cond:
            self._reload = True
            self._cond.notify_all()

    def poll(self) -> None:
        with self._cond:
            self._poll = True
            self._cond.notify_all()

    def load_detail(self, photo_id: int) -> None:
        with self._cond:
            self._detail = photo_id
            self._cond.notify_all()

    def set_decision(self, photo_id: int, **changes: Any) -> None:
        with self._cond:
            self._decisions.append((photo_id, changes, 0))
            self._cond.notify_all()

    def recompute_flags(self, threshold: float | None, bottom_percent: float, folder: str | None = None) -> None:
        with self._cond:
            self._recompute = (threshold, bottom_percent, folder)
            self._cond.notify_all()

    def set_bursts_enabled(self, on: bool) -> None:
        """Group bursts in the background (after each reload, the folders whose frames changed)."""
        with self._cond:
            self._bursts_on = bool(on)
            self._cond.notify_all()

    def reject_burst(self, photo_id: int) -> None:
        """"Reject all but the best" in the burst of this photo."""
        self._queue_action("burst_reject", ("burst", int(photo_id), False))

    def reject_bursts(self, folders: Sequence[str] | None, *, dry_run: bool = False) -> None:
        """"Reject all but the best" in every burst of these folders (None: every folder)."""
        self._queue_action("burst_reject", ("folders", None if folders is None else tuple(folders), dry_run))

    def write_xmp(self, roots: Sequence[str] | None) -> None:
        """Write every photo's decision under these folders (None: all of them) to its XMP sidecar."""
        self._queue_action("xmp", None if roots is None else tuple(roots))

    def _queue_action(self, kind: str, arg: Any) -> None:
        with self._cond:
            self._actions.append((kind, arg))
            self._cond.notify_all()

    def burst_params(self) -> tuple[float, float]:
        return (float(self.settings.burst_gap_seconds), float(self.settings.burst_similarity))

    # --- the thread ----------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self.catalog = self._open()
        except Exception as exc:  # noqa: BLE001 - reported to the window, which explains it
            log.warning("cannot open catalog %s: %s", self.db_path, exc)
            self.openFailed.emit(_one_line(exc))
            return
        try:
            self.policyLoaded.emit(self._stored_policy())
        except Exception:  # noqa: BLE001 - an older catalog without a stored policy
            self.policyLoaded.emit(None)
        try:
            while True:
                job = self._next_job()
                if job is None:
                    break
                self._run_job(*job)
        finally:
            try:
                self.catalog.close()
            except Exception:  # noqa: BLE001
                pass

    def _open(self) -> Any:
        if self.readonly:
            cat = self._open_catalog(self.db_path, True)
            self.opened.emit(True, "opened read-only")
            return cat
        try:
            cat = self._open_catalog(self.db_path, False)
        except Exception as exc:  # a read-only folder or file: fall back to reading
            if not self.db_path.exists():
                raise
            try:
                cat = self._open_catalog(self.db_path, True)
            except Exception:
                raise exc from None
            self.readonly = True
            self.opened.emit(True, _one_line(exc))
            return cat
        self.opened.emit(False, "")
        return cat

    def _next_job(self) -> tuple | None:
        with self._cond:
            while True:
                if self._decisions:  # first, and even when stopping: a decision is never dropped
                    return ("decision", self._decisions.popleft())
                if self._stop:
                    return None
                if self._detail is not None:
                    pid, self._detail = self._detail, None
                    return ("detail", pid)
                if self._recompute is not None:
                    args, self._recompute = self._recompute, None
                    return ("recompute", args)
                if self._actions:
                    return self._actions.popleft()
                if self._reload:
                    self._reload = self._poll = False
                    return ("reload", None)
                if self._poll:
                    self._poll = False
                    return ("poll", None)
                if self._bursts_on and (self._burst_pending or self._burst_rows is not None):
                    return ("bursts", None)
                self._cond.wait()

    def _run_job(self, kind: str, arg: Any) -> None:
        self._job, self._job_started = kind, time.monotonic()
        try:
            getattr(self, f"_do_{kind}")(arg)
        except Exception as exc:  # noqa: BLE001 - the thread must survive anything the catalog raises
            if _is_busy(exc):
                self._requeue(kind, arg)
            else:
                log.warning("catalog %s failed: %s", kind, _one_line(exc))
                log.debug("catalog %s failed", kind, exc_info=True)
                if kind == "decision":
                    self.decisionFailed.emit(arg[0], _one_line(exc))
                    self._reload_now_quietly()
                elif kind == "xmp":
                    self.failed.emit(f"Write XMP failed: {_one_line(exc)}")
                elif kind == "burst_reject":
                    self.failed.emit(f"Reject all but the best failed: {_one_line(exc)}")
                else:
                    self.failed.emit(f"catalog {kind} failed: {_one_line(exc)}")
        finally:
            self._job = None

    def _requeue(self, kind: str, arg: Any) -> None:
        """The catalog is locked by someone else: try again shortly, without blocking the GUI."""
        with self._cond:
            if kind == "decision":
                pid, changes, tries = arg
                if tries >= (_MAX_RETRIES if not self._stop else 4):
                    self.decisionFailed.emit(pid, "the catalog stayed locked; decision not saved")
                    return
                self._decisions.appendleft((pid, changes, tries + 1))
            elif kind == "recompute":
                self._recompute = self._recompute or arg
            elif kind == "detail":
                self._detail = self._detail if self._detail is not None else arg
            elif kind in ("reload", "poll"):
                self._reload = True
            elif kind in _ACTION_JOBS:
                self._actions.appendleft((kind, arg))
            # "bursts": the folder went back on the pending list (_do_bursts)
            self._cond.wait(_RETRY_SECONDS)

    def _reload_now_quietly(self) -> None:
        try:
            self._do_reload(None)
        except Exception:  # noqa: BLE001
            pass

    def _do_decision(self, arg: tuple[int, dict[str, Any], int]) -> None:
        pid, changes, _tries = arg
        self.catalog.set_decision(pid, source="user", **changes)
        # a decision belongs to the shot: both files of a RAW+JPEG pair show it
        for row in self.catalog.rows_by_id(self.catalog.shot_ids(pid)):
            self.rowRefreshed.emit(row)

    def _do_detail(self, pid: int) -> None:
        self.detailLoaded.emit(pid, self.catalog.photo_detail(pid))

    def _stored_policy(self) -> tuple[float | None, float] | None:
        return self.catalog.flag_policy()

    def _do_recompute(self, args: tuple) -> None:
        threshold, bottom, folder = args
        n = self.catalog.recompute_flags(threshold, bottom, folder)
        if folder is None:  # what later scans and watches re-flag with
            self.catalog.set_flag_policy(threshold, bottom)
        self.flagsRecomputed.emit(int(n or 0))
        self._do_reload(None)

    def _do_reload(self, _arg: Any) -> None:
        version = self.catalog.data_version()
        rows = self.catalog.gallery_rows()
        self._version = version
        self.rowsLoaded.emit(rows)
        folders = list(self.catalog.folders())
        if folders != self._folders:
            self._folders = folders
            self.foldersLoaded.emit(folders)
        with self._cond:  # looked at by the burst job, which waits while the window takes in the rows
            self._burst_rows = rows

    # --- bursts ----------------------------------------------------------------------------------
    def _note_burst_folders(self, rows: Sequence[Any]) -> None:
        """Which folders' bursts to (re)group: those whose frames changed since they were grouped."""
        frames: dict[str, list[tuple]] = {}
        for r in rows:
            if r.partner_of is None and r.status != "missing":
                frames.setdefault(r.folder, []).append((r.photo_id, r.capture_time, r.fused))
        cleared: dict[str, list[BurstGroup]] = {}
        with self._cond:
            for folder in list(self._burst_done):
                if folder not in frames:
                    del self._burst_done[folder]
                    cleared[folder] = []
            for folder in list(self._burst_pending):
                if folder not in frames:
                    del self._burst_pending[folder]
            for folder, items in frames.items():
                # a frame joins a burst only with a capture time and a score (its embedding comes with it)
                if sum(1 for _pid, t, fused in items if t is not None and fused is not None) < 2:
                    self._burst_pending.pop(folder, None)
                    if self._burst_done.pop(folder, None) is not None:
                        cleared[folder] = []
                    continue
                sig = hash(frozenset(items))
                if self._burst_done.get(folder) != sig:
                    self._burst_pending[folder] = sig
        if cleared:
            self.burstsLoaded.emit(cleared)

    def _do_bursts(self, _arg: Any) -> None:
        with self._cond:
            rows, self._burst_rows = self._burst_rows, None
        if rows is not None:
            self._note_burst_folders(rows)
        gap, similarity = self.burst_params()
        start = time.monotonic()
        out: dict[str, list[BurstGroup]] = {}
        try:
            while time.monotonic() - start < _BURST_SLICE_S:
                with self._cond:
                    if not self._burst_pending or self._decisions or self._stop:
                        break
                    folder = next(iter(self._burst_pending))
                    sig = self._burst_pending.pop(folder)
                try:
                    groups = self.catalog.bursts(folder, gap_seconds=gap, similarity=similarity)
                except Exception as exc:
                    with self._cond:  # a locked catalog: again after the retry pause; else not until it changes
                        if _is_busy(exc):
                            self._burst_pending.setdefault(folder, sig)
                        else:
                            self._burst_done[folder] = sig
                    raise
                out[folder] = [BurstGroup.from_burst(b) for b in groups if b.is_burst]
                with self._cond:
                    self._burst_done[folder] = sig
        finally:
            if out:
                self.burstsLoaded.emit(out)

    # --- the user's actions ----------------------------------------------------------------------
    def _do_burst_reject(self, arg: tuple) -> None:
        scope, what, dry_run = arg
        gap, similarity = self.burst_params()
        if scope == "burst":
            result = self._reject_one_burst(int(what), gap, similarity)
        else:
            folders = what
            decisions: list[Any] = []
            for folder in (folders if folders is not None else (None,)):
                decisions += self.catalog.reject_burst_others(folder, gap_seconds=gap, similarity=similarity,
                                                              dry_run=dry_run)
            result = BurstRejectResult("folders", dry_run, tuple(int(d.photo_id) for d in decisions),
                                       len({d.best_id for d in decisions}), folders)
        self.burstRejectDone.emit(result)
        if result.rejected and not dry_run:
            self._do_reload(None)

    def _reject_one_burst(self, pid: int, gap: float, similarity: float) -> BurstRejectResult:
        """The catalog rejects per folder; one burst is its part of the folder's plan, each frame then
        rejected as a user decision (the plan already leaves out the best, brackets and decided frames)."""
        rows = self.catalog.rows_by_id([pid])
        if not rows:
            return BurstRejectResult("burst", False, photo_id=pid, note="the photo is no longer in the catalog")
        row = rows[0]
        shot = row.partner_of if row.partner_of is not None else pid
        burst = next((b for b in self.catalog.bursts(row.folder, gap_seconds=gap, similarity=similarity)
                      if shot in b.ids), None)
        if burst is None or not burst.is_burst:
            return BurstRejectResult("burst", False, photo_id=pid, note="not part of a burst")
        if not burst.complete:
            return BurstRejectResult("burst", False, photo_id=pid,
                                     note="not every frame of this burst is scored yet, so its best is not known")
        members = set(burst.ids)
        plan = [d for d in self.catalog.reject_burst_others(row.folder, gap_seconds=gap, similarity=similarity,
                                                            dry_run=True) if d.photo_id in members]
        for d in plan:
            self.catalog.set_decision(int(d.photo_id), flag="reject", source="user")
        note = "" if plan else "nothing to reject: the other frames are decided, bracketed or already rejected"
        return BurstRejectResult("burst", False, tuple(int(d.photo_id) for d in plan), 1 if plan else 0,
                                 photo_id=pid, note=note)

    def _do_xmp(self, roots: tuple[str, ...] | None) -> None:
        from curator.sidecars import SidecarWriter

        settings = self.settings
        if roots is None:
            roots = tuple(top_roots(self.catalog.folders()))
        report = SidecarWriter.from_settings(self.catalog, settings).write_all(list(roots))
        changed = sum(1 for r in report.written if r.changed)
        self.xmpWritten.emit(XmpResult(
            tuple(roots), changed, len(report.written) - changed, tuple(c.message for c in report.clashes),
            tuple(reason or str(path) for path, reason in report.failures), settings.xmp_naming,
            tuple(str(r.sidecar) for r in report.written)))

    def _do_poll(self, _arg: Any) -> None:
        if self.catalog.data_version() != self._version:
            self._do_reload(None)
