"""A deleted -wal after a crash: user decisions survive it (checkpointed after every batch of them), and
what it did take is reported in one line at the next open (the marker beside the catalog).

A real process is killed with SIGKILL (no clean close, so no checkpoint on close), then its -wal and
-shm files are deleted, as a careless backup or sync tool might."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from curator.catalog import Catalog

_WRITER = """
import os, signal, sys
from curator.catalog import Catalog, FileStat

db, shoot, later = sys.argv[1], sys.argv[2], int(sys.argv[3])
cat = Catalog.open(db)
for i in range(4):
    cat.enqueue_path(os.path.join(shoot, f"IMG_{i}.jpg"), FileStat(1, 1000 + i))
ids = sorted(r.photo_id for r in cat.gallery_rows())
cat.set_user_flags([(ids[0], "reject"), (ids[1], "reject")])  # a person's batch of decisions
for i in range(later):  # committed afterwards: in the -wal only
    cat.enqueue_path(os.path.join(shoot, f"LATE_{i}.jpg"), FileStat(1, 5000 + i))
os.kill(os.getpid(), signal.SIGKILL)
"""


def crash_then_lose_the_wal(tmp_path: Path, later: int) -> Path:
    db = tmp_path / "cat" / "catalog.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", _WRITER, str(db), str(tmp_path / "shoot"), str(later)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def user_flags(cat: Catalog) -> list[tuple[str, str | None, str | None]]:
    return sorted((Path(r.path).name, r.flag, r.flag_source) for r in cat.gallery_rows() if r.flag_source)


def test_user_decisions_survive_a_deleted_wal(tmp_path):
    db = crash_then_lose_the_wal(tmp_path, later=0)
    with Catalog.open(db) as cat:
        assert user_flags(cat) == [("IMG_0.jpg", "reject", "user"), ("IMG_1.jpg", "reject", "user")]


def test_changes_lost_with_the_wal_are_reported_in_one_line_at_open(tmp_path, caplog):
    db = crash_then_lose_the_wal(tmp_path, later=3)
    with caplog.at_level(logging.WARNING, logger="curator"):
        with Catalog.open(db) as cat:
            names = {Path(r.path).name for r in cat.gallery_rows()}
    assert "LATE_0.jpg" not in names and "IMG_0.jpg" in names  # what SQLite lost, and what it kept
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert str(db) in lines[0] and "-wal" in lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="curator"):
        Catalog.open(db).close()  # said once: the catalog as it is now is what the marker follows
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_clean_history_says_nothing(tmp_path, caplog):
    db = tmp_path / "catalog.db"
    with caplog.at_level(logging.WARNING, logger="curator"):
        for _ in range(3):
            with Catalog.open(db) as cat:
                cat.set_flag_policy(None, 10.0)
        Catalog.open(db, readonly=True).close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
