"""Untrusted file names in the CLI's output (CSV export, `list`), and photos reached through a symlinked folder."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from curator.catalog import Catalog
from iqa_engine.testing import sample_photos, write_burst_shoot, write_jpeg
from cli_support import run_cli
from curator.testing.demo_catalog import add_photo

pytestmark = pytest.mark.usefixtures("isolated_settings")

# a lone carriage return ends a row for many readers; the others spreadsheets read as formulas (OWASP)
CONTROL_NAMES = ("cr\ronly.jpg", "lf\nonly.jpg", "cr\r\nlf.jpg")
FORMULA_NAMES = ("=1+2.jpg", "+SUM(1).jpg", "-2.jpg", "@cmd.jpg", "\ttab.jpg", "\rlead.jpg")


def shoot_with(folder: Path, names: tuple[str, ...]) -> Path:
    """The five sample photos plus one real JPEG under each of `names`."""
    arrays = list(sample_photos().items())
    for name, arr in arrays:
        write_jpeg(folder / f"{name}.jpg", arr)
    for i, name in enumerate(names):
        write_jpeg(folder / name, arrays[i % len(arrays)][1])
    return folder


def scan(capsys, db: Path, folder: Path, tiny_model) -> None:
    code, _, err = run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_export_quotes_names_with_line_breaks(capsys, tmp_path, tiny_model):
    folder = shoot_with(tmp_path / "shoot", CONTROL_NAMES)
    db = tmp_path / "catalog.db"
    scan(capsys, db, folder, tiny_model)
    code, out, _ = run_cli(capsys, "export", "--format", "csv", "--db", db)
    assert code == 0
    rows = csv_rows(out)
    assert len(rows) == 5 + len(CONTROL_NAMES)  # one row per photo: a name cannot forge another
    assert set(CONTROL_NAMES) <= {r["name"] for r in rows}  # and it round-trips
    assert {r["path"] for r in rows} == {str(p) for p in folder.iterdir()}
    # the same through -o, read back as the csv module asks (newline="")
    target = tmp_path / "export.csv"
    assert run_cli(capsys, "export", "-o", target, "--db", db)[0] == 0
    with open(target, newline="", encoding="utf-8") as f:
        assert [r["name"] for r in csv.DictReader(f)] == [r["name"] for r in rows]
    assert '"cr\ronly.jpg"' in out  # a lone CR is quoted, as a LF is


def test_csv_export_neutralises_formulas_in_text_cells_only(capsys, tmp_path, tiny_model):
    folder = shoot_with(tmp_path / "shoot", FORMULA_NAMES)
    db = tmp_path / "catalog.db"
    scan(capsys, db, folder, tiny_model)
    with Catalog.open(db) as cat:  # a scored photo whose EXIF holds a negative number
        write_jpeg(folder / "under.jpg", sample_photos()["coffee"])
        add_photo(cat, folder / "under.jpg", fused=0.4, capture_time="2024:05:01 10:00:00", exposure_bias=-0.7)
    code, out, _ = run_cli(capsys, "export", "--format", "csv", "--db", db)
    assert code == 0
    rows = {r["path"]: r for r in csv_rows(out)}
    assert len(rows) == 5 + len(FORMULA_NAMES) + 1
    for name in FORMULA_NAMES:
        assert rows[str(folder / name)]["name"] == "'" + name  # text a spreadsheet shows, never runs
    under = rows[str(folder / "under.jpg")]
    assert under["exposure_bias"] == "-0.7" and float(under["fused"]) == pytest.approx(0.4)
    assert "'-0.7" not in out  # a negative number stays a number
    # JSON is not read by spreadsheets: its names stay exact
    data = json.loads(run_cli(capsys, "export", "--format", "json", "--db", db)[1])
    assert set(FORMULA_NAMES) <= {r["name"] for r in data}
    assert {r["exposure_bias"] for r in data if r["name"] == "under.jpg"} == {-0.7}


def test_list_shows_control_characters_escaped_one_line_per_photo(capsys, tmp_path, tiny_model):
    folder = shoot_with(tmp_path / "shoot", CONTROL_NAMES)
    db = tmp_path / "catalog.db"
    scan(capsys, db, folder, tiny_model)
    code, out, _ = run_cli(capsys, "list", "--db", db)
    assert code == 0 and "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 1 + 5 + len(CONTROL_NAMES)
    for escaped in ("cr\\ronly.jpg", "lf\\nonly.jpg", "cr\\r\\nlf.jpg"):
        assert sum(line.endswith(f"{folder}/{escaped}") for line in lines) == 1
    # --json stays lossless: JSON escapes the control characters itself
    data = json.loads(run_cli(capsys, "list", "--json", "--db", db)[1])
    assert set(CONTROL_NAMES) <= {Path(r["path"]).name for r in data}


def test_list_bursts_shows_control_characters_escaped(capsys, tmp_path, tiny_model):
    folder = write_burst_shoot(tmp_path / "day\none")
    (folder / "B2.jpg").rename(folder / "B\r2.jpg")
    db = tmp_path / "catalog.db"
    scan(capsys, db, folder, tiny_model)
    code, out, _ = run_cli(capsys, "list", "--bursts", "--db", db)
    assert code == 0 and "\r" not in out
    lines = out.splitlines()
    assert f"burst of 3 in {tmp_path}/day\\none" in lines
    assert sum(line.endswith(" B\\r2.jpg") for line in lines) == 1
    assert lines[-1] == "2 group(s) of 6 frame(s); 1 frame(s) in no burst"
    data = json.loads(run_cli(capsys, "list", "--bursts", "--json", "--db", db)[1])
    assert data[0]["folder"] == str(folder) and "B\r2.jpg" in {f["name"] for f in data[0]["frames"]}


@pytest.fixture()
def linked_library(tmp_path):
    """library/trip -> elsewhere/trip: the photos live in a folder the library reaches through a symlink."""
    real = tmp_path / "elsewhere" / "trip"
    for name, arr in sample_photos().items():
        write_jpeg(real / f"{name}.jpg", arr)
    library = tmp_path / "library"
    library.mkdir()
    (library / "trip").symlink_to(real, target_is_directory=True)
    return library, real


def decisions(capsys, db: Path) -> dict[str, tuple[object, object, object]]:
    rows = json.loads(run_cli(capsys, "list", "--json", "--db", db)[1])
    return {Path(r["path"]).name: (r["flag"], r["flag_source"], r["rating"]) for r in rows}


def test_flag_finds_a_photo_in_a_symlinked_folder_by_link_or_real_path(capsys, tmp_path, tiny_model, monkeypatch,
                                                                         linked_library):
    library, real = linked_library
    db = tmp_path / "catalog.db"
    scan(capsys, db, library, tiny_model)
    rows = json.loads(run_cli(capsys, "list", "--json", "--db", db)[1])
    assert {r["path"] for r in rows} == {str(library / "trip" / p.name) for p in real.iterdir()}  # as walked

    code, out, err = run_cli(capsys, "flag", library / "trip" / "astronaut.jpg", "--set", "pick", "--db", db)
    assert (code, err) == (0, "") and "set a decision on 1 photo(s)" in out
    code, out, err = run_cli(capsys, "flag", real / "coffee.jpg", "--set", "reject", "--db", db)
    assert (code, err) == (0, "") and "set a decision on 1 photo(s)" in out
    monkeypatch.chdir(library)
    code, out, err = run_cli(capsys, "flag", os.path.join("trip", "rocket.jpg"), "--rating", "4", "--db", db)
    assert (code, err) == (0, "")
    monkeypatch.chdir(real.parent)
    code, out, err = run_cli(capsys, "flag", os.path.join("trip", "chelsea.jpg"), "--rating", "2", "--db", db)
    assert (code, err) == (0, "")

    got = decisions(capsys, db)
    assert got["astronaut.jpg"] == ("pick", "user", 0)
    assert got["coffee.jpg"] == ("reject", "user", 0)
    assert got["rocket.jpg"][2] == 4 and got["chelsea.jpg"][2] == 2
    assert len(rows) == len(got)  # no photo was added under the real path

    code, _, err = run_cli(capsys, "flag", real / "nothere.jpg", "--set", "pick", "--db", db)
    assert code == 1 and err == f"curator: {real / 'nothere.jpg'}: not in the catalog\n"
