"""`--watch DIR`: the catalog's watch service on a background thread, its status delivered by a queued signal.

curator.scanning.service (and with it the engine and torch) is imported only when a
watch actually starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from curator.settings import Settings

log = logging.getLogger(__name__)


def describe_status(status: Any, n_dirs: int) -> str:
    """WatchStatus(queue_length, scored, errors, rate) -> one status-bar line."""
    parts = [f"Watching {n_dirs} folder{'s' if n_dirs != 1 else ''}"]
    queue = getattr(status, "queue_length", None)
    if queue is not None:
        parts.append(f"{queue} queued")
    rate = getattr(status, "rate", None)
    if rate is not None:
        parts.append(f"{rate:.1f} photos/s")
    scored = getattr(status, "scored", None)
    if scored is not None:
        parts.append(f"{scored} scored")
    errors = getattr(status, "errors", None)
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    return " · ".join(parts)


class WatchRunner(QObject):
    status = Signal(object)  # WatchStatus, from the watcher's thread (queued to the GUI)
    stopped = Signal(str)  # "" on a clean stop, else why it stopped

    def __init__(self, settings: Settings, dirs: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.dirs = [str(d) for d in dirs]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="curator-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            from curator.scanning.service import WatchService

            service = WatchService(self.settings, [Path(d) for d in self.dirs], on_status=self._emit_status)
            service.run(self._stop)
        except BaseException as exc:  # logged, and shown in the status bar: the window stays usable
            log.warning("watcher stopped: %s", exc, exc_info=True)
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._emit_stopped(f"watcher stopped: {text}")
            return
        self._emit_stopped("")

    def _emit_status(self, status: Any) -> None:
        try:
            self.status.emit(status)
        except RuntimeError:  # the window is gone
            pass

    def _emit_stopped(self, message: str) -> None:
        try:
            self.stopped.emit(message)
        except RuntimeError:
            pass

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask the watcher to finish or park its batch; True if it stopped in time."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True
