"""`curator gallery --screenshot FILE.png --view … --size WxH` renders each view offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _curator(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
               XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    env.pop("CURATOR_DB", None)
    env.pop("CURATOR_SETTINGS", None)
    return subprocess.run([sys.executable, "-m", "curator", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=180)


@pytest.mark.parametrize("view", ["loupe", "survey"])
def test_a_view_renders_at_the_size_asked(shoot_catalog, tmp_path, view):
    from PIL import Image

    db, _ = shoot_catalog
    out = tmp_path / f"{view}.png"
    result = _curator(tmp_path, "gallery", "--db", str(db), "--screenshot", str(out), "--view", view,
                      "--size", "1366x768")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as im:
        assert im.size == (1366, 768)
        arr = np.asarray(im.convert("RGB")).astype(np.float64)
    middle = arr[200:560, 400:960]
    assert middle.std() > 20  # a photo fills the middle of the window, not an empty panel


def test_view_and_size_need_a_screenshot_and_a_valid_size(tmp_path):
    result = _curator(tmp_path, "gallery", "--db", str(tmp_path / "c.db"), "--view", "loupe")
    assert result.returncode == 2 and "--screenshot" in result.stderr
    result = _curator(tmp_path, "gallery", "--db", str(tmp_path / "c.db"), "--screenshot", str(tmp_path / "x.png"),
                      "--size", "big")
    assert result.returncode == 2 and "WIDTHxHEIGHT" in result.stderr
