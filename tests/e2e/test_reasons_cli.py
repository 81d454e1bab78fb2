"""Reasons end to end: a shoot of sharp photos with a blurred, a noisy and a darkened copy, scanned by the CLI
with the tests' random-weight model. The classic measurements alone name the three; the random dimensions
(which say nothing about quality) must not name the sharp originals."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import numpy as np
import pytest

from curator.testing.degradations import add_luma_noise, gaussian_blur, scale_exposure
from iqa_engine.testing import sample_photos, write_jpeg
from cli_support import run_cli

MEASURED = {"blurry", "noisy", "too-dark"}


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture()
def shoot(tmp_path):
    """8 sharp photos (5 of scikit-image's and 3 crops of them), and a blurred (sigma 4), a noisy (sigma 25)
    and a darkened (x0.25, -2 EV) copy."""
    photos = sample_photos(5)
    sharp = dict(photos, astro_crop=photos["astronaut"][:300, 200:], coffee_crop=photos["coffee"][100:, :350],
                 moto_crop=photos["motorcycle"][:, 300:])
    folder = tmp_path / "shoot"
    for name, image in sharp.items():
        write_jpeg(folder / f"{name}.jpg", np.ascontiguousarray(image))
    write_jpeg(folder / "blurred.jpg", gaussian_blur(photos["chelsea"], 4))
    write_jpeg(folder / "noisy.jpg", add_luma_noise(np.ascontiguousarray(photos["coffee"]), 25))
    write_jpeg(folder / "dark.jpg", scale_exposure(np.ascontiguousarray(photos["motorcycle"]), 0.25))
    return folder, sorted(f"{name}.jpg" for name in sharp)


def listed(capsys, db, *extra):
    code, out, err = run_cli(capsys, "list", "--db", db, "--json", *extra)
    assert code == 0, err
    return {row["name"]: row for row in json.loads(out)}


def test_degraded_copies_read_their_reason_and_the_originals_none_of_them(capsys, tmp_path, shoot, tiny_model):
    folder, sharp_names = shoot
    db = tmp_path / "catalog.db"
    code, out, err = run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    rows = listed(capsys, db)
    assert "blurry" in rows["blurred.jpg"]["reasons"]
    assert "noisy" in rows["noisy.jpg"]["reasons"]
    assert "too-dark" in rows["dark.jpg"]["reasons"]
    for name in sharp_names:
        assert not MEASURED & set(rows[name]["reasons"]), (name, rows[name]["reasons"])
    for row in rows.values():
        assert len(row["reasons"]) <= 2
        assert set(row["dimensions"]) == {"sharpness", "noise", "exposure", "contrast", "colour", "composition"}
        assert {"focus", "focus_best", "noise_sigma", "clipped_white", "clipped_black", "luma_mean"} <= set(
            row["measures"])
    assert rows["noisy.jpg"]["measures"]["noise_sigma"] > 20
    assert set(listed(capsys, db, "--reason", "blurry")) == {"blurred.jpg"}
    assert set(listed(capsys, db, "--reason", "too-dark")) == {"dark.jpg"}
    with pytest.raises(SystemExit) as exc:  # not a word of the vocabulary: a usage error
        run_cli(capsys, "list", "--db", db, "--reason", "sharp")
    assert exc.value.code == 2 and "invalid choice: 'sharp'" in capsys.readouterr().err

    # the plain listing shows the reasons; export has a column each
    code, out, _ = run_cli(capsys, "list", "--db", db)
    assert "blurry" in next(line for line in out.splitlines() if line.endswith("blurred.jpg"))
    code, out, _ = run_cli(capsys, "export", "--db", db)
    table = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    assert table["dark.jpg"]["reasons"] == ",".join(rows["dark.jpg"]["reasons"])
    assert float(table["noisy.jpg"]["measure_noise_sigma"]) == pytest.approx(
        rows["noisy.jpg"]["measures"]["noise_sigma"])
    assert float(table["blurred.jpg"]["dimension_sharpness"]) == pytest.approx(
        rows["blurred.jpg"]["dimensions"]["sharpness"])


def test_reasons_fill_in_without_rescoring(capsys, tmp_path, shoot, tiny_model):
    """A catalog scored before the reasons existed (quality rows gone): `scan --reasons-only` computes them and
    keeps every stored score; a changed [reasons] setting applies on the next pass."""
    folder, _ = shoot
    db = tmp_path / "catalog.db"
    assert run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *tiny_model.cli_args())[0] == 0
    before = listed(capsys, db)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM quality")
    conn.execute("UPDATE scores SET fused = fused + 0.125")  # stored scores a rescoring would overwrite
    conn.commit()
    conn.close()
    assert all(r["reasons"] == [] and r["measures"] == {} for r in listed(capsys, db).values())
    write_jpeg(folder / "late.jpg", np.ascontiguousarray(sample_photos(3)["chelsea"][:, ::-1]))  # added since
    code, out, err = run_cli(capsys, "scan", folder, "--reasons-only", "--db", db, "--settle", "0",
                             *tiny_model.cli_args())
    assert code == 0, err
    assert "11 to measure" in out and "measured 11 (stored scores kept)" in out
    assert "1 photo(s) not scored yet left for a scan" in out
    after = listed(capsys, db)
    assert "late.jpg" not in after  # reasons only: nothing new is scored
    for name, row in before.items():
        assert after[name]["fused"] == pytest.approx(row["fused"] + 0.125, abs=1e-12)  # kept, not rescored
        assert after[name]["reasons"] == row["reasons"]
        assert after[name]["dimensions"] == pytest.approx(row["dimensions"])
    # stricter settings, applied by the next pass without measuring again
    (tmp_path / "no-settings.toml").write_text("[reasons]\nfocus_ratio = 0.0001\nfocus_floor = 1e-9\n")
    code, out, err = run_cli(capsys, "scan", folder, "--reasons-only", "--db", db, "--settle", "0",
                             *tiny_model.cli_args())
    assert code == 0, err
    assert "blurry" not in listed(capsys, db)["blurred.jpg"]["reasons"]
    # a plain scan also fills in what is missing, keeping the stored score, and scores what is new
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM quality WHERE photo_id = (SELECT id FROM photos WHERE name = 'dark.jpg')")
    conn.commit()
    conn.close()
    code, out, err = run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    assert "1 new" in out and "1 to measure" in out and "scored 1, measured 1" in out
    final = listed(capsys, db)
    assert final["dark.jpg"]["fused"] == pytest.approx(before["dark.jpg"]["fused"] + 0.125, abs=1e-12)
    assert "too-dark" in final["dark.jpg"]["reasons"] and final["late.jpg"]["measures"]


def test_xmp_write_reasons_as_keywords(capsys, tmp_path, shoot, tiny_model):
    from curator.disk.xmp import read_xmp_properties

    folder, _ = shoot
    db = tmp_path / "catalog.db"
    assert run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *tiny_model.cli_args())[0] == 0
    code, out, err = run_cli(capsys, "xmp", "write", "--db", db)
    assert code == 0, err
    assert "Xmp.dc.subject" not in read_xmp_properties(folder / "blurred.xmp")  # only with --reasons
    assert run_cli(capsys, "xmp", "write", "--reasons", "--db", db)[0] == 0
    props = read_xmp_properties(folder / "blurred.xmp")
    assert "blurry" in props["Xmp.dc.subject"] and "curator|reason|blurry" in props["Xmp.lr.hierarchicalSubject"]
    assert not any(h.startswith("curator|reason|") for h in read_xmp_properties(folder / "chelsea.xmp").get(
        "Xmp.lr.hierarchicalSubject", []) if h.endswith(("blurry", "noisy", "too-dark")))
    # the reasons change (stricter settings): the keywords curator wrote go with them
    (tmp_path / "no-settings.toml").write_text("[reasons]\nfocus_ratio = 0.0001\nfocus_floor = 1e-9\n")
    assert run_cli(capsys, "scan", folder, "--reasons-only", "--db", db, *tiny_model.cli_args())[0] == 0
    assert run_cli(capsys, "xmp", "write", "--reasons", "--db", db)[0] == 0
    props = read_xmp_properties(folder / "blurred.xmp")
    assert "blurry" not in props.get("Xmp.dc.subject", [])
    assert "curator|reason|blurry" not in props.get("Xmp.lr.hierarchicalSubject", [])
