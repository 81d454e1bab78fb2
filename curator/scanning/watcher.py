"""The watcher: filesystem events -> the catalog's pending queue. It never scores anything.

created / modified / closed-after-write  -> the photo is (re)queued as pending, with its stat
moved                                    -> the photo keeps its id, score and decisions under the new path
deleted                                  -> the photo is marked missing (nothing is erased)
a folder created or moved in             -> its photos are synced like a scan
a folder moved or deleted                -> every photo under it follows, or is marked missing

Whether a queued file has finished being written is the worker's business
(curator.rules.settle); the watcher only says "look at this". Files that are not
photos by extension are ignored, and so, before anything else, are curator's
own files: XMP sidecars (which `watch --xmp` writes), and the temporary files
of an atomic sidecar write (*.curator-tmp) or of a move across file systems
(*.curator-partial). Writing a sidecar never wakes the worker.

The observer runs in watchdog's threads; GuardedObserver checks that they are
alive, so the watcher never runs deaf (it restarts them, then polls, then gives up
with WatchingStopped).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from curator.catalog import Catalog
from curator.display import shown
from curator.errors import UserError
from curator.disk.files import MAX_DEPTH, is_photo_path, is_under
from curator.disk.own_files import OWN_SUFFIXES
from curator.disk.identity import stat_file

log = logging.getLogger("curator.scanning.watcher")

# Opened / closed-without-writing events are left out: the worker's own reads would wake us.
EVENTS = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileAttribEvent, FileMovedEvent, FileDeletedEvent,
          DirCreatedEvent, DirMovedEvent, DirDeletedEvent]




def is_own_file(path: str) -> bool:
    return path.lower().endswith(OWN_SUFFIXES)


class CatalogEventHandler(FileSystemEventHandler):
    """Turns watchdog events into catalog updates. Runs in the observer's thread; never raises."""

    def __init__(self, catalog: Catalog, *, wake: Callable[[], None] | None = None,
                 sync_tree: Callable[[str], object] | None = None, min_interval: float = 0.1,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.catalog = catalog
        self.wake = wake or (lambda: None)
        self.sync_tree = sync_tree
        self.min_interval = min_interval
        self.clock = clock
        self._last: dict[str, float] = {}  # path -> when we last queued it (a burst of writes is one update)
        self._lock = threading.Lock()
        self.events = 0
        self.failures = 0

    def dispatch(self, event: FileSystemEvent) -> None:
        self.events += 1
        try:
            self.handle(event)
        except Exception as exc:  # noqa: BLE001 - never let one event stop the observer; a rescan catches up
            self.failures += 1
            log.warning("could not record %s of %s: %s", event.event_type, shown(_decode(event.src_path)), exc)

    def handle(self, event: FileSystemEvent) -> None:
        src = _path(_decode(event.src_path))
        kind = event.event_type
        if not event.is_directory and is_own_file(src) and (
                kind != "moved" or is_own_file(_decode(event.dest_path))):
            return  # a sidecar or a temp file of ours (a temp renamed to a photo is still looked at)
        if event.is_directory:
            self._folder_event(kind, src, event)
        elif kind in ("created", "modified", "closed", "attrib"):
            if is_photo_path(src):
                self.enqueue(src, force=kind in ("created", "closed"))
        elif kind == "deleted":
            if is_photo_path(src):
                self.catalog.mark_missing(src)
        elif kind == "moved":
            self._file_moved(src, _path(_decode(event.dest_path)))
        self.wake()

    def _folder_event(self, kind: str, src: str, event: FileSystemEvent) -> None:
        """A folder moved (its photos follow), deleted (they go missing) or created (it is walked)."""
        if kind == "moved":
            dest = _path(_decode(event.dest_path))
            self.catalog.move_tree(src, dest)
            if self.sync_tree:
                self.sync_tree(dest)
        elif kind == "deleted":
            self.catalog.mark_missing(src)
        elif kind == "created" and self.sync_tree:
            self.sync_tree(src)

    def _file_moved(self, src: str, dest: str) -> None:
        if is_photo_path(src) and is_photo_path(dest):
            if not self.catalog.move_path(src, dest):
                self.enqueue(dest, force=True)
        elif is_photo_path(dest):  # e.g. a download renamed from photo.jpg.part
            self.enqueue(dest, force=True)
        elif is_photo_path(src):
            self.catalog.mark_missing(src)

    def enqueue(self, path: str, force: bool = False) -> None:
        now = self.clock()
        with self._lock:
            last = self._last.get(path)
            if not force and last is not None and now - last < self.min_interval:
                return  # the worker re-stats before scoring, so a skipped update is never lost
            self._last[path] = now
            if len(self._last) > 4096:
                self._last = {p: t for p, t in self._last.items() if now - t < 10 * self.min_interval}
        result = stat_file(path)
        if result.kind == "ok" and result.stat is not None:
            self.catalog.enqueue_path(path, result.stat, now=now)
        elif result.kind == "error":
            self.catalog.record_path_error(path, result.error or "cannot be read", now=now)
        # "missing": created and gone again before we looked; a deleted event follows


def _decode(path: str | bytes) -> str:
    return os.fsdecode(path)


def _path(path: str) -> str:
    """As the scan walks it: the watched folder's real path, then the path below it as it is."""
    return os.path.abspath(path)


def start_observer(roots: Sequence[str], handler: CatalogEventHandler, *, polling: bool = False,
                   poll_interval: float = 1.0) -> BaseObserver:
    """A started observer on every root (recursive). Falls back to polling when native watching cannot
    start: inotify out of watches (OSError), or a tree too deep for watchdog's recursive walk."""
    observer = polling_observer(roots, poll_interval) if polling else Observer()
    try:
        for root in roots:
            observer.schedule(handler, root, recursive=True, event_filter=EVENTS)
        observer.start()
        return observer
    except (OSError, RecursionError) as exc:
        if polling:
            raise
        log.warning("native file watching failed (%s); polling every %.1f s instead", _one_line(exc),
                    poll_interval)
        with contextlib.suppress(Exception):
            observer.stop()
        return start_observer(roots, handler, polling=True, poll_interval=poll_interval)


def polling_observer(roots: Sequence[str], poll_interval: float) -> BaseObserver:
    """Polling that lists no folder deeper than the walk goes (curator.disk.files.MAX_DEPTH): watchdog's
    snapshot recurses once per level, and a symlink loop would otherwise be followed until it fails."""
    tops = sorted((os.path.abspath(r) for r in roots), key=len, reverse=True)

    def listdir(path: str | None) -> Iterator[os.DirEntry]:
        folder = os.path.abspath(path or ".")
        top = next((t for t in tops if is_under(folder, t)), None)
        if top is not None and folder.count(os.sep) - top.rstrip(os.sep).count(os.sep) > MAX_DEPTH:
            return iter(())
        return os.scandir(folder)

    return PollingObserverVFS(os.stat, listdir, polling_interval=poll_interval)


class WatchingStopped(UserError):
    """Watching the folders failed again and again: the watcher exits rather than run deaf."""


class GuardedObserver:
    """An observer whose threads are checked for life, so a watcher can never keep running deaf.

    watchdog runs one dispatcher thread and one emitter thread per folder; an exception in an
    emitter (a RecursionError from a very deep folder moved in, say) ends that thread silently while
    the process lives on. check() notices a dead thread, says so in one line, and starts a new
    observer: the same kind once, then polling. Past `max_restarts` it raises WatchingStopped.
    After a restart, on_restart() runs (the service re-syncs the folders: events were lost meanwhile).
    """

    def __init__(self, roots: Sequence[str], handler: CatalogEventHandler, *, polling: bool = False,
                 poll_interval: float = 1.0, max_restarts: int = 3,
                 on_restart: Callable[[], object] | None = None) -> None:
        self.roots = list(roots)
        self.handler = handler
        self.polling = polling
        self.poll_interval = poll_interval
        self.max_restarts = max_restarts
        self.on_restart = on_restart
        self.restarts = 0
        self.observer: BaseObserver | None = None
        self._failures: dict[int, str] = {}  # thread ident -> what ended it
        self._previous_hook = threading.excepthook

    def start(self) -> None:
        threading.excepthook = self._excepthook
        self.observer = start_observer(self.roots, self.handler, polling=self.polling,
                                       poll_interval=self.poll_interval)
        self.polling = self.polling or isinstance(self.observer, PollingObserverVFS)

    def threads(self) -> list[threading.Thread]:
        """The observer's dispatcher, its emitters, and the inotify reader they share (watchdog 7 reads
        every inotify watch of the process in one thread; when it dies, every emitter waits forever)."""
        if self.observer is None:
            return []
        emitters = list(self.observer.emitters)
        readers = {id(r): r for e in emitters
                   if isinstance(r := getattr(e, "_inotify_fd", None), threading.Thread)}
        return [self.observer, *emitters, *readers.values()]

    def dead_thread(self) -> threading.Thread | None:
        return next((t for t in self.threads() if not t.is_alive()), None)

    def check(self) -> None:
        """Restart the observer if one of its threads has ended; WatchingStopped past max_restarts."""
        dead = self.dead_thread()
        if dead is None:
            return
        why = self._failures.get(dead.ident or 0, "it stopped")
        self._stop_observer()
        if self.restarts >= self.max_restarts:
            raise WatchingStopped(f"file watching stopped {self.restarts + 1} times (last: {why}); "
                                  "exiting rather than watching nothing")
        self.restarts += 1
        self.polling = self.polling or self.restarts > 1  # the same kind once, then polling
        log.warning("file watching stopped (%s); restarting it%s", why,
                    f" with polling every {self.poll_interval:.1f} s" if self.polling else "")
        self.start()
        if self.on_restart is not None:
            self.on_restart()

    def stop(self) -> None:
        self._stop_observer()
        if threading.excepthook == self._excepthook:
            threading.excepthook = self._previous_hook

    def _stop_observer(self) -> None:
        observer, self.observer = self.observer, None
        if observer is not None:
            with contextlib.suppress(Exception):
                observer.stop()
                observer.join(timeout=10)

    def _excepthook(self, args: threading.ExceptHookArgs) -> None:
        """An exception that ends one of our threads: kept (one line) for check(), not printed as a traceback."""
        thread = args.thread
        if thread is not None and any(thread is t for t in self.threads()):
            self._failures[thread.ident or 0] = f"{args.exc_type.__name__}: {_one_line(args.exc_value)}"
            return
        self._previous_hook(args)


def _one_line(exc: BaseException | None) -> str:
    text = str(exc) if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__
