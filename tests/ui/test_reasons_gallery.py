"""Reasons in the gallery: the number on each tile, the reason chip and filter, the Why section and the
heatmap's layers on the shoot's range. Real Qt widgets offscreen, real catalogs (curator.testing.demo_catalog)."""

from __future__ import annotations

import numpy as np
import pytest


def _reason(db, name: str, reasons: tuple[str, ...]) -> int:
    from curator.catalog import Catalog

    with Catalog.open(db) as cat:
        pid = next(r.photo_id for r in cat.gallery_rows() if r.path.endswith(name))
        assert cat.set_reasons([(pid, reasons)]) == 1
    return pid


def test_tiles_show_the_rank_in_the_folder_or_the_setting(shoot_catalog, open_window, qtbot):
    from ui.grid.gallery_model import SCORE_TEXT_ROLE

    db, ids = shoot_catalog
    w = open_window(db)
    model = w.model
    best = ids["shoot-b/chelsea"]  # 0.80: the best of shoot-b's five scored photos
    row = model.row_for_id(best)
    assert model.row_data(row, SCORE_TEXT_ROLE) == "1/5"
    assert model.row_data(model.row_for_id(ids["shoot-a/rocket"]), SCORE_TEXT_ROLE) == "3/5"  # 0.55 of a's
    model.tile_number = "percentile"
    assert model.row_data(row, SCORE_TEXT_ROLE) == "top 1%"
    model.tile_number = "raw"
    assert model.row_data(row, SCORE_TEXT_ROLE) == "0.800"
    assert model.row_data(model.row_for_id(ids["shoot-a/late"]), SCORE_TEXT_ROLE) is None  # not scored


def test_reason_filter_and_chip(shoot_catalog, open_window, qtbot):
    from PySide6.QtGui import QColor

    from ui import theme

    db, ids = shoot_catalog
    blurred = _reason(db, "shoot-a/coffee.jpg", ("blurry", "noisy"))
    _reason(db, "shoot-b/coffee.jpg", ("noisy",))
    w = open_window(db)
    qtbot.waitUntil(lambda: w.model.photo(blurred).reasons == ("blurry", "noisy"), timeout=5000)
    w.set_reason("blurry")
    assert w.proxy.photo_ids() == [blurred]
    assert w.view_bar.reason_box.currentData() == "blurry"
    w.set_reason("noisy")
    assert sorted(w.proxy.photo_ids()) == sorted([blurred, ids["shoot-b/coffee"]])
    w.set_filter("flagged")  # the reason narrows the Show filter
    assert set(w.proxy.photo_ids()) <= {blurred, ids["shoot-b/coffee"]}
    w.set_filter("all")
    w.set_reason(None)
    assert len(w.proxy.photo_ids()) > 2
    with pytest.raises(ValueError):
        w.proxy.set_reason("sharp")
    # the chip: the first reason, over the tile's top right corner
    w.select_photo(blurred)
    rect = w.view.visualRect(w.proxy.index(w.proxy.proxy_row_for_id(blurred), 0))
    image = w.view.viewport().grab(rect).toImage()
    chip = image.copy(rect.width() - 70, 0, 70, 26)
    reds = sum(1 for x in range(chip.width()) for y in range(chip.height())
               if QColor(chip.pixel(x, y)).red() > 180 and QColor(chip.pixel(x, y)).green() < 110)
    assert reds > 10, "the reason chip is outlined in the weak colour"
    assert theme.WEAK.red() > 180


def test_the_why_section_and_the_heatmap_layers(shoot_catalog, open_window, qtbot):
    db, ids = shoot_catalog
    pid = _reason(db, "shoot-a/chelsea.jpg", ("too-dark",))
    w = open_window(db)
    w.select_photo(pid)
    w.set_detail_visible(True)
    pane = w.detail
    qtbot.waitUntil(lambda: pane.why.photo_id == pid and pane.detail is not None, timeout=5000)
    assert "too-dark" in pane.why.reasons.text()
    names = [d.name for d in pane.why.bars.dimensions]
    assert names == ["sharpness", "noise", "exposure", "contrast", "colour", "composition"]
    assert all(d.percentile is not None for d in pane.why.bars.dimensions)  # 5 measured photos in shoot-a
    shown = [(k.text(), v.text()) for k, v in pane.why._measure_labels if k.isVisible()]
    assert ("Noise" in dict(shown)) and dict(shown)["Highlights"].endswith("highlights clipped")
    layers = [pane.heatmap_layer.itemData(i) for i in range(pane.heatmap_layer.count())]
    assert layers[0] == "fused" and "focus" in layers and "sharpness" in layers
    pane.heatmap_box.setChecked(True)
    pane.heatmap_layer.setCurrentIndex(layers.index("focus"))
    assert pane.heatmap_note.text().startswith("focus of ") and "shoot's range" in pane.heatmap_note.text()
    assert pane.preview.heatmap is not None
    pane.heatmap_layer.setCurrentIndex(0)
    assert "colours: the shoot's range" in pane.heatmap_note.text()


def test_heatmap_layers_span_the_shoot():
    from ui.heatmap.cells import colorize
    from ui.heatmap.layers import layers_for

    boxes = [(0, 0, 10, 10), (10, 0, 20, 10), None]
    dims = [{"sharpness": 0.2}, {"sharpness": 0.8}, {"sharpness": 0.5}]
    layers = layers_for(boxes, dims, (20, 10), [(0, 0, 10, 10), (10, 0, 20, 10)], [1.0, 1000.0], (20, 10),
                        [{"sharpness": 0.1}, {"sharpness": 0.9}], [100.0, 400.0, 1000.0], [0.3, 0.6, None])
    assert list(layers) == ["fused", "sharpness", "focus"]
    assert layers["fused"].value_range == (0.3, 0.6)
    assert layers["sharpness"].value_range == (0.1, 0.9) and len(layers["sharpness"].windows) == 2
    lo, hi = layers["focus"].value_range
    assert lo == pytest.approx(np.log10(1 + 0.25 * 400)) and hi == pytest.approx(np.log10(1001))
    # colours on the shoot's range: a photo at the shoot's best is green all over, not red somewhere
    grid = np.array([[0.59, 0.6]])
    own = colorize(grid)
    shoot = colorize(grid, (0.3, 0.6))
    assert own[0, 0, 0] > 200 and shoot[0, 0, 0] < 60  # red on its own range, green on the shoot's
    assert layers_for([], [], None, [], [], None, [], [], [0.5])["fused"].value_range is None
