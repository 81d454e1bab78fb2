"""`curator config show` through the real CLI entry point: TOML that loads back as a settings file."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path

import pytest

from curator.cli import main
from curator.rules.reasons import ReasonRules
from curator.settings import TOML_KEYS, SettingsError, load_settings


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real settings file or catalog: CURATOR_SETTINGS and CURATOR_DB point into tmp_path."""
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("CURATOR_DB", str(tmp_path / "state" / "catalog.db"))
    return tmp_path


def test_config_show_prints_tables_values_and_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[xmp]\nnaming = "darktable"\n\n[bursts]\ngap_seconds = 3.5\n')
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert f"# settings file: {settings_file}" in out
    data = tomllib.loads(out)
    assert data["xmp"]["naming"] == "darktable" and data["bursts"]["gap_seconds"] == 3.5
    assert data["engine"]["model"] == "RN50" and data["engine"]["activation"] == "auto"
    assert re.search(rf'^naming = "darktable"  # {re.escape(str(settings_file))}$', out, re.M)
    assert re.search(r'^db = ".*catalog.db"  # env CURATOR_DB$', out, re.M)
    assert re.search(r'^model = "RN50"  # default$', out, re.M)


def test_config_show_output_loads_back_as_the_same_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURATOR_BACKEND", raising=False)  # the round trip of a settings file, no environment
    (tmp_path / "settings.toml").write_text('[engine]\nweights = "/w/RN50.pt"\nactivation = "quickgelu"\n'
                                            '[flags]\nthreshold = 0.41\n[xmp]\nwrite_score = true\n')
    assert main(["config", "show", "--db", str(tmp_path / "other.db")]) == 0
    pasted = tmp_path / "pasted.toml"
    pasted.write_text(capsys.readouterr().out)
    before = load_settings(tmp_path / "settings.toml", environ={}).with_overrides("flag", db=str(tmp_path / "other.db"))
    after = load_settings(pasted, environ={})
    assert after == before  # every value, the unset ones included
    assert after.db == str(tmp_path / "other.db") and after.threshold == 0.41 and after.xmp_write_score is True
    pasted_keys = {(t, k) for t, table in tomllib.loads(pasted.read_text()).items() for k in table}
    assert pasted_keys <= set(TOML_KEYS) | {("reasons", f.name) for f in dataclasses.fields(ReasonRules)}


def test_config_show_takes_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--json", "--db", str(tmp_path / "x.db")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["catalog"] == str(tmp_path / "x.db")
    assert data["settings"]["catalog"]["db"] == {"value": str(tmp_path / "x.db"), "source": "flag"}


def test_config_show_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings_file_exists"] is False
    assert data["catalog"] == str(tmp_path / "state" / "catalog.db")
    assert data["settings"]["xmp"]["naming"] == {"value": "adobe", "source": "default"}
    assert data["settings"]["catalog"]["db"]["source"] == "env CURATOR_DB"


def test_config_show_bad_settings_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "settings.toml").write_text("[xmp]\nnamingg = 'adobe'\n")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("curator: error:") and "unknown key [xmp] namingg" in err and "\n" not in err


@pytest.mark.parametrize(("text", "expected"), [
    ('weights = "RN50.pt"\n', "'weights' belongs in the [engine] table"),
    ("settle_seconds = 1\n", "'settle_seconds' belongs in the [watch] table"),
    ("engine = 1\n", "'engine' must be a table"),
    ("nonsense = 1\n", "unknown top-level key 'nonsense'"),
    ("[watch]\nmodel = 'RN50'\n", "unknown key [watch] model (it belongs in [engine])"),
])
def test_a_key_outside_its_table_names_the_table(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "settings.toml").write_text(text)
    with pytest.raises(SettingsError, match=re.escape(expected)):
        load_settings(tmp_path / "settings.toml", environ={})
