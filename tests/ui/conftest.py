"""The gallery tests' shared fixtures (pytest finds them here; no test imports them by name).

The photos, scores and catalogs they are made of come from curator.testing.demo_catalog, which the docs' demo uses too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from iqa_engine.testing import sample_photos, write_jpeg
from curator.testing.demo_catalog import add_photo


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
    from curator.actions.culling import CullingRules, recompute_flags

    photos = sample_photos()
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
        recompute_flags(cat, CullingRules(None, 20.0))
    return db, ids


@pytest.fixture()
def open_window(qtbot, thumb_cache: Path):
    """open_window(db, **kwargs) -> a GalleryWindow shown offscreen with its first catalog load done."""
    from curator.settings import Settings
    from ui.app import get_app
    from ui.window import GalleryWindow

    get_app()  # the dark theme, on pytest-qt's QApplication
    windows: list[GalleryWindow] = []

    def make(db: Path, settings: Settings | None = None, **kwargs) -> GalleryWindow:
        kwargs.setdefault("poll_ms", 200)
        settings = settings or Settings(db=str(db))
        assert settings.db_path == Path(db).absolute()
        w = GalleryWindow(settings, cache_dir=thumb_cache, **kwargs)
        windows.append(w)
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        qtbot.waitUntil(lambda: w.model.loaded, timeout=10_000)
        return w

    yield make
    for w in windows:
        w.shutdown()


@pytest.fixture()
def long_shoot_with_a_burst_last(tmp_path):
    """30 lone frames, then a 5-frame burst, last by name: (db, {name: id})."""
    from curator.catalog import Catalog

    rng = np.random.default_rng(5)
    photos = sample_photos()
    ids: dict[str, int] = {}
    db = tmp_path / "catalog.db"
    with Catalog.open(db) as cat:
        for i in range(30):
            path = write_jpeg(tmp_path / "shoot" / f"a{i:02d}.jpg", photos["rocket"], size=(64, 48))
            emb = rng.normal(size=8)
            ids[f"a{i:02d}"] = add_photo(cat, path, 0.3 + i / 100, capture_time=f"2024-05-01T09:{i:02d}:00",
                                         embedding=emb / np.linalg.norm(emb))
        look = rng.normal(size=8)
        look /= np.linalg.norm(look)
        for i in range(5):
            path = write_jpeg(tmp_path / "shoot" / f"z{i}.jpg", photos["astronaut"], size=(64, 64))
            ids[f"z{i}"] = add_photo(cat, path, 0.5 + i / 50, capture_time=f"2024-05-01T10:00:0{i}.500",
                                     embedding=look + rng.normal(0, 0.01, 8))
    return db, ids
