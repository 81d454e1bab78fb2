"""Test catalogs for the gallery, built through the real Catalog API (no SQL here)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import real_photos, write_jpeg  # the top-level conftest's helpers


def fake_score(fused: float, size: tuple[int, int] = (640, 427), seed: int = 0, fingerprint: str = "test-engine",
               embedding: np.ndarray | None = None):
    """A PhotoScore with plausible cues and KonIQ-style windows (224 px, stride 128); the CLIP embedding is
    zeros (alike to nothing, so never in a burst) unless given."""
    from iqa_engine.results import PhotoScore, ViewScore

    rng = np.random.default_rng(seed)
    w, h = size
    cosine = min(0.99, max(0.01, fused - 0.05))
    magnitude = fused + 0.08
    w_cos = 1 / (1 + math.exp(-(0.4 + (cosine - magnitude))))
    views = []
    for top in range(0, max(1, h - 224 + 1), 128):
        for left in range(0, max(1, w - 224 + 1), 128):
            v = float(fused + rng.normal(0, 0.04) + 0.05 * (left / max(w, 1)))
            views.append(ViewScore((left, top, left + 224, top + 224), v, v - 0.05, v + 0.08, w_cos, 1 - w_cos))
    views.append(ViewScore(None, fused, cosine, magnitude, w_cos, 1 - w_cos))
    return PhotoScore(score=fused, fused=fused, cosine=cosine, magnitude=magnitude, w_cosine=w_cos,
                      w_magnitude=1 - w_cos, mode="fused", protocol="koniq", model="test", fingerprint=fingerprint,
                      views=tuple(views), scored_size=size, original_size=size,
                      embedding=np.zeros(8, dtype=np.float32) if embedding is None
                      else np.asarray(embedding, dtype=np.float32))


def fake_exif(capture_time: str | None = None, camera: str = "Fujifilm X-T4", **extra: object) -> SimpleNamespace:
    """What the catalog stores from a photo's EXIF (duck-typed like curator.exif.ExifData)."""
    fields = dict(make="Fujifilm", model="X-T4", camera=camera, lens="XF35mmF1.4 R", iso=400,
                  exposure_time=1 / 250, f_number=2.8, focal_length=35.0, capture_time=capture_time,
                  orientation=1, exposure_bias=0.0)
    fields.update(extra)
    return SimpleNamespace(**fields)


def stat_of(path: Path):
    from curator.catalog import FileStat

    try:
        st = os.stat(path)
        return FileStat(st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        return FileStat(1234, 1_700_000_000_000_000_000)


def add_photo(cat, path: Path, fused: float | None = None, *, status: str | None = None, error: str | None = None,
              seed: int = 0, capture_time: str | None = None, embedding: np.ndarray | None = None,
              exposure_bias: float | None = 0.0) -> int:
    """Catalogue one photo: scored when fused is given, else pending (or error / missing). Frames with
    capture times a moment apart and alike embeddings form a burst (curator.bursts)."""
    pid = cat.upsert_photo(str(path), stat_of(path), status="pending")
    if fused is not None:
        size = (640, 427)
        try:
            from PIL import Image

            with Image.open(path) as im:
                size = im.size
        except Exception:
            pass
        cat.record_score(pid, fake_score(fused, size=size, seed=seed, embedding=embedding),
                         exif=fake_exif(capture_time, exposure_bias=exposure_bias) if capture_time else None)
    if status == "error":
        cat.record_error(pid, error or "not an image Pillow can read")
    elif status == "missing":
        cat.upsert_photo(str(path), stat_of(path), status="missing")
    return pid


# --- fixtures (import them into a test module to use them) -----------------------------------------

@pytest.fixture()
def thumb_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every cache (thumbnails included) inside the test's temporary folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "thumbs"


@pytest.fixture()
def shoot_catalog(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A catalog of two shoots: 10 real JPEGs with distinct scores and capture times,
    one broken file (error), one missing file and one photo not scored yet."""
    from curator.catalog import Catalog

    photos = real_photos()
    db = tmp_path / "catalog.db"
    ids: dict[str, int] = {}
    scores = iter([0.61, 0.44, 0.72, 0.55, 0.38, 0.66, 0.49, 0.80, 0.58, 0.52])
    times = iter([f"2024-05-0{d}T1{h}:00:00" for d in (3, 4) for h in (4, 1, 3, 0, 2)])
    with Catalog.open(db) as cat:
        for shoot in ("shoot-a", "shoot-b"):
            for i, (name, arr) in enumerate(photos.items()):
                path = write_jpeg(tmp_path / shoot / f"{name}.jpg", arr, size=(240, 160))
                ids[f"{shoot}/{name}"] = add_photo(cat, path, next(scores), seed=i, capture_time=next(times))
        broken = tmp_path / "shoot-b" / "broken.jpg"
        broken.write_bytes(b"\xff\xd8\xff this is not really a JPEG")
        ids["shoot-b/broken"] = add_photo(cat, broken, None, status="error", error="truncated or corrupt image data")
        ids["shoot-b/gone"] = add_photo(cat, tmp_path / "shoot-b" / "gone.jpg", None, status="missing")
        late = write_jpeg(tmp_path / "shoot-a" / "late.jpg", photos["coffee"], size=(120, 80))
        ids["shoot-a/late"] = add_photo(cat, late, None)
        cat.recompute_flags(None, 20.0)
    return db, ids


@pytest.fixture()
def open_window(qtbot, thumb_cache: Path):
    """open_window(db, **kwargs) -> a GalleryWindow shown offscreen with its first catalog load done."""
    from ui.app import get_app
    from ui.window import GalleryWindow

    get_app()  # the dark theme, on pytest-qt's QApplication
    windows: list[GalleryWindow] = []

    def make(db: Path, **kwargs) -> GalleryWindow:
        kwargs.setdefault("poll_ms", 200)
        w = GalleryWindow(db, cache_dir=thumb_cache, **kwargs)
        windows.append(w)
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        qtbot.waitUntil(lambda: w.model.loaded, timeout=10_000)
        return w

    yield make
    for w in windows:
        w.shutdown()
