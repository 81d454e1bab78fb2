"""The gallery's composition root: a QApplication, the window, an optional in-process watcher, or a screenshot."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication

from ui.theme import apply_theme
from ui.window import GalleryWindow

if TYPE_CHECKING:
    from curator.settings import Settings

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = (1440, 900)


def get_app() -> QApplication:
    if QApplication.instance() is None:
        app = QApplication([sys.argv[0] if sys.argv else "curator"])
        app.setApplicationName("curator")
        app.setApplicationDisplayName("curator")
    app = _running_app()
    apply_theme(app)
    return app


def _running_app() -> QApplication:
    # the gallery only ever runs under a QApplication (get_app, or pytest-qt's)
    return cast(QApplication, QApplication.instance())


def build_window(settings: Settings, *, folder: str | None = None, cache_dir: Path | str | None = None,
                 **kwargs: Any) -> GalleryWindow:
    return GalleryWindow(settings, folder=folder, cache_dir=cache_dir, **kwargs)


def run_gallery(settings: Settings, *, folder: str | None = None, watch_dirs: Sequence[str] = (),
                screenshot: str | Path | None = None, cache_dir: Path | str | None = None,
                screenshot_timeout: float = 60.0, screenshot_view: str = "grid",
                screenshot_size: tuple[int, int] | None = None, notice: str | None = None) -> int:
    """Open the window (or render it once to a PNG) and return the exit code.

    notice: a standing line in the title and the status bar (the demo's: its scores mean nothing)."""
    app = get_app()
    _quiet_qt_noise()
    from ui.session_state import open_settings

    # an interactive window reopens where it was left; a screenshot neither reads nor writes that
    window = build_window(settings, folder=folder, cache_dir=cache_dir,
                          remember=open_settings() if screenshot is None else None)
    if notice:
        show_notice(window, notice)
    if watch_dirs:
        from ui.background.watch_runner import WatchRunner

        runner = WatchRunner(settings, watch_dirs)
        window.set_watch_runner(runner)
        runner.start()
    try:
        if screenshot is not None:
            window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            window.resize(*(screenshot_size or SCREENSHOT_SIZE))
            window.show()
            save_screenshot(window, Path(screenshot), timeout=screenshot_timeout, view=screenshot_view)
            return 0
        window.show()
        window.raise_()
        _quit_on_sigint(app)
        return int(app.exec())
    finally:
        window.shutdown()
        window.deleteLater()


def show_notice(window: GalleryWindow, text: str) -> None:
    """Say it in the title bar and, for a screenshot too, in the status bar."""
    window.setWindowTitle(f"{window.windowTitle()} — {text}")
    window.status.show_notice(text)


_NOISE = ("propagateSizeHints",)  # the offscreen platform's harmless complaint, once per window


def _quiet_qt_noise() -> None:
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    previous = None

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if any(n in message for n in _NOISE):
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)


def _quit_on_sigint(app: QApplication) -> None:
    """Ctrl+C in the terminal closes the window cleanly (Qt's loop would otherwise swallow it)."""
    signal.signal(signal.SIGINT, lambda *_: app.closeAllWindows())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)  # lets Python run its signal handlers
    timer.start(250)


def visible_rows(window: GalleryWindow) -> list[int]:
    view, proxy = window.view, window.proxy
    area = view.viewport().rect()
    out = []
    first = view.indexAt(area.topLeft())
    start = first.row() if first.isValid() else 0
    for r in range(start, proxy.rowCount()):
        rect = view.visualRect(proxy.index(r, 0))
        if rect.top() > area.bottom():
            break
        if rect.intersects(area):
            out.append(r)
    return out


def is_ready(window: GalleryWindow) -> bool:
    """Catalog loaded, the visible thumbnails made, and the first photo's detail pane filled."""
    if window._open_error is not None:
        return True
    if not window.model.loaded:
        return False
    if window.proxy.rowCount() == 0:
        return True
    if not window.detail.isVisible():
        window.select_row(0)
        window.set_detail_visible(True)
        return False
    for r in visible_rows(window):
        row = window.proxy.row_at(r)
        if row.status == "missing":
            continue
        if window.loader.thumbnail(row) is None and window.loader.failure(row) is None:
            return False
    if not window.loader.is_idle():
        return False
    current = window.current_row()
    if current is None:
        return False
    if current.status != "missing" and not window.detail.preview_loaded:
        return False
    return window.detail.detail is not None or current.fused is None


def wait_ready(window: GalleryWindow, timeout: float) -> bool:
    app = _running_app()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if is_ready(window):
            # one more round so the last thumbnails are painted
            for _ in range(3):
                app.processEvents()
                time.sleep(0.02)
            return True
        time.sleep(0.02)
    return False


def save_screenshot(window: GalleryWindow, path: Path, timeout: float = 60.0, view: str = "grid") -> None:
    """The grid (with the first photo's details), or another view of it (ui.screenshot_views.VIEWS)."""
    from ui.screenshot_views import open_view

    if not wait_ready(window, timeout):
        log.warning("screenshot: not everything loaded within %.0f s; saving what is there", timeout)
    if not open_view(window, view, timeout):
        log.warning("screenshot: the %s view was not ready within %.0f s; saving what is there", view, timeout)
    window._counts_timer.stop()
    window._update_counts()  # the debounced labels, now
    app = _running_app()
    for _ in range(3):
        app.processEvents()
        time.sleep(0.02)
    window.repaint()
    app.processEvents()
    pixmap = window.grab(QRect(0, 0, window.width(), window.height()))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        from curator.errors import UserError

        raise UserError(f"cannot write the screenshot to {path}")
