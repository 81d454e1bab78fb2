"""move-rejects and undo on real files: byte-identical round trips, partners and sidecars, no overwrite."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest

from curator.disk import moves
from curator.disk.moves import MoveError, move_files, plan_moves, read_log, undo_last


def _write(path: Path, content: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if content is not None else os.urandom(2048) + path.name.encode())
    return path


def _snapshot(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under root (folders are implied)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def shoot(tmp_path: Path) -> Path:
    s = tmp_path / "shoot"
    _write(s / "day1" / "IMG_0001.CR2")
    _write(s / "day1" / "IMG_0001.JPG")  # partner of the CR2
    _write(s / "day1" / "IMG_0001.xmp", b"<adobe sidecar/>")
    _write(s / "day1" / "IMG_0001.CR2.xmp", b"<darktable sidecar/>")
    _write(s / "day1" / "IMG_0002.JPG")  # a keeper
    _write(s / "day2" / "DSC_0100.NEF")
    _write(s / "day2" / "DSC_0100.NEF.XMP", b"<upper-case sidecar/>")
    _write(s / "day2" / "DSC_0101.heic")
    return s


def test_move_and_undo_round_trip_byte_identical(shoot: Path, tmp_path: Path) -> None:
    before = _snapshot(shoot)
    dest, log = tmp_path / "rejects", tmp_path / "state" / "catalog.moves.jsonl"
    plan, batch = move_files([shoot / "day1" / "IMG_0001.JPG", shoot / "day2" / "DSC_0100.NEF"], dest,
                             log_path=log, root=shoot)
    assert batch is not None and len(batch.moved) == 6
    roles = {m.dst.relative_to(dest).as_posix(): m.role for m in plan.moves}
    assert roles == {
        "day1/IMG_0001.JPG": "photo", "day1/IMG_0001.CR2": "partner",
        "day1/IMG_0001.xmp": "sidecar", "day1/IMG_0001.CR2.xmp": "sidecar",
        "day2/DSC_0100.NEF": "photo", "day2/DSC_0100.NEF.XMP": "sidecar",
    }
    assert sorted(_snapshot(shoot)) == ["day1/IMG_0002.JPG", "day2/DSC_0101.heic"]
    moved = _snapshot(dest)
    assert moved == {k: v for k, v in before.items() if k in moved}  # same bytes, same relative paths

    records = read_log(log)
    assert records[0]["op"] == "batch" and records[-1]["op"] == "end"
    assert sum(r["op"] == "move" for r in records) == 6
    assert [r["path"] for r in records if r["op"] == "mkdir"] == [str(dest), str(dest / "day1"), str(dest / "day2")]

    result = undo_last(log)
    assert len(result.restored) == 6
    assert _snapshot(shoot) == before  # byte-identical, every file back where it was
    assert not dest.exists()  # the folders it made are gone again
    assert read_log(log)[-1]["op"] == "undone"
    with pytest.raises(MoveError, match="already undone"):  # not "no moves recorded": there were some
        undo_last(log)


def test_dry_run_changes_nothing(shoot: Path, tmp_path: Path) -> None:
    before = _snapshot(shoot)
    log = tmp_path / "log.jsonl"
    plan, batch = move_files([shoot / "day1" / "IMG_0001.CR2"], tmp_path / "rejects", log_path=log, root=shoot,
                             dry_run=True)
    assert batch is None and len(plan.moves) == 4
    assert _snapshot(shoot) == before
    assert not (tmp_path / "rejects").exists() and not log.exists()


def test_collision_is_refused_before_anything_moves(shoot: Path, tmp_path: Path) -> None:
    dest = tmp_path / "rejects"
    _write(dest / "day1" / "IMG_0001.xmp", b"someone else's file")
    before = _snapshot(shoot)
    with pytest.raises(MoveError, match="already exists; nothing was moved"):
        move_files([shoot / "day1" / "IMG_0001.CR2", shoot / "day2" / "DSC_0100.NEF"], dest,
                   log_path=tmp_path / "log.jsonl", root=shoot)
    assert _snapshot(shoot) == before
    assert (dest / "day1" / "IMG_0001.xmp").read_bytes() == b"someone else's file"


def test_collision_suffix_keeps_the_shot_together_and_undoes(shoot: Path, tmp_path: Path) -> None:
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    _write(dest / "day1" / "IMG_0001.CR2", b"an earlier reject")
    before = _snapshot(shoot)
    plan, _ = move_files([shoot / "day1" / "IMG_0001.CR2"], dest, log_path=log, root=shoot, on_collision="suffix")
    assert sorted(m.dst.name for m in plan.moves) == ["IMG_0001-1.CR2", "IMG_0001-1.CR2.xmp", "IMG_0001-1.JPG",
                                                      "IMG_0001-1.xmp"]
    assert (dest / "day1" / "IMG_0001.CR2").read_bytes() == b"an earlier reject"
    undo_last(log)
    assert _snapshot(shoot) == before
    assert _snapshot(dest) == {"day1/IMG_0001.CR2": hashlib.sha256(b"an earlier reject").hexdigest()}


def test_shared_adobe_sidecar_stays_with_the_file_that_still_uses_it(tmp_path: Path) -> None:
    s = tmp_path / "s"
    cr2, dng = _write(s / "IMG.CR2"), _write(s / "IMG.DNG")
    _write(s / "IMG.xmp", b"shared")
    _write(s / "IMG.CR2.xmp", b"cr2 only")
    plan = plan_moves([cr2], tmp_path / "r")
    assert sorted(m.src.name for m in plan.moves) == ["IMG.CR2", "IMG.CR2.xmp"]  # IMG.DNG is no partner
    assert any("IMG.xmp" in n and "IMG.DNG still uses it" in n for n in plan.notes)
    plan = plan_moves([cr2, dng], tmp_path / "r")
    assert "IMG.xmp" in {m.src.name for m in plan.moves}


def test_skips_and_refusals(shoot: Path, tmp_path: Path) -> None:
    dest = tmp_path / "rejects"
    plan = plan_moves([shoot / "nope.JPG", shoot / "day1"], dest)
    assert plan.moves == () and len(plan.notes) == 2
    link = shoot / "link.JPG"
    link.symlink_to(shoot / "day1" / "IMG_0002.JPG")
    assert "symbolic link" in plan_moves([link], dest).notes[0]
    assert "already in" in plan_moves([shoot / "day1" / "IMG_0002.JPG"], shoot.parent).notes[0]
    with pytest.raises(MoveError, match="not under"):
        plan_moves([shoot / "day1" / "IMG_0002.JPG"], dest, root=shoot / "day2")
    with pytest.raises(MoveError):
        plan_moves([shoot / "day1" / "IMG_0002.JPG"], dest, on_collision="overwrite")
    # a file already inside the destination is not moved again
    inside = _write(dest / "x.JPG")
    assert "already in" in plan_moves([inside], dest).notes[0]


def test_cross_device_move_copies_verifies_then_removes(shoot: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def exdev(src: Path, dst: Path) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(moves, "_rename", exdev)
    before = _snapshot(shoot)
    src = shoot / "day2" / "DSC_0101.heic"
    os.utime(src, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    move_files([src], dest, log_path=log, root=shoot)
    assert not src.exists()
    copy = dest / "day2" / "DSC_0101.heic"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before["day2/DSC_0101.heic"]
    assert copy.stat().st_mtime_ns == 1_600_000_000_000_000_000  # metadata copied too
    assert not any(p.name.endswith(".curator-partial") for p in dest.rglob("*"))
    undo_last(log)  # also across "devices"
    assert _snapshot(shoot) == before


def test_cross_device_copy_that_does_not_verify_keeps_the_source(shoot: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moves, "_rename", lambda s, d: (_ for _ in ()).throw(OSError(errno.EXDEV, "EXDEV")))
    monkeypatch.setattr(moves, "sha256_file", lambda p: "0" * 64)  # the copy reads back wrong
    before = _snapshot(shoot)
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    with pytest.raises(MoveError, match="did not match"):
        move_files([shoot / "day1" / "IMG_0002.JPG"], dest, log_path=log, root=shoot)
    assert _snapshot(shoot) == before
    assert not [p for p in dest.rglob("*") if p.is_file()]  # no copy and no partial file left
    assert read_log(log)[-1]["op"] == "abort"


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs /dev/shm")
def test_a_real_cross_device_move_when_one_is_available(tmp_path: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        if os.stat(other).st_dev == os.stat(tmp_path).st_dev:
            pytest.skip("/dev/shm is on the same file system as the test folder")
        src = _write(tmp_path / "s" / "A.JPG")
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        log = tmp_path / "log.jsonl"
        move_files([src], Path(other) / "rejects", log_path=log)
        assert not src.exists()
        assert hashlib.sha256((Path(other) / "rejects" / "A.JPG").read_bytes()).hexdigest() == digest
        undo_last(log)
        assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


def test_interrupted_batch_is_undone_from_its_log(shoot: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(shoot)
    calls = {"n": 0}
    real = moves._rename

    def fail_third(src: Path, dst: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(moves, "_rename", fail_third)
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    with pytest.raises(MoveError, match="2 of 4 files were moved") as info:
        move_files([shoot / "day1" / "IMG_0001.CR2"], dest, log_path=log, root=shoot)
    assert len(info.value.moved) == 2
    monkeypatch.setattr(moves, "_rename", real)
    result = undo_last(log)
    assert len(result.restored) == 2 and len(result.already_back) == 1  # logged, then failed: never moved
    assert _snapshot(shoot) == before


def test_undo_refuses_when_the_old_place_is_taken_or_the_file_changed(shoot: Path, tmp_path: Path) -> None:
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    move_files([shoot / "day1" / "IMG_0002.JPG"], dest, log_path=log, root=shoot)
    newcomer = _write(shoot / "day1" / "IMG_0002.JPG", b"a new file with the old name")
    with pytest.raises(MoveError, match="exists again"):
        undo_last(log)
    assert newcomer.read_bytes() == b"a new file with the old name"  # not overwritten
    newcomer.unlink()
    (dest / "day1" / "IMG_0002.JPG").write_bytes(b"edited")
    with pytest.raises(MoveError, match="changed since"):
        undo_last(log)
    (dest / "day1" / "IMG_0002.JPG").unlink()
    with pytest.raises(MoveError, match="is gone"):
        undo_last(log)


def test_undo_goes_back_one_batch_at_a_time(shoot: Path, tmp_path: Path) -> None:
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    before = _snapshot(shoot)
    move_files([shoot / "day1" / "IMG_0002.JPG"], dest, log_path=log, root=shoot)
    after_first = _snapshot(shoot)
    move_files([shoot / "day2" / "DSC_0101.heic"], dest, log_path=log, root=shoot)
    undo_last(log)
    assert _snapshot(shoot) == after_first
    dry = undo_last(log, dry_run=True)
    assert dry.dry_run and len(dry.restored) == 1 and _snapshot(shoot) == after_first
    undo_last(log)
    assert _snapshot(shoot) == before


def test_torn_last_log_line_is_ignored(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"op": "batch", "batch": "b1"}) + "\n" + '{"op": "move", "ba')
    assert [r["op"] for r in read_log(log)] == ["batch"]
    log.write_text('{"op": "mo\n' + json.dumps({"op": "batch", "batch": "b1"}) + "\n")
    with pytest.raises(MoveError, match="damaged at line 1"):
        read_log(log)


def test_a_255_byte_file_name_moves_across_file_systems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moves, "_rename", lambda s, d: (_ for _ in ()).throw(OSError(errno.EXDEV, "EXDEV")))
    src = _write(tmp_path / "shoot" / ("x" * 251 + ".JPG"))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    move_files([src], tmp_path / "rejects", log_path=tmp_path / "log.jsonl")
    assert hashlib.sha256((tmp_path / "rejects" / src.name).read_bytes()).hexdigest() == digest


# A cross-file-system move killed with SIGKILL halfway through its copy (a real kill of a real process).
_KILLED_MOVE = """
import errno, os, signal, sys
from pathlib import Path
from curator.disk import moves

