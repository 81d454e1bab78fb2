"""The loupe's pictures: screen-size previews of the shown photo and its neighbours, and one full-size
decode for 100 % zoom, made on their own QThreadPool.

Workers hand back QImage (QPixmap is GUI-thread only) keyed by photo id and
file stamp, never by row. A RAW's picture is its embedded preview (the decode
path ui.grid.thumbnails uses: iqa_engine.decode). Each picture carries the photo's
upright original size, so every view places it in the photo's own pixels.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from ui.grid.thumbnails import pil_to_qimage

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

SCREEN = "screen"
FULL = "full"
KEEP_SCREEN = 12  # screen-size pictures kept (the shown photo, 2 before, 2 after, and some history)
KEEP_FULL = 2  # full-size decodes kept (24 MP RGB is 72 MB each)


@dataclass(frozen=True)
class LoupePicture:
    photo_id: int
    stamp: tuple
    kind: str  # SCREEN or FULL
    image: QImage
    original_size: tuple[int, int]  # the photo's upright size: the coordinates every view uses


def decode_for_loupe(path: str, long_side: int | None) -> tuple[QImage, tuple[int, int]]:
    """Decode upright (a RAW's embedded preview), at about long_side px (None: full size)."""
    from PIL import Image

    from iqa_engine.decode import decode_photo

    decoded = decode_photo(path, draft_long_side=long_side)
    im = decoded.image
    if long_side is not None and max(im.size) > long_side:
        im = im.copy()
        im.thumbnail((long_side, long_side), Image.Resampling.BILINEAR)
    width, height = decoded.original_size
    return pil_to_qimage(im), (width, height)


class _Bridge(QObject):
    done = Signal(object, object)  # (photo_id, stamp, kind), LoupePicture or failure text


SKIPPED = "skipped"  # a decode nobody wanted any more when its turn came


class _Decode(QRunnable):
    def __init__(self, images: LoupeImages, key: tuple, path: str, long_side: int | None) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._bridge, self._images = images._bridge, images
        self.key, self.path, self.long_side = key, path, long_side

    def run(self) -> None:  # a worker thread: nothing escapes
        result: object
        if not self._images.is_wanted(self.key):  # the user flipped past it: skip, at once
            try:
                self._bridge.done.emit(self.key, SKIPPED)
            except BaseException:  # noqa: BLE001 - the loupe is gone (window closed)
                pass
            return
        try:
            image, original = decode_for_loupe(self.path, self.long_side)
            pid, stamp, kind = self.key
            result = LoupePicture(pid, stamp, kind, image, original)
        except BaseException as exc:  # noqa: BLE001 - reported as the picture's failure
            result = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        try:
            self._bridge.done.emit(self.key, result)
        except BaseException:  # noqa: BLE001 - the loupe is gone (window closed)
            pass


class LoupeImages(QObject):
    """Asks for pictures, keeps the recent ones, says when one arrives."""

    ready = Signal(object)  # LoupePicture
    failed = Signal(int, str, str)  # photo id, kind, reason

    def __init__(self, screen_long_side: int = 1920, threads: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.screen_long_side = screen_long_side
        # the shown photo has a thread of its own: preloads and full-size decodes never slow it down
        self.urgent = QThreadPool(self)
        self.urgent.setMaxThreadCount(1)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads or max(1, min(2, (os.cpu_count() or 2) - 1)))
        self._pixmaps: dict[tuple, QPixmap] = {}  # made once on arrival, off the key's path
        self._bridge = _Bridge()
        self._bridge.done.connect(self._on_done)
        self._pictures: dict[str, OrderedDict[tuple, LoupePicture]] = {SCREEN: OrderedDict(), FULL: OrderedDict()}
        self._pending: set[tuple] = set()
        self._wanted: set[tuple] = set()  # what the view wants decoded now (read on the worker threads)
        self._lock = threading.Lock()
        self._failures: dict[tuple, str] = {}

    @staticmethod
    def key(row: GalleryRow, kind: str) -> tuple:
        return (row.photo_id, (row.mtime, row.size), kind)

    def picture(self, row: GalleryRow, kind: str = SCREEN) -> LoupePicture | None:
        """The picture if it is ready (the loupe paints it at once), else None."""
        key = self.key(row, kind)
        got = self._pictures[kind].get(key)
        if got is not None:
            self._pictures[kind].move_to_end(key)
        return got

    def failure(self, row: GalleryRow, kind: str = SCREEN) -> str | None:
        return self._failures.get(self.key(row, kind))

    def pixmap(self, picture: LoupePicture) -> QPixmap:
        """The picture as a QPixmap (GUI thread), made when it arrived."""
        key = (picture.photo_id, picture.stamp, picture.kind)
        got = self._pixmaps.get(key)
        if got is None:
            got = self._pixmaps[key] = QPixmap.fromImage(picture.image)
        return got

    def request(self, row: GalleryRow, kind: str = SCREEN, priority: int = 0, urgent: bool = False) -> None:
        """Decode in the background unless it is ready, on its way or known to fail. urgent: the photo on
        screen now (its own thread)."""
        key = self.key(row, kind)
        if key in self._pictures[kind] or key in self._pending or key in self._failures or row.status == "missing":
            return
        self._pending.add(key)
        with self._lock:
            self._wanted.add(key)
        long_side = self.screen_long_side if kind == SCREEN else None
        (self.urgent if urgent else self.pool).start(_Decode(self, key, row.path, long_side), priority)

    def want_only(self, rows_kinds: list[tuple[GalleryRow, str]]) -> None:
        """Only these pictures are still wanted: decodes of others that have not started are skipped
        (flipping fast through a shoot must not leave a queue of photos already passed)."""
        with self._lock:
            self._wanted = {self.key(row, kind) for row, kind in rows_kinds}

    def is_wanted(self, key: tuple) -> bool:
        with self._lock:
            return key in self._wanted

    def is_pending(self, row: GalleryRow, kind: str = SCREEN) -> bool:
        return self.key(row, kind) in self._pending

    def forget_queued(self) -> None:
        """Drop decodes not started yet (the user moved on); those running finish and are kept."""
        self.pool.clear()
        self.urgent.clear()
        self._pending.clear()

    def shutdown(self, wait_ms: int = 3000) -> None:
        for pool in (self.urgent, self.pool):
            pool.clear()
        for pool in (self.urgent, self.pool):
            pool.waitForDone(wait_ms)

    def _on_done(self, key: tuple, result: object) -> None:
        self._pending.discard(key)
        kind = key[2]
        if result == SKIPPED:
            return  # asked again, it is decoded again
        if isinstance(result, LoupePicture):
            store = self._pictures[kind]
            store[key] = result
            store.move_to_end(key)
            self._pixmaps[key] = QPixmap.fromImage(result.image)
            while len(store) > (KEEP_SCREEN if kind == SCREEN else KEEP_FULL):
                gone, _ = store.popitem(last=False)
                self._pixmaps.pop(gone, None)
            self.ready.emit(result)
        else:
            self._failures[key] = str(result)
            self.failed.emit(int(key[0]), kind, str(result))


def screen_long_side(default: int = 1920) -> int:
    """The long side of the primary screen in device pixels: the loupe's pictures are made this big."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return default
    size = screen.size() * screen.devicePixelRatio()
    return max(1024, min(4096, max(size.width(), size.height())))
