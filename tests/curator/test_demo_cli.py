"""`curator demo` end to end: the real CLI, offscreen, offline, in a demo folder of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _curator(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"),
               # a user's catalog and settings named explicitly: the demo must touch neither
               CURATOR_DB=str(tmp_path / "mine" / "catalog.db"), CURATOR_SETTINGS=str(tmp_path / "mine.toml"))
    (tmp_path / "mine.toml").write_text('[engine]\nweights = "/nowhere/RN50.pt"\n')
    return subprocess.run([sys.executable, "-m", "curator", "demo", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_demo_scores_a_sample_shoot_offline_and_renders_the_gallery(tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "demo.png"
    result = _curator(tmp_path, "--screenshot", str(out), "--size", "1024x700")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as im:
        # a long path in the detail pane may widen the window past 1024 (its labels do not wrap paths)
        assert im.format == "PNG" and im.height == 700 and im.width >= 1024
    demo = tmp_path / "cache" / "curator" / "demo"
    assert (demo / "catalog.db").is_file() and (demo / "photos").is_dir()
    # never the user's catalog: neither the one CURATOR_DB names nor the default one
    assert not (tmp_path / "mine").exists()
    assert not (tmp_path / "data").exists()
    assert "random weights" in result.stderr and "mean nothing about quality" in result.stderr
    assert "Traceback" not in result.stderr

    # the second run opens the same demo at once
    again = _curator(tmp_path, "--screenshot", str(tmp_path / "again.png"))
    assert again.returncode == 0, again.stderr
    assert "building" not in again.stderr and "random weights" in again.stderr
    assert (tmp_path / "again.png").stat().st_size > 1000


def test_its_options_are_checked_before_anything_is_built(tmp_path: Path) -> None:
    result = _curator(tmp_path, "--view", "loupe")
    assert result.returncode == 2
    assert result.stderr.strip() == "curator: error: --view and --size go with --screenshot FILE.png"
    result = _curator(tmp_path, "--screenshot", str(tmp_path / "demo.jpg"))
    assert result.returncode == 2 and ".png" in result.stderr
    assert not (tmp_path / "cache" / "curator" / "demo").exists()
