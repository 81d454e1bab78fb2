"""The heatmap's maths, and tiles painted for every state a photo can be in."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from ui.heatmap.cells import colorize, heatmap_image, score_grid, score_range


def _view(box, fused):
    return SimpleNamespace(box=box, fused=fused)


def test_score_grid_averages_the_windows_covering_each_cell():
    # a 4x2 image split into two 2x2 windows overlapping nowhere, plus a global view
    views = [_view((0, 0, 2, 2), 0.2), _view((2, 0, 4, 2), 0.8), _view(None, 0.5)]
    grid = score_grid(views, (4, 2), long_side=4)
    assert grid.shape == (2, 4)
    np.testing.assert_allclose(grid, [[0.2, 0.2, 0.8, 0.8], [0.2, 0.2, 0.8, 0.8]])
    # overlapping windows average
    grid = score_grid([_view((0, 0, 3, 2), 0.2), _view((1, 0, 4, 2), 0.8)], (4, 2), long_side=4)
    np.testing.assert_allclose(grid[0], [0.2, 0.5, 0.5, 0.8])
    # cells no window covers are NaN (and transparent)
    grid = score_grid([_view((0, 0, 2, 2), 0.3)], (4, 2), long_side=4)
    assert np.isnan(grid[:, 2:]).all()
    assert (colorize(grid)[:, 2:, 3] == 0).all()


def test_no_windows_no_heatmap():
    assert score_grid([_view(None, 0.5)], (100, 100)) is None
    assert heatmap_image([], (100, 100)) is None
    assert heatmap_image([_view((0, 0, 10, 10), 0.5)], None) is None
    assert score_range([_view(None, 0.5)]) is None


def test_colours_run_from_red_for_the_weakest_to_green_for_the_best():
    rgba = colorize(np.array([[0.1, 0.5, 0.9]]))
    low, high = rgba[0, 0], rgba[0, 2]
    assert low[0] > 180 and low[1] < 80  # red
    assert high[1] > 120 and high[0] < 60  # green
    assert low[3] > high[3]  # weak areas are marked more strongly than good ones


def test_heatmap_image_covers_the_scored_frame():
    views = [_view((x, t, x + 224, t + 224), 0.4 + 0.001 * x) for t in (0, 128) for x in (0, 128, 256, 384)]
    img = heatmap_image(views, (608, 352))
    assert img is not None and not img.isNull()
    assert img.width() == 64 and img.height() == 37


@pytest.fixture()
def rows():
    base = dict(photo_id=1, path="/x/a.jpg", folder="/x", name="a.jpg", status="scored", error=None, width=600,
                height=400, mtime=1.0, size=10, capture_time=None, camera=None, lens=None, iso=None,
                exposure_time=None, f_number=None, focal_length=None, orientation=None, fused=0.61, cosine=0.5,
                magnitude=0.7, w_cosine=0.6, w_magnitude=0.4, flag=None, flag_source=None, rating=0, label=None,
                low_quality=False)
    from curator.catalog import GalleryRow

    r = GalleryRow(**base)
    return {
        "plain": r,
        "weak-auto-reject": dataclasses.replace(r, photo_id=2, low_quality=True, flag="reject", flag_source="auto"),
        "pick-rated": dataclasses.replace(r, photo_id=3, flag="pick", flag_source="user", rating=4, label="Red"),
        "pending": dataclasses.replace(r, photo_id=4, status="pending", fused=None, cosine=None),
        "error": dataclasses.replace(r, photo_id=5, status="error", fused=None, error="truncated or corrupt"),
        "missing": dataclasses.replace(r, photo_id=6, status="missing"),
    }


def test_every_kind_of_tile_paints(qtbot, rows):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    from ui import theme
    from ui.grid.delegate import TILE, TileDelegate
    from ui.grid.gallery_model import GalleryModel

    class StubLoader:
        def thumbnail(self, row):
            if row.status in ("missing", "error"):
                return None
            pix = QPixmap(320, 213)
            pix.fill(QColor(90, 120, 160))
            return pix

        def failure(self, row):
            return "truncated or corrupt" if row.status == "error" else None

    model = GalleryModel()
    model.set_rows(list(rows.values()))
    delegate = TileDelegate(StubLoader())
    for i, name in enumerate(rows):
        img = QImage(TILE, QImage.Format.Format_RGB32)
        img.fill(theme.BG)
        p = QPainter(img)
        opt = QStyleOptionViewItem()
        opt.rect = QRect(0, 0, TILE.width(), TILE.height())
        opt.state = QStyle.StateFlag.State_Enabled | (QStyle.StateFlag.State_Selected if i == 0 else
                                                      QStyle.StateFlag.State_None)
        delegate.paint(p, opt, model.index(i))
        p.end()
        colours = {img.pixel(x, y) for x in range(0, TILE.width(), 3) for y in range(0, TILE.height(), 3)}
        assert len(colours) > 5, name  # something was drawn
        weak_red = sum(1 for x in range(TILE.width()) for y in range(40)
                       if QColor(img.pixel(x, y)).red() > 200 and QColor(img.pixel(x, y)).green() < 90)
        if name == "weak-auto-reject":
            assert weak_red > 50  # the WEAK chip and the red frame
        elif name == "plain":
            assert weak_red < 50
