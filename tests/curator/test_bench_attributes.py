"""`curator bench quality --attributes`: SRCC of dimensions and measurements against per-image attributes.

The attribute file is synthetic, in SPAQ's column names: brightness is the
exposure factor each copy was made with, the other attributes are arbitrary
numbers. The tiny model's random weights make the dimensions' SRCC
meaningless; the table is checked against scipy on the report's own values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from iqa_engine.testing import sample_photos, write_jpeg
from curator.cli import main

EXPOSURES = (0.45, 0.6, 0.75, 0.9, 1.05, 1.2)


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))


@pytest.fixture(scope="module")
def exposure_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attribute-set")
    base = sample_photos()["coffee"].astype(np.float64)
    rng = np.random.default_rng(5)
    lines = ["image,mos\n"]
    attributes = ["Image name,MOS,Brightness,Colorfulness,Contrast,Noisiness,Sharpness\n"]
    for i, factor in enumerate(EXPOSURES):
        name = f"coffee_{i}.jpg"
        write_jpeg(root / "TestImage" / name, np.clip(base * factor, 0, 255).astype(np.uint8), size=(300, 200),
                   quality=95)
        lines.append(f"TestImage/{name},{50 + i}\n")
        other = rng.uniform(0, 100, size=3)
        attributes.append(f"{name},{50 + i},{factor * 50:.1f},{other[0]:.2f},{other[1]:.2f},{other[2]:.2f},"
                          f"{100 - 10 * i}\n")
    (root / "list.csv").write_text("".join(lines))
    (root / "attributes.csv").write_text("".join(attributes))
    return root


def test_attributes_table_gives_each_dimension_and_measurement_its_srcc(
        exposure_set: Path, tiny_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    rc = main(["bench", "quality", "--list", str(exposure_set / "list.csv"), "--attributes",
               str(exposure_set / "attributes.csv"), "--json", str(report), *tiny_model.cli_args()])
    out = capsys.readouterr().out
    assert rc == 0
    assert "(6 of 6 scored images have attributes)" in out
    data = json.loads(report.read_text())
    table = {row["name"]: row for row in data["attributes"]["table"]}
    assert {r["kind"] for r in table.values()} == {"dimension", "measurement"}
    assert table["sharpness"]["attribute"] == "sharpness" and table["focus"]["attribute"] == "sharpness"
    assert table["noise_sigma"]["attribute"] == "noisiness" and table["colour"]["attribute"] == "colourfulness"
    assert table["composition"]["attribute"] == "mos"
    # brightness rises with the exposure factor, and so does the mean luminance
    assert table["luma_mean"]["srcc"] == pytest.approx(1.0)
    attributes = {1: "brightness", 2: "colourfulness", 3: "contrast", 4: "noisiness", 5: "sharpness"}
    columns = [line.split(",") for line in (exposure_set / "attributes.csv").read_text().splitlines()[1:]]
    for row in data["attributes"]["table"]:
        scores = data["scores"]
        kind = "dimensions" if row["kind"] == "dimension" else "measures"
        ours = [s[kind][row["name"]] for s in scores]
        if row["attribute"] == "mos":
            target = [s["mos"] for s in scores]
        else:
            col = 1 + next(k for k, v in attributes.items() if v == row["attribute"])
            by_name = {c[0]: float(c[col]) for c in columns}
            target = [by_name[Path(s["image"]).name] for s in scores]
        expected = stats.spearmanr(ours, target).statistic
        assert row["n"] == 6
        if np.isfinite(expected):
            assert row["srcc"] == pytest.approx(float(expected), abs=1e-12), row["name"]


def test_images_without_attributes_are_left_out_of_their_rows(
        exposure_set: Path, tiny_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    partial = tmp_path / "partial.csv"
    partial.write_text("\n".join((exposure_set / "attributes.csv").read_text().splitlines()[:5]) + "\n")
    report = tmp_path / "report.json"
    assert main(["bench", "quality", "--list", str(exposure_set / "list.csv"), "--attributes", str(partial),
                 "--json", str(report), *tiny_model.cli_args()]) == 0
    assert "(4 of 6 scored images have attributes)" in capsys.readouterr().out
    table = {row["name"]: row for row in json.loads(report.read_text())["attributes"]["table"]}
    assert table["focus"]["n"] == 4 and table["composition"]["n"] == 6  # composition is against the MOS


@pytest.mark.parametrize(("content", "message"), [
    ("picture,rating\na.jpg,3\n", "needs an image column and at least one of"),
    ("image,sharpness\na.jpg,crisp\n", "is not a number"),
    ("image,sharpness\n", "no rows under a header"),
])
def test_a_bad_attribute_file_is_a_one_line_usage_error_before_scoring(
        exposure_set: Path, tiny_model, tmp_path: Path, content: str, message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "attributes.csv"
    bad.write_text(content)
    rc = main(["bench", "quality", "--list", str(exposure_set / "list.csv"), "--attributes", str(bad),
               *tiny_model.cli_args()])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1
