"""One definition of "weak" (curator.actions.culling.is_weak) and one wording, wherever the gallery shows or counts it."""

from __future__ import annotations

import dataclasses
from typing import Any

from curator.actions.culling import WEAK_MEANING


def _row(**changes):
    from curator.catalog import GalleryRow

    base: dict[str, Any] = dict(
                photo_id=1, path="/x/a.jpg", folder="/x", name="a.jpg", status="scored", error=None, width=600,
                height=400, mtime=1.0, size=10, capture_time=None, camera=None, lens=None, iso=None,
                exposure_time=None, f_number=None, focal_length=None, orientation=None, fused=0.41, cosine=0.5,
                magnitude=0.7, w_cosine=0.6, w_magnitude=0.4, flag=None, flag_source=None, rating=0, label=None,
                low_quality=False)
    return dataclasses.replace(GalleryRow(**base), **changes)


def test_red_means_weak_even_at_the_bottom_of_a_folder():
    from ui import theme

    assert theme.rank_colour(0.0, weak=True) == theme.rank_colour(0.1, weak=True)  # the red band
    assert theme.rank_colour(0.0, weak=False) != theme.rank_colour(0.0, weak=True)
    assert theme.rank_colour(0.0, weak=False) == theme.rank_colour(0.2, weak=False)  # the next band up
    assert theme.rank_colour(0.9, weak=False) == theme.rank_colour(0.9, weak=True)


def test_the_detail_pane_says_weak_only_about_weak_photos(qtbot):
    from ui import theme
    from ui.detail.pane import DetailPane

    pane = DetailPane()
    qtbot.addWidget(pane)
    red = theme.rank_colour(0.0, weak=True).name()
    # the lowest of a folder of 3 with a bottom 15% policy: not weak, so neither red nor called weak
    pane.show_row(_row(), 0.0)
    assert "the lowest score in its folder" in pane.score_note.text()
    assert red not in pane.score.styleSheet() and theme.WEAK.name() not in pane.score_note.text()
    assert WEAK_MEANING not in pane.score_note.text()
    pane.show_row(_row(photo_id=2, low_quality=True), 0.0)
    assert red in pane.score.styleSheet() and WEAK_MEANING in pane.score_note.text()


def test_the_header_counts_what_list_flagged_lists(shoot_catalog, open_window, qtbot):
    from curator.catalog import Catalog

    db, ids = shoot_catalog
    with Catalog.open(db) as cat:  # a user reject of a photo the policy does not mark weak
        strong = next(r for r in cat.gallery_rows() if r.fused is not None and not r.low_quality)
        cat.set_decision(strong.photo_id, flag="reject", source="user")
        listed = cat.query_rows(weak=True)  # what `curator list --flagged` prints
        total = len(cat.gallery_rows())
    w = open_window(db)
    qtbot.waitUntil(lambda: w.view_bar.count_label.text() == f"{len(listed)} of {total} weak", timeout=3000)
    w.set_filter("flagged")
    assert sorted(w.proxy.photo_ids()) == sorted(r.photo_id for r in listed)
