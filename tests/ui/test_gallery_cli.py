"""`curator gallery` end to end: --screenshot, one-line errors, and no torch without --watch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
               XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    env.pop("CURATOR_DB", None)
    env.pop("CURATOR_SETTINGS", None)
    return env


def _curator(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curator", *args], cwd=REPO, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=timeout)


def test_screenshot_writes_a_non_blank_png_of_the_window(shoot_catalog, tmp_path):
    from PIL import Image

    db, _ = shoot_catalog
    out = tmp_path / "shots" / "gallery.png"
    result = _curator(tmp_path, "gallery", "--db", str(db), "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert im.size == (1440, 900)
        rgb = im.convert("RGB")
        arr = __import__("numpy").asarray(rgb)
    assert arr.std() > 20  # not blank
    assert len({tuple(p) for p in arr[::7, ::7].reshape(-1, 3)}) > 500  # photos, not flat panels
    # the detail pane (right part) shows the first photo large: lots of colour there too
    right = arr[60:440, 900:]
    assert right.std() > 20


def test_screenshot_of_an_empty_catalog(tmp_path):
    out = tmp_path / "empty.png"
    result = _curator(tmp_path, "gallery", "--db", str(tmp_path / "new.db"), "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database\n" * 50)
    result = _curator(tmp_path, "gallery", "--db", str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("curator: error:") and len(result.stderr.strip().splitlines()) == 1
    result = _curator(tmp_path, "gallery", "--db", str(tmp_path / "c.db"), "--screenshot", str(tmp_path / "x.jpg"))
    assert result.returncode == 2 and ".png" in result.stderr
    result = _curator(tmp_path, "gallery", "--db", str(tmp_path / "c.db"), "--watch", str(tmp_path / "nope"))
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_the_gallery_does_not_import_torch_without_watch(shoot_catalog, tmp_path):
    db, _ = shoot_catalog
    script = textwrap.dedent(f"""
        import sys
        from curator.cli import build_parser
        build_parser()  # every command module registers (none may import torch)
        from curator.settings import load_settings
        from ui.app import build_window, get_app, wait_ready
        app = get_app()
        settings = load_settings().with_overrides("flag", db={str(db)!r})
        w = build_window(settings, cache_dir={str(tmp_path / 'thumbs')!r})
        w.resize(1200, 800)
        w.show()
        assert wait_ready(w, 60), "window never got ready"
        w.toggle_detail() if not w.detail.isVisible() else None
        assert w.proxy.rowCount() == 13
        w.shutdown()
        loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith(("torch.", "open_clip")))
        print("LOADED:", loaded)
        sys.exit(1 if loaded else 0)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=_env(tmp_path), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
