"""Thumbnails and previews, made off the GUI thread.

- Workers run on a dedicated QThreadPool. They decode with
  iqa_engine.decode.decode_photo (JPEG draft at reduced size, EXIF orientation
  applied, HEIC and RAW previews for free) and hand back a QImage; the GUI
  thread turns it into a QPixmap.
- Everything is keyed by photo id (plus the file's mtime and size, so a
  rewritten file gets a new thumbnail), never by a view row.
- Thumbnails are cached on disk, keyed by path + mtime + size, written
  atomically (a temporary file, then os.replace) under the user cache dir.
- The newest request runs first (a rising priority), and a request that has
  scrolled out of the recent window is skipped, so fast scrolling never queues
  up work for tiles nobody sees any more.
- A broken file produces a failure reason, never an exception in the pool.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

log = logging.getLogger(__name__)

THUMB_SIZE = 320  # long side of a grid thumbnail, px (tiles are ~200 px; room for 1.5x screens)
PREVIEW_SIZE = 1600  # long side of the detail pane's preview
CACHE_VERSION = 1
MEMORY_THUMBS = 600  # QPixmaps kept in memory (~270 KB each at most: ~160 MB)
WANTED_WINDOW = 400  # requests older than this many newer ones are skipped if not started


def default_cache_dir() -> Path:
    from iqa_engine.start_cache import user_cache_dir

    return user_cache_dir() / "thumbnails"


class ThumbnailCache:
    """JPEG thumbnails on disk, keyed by the photo's path, mtime and size."""

    def __init__(self, root: Path | str, size: int = THUMB_SIZE) -> None:
        self.root = Path(root)
        self.size = size
        self._write_failed = False

    def path_for(self, path: str, mtime: float, size: int) -> Path:
        key = f"v{CACHE_VERSION}\0{self.size}\0{os.path.abspath(path)}\0{mtime!r}\0{size}"
        digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / digest[:2] / f"{digest}.jpg"

    def load(self, path: str, mtime: float, size: int) -> QImage | None:
        file = self.path_for(path, mtime, size)
        if not file.is_file():
            return None
        image = QImage(str(file))
        return None if image.isNull() else image

    def store(self, path: str, mtime: float, size: int, pil_image: Any) -> None:
        """Write atomically; a cache that cannot be written only costs speed."""
        if self._write_failed:
            return
        target = self.path_for(path, mtime, size)
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".jpg")
            with os.fdopen(fd, "wb") as fh:
                pil_image.save(fh, "JPEG", quality=85)
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            self._write_failed = True
            log.warning("thumbnail cache %s is not writable (%s); thumbnails will not be cached", self.root, exc)
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def pil_to_qimage(im: Any) -> QImage:
    """An RGB PIL image -> a QImage that owns its pixels."""
    if im.mode != "RGB":
        im = im.convert("RGB")
    w, h = im.size
    data = im.tobytes("raw", "RGB")
    return QImage(data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def make_thumbnail(path: str, long_side: int) -> Any:
    """Decode a photo upright at about long_side px (PIL RGB). Raises ImageDecodeError."""
    from PIL import Image

    from iqa_engine.decode import decode_photo

    im = decode_photo(path, draft_long_side=long_side).image  # ours: thumbnail() may shrink it in place
    if max(im.size) > long_side:
        im.thumbnail((long_side, long_side), Image.Resampling.LANCZOS if long_side <= THUMB_SIZE
                     else Image.Resampling.BILINEAR)
    return im


class _Bridge(QObject):
    # (kind, photo_id, stamp, QImage or None, failure reason or None)
    done = Signal(str, int, object, object, object)


class _Job(QRunnable):
    def __init__(self, loader: ThumbnailLoader, kind: str, photo_id: int, path: str, stamp: tuple,
                 long_side: int) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._bridge = loader._bridge
        self._loader = loader
        self._cache = loader.cache if kind == "thumb" else None
        self.kind, self.photo_id, self.path, self.stamp, self.long_side = kind, photo_id, path, stamp, long_side

    def run(self) -> None:  # a worker thread; must never raise
        image = reason = None
        try:
            if not self._loader._still_wanted(self.kind, self.photo_id, self.stamp):
                reason = None  # skipped: scrolled away
            else:
                image, reason = self._produce()
        except BaseException as exc:  # noqa: BLE001 - nothing escapes into the pool
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        try:
            self._bridge.done.emit(self.kind, self.photo_id, self.stamp, image, reason)
        except BaseException:  # noqa: BLE001 - the loader is gone (window closed, interpreter exiting)
            pass

    def _produce(self) -> tuple[QImage | None, str | None]:
        from iqa_engine.errors import ImageDecodeError

        mtime, size = self.stamp
        if self._cache is not None:
            cached = self._cache.load(self.path, mtime, size)
            if cached is not None:
                return cached, None
        try:
            im = make_thumbnail(self.path, self.long_side)
        except ImageDecodeError as exc:
            return None, str(exc) or "unreadable"
        if self._cache is not None:
            self._cache.store(self.path, mtime, size, im)
        return pil_to_qimage(im), None


class ThumbnailLoader(QObject):
    """Asynchronous thumbnails (and one detail preview at a time) for the gallery."""

    thumbnailReady = Signal(int)  # photo id: a thumbnail or a failure arrived
    previewReady = Signal(int, object)  # photo id, QImage or None
    previewFailed = Signal(int, str)
    idle = Signal()

    def __init__(self, cache: ThumbnailCache | None = None, size: int = THUMB_SIZE,
                 max_threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.size = size
        self.pool = QThreadPool(self)
        cpus = os.cpu_count() or 2
        self.pool.setMaxThreadCount(max_threads or max(1, min(4, cpus - 1)))
        self._bridge = _Bridge()
        self._bridge.done.connect(self._on_done)
        self._pixmaps: OrderedDict[int, tuple[tuple, QPixmap]] = OrderedDict()
        self._failed: dict[int, tuple[tuple, str]] = {}
        self._pending: dict[int, tuple] = {}  # photo id -> stamp being made
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()
        self._priority = 0
        self._preview_want: tuple[int, tuple] | None = None
        self._preview_pending = False

    # --- grid thumbnails -------------------------------------------------------------------------
    def thumbnail(self, row: GalleryRow) -> QPixmap | None:
        """The cached pixmap for this row, or None (and a request is queued unless it failed)."""
        stamp = (row.mtime, row.size)
        hit = self._pixmaps.get(row.photo_id)
        if hit is not None and hit[0] == stamp:
            self._pixmaps.move_to_end(row.photo_id)
            return hit[1]
        if row.status == "missing":
            return None
        failed = self._failed.get(row.photo_id)
        if failed is not None and failed[0] == stamp:
            return None
        self.request(row.photo_id, row.path, stamp)
        return None

    def failure(self, row: GalleryRow) -> str | None:
        failed = self._failed.get(row.photo_id)
        return failed[1] if failed is not None and failed[0] == (row.mtime, row.size) else None

    def request(self, photo_id: int, path: str, stamp: tuple) -> None:
        with self._lock:
            self._wanted[photo_id] = None
            self._wanted.move_to_end(photo_id)
            while len(self._wanted) > WANTED_WINDOW:
                self._wanted.popitem(last=False)
        if self._pending.get(photo_id) == stamp:
            return
        self._pending[photo_id] = stamp
        self._priority += 1
        self.pool.start(_Job(self, "thumb", photo_id, path, stamp, self.size), min(self._priority, 2**30))

    def _still_wanted(self, kind: str, photo_id: int, stamp: tuple) -> bool:
        if kind == "preview":
            want = self._preview_want
            return want is not None and want[0] == photo_id
        with self._lock:
            return photo_id in self._wanted

    def pending_count(self) -> int:
        return len(self._pending) + int(self._preview_pending)

    def is_idle(self) -> bool:
        return not self._pending and not self._preview_pending

    def forget(self) -> None:
        """Drop queued work (the folder or catalog changed); what is cached stays."""
        self.pool.clear()
        self._pending.clear()
        with self._lock:
            self._wanted.clear()

    def shutdown(self, wait_ms: int = 3000) -> None:
        self.forget()
        self._preview_want = None
        self.pool.waitForDone(wait_ms)

    # --- detail preview --------------------------------------------------------------------------
    def request_preview(self, row: GalleryRow, long_side: int = PREVIEW_SIZE) -> None:
        stamp = (row.mtime, row.size)
        self._preview_want = (row.photo_id, stamp)
        self._preview_pending = True
        self.pool.start(_Job(self, "preview", row.photo_id, row.path, stamp, long_side), 2**30 + 1)

    # --- results (GUI thread) ------------------------------------------------------------------
    def _on_done(self, kind: str, photo_id: int, stamp: tuple, image: QImage | None, reason: str | None) -> None:
        if kind == "preview":
            want = self._preview_want
            if want is not None and want == (photo_id, stamp):
                self._preview_pending = False
                if image is not None:
                    self.previewReady.emit(photo_id, image)
                else:
                    self.previewFailed.emit(photo_id, reason or "skipped")
            self._maybe_idle()
            return
        if self._pending.get(photo_id) == stamp:
            del self._pending[photo_id]
        if image is not None:
            self._pixmaps[photo_id] = (stamp, QPixmap.fromImage(image))
            self._pixmaps.move_to_end(photo_id)
            while len(self._pixmaps) > MEMORY_THUMBS:
                self._pixmaps.popitem(last=False)
            self._failed.pop(photo_id, None)
            self.thumbnailReady.emit(photo_id)
        elif reason is not None:
            self._failed[photo_id] = (stamp, reason)
            self.thumbnailReady.emit(photo_id)
        # else skipped: a later paint asks again
        self._maybe_idle()

    def _maybe_idle(self) -> None:
        if self.is_idle():
            self.idle.emit()
