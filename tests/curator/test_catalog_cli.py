"""The catalog commands end to end: scan, list, export, stats, flag, watch (in-process and as a subprocess)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from catalog_support import hash_tree, scored_count, wait_for

from curator.catalog import SCHEMA_VERSION, Catalog
from curator.cli import main
from iqa_engine.testing import sample_photos, write_jpeg
from cli_support import run_cli


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "cat" / "catalog.db"


@pytest.fixture()
def scanned(capsys, db, photo_dir, tiny_model):
    code, out, err = run_cli(capsys, "scan", photo_dir, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    return photo_dir


def test_scan_prints_a_summary_and_is_quiet_without_a_tty(capsys, db, photo_dir, tiny_model):
    code, out, err = run_cli(capsys, "scan", photo_dir, "--db", db, *tiny_model.cli_args())
    assert code == 0
    assert "5 photo(s) found: 5 new" in out and "scored 5" in out
    assert "\r" not in out and "━" not in out  # no progress bar when stdout is not a terminal
    code, out, _ = run_cli(capsys, "scan", photo_dir, "--db", db, *tiny_model.cli_args())
    assert "5 unchanged" in out and "scored 0" in out


def test_scan_exits_1_when_some_photos_failed_and_list_errors_shows_why(capsys, db, photo_dir, tiny_model):
    (photo_dir / "broken.jpg").write_bytes(b"garbage")
    code, out, err = run_cli(capsys, "scan", photo_dir, "--db", db, *tiny_model.cli_args())
    assert code == 1
    assert "broken.jpg: not an image" in err
    code, out, _ = run_cli(capsys, "list", "--errors", "--db", db)
    lines = out.strip().splitlines()[1:]
    assert len(lines) == 1 and "broken.jpg" in lines[0] and "error" in lines[0] and "not an image" in lines[0]


def test_catalog_location_from_environment(capsys, monkeypatch, tmp_path, photo_dir, tiny_model):
    monkeypatch.setenv("CURATOR_DB", str(tmp_path / "env.db"))
    assert run_cli(capsys, "scan", photo_dir, *tiny_model.cli_args())[0] == 0
    assert (tmp_path / "env.db").exists()


def test_list_sorts_filters_and_prints_json(capsys, db, scanned):
    code, out, _ = run_cli(capsys, "list", "--json", "--sort", "score", "--db", db)
    rows = json.loads(out)
    assert len(rows) == 5
    fused = [r["fused"] for r in rows]
    assert fused == sorted(fused)
    assert set(rows[0]) >= {"photo_id", "path", "status", "fused", "flag", "flag_source", "rating", "label",
                            "low_quality", "camera", "capture_time"}
    best = json.loads(run_cli(capsys, "list", "--json", "--sort", "-score", "--limit", "2", "--db", db)[1])
    assert [r["fused"] for r in best] == sorted(fused, reverse=True)[:2]
    assert json.loads(run_cli(capsys, "list", "--json", "--sort=-score", "--limit", "2", "--db", db)[1]) == best
    code, out, _ = run_cli(capsys, "list", "--db", db, "--folder", scanned)
    assert len(out.strip().splitlines()) == 6
    assert run_cli(capsys, "list", "--db", db, "--folder", "/elsewhere")[1].strip().count("\n") == 0
    assert json.loads(run_cli(capsys, "list", "--json", "--sort", "time", "--db", db)[1])


def test_flag_recomputes_and_a_user_decision_survives(capsys, db, scanned):
    code, out, _ = run_cli(capsys, "flag", "--bottom", "40", "--db", db)
    assert code == 0 and "bottom 40%" in out
    flagged = json.loads(run_cli(capsys, "list", "--flagged", "--json", "--db", db)[1])
    assert len(flagged) == 2 and {r["flag_source"] for r in flagged} == {"auto"}
    assert all(r["low_quality"] for r in flagged)
    worst = min(flagged, key=lambda r: r["fused"])
    code, out, _ = run_cli(capsys, "flag", worst["path"], "--set", "pick", "--rating", "4", "--db", db)
    assert code == 0
    for args in (["--bottom", "100"], ["--threshold", "99"], ["--bottom", "0", "--threshold", "off"]):
        assert run_cli(capsys, "flag", *args, "--db", db)[0] == 0
        rows = {r["path"]: r for r in json.loads(run_cli(capsys, "list", "--json", "--db", db)[1])}
        assert (rows[worst["path"]]["flag"], rows[worst["path"]]["flag_source"]) == ("pick", "user")
        assert rows[worst["path"]]["rating"] == 4
    with Catalog.open(db) as cat:
        assert cat.flag_policy() == (None, 0.0)  # `flag` remembers its policy for scan and watch


def test_export_csv_and_json(capsys, db, scanned, tmp_path):
    code, out, _ = run_cli(capsys, "export", "--format", "csv", "--db", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5 and {"path", "fused", "flag", "rating", "camera", "iso", "fingerprint",
                               "partner_of"} <= set(rows[0])  # every row holds partner_of, as the README says
    target = tmp_path / "out" / "export.json"
    target.parent.mkdir()
    code, _, err = run_cli(capsys, "export", "--format", "json", "-o", target, "--db", db)
    assert code == 0 and "exported 5" in err
    data = json.loads(target.read_text())
    assert len(data) == 5 and all(isinstance(r["fused"], float) for r in data)
    assert sorted(p.name for p in target.parent.iterdir()) == ["export.json"]  # no temp file left


def test_stats(capsys, db, scanned):
    code, out, _ = run_cli(capsys, "stats", "--db", db)
    assert code == 0 and "5 scored" in out and "median" in out and "run:" in out
    assert "s busy" in out and "from start to end" in out
    with Catalog.open(db) as cat:
        [run] = cat.runs()
        assert 0 < run.busy_seconds <= run.ended_at - run.started_at  # busy time fits inside the run
    data = json.loads(run_cli(capsys, "stats", "--json", "--db", db)[1])
    assert data["status"]["scored"] == 5 and data["photos"] == 5
    assert data["fused"]["min"] <= data["fused"]["median"] <= data["fused"]["max"]
    assert data["throughput"]["scores"] == 5 and data["throughput"]["runs"][0]["photos"] == 5


def test_catalog_problems_are_one_line_errors_with_exit_2(capsys, tmp_path, photo_dir, tiny_model):
    newer = tmp_path / "newer.db"
    Catalog.open(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cases = [("list", "--db", newer), ("scan", photo_dir, "--db", newer, *tiny_model.cli_args()),
             ("stats", "--db", tmp_path / "missing.db"),
             ("scan", photo_dir, "--db", blocker / "catalog.db", *tiny_model.cli_args()),
             ("watch", tmp_path / "no-such-folder", "--db", newer)]
    for argv in cases:
        code, out, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert err.startswith("curator: error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(SystemExit) as exc:
        main(["list", "--sort", "bogus", "--db", str(newer)])
    assert exc.value.code == 2


def test_watch_in_process_stops_cleanly_on_sigint(capsys, db, tmp_path, tiny_model):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_jpeg(inbox / "a.jpg", sample_photos()["coffee"], size=(200, 150))

    def later() -> None:
        with Catalog.open(db) as cat:
            wait_for(lambda: cat.counts()["scored"] == 1, timeout=60, what="the first photo")
            write_jpeg(inbox / "b.jpg", sample_photos()["rocket"], size=(200, 150))
            wait_for(lambda: cat.counts()["scored"] == 2, timeout=60, what="a photo landing while watching")
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=later)
    handler_before = signal.getsignal(signal.SIGINT)
    db.parent.mkdir(parents=True, exist_ok=True)
    Catalog.open(db).close()
    helper.start()
    code = main(["watch", str(inbox), "--db", str(db), "--settle", "0.3", *tiny_model.cli_args()])
    helper.join()
    assert code == 0
    err = capsys.readouterr().err
    assert "SIGINT" in err and "stopped: 2 scored" in err
    assert signal.getsignal(signal.SIGINT) is handler_before


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart_loses_nothing_and_scores_nothing_twice(tmp_path, tiny_model):
    inbox = tmp_path / "inbox"
    photos = list(sample_photos().items())
    n = 40
    for i in range(n):
        name, arr = photos[i % len(photos)]
        write_jpeg(inbox / f"IMG_{i:03d}.jpg", arr, size=(640 - i, 480))
    originals = hash_tree(inbox)
    db = tmp_path / "catalog.db"
    env = dict(os.environ, CURATOR_SETTINGS=str(tmp_path / "none.toml"), PYTHONUNBUFFERED="1")
    env.pop("CURATOR_DB", None)
    cmd = [sys.executable, "-m", "curator", "watch", str(inbox), "--db", str(db), "--settle", "0.2",
           "--batch", "4", *tiny_model.cli_args()]

    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: scored_count(db) >= 4 or first.poll() is not None, timeout=120, interval=0.01,
                 what="the first batches")
        assert first.poll() is None, first.stdout.read().decode()
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = scored_count(db)
    assert 0 < at_kill < n, "the kill did not land mid-run"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM photos WHERE status = 'pending'").fetchone()[0] == n - at_kill
    conn.close()

    second = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: scored_count(db) == n or second.poll() is not None, timeout=120, what="all scored")
        time.sleep(0.3)
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, out.decode()
    assert b"SIGTERM" in out and b"stopped" in out
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM photos").fetchone() == (n, n)
        assert conn.execute("SELECT COUNT(*) FROM photos WHERE status = 'scored'").fetchone()[0] == n
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT photo_id) FROM scores").fetchone() == (n, n)
        assert conn.execute("SELECT MIN(scored_count), MAX(scored_count) FROM photos").fetchone() == (1, 1)
    finally:
        conn.close()
    assert hash_tree(inbox) == originals
    shutil.rmtree(inbox)


def test_gallery_screenshot_with_a_catalog_that_cannot_be_opened_exits_2(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a catalog\n" * 100)
    for db in (blocker / "catalog.db", blocker):  # cannot be created; not a catalog
        code, _, err = run_cli(capsys, "gallery", "--db", db, "--screenshot", tmp_path / "shot.png")
        assert code == 2 and err.startswith("curator: error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "shot.png").exists()


def test_scan_summary_figures_say_what_they_count():
    from curator.catalog import SyncCounts
    from curator.commands.scan import describe_sync, describe_time

    line = describe_sync(20, SyncCounts(queued=20))  # left pending by a scan that was stopped
    assert line == "20 photo(s) found: 0 new, 0 changed, 0 to rescore, 20 already queued, 0 unchanged, 0 missing"
    assert describe_time(8.1, 20, 4.0) == ("time: 8.1 s in all (walking the folders and loading the model "
                                           "included); 4.0 s decoding, scoring and recording 20 photo(s) "
                                           "(5.0 photos/s)")
    assert describe_time(2.0, 0, 0.0).endswith("included)")


def test_the_scan_summary_counts_the_errors_this_run_saw_and_says_so(capsys, db, photo_dir, tiny_model):
    (photo_dir / "broken.jpg").write_bytes(b"garbage")
    os.mkfifo(photo_dir / "pipe.jpg")  # refused before decoding: an error of the walk, not of the scorer
    code, out, err = run_cli(capsys, "scan", photo_dir, "--db", db, *tiny_model.cli_args())
    assert code == 1 and "2 error(s) this run" in out, out
    (photo_dir / "broken2.jpg").write_bytes(b"more garbage")
    code, out, err = run_cli(capsys, "scan", photo_dir, "--db", db, *tiny_model.cli_args())
    # The pipe is refused again (the walk sees it each time); broken.jpg is not tried again.
    assert "2 error(s) this run (1 more under these folders from earlier runs" in out, out
    code, listed, _ = run_cli(capsys, "list", "--errors", "--db", db)
    assert len(listed.strip().splitlines()[1:]) == 3


def test_pillows_warnings_about_malformed_exif_are_one_line_each(tmp_path, tiny_model):
    """Run as a subprocess: pytest would capture the warnings before they reach stderr."""
    import struct

    from PIL import Image

    # An EXIF block whose Make tag points past its end: Pillow warns "Tag data larger than file".
    ifd = (struct.pack("<2sHI", b"II", 42, 8) + struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, 40, 20)
           + struct.pack("<I", 0) + b"Canon\x00")
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    Image.fromarray(sample_photos()["coffee"]).resize((96, 64)).save(shoot / "bad_exif.jpg", "JPEG",
                                                                   exif=b"Exif\x00\x00" + ifd)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), CURATOR_SETTINGS=str(tmp_path / "none.toml"))
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run([sys.executable, "-m", "curator", "scan", str(shoot), "--db", str(tmp_path / "c.db"),
                           *tiny_model.cli_args()], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    mentions = [ln for ln in lines if "Tag data larger than file" in ln]
    assert mentions and all(ln.startswith("curator: ") for ln in mentions), proc.stderr
    assert not [ln for ln in lines if "warnings.warn(" in ln or "UserWarning" in ln], proc.stderr
