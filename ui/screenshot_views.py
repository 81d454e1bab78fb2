"""`curator gallery --screenshot FILE.png --view …`: open the loupe, 100 % zoom, compare or survey on the
rendered window, and wait until its pictures are painted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ui.viewers.loupe_images import FULL

if TYPE_CHECKING:
    from ui.window import GalleryWindow

VIEWS = ("grid", "loupe", "zoom", "compare", "survey")
BURSTS_WAIT_S = 5.0  # compare and survey show a burst when the catalog has one: wait this long for the grouping


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def open_view(window: GalleryWindow, view: str, timeout: float = 30.0) -> bool:
    """Show this view of the window's current photo (compare and survey: of the first burst, when there is
    one); True once every picture in it is painted."""
    if view == "grid" or window.proxy.rowCount() == 0:
        return True
    window.set_detail_visible(False)
    if view in ("compare", "survey"):
        _wait(lambda: bool(window.model.burst_groups()), BURSTS_WAIT_S)
        groups = [g for g in window.model.burst_groups() if window.proxy.shown_id_for(g.top) is not None]
        if groups:
            window.select_photo(window.proxy.shown_id_for(groups[0].top) or groups[0].top)
        if view == "compare":
            window.open_compare()
            canvases = window.multi.compare.canvases
        else:
            window.open_survey()
            canvases = window.multi.survey.canvases
        return _wait(lambda: all(c.has_picture() or c.message.startswith("Cannot") for c in canvases), timeout)
    window.open_loupe()
    canvas = window.loupe.canvas
    sync = window.loupe_sync

    def unscored() -> bool:  # a photo without a score has no detail to wait for
        row = window.current_row()
        return row is None or row.fused is None

    ready = _wait(lambda: canvas.has_picture() and (sync.detail is not None or unscored()), timeout)
    if view == "zoom":
        sync.toggle_zoom()
        ready = _wait(lambda: canvas.pixmap_kind == FULL, timeout) and ready
    return ready
