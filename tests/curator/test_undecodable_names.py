"""File names that are not valid UTF-8 (an old card, another locale): real files on a real folder, the real CLI.

Python carries such a name as a str with lone surrogates (os.fsdecode, PEP 383). The catalog stores it
losslessly (curator.catalog.paths), the file is found, scored, flagged, moved and moved back under its
exact bytes, and every printed name shows the undecodable bytes as U+FFFD.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from catalog_support import make_settings, running_watch, wait_for

from curator.catalog import Catalog
from curator.disk.xmp import read_sidecar
from iqa_engine.testing import sample_photos, write_jpeg
from cli_support import run_cli

pytestmark = pytest.mark.usefixtures("isolated_settings")

ODD_NAME = b"\xff\xfe-latin1-\xe9.jpg"  # Latin-1 bytes: not UTF-8
SHOWN_NAME = "\ufffd\ufffd-latin1-\ufffd.jpg"


def odd(folder: Path | str, name: bytes = ODD_NAME) -> str:
    """folder/name as os.fsdecode gives it: the bytes that are not UTF-8 as lone surrogates."""
    return os.fsdecode(os.path.join(os.fsencode(folder), name))


def surrogates(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def photo(path: str | Path, which: str = "coffee") -> Path:
    return write_jpeg(Path(path), sample_photos()[which], size=(192, 144))


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "cat" / "catalog.db"


@pytest.fixture()
def shoot(tmp_path: Path) -> Path:
    """Three ordinary photos and one whose name is not UTF-8, side by side."""
    folder = tmp_path / "shoot"
    for which in ("astronaut", "rocket", "chelsea"):
        photo(folder / f"{which}.jpg", which)
    photo(odd(folder))
    return folder


@pytest.fixture()
def scanned(capsys, db, shoot, tiny_model) -> Path:
    code, out, err = run_cli(capsys, "scan", shoot, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    return shoot


# -- the catalog ---------------------------------------------------------------------------------------------


def test_stored_paths_round_trip_exactly_and_ordinary_ones_are_stored_as_before():
    from curator.catalog.paths import from_db, to_db

    names = ["/a/b.jpg", "/ph/caf\u00e9 \u65e5\u672c.jpg", odd("/ph"), odd("/ph\udcff", b"x\x80\xc3.jpg"),
             "/win/\ud800lone.jpg", "/win/\udc00\udfff.jpg"]
    assert [to_db(n) for n in names[:2]] == names[:2]  # valid names: the text catalogs hold today
    stored = [to_db(n) for n in names]
    assert [from_db(s) for s in stored] == names
    assert len(set(stored)) == len(names) and not any(surrogates(s) for s in stored)
    for s in stored:
        s.encode("utf-8")  # sqlite3 can bind it
    # a folder's stored form is a prefix of its photos' stored forms, and only of theirs
    folder, sibling = odd("/ph", b"d\xff"), odd("/ph", b"d\xff\xfe")
    assert to_db(odd(folder, b"x.jpg")).startswith(to_db(folder) + "/")
    assert not to_db(odd(sibling, b"x.jpg")).startswith(to_db(folder) + "/")


def test_the_catalog_keeps_such_paths_through_queue_moves_and_reads(tmp_path):
    from curator.catalog import FileEntry, FileStat

    root = tmp_path / "root"
    folder = odd(root, b"card-\xe9")
    plain, inside, in_sibling = str(root / "plain.jpg"), odd(folder, b"IMG-\xff.jpg"), odd(folder + "\udcff", b"a.jpg")
    st = FileStat(10, 1)
    with Catalog.open(tmp_path / "c.db") as cat:
        counts = cat.sync_files([str(root)], [FileEntry(p, st) for p in (plain, inside, in_sibling)],
                                fingerprint="fp")
        assert counts.new == 3
        assert set(cat.known_files([str(root)], "fp")) == {plain, inside, in_sibling}
        assert set(cat.known_files([folder], "fp")) == {inside}  # the sibling folder is not under it
        assert cat.folders() == [str(root), folder, folder + "\udcff"]
        assert {r.path for r in cat.query_rows(folder=folder)} == {inside}
        assert {i.path for i in cat.pending_items()} == {plain, inside, in_sibling}
        assert cat.photo_id_for_path(inside) is not None and cat.path_status(inside) == "pending"
        assert not cat.enqueue_path(inside, st)  # known, unchanged

        # a folder renamed (the watcher's move_tree): SQLite's substr() would cut such a path at its NUL
        renamed = odd(root, b"renamed-\xfe")
        assert cat.move_tree(folder, renamed) == 1
        moved = odd(renamed, b"IMG-\xff.jpg")
        rows = {r.path: r for r in cat.gallery_rows()}
        assert set(rows) == {plain, moved, in_sibling}
        assert (rows[moved].folder, rows[moved].name) == (renamed, odd("", b"IMG-\xff.jpg"))
        assert cat.move_tree(str(root), str(tmp_path / "new-root")) == 3  # the plain rows by SQL, the others too
        assert {r.path for r in cat.gallery_rows()} == {str(tmp_path / "new-root" / "plain.jpg"),
                                                         odd(odd(tmp_path / "new-root", b"renamed-\xfe"),
                                                             b"IMG-\xff.jpg"),
                                                         odd(odd(tmp_path / "new-root", b"card-\xe9\xff"), b"a.jpg")}
        assert {r["path"] for r in cat.export_records()} == {r.path for r in cat.gallery_rows()}
    raw = sqlite3.connect(tmp_path / "c.db")
    assert raw.execute("SELECT path FROM photos WHERE name = 'plain.jpg'").fetchone()[0] == \
        str(tmp_path / "new-root" / "plain.jpg")  # an ordinary path is stored as it always was
    raw.close()


# -- scan, list, errors ------------------------------------------------------------------------------------------


def test_scan_records_every_photo_and_list_shows_replacement_characters(capsys, db, shoot, tiny_model):
    code, out, err = run_cli(capsys, "scan", shoot, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    assert "4 photo(s) found: 4 new" in out and "scored 4" in out
    with Catalog.open(db) as cat:
        rows = {r.path: r for r in cat.gallery_rows()}
    assert len(rows) == 4 and {r.status for r in rows.values()} == {"scored"}
    row = rows[odd(shoot)]  # the str os.fsdecode gave, exactly
    assert os.fsencode(row.path) == os.path.join(os.fsencode(shoot), ODD_NAME) and os.path.isfile(row.path)
    assert (row.folder, row.name) == (str(shoot), odd("", ODD_NAME))

    code, out, err = run_cli(capsys, "list", "--db", db)
    assert code == 0 and f"{shoot}/{SHOWN_NAME}" in out and not surrogates(out)
    code, out, _ = run_cli(capsys, "scan", shoot, "--db", db, *tiny_model.cli_args())  # nothing new the second time
    assert code == 0 and "4 unchanged" in out


def test_a_bad_file_with_such_a_name_is_one_readable_line_and_the_scan_goes_on(capsys, db, shoot, tiny_model):
    Path(odd(shoot, b"broken-\xff.jpg")).write_bytes(b"garbage")
    Path(odd(shoot, b"notes-\xff.txt")).write_text("not a photo")
    code, out, err = run_cli(capsys, "scan", shoot, odd(shoot, b"notes-\xff.txt"), "--db", db,
                             *tiny_model.cli_args())
    assert code == 1  # some photos failed
    assert f"curator: skipping {shoot}/notes-\ufffd.txt: not a photo" in err
    assert f"{shoot}/broken-\ufffd.jpg: not an image" in err and not surrogates(out + err)
    assert "scored 4" in out
    code, out, _ = run_cli(capsys, "list", "--errors", "--db", db)
    assert code == 0 and "broken-\ufffd.jpg" in out and not surrogates(out)


def test_printing_to_a_strict_terminal_never_raises(db, scanned, tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "CURATOR_SETTINGS": str(tmp_path / "none.toml")}
    proc = subprocess.run([sys.executable, "-m", "curator", "list", "--db", str(db)], capture_output=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert f"{scanned}/{SHOWN_NAME}".encode() in proc.stdout


# -- JSON ------------------------------------------------------------------------------------------------------


def test_json_output_is_valid_utf8_with_the_exact_bytes_beside_the_readable_path(capsys, db, scanned, tmp_path):
    exact = os.fsencode(odd(scanned)).hex()
    code, out, _ = run_cli(capsys, "list", "--json", "--db", db)
    assert code == 0 and not surrogates(out)
    rows = {r["path"]: r for r in json.loads(out.encode("utf-8"))}
    mine = rows[f"{scanned}/{SHOWN_NAME}"]
    assert mine["path_bytes"] == exact and mine["name"] == SHOWN_NAME
    assert os.path.isfile(os.fsdecode(bytes.fromhex(mine["path_bytes"])))
    assert all("path_bytes" not in r for p, r in rows.items() if p != mine["path"])  # ordinary rows as before

    code, out, _ = run_cli(capsys, "export", "--format", "json", "--db", db)
    assert code == 0 and not surrogates(out)
    exported = {r["path"]: r for r in json.loads(out.encode("utf-8"))}
    assert exported[mine["path"]]["path_bytes"] == exact and len(exported) == 4

    for fmt in ("json", "csv"):  # to a UTF-8 file
        target = tmp_path / f"export.{fmt}"
        code, _, err = run_cli(capsys, "export", "--format", fmt, "-o", target, "--db", db)
        assert code == 0 and "exported 4" in err
        text = target.read_bytes().decode("utf-8")
        paths = ({r["path"] for r in json.loads(text)} if fmt == "json"
                 else {r["path"] for r in csv.DictReader(text.splitlines())})
        assert mine["path"] in paths


def test_json_ready_makes_each_name_readable_and_keeps_the_bytes_of_a_path():
    from curator.display import json_ready

    path = odd("/shoot")
    plain = {"path": "/shoot/a.jpg", "name": "a.jpg", "fused": 0.5, "keywords": [{"keyword": "dog"}]}
    assert json_ready(plain) is plain  # nothing to change: no copy
    group = {"folder": "/shoot", "best": path, "frames": [plain, {"path": path, "name": odd("", ODD_NAME)}]}
    ready = json_ready(group)
    assert ready["best"] == f"/shoot/{SHOWN_NAME}" and ready["frames"][0] is plain
    assert ready["frames"][1] == {"path": f"/shoot/{SHOWN_NAME}", "name": SHOWN_NAME,
                                  "path_bytes": os.fsencode(path).hex()}
    assert json_ready([[path, "/shoot/a.jpg"]]) == [[f"/shoot/{SHOWN_NAME}", "/shoot/a.jpg"]]  # dupes --json
    assert group["frames"][1]["path"] == path  # the records themselves are left as they are
    json.dumps(ready).encode("utf-8")


# -- flag, xmp, move-rejects, undo ---------------------------------------------------------------------------


def test_flag_sets_a_decision_on_such_a_path(capsys, db, scanned):
    code, out, err = run_cli(capsys, "flag", odd(scanned), "--set", "reject", "--rating", "1", "--db", db)
    assert (code, out.strip()) == (0, "set a decision on 1 photo(s)"), err
    with Catalog.open(db) as cat:
        row = next(r for r in cat.gallery_rows() if r.path == odd(scanned))
    assert (row.flag, row.flag_source, row.rating) == ("reject", "user", 1)
    code, out, err = run_cli(capsys, "flag", odd(scanned, b"unknown-\xff.jpg"), "--set", "pick", "--db", db)
    assert code == 1 and "unknown-\ufffd.jpg: not in the catalog" in err and not surrogates(err)


def test_xmp_write_puts_the_sidecar_next_to_it_with_the_exact_name(capsys, db, scanned):
    assert run_cli(capsys, "flag", odd(scanned), "--set", "reject", "--db", db)[0] == 0
    code, out, err = run_cli(capsys, "xmp", "write", "--db", db)
    assert code == 0, err
    sidecar = os.path.join(os.fsencode(scanned), b"\xff\xfe-latin1-\xe9.xmp")
    assert os.path.isfile(sidecar) and read_sidecar(os.fsdecode(sidecar)).rejected
    assert f"wrote {scanned}/\ufffd\ufffd-latin1-\ufffd.xmp (new)" in out and not surrogates(out)
    assert "4 sidecar(s) written" in out


def test_move_rejects_and_undo_move_it_with_its_exact_name(capsys, db, scanned, tmp_path):
    source = os.path.join(os.fsencode(scanned), ODD_NAME)
    digest = hashlib.sha256(Path(os.fsdecode(source)).read_bytes()).hexdigest()
    assert run_cli(capsys, "flag", odd(scanned), "--set", "reject", "--db", db)[0] == 0
    rejects = tmp_path / "rejects"
    code, out, err = run_cli(capsys, "move-rejects", "--to", rejects, "--folder", scanned, "--db", db)
    assert code == 0, err
    moved = os.path.join(os.fsencode(rejects), ODD_NAME)
    assert os.path.isfile(moved) and not os.path.lexists(source)
    assert hashlib.sha256(Path(os.fsdecode(moved)).read_bytes()).hexdigest() == digest
    assert f"moved {scanned}/{SHOWN_NAME} -> {rejects}/{SHOWN_NAME}" in out and not surrogates(out)
    with Catalog.open(db) as cat:
        assert cat.path_status(os.fsdecode(moved)) == "scored" and cat.path_status(os.fsdecode(source)) is None

    code, out, err = run_cli(capsys, "undo", "--db", db)
    assert code == 0, err
    assert os.path.isfile(source) and not os.path.lexists(moved)
    assert hashlib.sha256(Path(os.fsdecode(source)).read_bytes()).hexdigest() == digest
    assert f"moved back {rejects}/{SHOWN_NAME} -> {scanned}/{SHOWN_NAME}" in out and not surrogates(out)
    with Catalog.open(db) as cat:
        row = next(r for r in cat.gallery_rows() if r.path == os.fsdecode(source))
        assert (row.flag, row.status) == ("reject", "scored")


# -- dupes and search --------------------------------------------------------------------------------------------


def test_dupes_and_search_print_readable_paths(capsys, db, shoot, tiny_model):
    shutil.copyfile(odd(shoot), odd(shoot, b"copy-\xe9.jpg"))
    assert run_cli(capsys, "scan", shoot, "--db", db, "--settle", "0", *tiny_model.cli_args())[0] == 0
    code, out, err = run_cli(capsys, "dupes", "--db", db)
    assert code == 0, err
    assert f"{shoot}/{SHOWN_NAME}" in out and f"{shoot}/copy-\ufffd.jpg" in out and not surrogates(out)
    code, out, err = run_cli(capsys, "search", "a cup of coffee", "--db", db, *tiny_model.cli_args())
    assert code == 0, err
    assert f"{shoot}/{SHOWN_NAME}" in out and not surrogates(out)


# -- watch -----------------------------------------------------------------------------------------------------


def test_watch_catches_up_and_records_a_file_landing_while_it_runs(tmp_path, tiny_model, tiny_engine):
    settings = make_settings(tmp_path, tiny_model, scan_batch=16)
    inbox = tmp_path / "incoming"
    photo(inbox / "plain.jpg", "rocket")
    photo(odd(inbox))  # there before the watcher starts: its catch-up finds it
    card = odd(inbox, b"card-\xe9")
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        def scored() -> set[str]:
            return {r.path for r in cat.gallery_rows() if r.status == "scored"}

        wait_for(lambda: scored() == {str(inbox / "plain.jpg"), odd(inbox)}, what="catch-up")
        photo(odd(inbox, b"landed-\xff.jpg"), "astronaut")  # lands while it runs
        os.mkdir(card)
        photo(odd(card, b"IMG-\xfe.jpg"), "chelsea")
        wait_for(lambda: {odd(inbox, b"landed-\xff.jpg"), odd(card, b"IMG-\xfe.jpg")} <= scored(),
                 what="files landing while watching")
        first = {r.path: r.photo_id for r in cat.gallery_rows()}

        renamed = odd(inbox, b"card-\xfe-renamed")
        os.rename(card, renamed)  # a folder renamed: its photo follows, with its id and score
        wait_for(lambda: odd(renamed, b"IMG-\xfe.jpg") in scored(), what="the folder rename")
        rows = {r.path: r for r in cat.gallery_rows()}
        assert cat.score_count() == 4  # each scored once: the rename kept the score
    moved = rows[odd(renamed, b"IMG-\xfe.jpg")]
    assert moved.photo_id == first[odd(card, b"IMG-\xfe.jpg")] and moved.folder == renamed
    assert os.path.isfile(moved.path) and len(rows) == 4
