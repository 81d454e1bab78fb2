"""The gallery's search box (Ctrl+F), its Duplicates view and the detail pane's keywords, offscreen,
on a catalog scanned with the tiny model (seeded random weights: the tests check that the grid
follows the ranking the catalog's embeddings give, not that a real CLIP would find these photos).

The tiny model's embeddings of different photographs agree to 1e-5, so the search test first gives
the photos chosen, well-separated embeddings (same engine fingerprint), as the CLI's tests do."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin
from PySide6.QtCore import Qt

from iqa_engine.testing import sample_photos, write_jpeg


def write_frame(path: Path, array: np.ndarray, when: str, subsec: str) -> Path:
    """A JPEG with EXIF DateTimeOriginal and SubSecTimeOriginal."""
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = when
    ifd[0x9291] = subsec
    ifd[0x9204] = TiffImagePlugin.IFDRational(0, 1)
    return write_jpeg(path, array, size=(240, 180), exif=exif)


@pytest.fixture()
def library(tmp_path, tiny_model, tiny_engine, monkeypatch):
    """2021/: four photographs and a two-frame burst (near-identical, 0.5 s apart); backup/: a byte copy
    of one photograph; exports/: a quality-80, half-size re-save of another."""
    from curator.scanning import service
    from curator.catalog import Catalog
    from curator.settings import Settings

    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))
    photos = sample_photos()
    year = tmp_path / "2021"
    for name in ("astronaut", "coffee", "rocket", "chelsea"):
        write_jpeg(year / f"{name}.jpg", photos[name], size=(320, 240))
    rng = np.random.default_rng(0)
    base = photos["motorcycle"].astype(np.int16) if "motorcycle" in photos else photos["astronaut"].astype(np.int16)
    for i, sub in enumerate(("00", "50")):
        frame = np.clip(base + rng.integers(-2, 3, base.shape), 0, 255).astype(np.uint8)
        write_frame(year / f"B{i + 1}.jpg", frame, "2024:05:01 10:00:00", sub)
    (tmp_path / "backup").mkdir()
    shutil.copy2(year / "coffee.jpg", tmp_path / "backup" / "coffee.jpg")
    rocket = Image.open(year / "rocket.jpg")
    write_jpeg(tmp_path / "exports" / "rocket.jpg", np.asarray(rocket), size=(160, 120), quality=80)
    settings = Settings(db=str(tmp_path / "catalog.db"), model=str(tiny_model.config_path),
                        weights=str(tiny_model.weights_path), pretrained=None, settle_seconds=0.0)
    service.scan(settings, [str(year), str(tmp_path / "backup"), str(tmp_path / "exports")], engine=tiny_engine,
                 flag_policy=(None, 0.0))
    with Catalog.open(settings.db_path) as cat:
        ids = {str(Path(r.path).relative_to(tmp_path)): r.photo_id for r in cat.gallery_rows()}
    return settings, ids


def test_duplicates_view_lists_copies_not_bursts_and_rejects_all_but_the_best(library, open_window, qtbot):
    from curator.catalog import Catalog

    settings, ids = library
    w = open_window(settings.db_path, settings=settings)
    w.confirm = lambda title, text: True
    w.workflow_bar.duplicates_action.trigger()
    qtbot.waitUntil(lambda: w.duplicates.dialog.reject_button.isEnabled(), timeout=20_000)
    groups = {frozenset(g) for g, _ in w.duplicates.groups}
    assert groups == {frozenset({ids["2021/coffee.jpg"], ids["backup/coffee.jpg"]}),
                      frozenset({ids["2021/rocket.jpg"], ids["exports/rocket.jpg"]})}  # B1/B2: a burst
    fused = {pid: w.model.photo(pid).fused for pid in ids.values()}
    for group, _identical in w.duplicates.groups:
        assert [fused[p] for p in group] == sorted((fused[p] for p in group), reverse=True)
    tree = w.duplicates.dialog.tree
    assert tree.topLevelItemCount() == 2 and tree.topLevelItem(0).child(0).text(0).endswith("(best)")
    w.duplicates.dialog.reject_button.click()
    others = {g[i] for g, _ in w.duplicates.groups for i in range(1, len(g))}
    bests = {g[0] for g, _ in w.duplicates.groups}

    def flags():
        with Catalog.open(settings.db_path) as cat:
            return {r.photo_id: (r.flag, r.flag_source) for r in cat.gallery_rows()}

    qtbot.waitUntil(lambda: all(flags()[p] == ("reject", "user") for p in others), timeout=20_000)
    assert all(flags()[p][0] is None for p in bests)
    assert flags()[ids["2021/B1.jpg"]][0] is None and flags()[ids["2021/B2.jpg"]][0] is None
    qtbot.waitUntil(lambda: "Rejected 2 duplicate(s)" in w.status.message_label.text(), timeout=10_000)


def test_ctrl_f_orders_the_grid_by_similarity_and_esc_goes_back(library, open_window, qtbot, tiny_engine):
    from curator.catalog import Catalog, ClipEmbedding

    settings, ids = library
    rng = np.random.default_rng(3)
    with Catalog.open(settings.db_path) as cat:
        fp = cat.clip_fingerprints()[0][0]
        vectors = {pid: rng.normal(size=32) for pid in ids.values()}
        cat.record_clip_embeddings([(pid, ClipEmbedding(v / np.linalg.norm(v), fp, 0)) for pid, v in vectors.items()])
    w = open_window(settings.db_path, settings=settings)
    w.proxy.set_collapse_bursts(False)
    before = w.proxy.photo_ids()
    qtbot.keyClick(w.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.search_bar.isVisible() and w.search_bar.box.hasFocus()
    qtbot.keyClicks(w.search_bar.box, "a cat on a sofa")
    qtbot.keyClick(w.search_bar.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.search.last_text == "a cat on a sofa", timeout=30_000)
    query = tiny_engine.encode_query("a cat on a sofa").astype(np.float64)
    sims = {pid: float(np.dot(v / np.linalg.norm(v), query)) for pid, v in vectors.items()}
    assert w.proxy.photo_ids() == sorted(sims, key=lambda p: -sims[p])
    assert w.current_photo_id() == w.proxy.photo_ids()[0]
    tile = w.proxy.index(0, 0)
    assert tile.data(Qt.ItemDataRole.DisplayRole) is not None  # the tile still shows its score
    qtbot.keyClick(w.search_bar.box, Qt.Key.Key_Escape)
    assert not w.search_bar.isVisible() and not w.proxy.searching
    assert w.proxy.photo_ids() == before


def test_detail_pane_shows_the_keywords_once_their_features_exist(library, open_window, qtbot, tiny_engine):
    from curator.catalog import Catalog
    from curator.actions.keyword_tagging import tagger

    settings, ids = library
    settings = settings.with_overrides("flag", tags_top_k=3, tags_threshold=0.0, tags_margin=-1.0)
    with Catalog.open(settings.db_path) as cat:
        expected = tagger(cat, settings, engine=tiny_engine).for_photos(cat, [ids["2021/chelsea.jpg"]])
    words = [k.keyword for k in expected[ids["2021/chelsea.jpg"]]]
    w = open_window(settings.db_path, settings=settings)
    w.proxy.set_collapse_bursts(False)
    w.select_photo(ids["2021/chelsea.jpg"])
    w.set_detail_visible(True)
    qtbot.waitUntil(lambda: w.detail.keywords.text().startswith(words[0]), timeout=10_000)
    assert [part.rsplit(" ", 1)[0] for part in w.detail.keywords.text().split(", ")] == words
