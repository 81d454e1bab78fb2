"""Thumbnails: made on the pool, cached on disk, upright, and broken files never crash the pool."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from iqa_engine.testing import sample_photos, write_jpeg
from ui.grid.thumbnails import ThumbnailCache, ThumbnailLoader, make_thumbnail


def _row(photo_id: int, path: Path, status: str = "scored") -> SimpleNamespace:
    try:
        st = os.stat(path)
        mtime, size = st.st_mtime, st.st_size
    except OSError:
        mtime, size = 0.0, 0
    return SimpleNamespace(photo_id=photo_id, path=str(path), mtime=mtime, size=size, status=status)


def _wait_all(qtbot, loader: ThumbnailLoader, rows) -> None:
    for r in rows:
        loader.thumbnail(r)
    qtbot.waitUntil(lambda: all(loader.thumbnail(r) is not None or loader.failure(r) is not None for r in rows),
                    timeout=20_000)


@pytest.fixture()
def broken_files(tmp_path: Path) -> list[Path]:
    d = tmp_path / "broken"
    d.mkdir()
    good = write_jpeg(d / "good.jpg", sample_photos()["coffee"])
    truncated = d / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:300])
    garbage = d / "garbage.jpg"
    garbage.write_bytes(os.urandom(5000))
    empty = d / "empty.png"
    empty.write_bytes(b"")
    text = d / "notes.heic"
    text.write_text("hello")
    folder = d / "folder.jpg"
    folder.mkdir()
    return [truncated, garbage, empty, text, folder, d / "vanished.jpg"]


def test_broken_files_do_not_crash_the_pool(qtbot, tmp_path, broken_files):
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "cache"), max_threads=2)
    good = [write_jpeg(tmp_path / f"ok{i}.jpg", arr, size=(300, 200)) for i, arr in enumerate(sample_photos().values())]
    rows = [_row(i, p) for i, p in enumerate(broken_files + good)]
    _wait_all(qtbot, loader, rows)
    for r in rows[:len(broken_files)]:
        assert loader.thumbnail(r) is None
        assert loader.failure(r), r.path  # a reason to show on the placeholder tile
    for r in rows[len(broken_files):]:
        pix = loader.thumbnail(r)
        assert pix is not None and not pix.isNull() and loader.failure(r) is None
    qtbot.waitUntil(loader.is_idle, timeout=5000)
    # the pool still works afterwards
    later = _row(99, write_jpeg(tmp_path / "later.jpg", sample_photos()["rocket"], size=(120, 80)))
    _wait_all(qtbot, loader, [later])
    assert loader.thumbnail(later) is not None
    loader.shutdown()


def test_missing_rows_are_not_even_tried(qtbot, tmp_path):
    loader = ThumbnailLoader(ThumbnailCache(tmp_path / "cache"), max_threads=1)
    row = _row(1, tmp_path / "gone.jpg", status="missing")
    assert loader.thumbnail(row) is None
    assert loader.is_idle()
    loader.shutdown()


def test_disk_cache_is_keyed_by_path_and_mtime_and_written_atomically(qtbot, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    photo = write_jpeg(tmp_path / "p.jpg", sample_photos()["astronaut"])
    row = _row(1, photo)
    loader = ThumbnailLoader(ThumbnailCache(cache_dir), max_threads=1)
    _wait_all(qtbot, loader, [row])
    files = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".jpg"
    assert not any(p.name.startswith(".tmp") for p in cache_dir.rglob("*"))
    with Image.open(files[0]) as im:
        assert max(im.size) == 320
    loader.shutdown()

    # a second loader (a new session) reads the cache and never decodes the photo
    import ui.grid.thumbnails as thumbnails

    def no_decoding(*a, **k):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(thumbnails, "make_thumbnail", no_decoding)
    loader2 = ThumbnailLoader(ThumbnailCache(cache_dir), max_threads=1)
    _wait_all(qtbot, loader2, [row])
    assert loader2.thumbnail(row) is not None
    loader2.shutdown()
    monkeypatch.undo()

    # the file is rewritten: a new mtime is a new key, and the tile gets a fresh thumbnail
    write_jpeg(photo, sample_photos()["coffee"])
    os.utime(photo, (row.mtime + 10, row.mtime + 10))
    row2 = _row(1, photo)
    loader3 = ThumbnailLoader(ThumbnailCache(cache_dir), max_threads=1)
    _wait_all(qtbot, loader3, [row2])
    assert len([p for p in cache_dir.rglob("*.jpg")]) == 2
    pix = loader3.thumbnail(row2)
    assert (pix.width(), pix.height()) == (320, 213)  # coffee is 600x400
    loader3.shutdown()


def test_an_unwritable_cache_only_costs_speed(qtbot, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    loader = ThumbnailLoader(ThumbnailCache(blocker / "cache"), max_threads=1)
    row = _row(1, write_jpeg(tmp_path / "p.jpg", sample_photos()["chelsea"]))
    _wait_all(qtbot, loader, [row])
    assert loader.thumbnail(row) is not None
    loader.shutdown()


def test_exif_orientation_is_applied(tmp_path):
    im = Image.fromarray(sample_photos()["coffee"])  # 600x400, landscape
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "rotated.jpg"
    im.save(path, "JPEG", exif=exif.tobytes())
    thumb = make_thumbnail(str(path), 320)
    assert thumb.size == (213, 320)  # upright: portrait


def test_jpeg_thumbnails_decode_at_reduced_size(tmp_path, monkeypatch):
    big = write_jpeg(tmp_path / "big.jpg", sample_photos()["rocket"], size=(3200, 2136))
    from PIL import JpegImagePlugin

    seen = {}
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        seen["size"] = self.size  # what libjpeg will decode
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    thumb = make_thumbnail(str(big), 320)
    assert max(thumb.size) == 320
    assert seen and max(seen["size"]) < 3200  # libjpeg decoded at 1/2, 1/4 or 1/8 scale


def test_scrolling_never_waits_on_decoding(qtbot, tmp_path, monkeypatch):
    """Painting the grid while every thumbnail is still decoding (slowly) takes no time."""
    import time

    import ui.grid.thumbnails as thumbnails
    from curator.testing.demo_catalog import add_photo
    from ui.app import get_app
    from curator.settings import Settings
    from ui.window import GalleryWindow

    from curator.catalog import Catalog

    def slow(path, long_side):
        time.sleep(1.0)
        raise OSError("too slow")

    monkeypatch.setattr(thumbnails, "make_thumbnail", slow)
    db = tmp_path / "c.db"
    with Catalog.open(db) as cat:
        for i in range(40):
            add_photo(cat, write_jpeg(tmp_path / "s" / f"p{i}.jpg", sample_photos()["coffee"], size=(60, 40)), 0.5 + i / 100)
    get_app()
    w = GalleryWindow(Settings(db=str(db)), cache_dir=tmp_path / "thumbs", thumbnail_threads=1)
    qtbot.addWidget(w)
    w.resize(900, 700)
    w.show()
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 40, timeout=10_000)
    bar = w.view.verticalScrollBar()
    t = time.perf_counter()
    for value in range(0, bar.maximum() + 1, max(1, bar.maximum() // 10)):
        bar.setValue(value)
        w.view.viewport().repaint()
    assert time.perf_counter() - t < 1.0
    assert w.loader.pending_count() > 0  # the decodes are queued, not done inline
    w.shutdown()
