"""`curator bench speed` reports what the quality dimensions and classic measurements cost per photo.

Timings on the tiny model say nothing about a real machine's figure; the test
checks the report's arithmetic and that both runs (with and without reasons)
happen on the same photos.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iqa_engine.testing import sample_photos, write_jpeg
from curator.cli import main


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))


def test_speed_reports_the_share_of_time_the_reasons_add(
        tiny_model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "photos"
    for name in ("coffee", "rocket", "chelsea"):
        write_jpeg(photos / f"{name}.jpg", sample_photos()[name], size=(640, 480))
    report = tmp_path / "speed.json"
    rc = main(["bench", "speed", "--images", str(photos), "--n", "3", "--reasons-cost", "--repeat", "2",
               "--json", str(report), *tiny_model.cli_args()])
    out = capsys.readouterr().out
    assert rc == 0
    assert "reasons (quality dimensions + classic measurements)" in out
    assert "end to end without reasons" in out
    data = json.loads(report.read_text())
    cost = data["reasons"]
    assert cost["ms_per_photo"] > 0 and cost["measures_ms_per_photo"] > 0 and cost["dimensions_ms_per_photo"] > 0
    assert cost["share_of_end_to_end"] == pytest.approx(cost["ms_per_photo"] / data["end_to_end"]["ms_per_photo"])
    assert cost["within_bound"] == (cost["share_of_end_to_end"] <= cost["bound"] == 0.05)
    assert data["stages"]["views"]["measures_ms_per_photo"] == pytest.approx(cost["measures_ms_per_photo"])
    without = cost["end_to_end_without"]
    assert without["photos"] == data["end_to_end"]["photos"] == 3
    assert without["reasons_ms_per_photo"] == 0.0
    assert cost["measured_increase"] == pytest.approx(
        data["end_to_end"]["ms_per_photo"] / without["ms_per_photo"] - 1.0)
    # one run without reasons after each run with them, compared pair by pair
    assert len(without["all_seconds"]) == len(data["end_to_end"]["all_seconds"]) == 2
    assert without["paired_increase"] == pytest.approx(
        [a / b - 1.0 for a, b in zip(data["end_to_end"]["all_seconds"], without["all_seconds"], strict=True)])