def exdev(src, dst):
    raise OSError(errno.EXDEV, "Invalid cross-device link")

def killed(src, dst, **kw):  # called once the partial copy is written, before it is verified
    os.kill(os.getpid(), signal.SIGKILL)

moves._rename = exdev
moves.shutil.copystat = killed
moves.move_files([sys.argv[1]], sys.argv[2], log_path=sys.argv[3], root=sys.argv[4])
"""


def _killed_move(src: Path, dest: Path, log: Path, root: Path) -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _KILLED_MOVE, str(src), str(dest), str(log), str(root)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".curator-partial")]


def test_undo_removes_the_partial_copy_a_killed_move_left_and_says_so(shoot: Path, tmp_path: Path) -> None:
    before = _snapshot(shoot)
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    _killed_move(shoot / "day1" / "IMG_0002.JPG", dest, log, shoot)
    assert len(_partials(dest)) == 1  # what the kill left
    result = undo_last(log)
    assert [p.name for p in result.partials_removed] and not _partials(tmp_path)
    assert not dest.exists()  # the folders the batch made are gone too, now that they are empty
    assert _snapshot(shoot) == before


def test_the_next_move_removes_the_partial_copy_and_says_so(shoot: Path, tmp_path: Path) -> None:
    dest, log = tmp_path / "rejects", tmp_path / "log.jsonl"
    _killed_move(shoot / "day1" / "IMG_0002.JPG", dest, log, shoot)
    stranger = _write(dest / "day1" / ".notes.curator-partial-not-ours")
    _plan, batch = move_files([shoot / "day2" / "DSC_0101.heic"], dest, log_path=log, root=shoot)
    assert batch is not None and len(batch.partials_removed) == 1
    assert not _partials(dest) and stranger.exists()  # only ours, by their suffix
