"""`curator bench quality|speed` end to end, in process, with the tiny model on small real photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator.cli import main
from iqa_engine.testing import sample_photos, write_jpeg


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))


@pytest.fixture(scope="module")
def mos_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, float]]]:
    """Eight small JPEGs (four photos at two JPEG qualities) with a made-up MOS each."""
    root = tmp_path_factory.mktemp("mos-set")
    items = []
    for i, (name, arr) in enumerate(list(sample_photos().items())[:4]):
        for quality, mos in ((92, 70.0 + i), (8, 25.0 + i)):
            rel = f"img/{name}_q{quality}.jpg"
            write_jpeg(root / rel, arr, size=(320, 240), quality=quality)
            items.append((rel, mos))
    return root, items


def _csv(path: Path, rows: list[tuple[str, float]]) -> Path:
    path.write_text("image,mos\n" + "".join(f"{img},{mos}\n" for img, mos in rows))
    return path


def test_quality_csv_reports_three_modes_and_excludes_bad_images(
        mos_set, tiny_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, items = mos_set
    (root / "img" / "broken.jpg").write_bytes(b"not a jpeg at all")
    rows = items + [("img/missing.jpg", 50.0), ("img/broken.jpg", 40.0)]
    listing = _csv(tmp_path / "list.csv", rows)
    report, plot = tmp_path / "out" / "report.json", tmp_path / "out" / "scatter.png"
    rc = main(["bench", "quality", "--list", str(listing), "--root", str(root), "--json", str(report),
               "--plot", str(plot), *tiny_model.cli_args()])
    out, err = capsys.readouterr()
    assert rc == 1  # some images failed; the rest were measured
    assert "8 of 10 images scored" in out and "2 failed" in out
    for mode in ("fused", "cosine", "magnitude"):
        assert mode in out
    failure_lines = [line for line in err.splitlines() if "missing.jpg" in line or "broken.jpg" in line]
    assert len(failure_lines) == 2
    data = json.loads(report.read_text())
    assert (data["listed"], data["scored"], data["failed"]) == (10, 8, 2)
    assert {f["image"] for f in data["failures"]} == {"img/missing.jpg", "img/broken.jpg"}
    assert data["engine"]["protocol"] == "koniq" and data["engine"]["precision"] == "fp32"
    assert set(data["metrics"]) == {"fused", "cosine", "magnitude"}
    for m in data["metrics"].values():
        assert m["n"] == 8
        assert -1 <= m["srcc"] <= 1 and -1 <= m["krcc"] <= 1
        # eight images: too few to fit a 5-parameter mapping, so rank correlations only, and why
        assert m["plcc"] is None and m["rmse"] is None and m["logistic"] is None
        assert m["fit"].startswith("none (SRCC/KRCC only")
    assert "only SRCC and KRCC are reported" in out
    assert len(data["scores"]) == 8
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quality_iqa_json_format_gives_the_engine_scores(
        mos_set, tiny_model, tiny_engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, items = mos_set
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([{"img_path": img, "gt_score": mos} for img, mos in items]))
    report = tmp_path / "report.json"
    rc = main(["bench", "quality", "--list", str(listing), "--root", str(root), "--json", str(report),
               *tiny_model.cli_args()])
    capsys.readouterr()
    assert rc == 0
    data = json.loads(report.read_text())
    assert data["scored"] == 8 and data["failed"] == 0
    first = data["scores"][0]
    direct = tiny_engine.score_path(root / first["image"])
    assert first["fused"] == pytest.approx(direct.fused, abs=1e-6)
    assert first["cosine"] == pytest.approx(direct.cosine, abs=1e-6)
    assert first["magnitude"] == pytest.approx(direct.magnitude, abs=1e-6)
    assert first["mos"] == items[0][1]


def test_quality_ignores_speed_settings_unless_flagged(
        mos_set, tiny_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root, items = mos_set
    settings = tmp_path / "settings.toml"
    settings.write_text('[engine]\npreset = "fast"\nprotocol = "global"\ntrunk = "shared"\n')
    monkeypatch.setenv("CURATOR_SETTINGS", str(settings))
    listing = _csv(tmp_path / "list.csv", items)
    report = tmp_path / "r.json"
    assert main(["bench", "quality", "--list", str(listing), "--root", str(root), "--json", str(report),
                 *tiny_model.cli_args()]) == 0
    engine = json.loads(report.read_text())["engine"]
    assert (engine["protocol"], engine["precision"], engine["trunk"]) == ("koniq", "fp32", "windows")
    assert main(["bench", "quality", "--list", str(listing), "--root", str(root), "--json", str(report),
                 "--protocol", "spaq", *tiny_model.cli_args()]) == 0
    assert json.loads(report.read_text())["engine"]["protocol"] == "spaq"
    assert main(["bench", "quality", "--list", str(listing), "--root", str(root), "--json", str(report),
                 "--fast", *tiny_model.cli_args()]) == 0  # asked for: the fast preset is measured
    engine = json.loads(report.read_text())["engine"]
    assert (engine["protocol"], engine["trunk"]) == ("koniq", "shared")
    capsys.readouterr()


@pytest.mark.parametrize(("content", "message"), [
    ("image,mos\na.jpg,good\n", "not a number"),
    ("picture,rating\na.jpg,3\n", "cannot tell the image and MOS columns"),
    ('[{"file_name": "a.jpg"}]', "img_path and gt_score"),
    ("", "no entries"),
])
def test_quality_bad_list_is_a_one_line_usage_error(
        tmp_path: Path, tiny_model, content: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / ("list.json" if content.startswith("[") else "list.csv")
    listing.write_text(content)
    rc = main(["bench", "quality", "--list", str(listing), *tiny_model.cli_args()])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_speed_stages_end_to_end_baseline_and_deviation(
        tiny_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "photos"
    for name in ("coffee", "rocket"):
        write_jpeg(photos / f"{name}.jpg", sample_photos()[name], size=(480, 320))
    report = tmp_path / "speed.json"
    rc = main(["bench", "speed", "--images", str(photos), "--n", "2", "--baseline", "--trunk", "shared",
               "--repeat", "2", "--json", str(report), *tiny_model.cli_args()])
    out = capsys.readouterr().out
    assert rc == 0
    for label in ("decode", "views", "forward", "catalog write", "end to end", "reference-style loop",
                  "deviation of fused", "peak RSS", "machine:"):
        assert label in out
    data = json.loads(report.read_text())
    for stage in ("decode", "views", "forward", "catalog_write"):
        assert data["stages"][stage]["ms_per_photo"] > 0
        assert data["stages"][stage]["photos_per_s"] > 0
        assert data["stages"][stage]["photos"] == 2
    assert data["end_to_end"]["photos"] == 2 and data["end_to_end"]["photos_per_s"] > 0
    assert data["end_to_end"]["seconds"] == min(data["end_to_end"]["all_seconds"])
    assert len(data["end_to_end"]["all_seconds"]) == len(data["baseline"]["all_seconds"]) == 2
    assert data["baseline"]["photos_per_s"] > 0 and data["baseline"]["end_to_end_speedup"] > 0
    dev = data["deviation"]
    assert dev["photos"] == 2 and dev["max_abs"] >= dev["mean_abs"] >= 0
    assert dev["within_bound"] == (dev["max_abs"] <= 0.002)
    assert data["peak_rss_mb"] > 0
    assert data["machine"]["torch_threads"] >= 1 and data["machine"]["cpu"]
    assert data["engine"]["random_weights"] is False


def test_speed_random_weights_are_announced_and_exclusive(
        tiny_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "photos"
    write_jpeg(photos / "chelsea.jpg", sample_photos()["chelsea"])
    rc = main(["bench", "speed", "--images", str(photos), "--n", "1", "--random-weights",
               "--model", str(tiny_model.config_path), "--protocol", "global", "--fast"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "RANDOM WEIGHTS" in out and "RANDOM WEIGHTS" in err
    assert main(["bench", "speed", "--random-weights", *tiny_model.cli_args()]) == 2
    assert "--random-weights builds its own weights" in capsys.readouterr().err
