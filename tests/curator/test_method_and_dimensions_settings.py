"""--method and [engine] method; the [dimensions] table of the settings file; both through the real CLI.

The QualiCLIP checkpoint is synthetic (the tiny model's seeded random weights
in the release's format): the scores prove the wiring, not the quality.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iqa_engine.testing import sample_photos, write_jpeg
from curator.cli import main
from curator.commands.config import as_toml
from curator.settings import SettingsError, load_settings
from iqa_engine import Engine, EngineConfig
from test_qualiclip import write_qualiclip_checkpoint


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))


@pytest.fixture(scope="module")
def checkpoint(tiny_model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_qualiclip_checkpoint(tiny_model, tmp_path_factory.mktemp("qualiclip") / "qualiclip.pth")


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jpeg(tmp_path_factory.mktemp("photo") / "coffee.jpg", sample_photos()["coffee"])


def _score(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict], str]:
    rc = main(["score", *args, "--json"])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if rc == 0 else []), err


def test_method_flag_scores_with_qualiclip_or_maclip_on_its_backbone(
        tiny_model, checkpoint: Path, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = ["--model", str(tiny_model.config_path), "--weights", str(checkpoint)]
    rc, [quali], _ = _score(str(photo), "--method", "qualiclip", *weights, capsys=capsys)
    assert rc == 0 and quali["views"] == 1 and quali["method"] == "qualiclip"
    direct = Engine(EngineConfig(method="qualiclip", model=str(tiny_model.config_path), weights=str(checkpoint),
                                 pretrained=None)).score_path(photo)
    assert quali["fused"] == pytest.approx(direct.score, abs=1e-6)
    rc, [maclip], _ = _score(str(photo), "--method", "maclip", *weights, capsys=capsys)
    assert rc == 0 and maclip["views"] > 1 and maclip["fused"] != pytest.approx(quali["fused"], abs=1e-6)


def test_method_in_the_settings_file(tiny_model, checkpoint: Path, photo: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[engine]\nmethod = "qualiclip"\nmodel = "{tiny_model.config_path}"\n'
                        f'weights = "{checkpoint}"\n')
    monkeypatch.setenv("CURATOR_SETTINGS", str(settings))
    assert load_settings().engine_config().method == "qualiclip"
    rc, [row], _ = _score(str(photo), capsys=capsys)
    assert rc == 0 and row["views"] == 1


def test_qualiclip_without_its_checkpoint_is_a_one_line_error(tiny_model, photo: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _score(str(photo), "--method", "qualiclip", *tiny_model.cli_args(), capsys=capsys)
    assert rc == 2
    assert "needs QualiCLIP's checkpoint" in err and len(err.strip().splitlines()) == 1


def test_dimensions_table_overrides_by_name_and_config_show_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[dimensions]\nnoise = [["a noise-free photo", "a noisy photo"]]\ncomposition = []\n'
                    'horizon = [["a level horizon", "a tilted horizon"]]\n')
    settings = load_settings(path, environ={})
    dims = settings.engine_config().dimensions
    assert [d.name for d in dims] == ["sharpness", "noise", "exposure", "contrast", "colour", "horizon"]
    assert dims[1].pairs == (("a noise-free photo", "a noisy photo"),)
    rows = {key: (value, source) for table, key, value, source in settings.effective() if table == "dimensions"}
    assert rows["noise"] == ([["a noise-free photo", "a noisy photo"]], str(path))
    assert rows["sharpness"][1] == "default" and rows["composition"] == ([], str(path))
    again = tmp_path / "again.toml"
    again.write_text(as_toml(settings))
    assert load_settings(again, environ={}).engine_config().dimensions == dims


@pytest.mark.parametrize("table", ['noise = "a noisy photo"', 'noise = [["only one"]]', "dimensions = 3"])
def test_a_bad_dimensions_table_is_a_one_line_settings_error(tmp_path: Path, table: str,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(table + "\n" if table.startswith("dimensions") else "[dimensions]\n" + table + "\n")
    with pytest.raises(SettingsError, match="dimension"):
        load_settings(path, environ={})
    monkeypatch.setenv("CURATOR_SETTINGS", str(path))
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1


def test_model_info_names_the_method_and_the_dimensions(tiny_model, checkpoint: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "info", "--method", "qualiclip", "--model", str(tiny_model.config_path),
                 "--weights", str(checkpoint)]) == 0
    out = capsys.readouterr().out
    assert "method:      qualiclip (the whole photo, long side up to 1024 px)" in out
    assert "fingerprint: qualiclip-" in out
    assert "dimensions:  sharpness, noise, exposure, contrast, colour, composition (dims-" in out
