"""The loupe, 100 % zoom and compare on 24-megapixel JPEGs: how long from the key to the photo painted.

Used by bench/gallery.py --views (targets: next photo preloaded < 50 ms, not preloaded < 300 ms,
zoom toggle < 100 ms). It writes 8 JPEGs of 6000 × 4000 px (a detailed synthetic scene, not timed),
catalogues them with made-up scores and KonIQ-style windows, and drives a real GalleryWindow offscreen
with its keys. Each figure is the median of several presses; "painted" means the view's paint event
has run with the new picture (a synchronous repaint after the key).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

PHOTOS = 8
SIZE = (6000, 4000)  # 24 MP
SCREEN_LONG_SIDE = 1920  # the loupe's pictures for a 1920 × 1080 screen


def build_shoot(root: Path) -> Path:
    """8 big JPEGs and their catalog (reused when it is there)."""
    from PIL import Image

    from curator.catalog import Catalog
    from curator.testing.demo_catalog import add_photo

    db = root / "views.db"
    if db.exists():
        return db
    folder = root / "shoot24mp"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    w, h = SIZE
    yy, xx = np.mgrid[0:h:4, 0:w:4]  # a quarter-size scene, upscaled, plus full-size grain
    with Catalog.open(db) as cat:
        for i in range(PHOTOS):
            base = (127 + 100 * np.sin(xx / (40 + 7 * i)) * np.cos(yy / (55 + 5 * i))).astype(np.float32)
            rgb = np.stack([base, np.roll(base, 31 * i, axis=1), base[::-1]], axis=-1)
            im = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).resize(SIZE, Image.Resampling.BILINEAR)
            grain = rng.integers(-12, 13, (h, w, 3), dtype=np.int16)
            im = Image.fromarray(np.clip(np.asarray(im, dtype=np.int16) + grain, 0, 255).astype(np.uint8))
            path = folder / f"IMG_{i:04d}.jpg"
            im.save(path, "JPEG", quality=90)
            add_photo(cat, path, 0.5 + i / 100, seed=i, capture_time=f"2024-06-01T10:{i:02d}:00")
    return db


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_views(root: Path, cache_dir: Path) -> dict[str, float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from ui.app import get_app
    from ui.viewers.loupe_images import FULL, SCREEN
    from curator.settings import Settings
    from ui.window import GalleryWindow

    db = build_shoot(root)
    app = get_app()
    window = GalleryWindow(Settings(db=str(db)), cache_dir=cache_dir, poll_ms=60_000)
    window.loupe_images.screen_long_side = SCREEN_LONG_SIDE
    window.resize(1920, 1080)
    window.show()

    def wait(cond: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError("the gallery did not get there in time")
            app.processEvents()
            time.sleep(0.001)

    wait(lambda: window.model.loaded and window.proxy.rowCount() == PHOTOS)
    window.set_sort("name")
    window.select_row(0)
    window.open_loupe()
    canvas, images = window.loupe.canvas, window.loupe_images
    wait(lambda: canvas.has_picture())

    def key(k: Qt.Key) -> None:
        QTest.keyClick(window.loupe, k)

    def painted(pid: int) -> Callable[[], bool]:
        return lambda: canvas.photo_id == pid and canvas.has_picture()

    out: dict[str, float] = {}
    preloaded, cold, paint_share = [], [], []
    for _ in range(3):  # forward through the shoot, the neighbours preloaded
        nxt = window.proxy.row_at(window.view.currentIndex().row() + 1)
        wait(lambda row=nxt: images.picture(row, SCREEN) is not None)
        t = time.perf_counter()
        key(Qt.Key.Key_Right)
        wait(painted(nxt.photo_id))
        t_key = time.perf_counter()
        canvas.repaint()
        preloaded.append(time.perf_counter() - t)
        paint_share.append(time.perf_counter() - t_key)
    for _ in range(3):  # nothing decoded ahead: the cold path
        images.pool.waitForDone()
        images.urgent.waitForDone()
        app.processEvents()
        for store in images._pictures.values():
            store.clear()
        nxt = window.proxy.row_at(window.view.currentIndex().row() + 1)
        t = time.perf_counter()
        key(Qt.Key.Key_Right)
        wait(lambda pid=nxt.photo_id: painted(pid)() and canvas.pixmap_kind == SCREEN)  # not the thumbnail shown first
        canvas.repaint()
        cold.append(time.perf_counter() - t)
    out["next_preloaded_ms"] = _median_ms(preloaded)
    out["next_preloaded_paint_ms"] = _median_ms(paint_share)
    out["next_cold_ms"] = _median_ms(cold)

    # Z with the full-size decode ready (a photo looked at for a moment), and before it is
    row = window.current_row()
    assert row is not None
    wait(lambda: images.picture(row, FULL) is not None)
    wait(lambda: canvas.pixmap_kind == FULL)
    toggles = []
    for _ in range(4):
        t = time.perf_counter()
        key(Qt.Key.Key_Z)
        canvas.repaint()
        toggles.append(time.perf_counter() - t)
    out["zoom_toggle_ms"] = _median_ms(toggles)
    t = time.perf_counter()
    wait(lambda: images.pool.activeThreadCount() == 0 and images.urgent.activeThreadCount() == 0)
    key(Qt.Key.Key_Left)
    wait(painted(window.current_photo_id() or -1))
    t = time.perf_counter()
    key(Qt.Key.Key_Z)  # at once, on the screen-size picture; the full one follows
    canvas.repaint()
    out["zoom_first_paint_ms"] = (time.perf_counter() - t) * 1000
    prev = window.current_row()
    assert prev is not None
    wait(lambda: canvas.pixmap_kind == FULL)
    out["zoom_full_ready_ms"] = (time.perf_counter() - t) * 1000
    key(Qt.Key.Key_Z)

    # compare: from C to both panes painted (the select is preloaded: it was just in the loupe)
    key(Qt.Key.Key_Escape)
    app.processEvents()
    t = time.perf_counter()
    QTest.keyClick(window.view, Qt.Key.Key_C)
    panes = window.multi.compare.canvases
    wait(lambda: len(panes) == 2 and all(c.has_picture() for c in window.multi.compare.canvases))
    for c in window.multi.compare.canvases:
        c.repaint()
    out["compare_open_ms"] = (time.perf_counter() - t) * 1000
    window.shutdown()
    window.deleteLater()
    QApplication.processEvents()
    return out


def print_views(r: dict[str, float]) -> None:
    def verdict(value: float, target: float) -> str:
        return f"(target < {target:g} ms: {'met' if value < target else 'MISSED'})"

    print(f"\nloupe, compare and zoom on {PHOTOS} JPEGs of {SIZE[0]} x {SIZE[1]} (24 MP), window 1920 x 1080")
    print(f"  next photo, preloaded:          {r['next_preloaded_ms']:7.1f} ms  {verdict(r['next_preloaded_ms'], 50)}")
    print(f"    of which the paint:           {r['next_preloaded_paint_ms']:7.1f} ms")
    print(f"  next photo, not preloaded:      {r['next_cold_ms']:7.1f} ms  {verdict(r['next_cold_ms'], 300)}")
    print(f"  Z (100 %), full size ready:     {r['zoom_toggle_ms']:7.1f} ms  {verdict(r['zoom_toggle_ms'], 100)}")
    print(f"  Z before the full-size decode:  {r['zoom_first_paint_ms']:7.1f} ms to the first paint, "
          f"{r['zoom_full_ready_ms']:.0f} ms to every pixel")
    print(f"  C (compare), both panes:        {r['compare_open_ms']:7.1f} ms")
