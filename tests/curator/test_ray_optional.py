"""Without Ray installed, `scan --ray` is a one-line usage error that names the extra (runs with or without Ray:
the import of ray is made to fail)."""

from __future__ import annotations

import sys

from curator.cli import main
from curator.errors import EXIT_USAGE


def test_scan_ray_without_ray_names_the_extra(tmp_path, photo_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "none.toml"))
    db = tmp_path / "catalog.db"
    assert main(["scan", str(photo_dir), "--db", str(db), "--ray"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['curator: error: Ray is not installed: pip install ".[ray]" (or pip install "ray[data]")']


def test_ship_bytes_without_ray_is_a_usage_error(tmp_path, photo_dir, monkeypatch, capsys):
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "none.toml"))
    assert main(["scan", str(photo_dir), "--db", str(tmp_path / "c.db"), "--ray-ship-bytes"]) == EXIT_USAGE
    assert "need --ray" in capsys.readouterr().err
