"""A photo whose file name is not valid UTF-8 in the gallery: listed, thumbnailed, previewed, and named readably.

Qt drops the lone surrogates Python carries such bytes as (PEP 383), so the gallery shows the name through
curator.display.shown (U+FFFD for each undecodable byte) and opens the file by its exact str.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from iqa_engine.testing import sample_photos, write_jpeg
from curator.testing.demo_catalog import add_photo

SHOWN_NAME = "\ufffd\ufffd-latin1-\ufffd.jpg"


def test_the_gallery_shows_a_photo_whose_name_is_not_utf8(tmp_path, open_window, qtbot):
    from curator.catalog import Catalog

    folder = tmp_path / "shoot"
    plain = write_jpeg(folder / "plain.jpg", sample_photos()["rocket"], size=(240, 160))
    odd = write_jpeg(Path(os.fsdecode(os.fsencode(folder) + b"/\xff\xfe-latin1-\xe9.jpg")), sample_photos()["coffee"],
                     size=(240, 160))
    db = tmp_path / "catalog.db"
    with Catalog.open(db) as cat:
        ids = {"plain": add_photo(cat, plain, 0.7), "odd": add_photo(cat, odd, 0.4, seed=1)}
    w = open_window(db)
    r = w.model.row_for_id(ids["odd"])
    assert r is not None
    row = w.model.row_at(r)
    assert row.path == str(odd) and os.path.isfile(row.path)  # the exact str: it opens the file
    assert w.model.row_data(r, Qt.ItemDataRole.DisplayRole) == SHOWN_NAME
    assert w.model.row_data(r, Qt.ItemDataRole.ToolTipRole).startswith(f"{folder}/{SHOWN_NAME}")

    qtbot.waitUntil(lambda: w.loader.thumbnail(row) is not None or w.loader.failure(row) is not None, timeout=20_000)
    assert w.loader.failure(row) is None and not w.loader.thumbnail(row).isNull()

    w.set_detail_visible(True)
    assert w.select_photo(ids["odd"])
    qtbot.waitUntil(lambda: w.detail.preview_loaded and w.detail.preview.pixmap is not None, timeout=20_000)
    assert w.detail.title.text() == SHOWN_NAME
    assert w.detail.path.text() == f"{folder}/{SHOWN_NAME}"
