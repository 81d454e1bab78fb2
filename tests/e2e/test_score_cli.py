"""`curator score` end to end, as a subprocess, on real files with the tiny model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_decode_bad_inputs import make_bad_inputs


def run_curator(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "curator", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def test_score_folder_json(photo_dir: Path, tiny_model) -> None:
    proc = run_curator("score", str(photo_dir), "--json", *tiny_model.cli_args())
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 5
    for row in rows:
        assert set(row) == {"path", "fused", "cosine", "magnitude", "w_cosine", "w_magnitude", "views",
                            "protocol", "model", "method"}
        assert row["protocol"] == "koniq" and row["method"] == "maclip"
        assert 0 < row["cosine"] < 1
        assert row["w_cosine"] + row["w_magnitude"] == pytest.approx(1.0)
    astronaut = next(r for r in rows if r["path"].endswith("astronaut.jpg"))
    assert astronaut["views"] == 9 + 1  # 512x512: 3x3 windows + global


def test_score_table_and_protocols(photo_dir: Path, tiny_model) -> None:
    proc = run_curator("score", str(photo_dir / "coffee.jpg"), "--protocol", "spaq", *tiny_model.cli_args())
    assert proc.returncode == 0, proc.stderr
    header, row = proc.stdout.strip().splitlines()
    assert header.split()[:4] == ["fused", "cosine", "magnitude", "w_cosine"]
    assert row.endswith("coffee.jpg")


def test_bad_files_exit_1_with_one_line_each(tmp_path: Path, tiny_model) -> None:
    cases = make_bad_inputs(tmp_path / "mixed")
    proc = run_curator("score", str(tmp_path / "mixed"), "--json", *tiny_model.cli_args())
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    failing = {name for name, (_, err) in cases.items() if err is not None}
    assert len(errors) == len(failing)
    for line in errors:
        path, _, reason = line.partition(": ")
        assert Path(path).exists() and reason
    assert len(json.loads(proc.stdout)) == len(cases) - len(failing)


def test_offline_without_weights_fails_fast_with_the_fix(photo_dir: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    proc = run_curator("score", str(photo_dir), env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
                                                     "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert time.monotonic() - started < 30
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "RN50" in message and "curator model fetch" in message and "--weights" in message


def test_unreachable_hub_fails_fast(photo_dir: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    proc = run_curator("score", str(photo_dir), env={"HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"),
                                                     "HF_ENDPOINT": "http://127.0.0.1:9",
                                                     "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert time.monotonic() - started < 30
    assert proc.returncode == 2
    assert "cannot be reached" in proc.stderr and "curator model fetch" in proc.stderr


def test_missing_or_bad_weights_file(photo_dir: Path, tmp_path: Path, tiny_model) -> None:
    proc = run_curator("score", str(photo_dir), "--weights", str(tmp_path / "nope.pt"))
    assert proc.returncode == 2 and "not found" in proc.stderr
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"garbage" * 100)
    proc = run_curator("score", str(photo_dir), "--model", str(tiny_model.config_path), "--weights", str(junk))
    assert proc.returncode == 2 and "could not be read" in proc.stderr
    # right file, wrong architecture
    proc = run_curator("score", str(photo_dir), "--model", "RN50", "--weights", str(tiny_model.weights_path))
    assert proc.returncode == 2 and "does not fit model RN50" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_model_info(tiny_model) -> None:
    proc = run_curator("model", "info", *tiny_model.cli_args())
    assert proc.returncode == 0, proc.stderr
    assert "sha256:" in proc.stdout and "parameters:" in proc.stdout and "device:      cpu" in proc.stdout
    # the tiny model's config asks for QuickGELU, and info says so and why
    assert "activation:  quickgelu (the model config tiny-rn sets quick_gelu)" in proc.stdout
    proc = run_curator("model", "info", "--activation", "gelu", *tiny_model.cli_args())
    assert "activation:  gelu (set explicitly (auto would pick quickgelu" in proc.stdout


def test_a_missing_path_fails_before_the_model_loads(photo_dir: Path, tmp_path: Path) -> None:
    # no weights can be had here: an error about weights would mean the model was loaded first
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_curator("score", str(photo_dir), str(tmp_path / "nope.jpg"), env=env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"curator: error: no such file or folder: {tmp_path / 'nope.jpg'}\n"


def test_a_folder_with_no_photos_is_not_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a photo")
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = run_curator("score", str(empty), env=env)  # no weights: it must not try to load the model
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr == f"curator: no photos found in: {empty}\n"
    proc = run_curator("score", str(empty), "--json", env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_scan_of_a_folder_with_no_photos_loads_no_model(tmp_path: Path) -> None:
    from curator.catalog import Catalog, FileStat

    empty = tmp_path / "empty"
    empty.mkdir()
    db = tmp_path / "catalog.db"
    with Catalog.open(db) as cat:  # a photo catalogued there before, deleted since
        cat.upsert_photo(os.path.join(os.path.realpath(empty), "gone.jpg"), FileStat(10, 1), status="scored")
    # weights that do not exist: loading the model would fail with exit 2
    args = ("scan", str(empty), "--db", str(db), "--model", "RN50", "--weights", str(tmp_path / "no-such.pt"))
    started = time.monotonic()
    proc = run_curator(*args)
    assert time.monotonic() - started < 30
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert proc.stderr == f"curator: no photos found in: {empty} (1 catalogued photo(s) there marked missing)\n"
    proc = run_curator(*args)
    assert proc.returncode == 0 and proc.stderr == f"curator: no photos found in: {empty}\n"
    with Catalog.open(db) as cat:
        assert [r.status for r in cat.gallery_rows()] == ["missing"]


def test_usage_errors_exit_2() -> None:
    proc = run_curator("score")
    assert proc.returncode == 2
    proc = run_curator("score", "x.jpg", "--protocol", "nonsense")
    assert proc.returncode == 2
