"""The gallery's taste: the "My taste" sort and the taste badge, on a catalog with a trained model."""

from __future__ import annotations

import numpy as np

from curator.catalog import Catalog, TasteModelRow
from curator.taste import FeatureInputs, feature_table, train


def _store_taste(db, values: dict[int, float]) -> None:
    """A real model record (trained on synthetic features) and these taste values, as `curator learn` stores them."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    model = train(feature_table(FeatureInputs(60, embedding=x)), (x[:, 0] > 0).astype(int), fingerprint="fp")
    with Catalog.open(db) as cat:
        cat.save_taste_model(TasteModelRow("fp", model.trained_at, model.n_positive, model.n_negative,
                                           model.metrics.auc, model.metrics.baseline_auc, model.to_json()),
                             values=list(values.items()))


def test_my_taste_sorts_the_likeliest_keeps_first_and_the_unrated_last(shoot_catalog, open_window):
    db, ids = shoot_catalog
    scored = {k: v for k, v in ids.items() if k.split("/")[1] not in ("broken", "gone", "late")}
    values = {pid: round(0.05 + 0.09 * i, 2) for i, pid in enumerate(sorted(scored.values()))}
    _store_taste(db, values)
    w = open_window(db)
    w.set_sort("taste_desc")
    shown = w.proxy.photo_ids()
    rated = [pid for pid in shown if pid in values]
    assert rated == sorted(values, key=lambda pid: -values[pid])
    assert shown[:len(values)] == rated  # photos without a taste value come after every rated one
    assert set(shown[len(values):]) == set(ids.values()) - set(values)
    assert w.view_bar.sort_box.currentData() == "taste_desc"


def test_the_taste_badge_is_drawn_only_when_asked(shoot_catalog, open_window, qtbot):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QStyleOptionViewItem

    from ui import theme
    from ui.grid.delegate import TILE, taste_text

    db, ids = shoot_catalog
    _store_taste(db, {ids["shoot-a/astronaut"]: 0.873})
    w = open_window(db)
    w.set_sort("taste_desc")
    index = w.proxy.index(0, 0)
    assert w.proxy.photo_ids()[0] == ids["shoot-a/astronaut"]
    delegate = w.view.itemDelegate()

    def render() -> QImage:
        img = QImage(TILE, QImage.Format.Format_RGB32)
        img.fill(theme.BG)
        p = QPainter(img)
        opt = QStyleOptionViewItem()
        opt.rect = QRect(0, 0, TILE.width(), TILE.height())
        delegate.paint(p, opt, index)
        p.end()
        return img

    off = render()
    w.workflow_bar.taste_action.trigger()  # the toolbar's "Taste badge"
    assert delegate.show_taste is True
    on = render()
    changed = [(x, y) for x in range(TILE.width()) for y in range(TILE.height()) if off.pixel(x, y) != on.pixel(x, y)]
    assert changed and max(y for _, y in changed) < TILE.height() // 3  # a badge near the top, nothing else moved
    assert taste_text(0.873) == "keep 87%"
    w.set_taste_badge(False)
    assert render() == off
