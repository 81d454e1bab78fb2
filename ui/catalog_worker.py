"""All catalog access for the window, on one background thread with its own connection.

The GUI thread never touches SQLite: it posts requests here and gets results
back through queued signals. A catalog that another process holds locked
(a watcher's write, a long `curator flag`) therefore delays results but never
freezes the window; `busy_for()` lets the window say so.

Requests coalesce: one pending reload, one pending re-flag (the latest
slider value), one pending detail (the latest selection), while decisions
queue in order and go first.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from curator.errors import UserError

log = logging.getLogger(__name__)

_RETRY_SECONDS = 0.5
_MAX_RETRIES = 8  # a decision is retried this many times (each waits out SQLite's busy timeout)


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

    def __init__(self, db_path: Path | str, *, readonly: bool = False,
                 open_catalog: Callable[[Path, bool], Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.readonly = readonly
        self._open_catalog = open_catalog or _default_open
        self._cond = threading.Condition()
        self._stop = False
        self._decisions: deque[tuple[int, dict[str, Any], int]] = deque()
        self._recompute: tuple | None = None
        self._reload = False
        self._detail: int | None = None
        self._poll = False
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
                if self._reload:
                    self._reload = self._poll = False
                    return ("reload", None)
                if self._poll:
                    self._poll = False
                    return ("poll", None)
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
            self._cond.wait(_RETRY_SECONDS)

    def _reload_now_quietly(self) -> None:
        try:
            self._do_reload(None)
        except Exception:  # noqa: BLE001
            pass

    def _do_decision(self, arg: tuple[int, dict[str, Any], int]) -> None:
        pid, changes, _tries = arg
        self.catalog.set_decision(pid, source="user", **changes)
        detail = self.catalog.photo_detail(pid)
        if detail is not None:
            self.rowRefreshed.emit(detail.row)

    def _do_detail(self, pid: int) -> None:
        self.detailLoaded.emit(pid, self.catalog.photo_detail(pid))

    def _stored_policy(self) -> tuple[float | None, float] | None:
        getter = getattr(self.catalog, "flag_policy", None)
        return getter() if getter is not None else None

    def _do_recompute(self, args: tuple) -> None:
        threshold, bottom, folder = args
        n = self.catalog.recompute_flags(threshold, bottom, folder)
        setter = getattr(self.catalog, "set_flag_policy", None)
        if setter is not None and folder is None:  # what later scans and watches re-flag with
            setter(threshold, bottom)
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

    def _do_poll(self, _arg: Any) -> None:
        if self.catalog.data_version() != self._version:
            self._do_reload(None)
