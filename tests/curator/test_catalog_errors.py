"""Typed catalog errors (callers decide by type, never by message text), and the one file-type module."""

from __future__ import annotations

import sqlite3

import pytest

import curator.catalog.connection as connection
from curator.disk import files
from curator.catalog import Catalog, CatalogBusy, CatalogDamaged, CatalogError, CatalogMissing, CatalogReadOnly
from curator.errors import UserError


def test_a_lock_held_past_the_busy_timeout_is_catalog_busy(tmp_path, monkeypatch):
    db = tmp_path / "catalog.db"
    Catalog.open(db).close()
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        with Catalog.open(db) as cat, pytest.raises(CatalogBusy, match="stayed locked"):
            cat.set_flag_policy(None, 10.0)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_read_only_damaged_and_missing_have_their_types(tmp_path):
    db = tmp_path / "catalog.db"
    Catalog.open(db).close()
    with Catalog.open(db, readonly=True) as cat, pytest.raises(CatalogReadOnly):
        cat.set_flag_policy(None, 10.0)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(CatalogDamaged):
        Catalog.open(junk)
    with pytest.raises(CatalogMissing):
        Catalog.open(tmp_path / "none.db", create=False)
    for kind in (CatalogBusy, CatalogReadOnly, CatalogDamaged, CatalogMissing):
        assert issubclass(kind, CatalogError) and issubclass(kind, UserError)  # exit 2 at the CLI


def test_nested_transactions_commit_once(tmp_path):
    with Catalog.open(tmp_path / "catalog.db") as cat:
        with pytest.raises(RuntimeError), cat.transaction():
            cat.set_flag_policy(None, 10.0)  # joins the outer transaction...
            raise RuntimeError
        assert cat.flag_policy() is None  # ...so it rolled back with it
        with cat.transaction():
            cat.set_flag_policy(None, 20.0)
        assert cat.flag_policy() == (None, 20.0)


def test_file_types_match_what_the_engine_decodes():
    decode = pytest.importorskip("iqa_engine.decode")
    assert files.PHOTO_EXTENSIONS == decode.PHOTO_EXTENSIONS
    assert files.RAW_EXTENSIONS == decode.RAW_EXTENSIONS and files.HEIF_EXTENSIONS == decode.HEIF_EXTENSIONS
    assert files.is_photo_path("a/B.JPE") and files.is_jpeg_path("x.JPEG") and not files.is_photo_path("x.xmp")
    assert files.is_under("/a/b/c.jpg", "/a/b") and files.is_under("/a/b/c.jpg", "/a/b/")
    assert not files.is_under("/a/bc", "/a/b")
