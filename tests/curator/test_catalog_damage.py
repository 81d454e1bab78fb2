"""A damaged catalog: writers refuse it at open (PRAGMA quick_check) with one line naming a real way
back; readers say the same. The damage is real: two cell pointers of a table's b-tree page swapped."""

from __future__ import annotations

import shutil
import sqlite3
import struct
from pathlib import Path

import pytest

from curator.catalog import Catalog, CatalogDamaged, FileStat
from cli_support import run_cli


pytestmark = pytest.mark.usefixtures("isolated_settings")


def make_catalog(db: Path, photos: Path, n: int = 6) -> list[int]:
    photos.mkdir(parents=True, exist_ok=True)
    with Catalog.open(db) as cat:
        for i in range(n):
            p = photos / f"IMG_{i}.jpg"
            p.write_bytes(b"x")
            cat.enqueue_path(str(p), FileStat(1, 1_000 + i))
        ids = [r.photo_id for r in cat.gallery_rows()]
    conn = sqlite3.connect(db)  # everything into the main file, as after a clean close
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return ids


def swap_first_two_cells(db: Path, table: str = "photos") -> None:
    """Rowids out of order on the table's root page (a leaf: the table is small), as byte damage does."""
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(db, "r+b") as fh:
        base = (root - 1) * page_size
        fh.seek(base)
        header = fh.read(8)
        assert header[0] == 0x0D, "expected a table leaf page"
        fh.seek(base + 8)
        a, b = struct.unpack(">HH", fh.read(4))
        fh.seek(base + 8)
        fh.write(struct.pack(">HH", b, a))


def damaged(tmp_path: Path) -> tuple[Path, list[int]]:
    db = tmp_path / "cat" / "catalog.db"
    ids = make_catalog(db, tmp_path / "shoot")
    swap_first_two_cells(db)
    conn = sqlite3.connect(db)
    report = conn.execute("PRAGMA quick_check").fetchall()
    conn.close()
    assert report != [("ok",)] and "out of order" in report[0][0]  # the damage is real
    return db, ids


def test_a_writer_refuses_a_damaged_catalog_and_names_sqlite_recover(tmp_path):
    db, _ = damaged(tmp_path)
    before = db.read_bytes()
    with pytest.raises(CatalogDamaged) as info:
        Catalog.open(db)
    message = str(info.value)
    assert "\n" not in message and ".recover" in message and str(db) in message
    assert ".bak" not in message  # there is none, so none is offered
    assert db.read_bytes() == before


def test_the_refusal_names_a_bak_copy_when_one_exists(tmp_path):
    db, _ = damaged(tmp_path)
    bak = db.with_name("catalog.db.v2.bak")
    shutil.copyfile(db, bak)
    with pytest.raises(CatalogDamaged, match=r"catalog\.db\.v2\.bak"):
        Catalog.open(db)


def test_flag_set_refuses_a_damaged_catalog_with_one_line_and_exit_2(capsys, tmp_path):
    db, _ = damaged(tmp_path)
    before = db.read_bytes()
    code, out, err = run_cli(capsys, "flag", tmp_path / "shoot" / "IMG_1.jpg", "--set", "reject", "--db", db)
    assert code == 2 and err.startswith("curator: error: ") and err.count("\n") == 1, err
    assert ".recover" in err
    assert db.read_bytes() == before


def test_scan_refuses_a_damaged_catalog_before_any_work(capsys, tmp_path, tiny_model):
    db, _ = damaged(tmp_path)
    before = db.read_bytes()
    code, out, err = run_cli(capsys, "scan", tmp_path / "shoot", "--db", db, *tiny_model.cli_args())
    assert code == 2 and err.count("\n") == 1 and ".recover" in err, err
    assert db.read_bytes() == before


def test_readers_and_writers_use_one_wording(capsys, tmp_path):
    junk = tmp_path / "cat" / "catalog.db"
    junk.parent.mkdir()
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # a header, then garbage
    errors = []
    for argv in (("list", "--db", junk), ("stats", "--db", junk), ("flag", tmp_path / "x.jpg", "--set", "pick",
                                                                    "--db", junk)):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2 and err.count("\n") == 1, err
        errors.append(err)
    assert len(set(errors)) == 1, errors
    assert ".recover" in errors[0]
