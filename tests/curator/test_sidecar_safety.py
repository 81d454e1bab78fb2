"""Sidecars that cannot be turned against the person running curator.

A symbolic link named like a sidecar must not make curator write (or read) somewhere else, a FIFO named like
a sidecar must not hang a scan or a watcher, and a huge sidecar must not be read whole. Real files, real links, real FIFOs, the real CLI; the commands that used to hang
run in a subprocess with a timeout, so a regression fails the test rather than hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from catalog_support import make_settings, rows_by_name, running_watch, scored_count, wait_for
from cli_support import run_cli

from curator.disk import xmp
from curator.catalog import Catalog, FileStat
from iqa_engine.testing import sample_photos, write_jpeg

pytestmark = pytest.mark.usefixtures("isolated_settings")

# A sidecar another shoot owns: a person's reject, which no link in this shoot may change or import.
OTHER_SHOOTS_SIDECAR = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="-1" xmp:Label="Red"/>
 </rdf:RDF>
</x:xmpmeta>
"""


@pytest.fixture()
def shoot(tmp_path: Path) -> Path:
    """shoot/A.jpg, B.jpg, C.jpg (small real photos) and an `outside` folder beside it."""
    folder = tmp_path / "shoot"
    for name, arr in zip("ABC", sample_photos(3).values(), strict=True):
        write_jpeg(folder / f"{name}.jpg", arr, size=(96, 72))
    (tmp_path / "outside").mkdir()
    return folder


def _links_out(shoot: Path) -> tuple[Path, Path]:
    """A.xmp -> ../outside/created_by_curator.sh (dangling), C.xmp -> ../outside/other_shoot.xmp (exists)."""
    other = shoot.parent / "outside" / "other_shoot.xmp"
    other.write_text(OTHER_SHOOTS_SIDECAR, encoding="utf-8")
    (shoot / "A.xmp").symlink_to(Path("..") / "outside" / "created_by_curator.sh")
    (shoot / "C.xmp").symlink_to(Path("..") / "outside" / "other_shoot.xmp")
    return shoot.parent / "outside" / "created_by_curator.sh", other


def _decide(db: Path, photos: list[Path], flag: str) -> None:
    """Catalog rows for `photos`, each with the user's `flag`."""
    with Catalog.open(db) as cat:
        for photo in photos:
            st = os.stat(photo)
            cat.set_decision(cat.upsert_photo(str(photo), FileStat(st.st_size, st.st_mtime_ns)), flag=flag)


def _lines_naming(err: str, name: str) -> list[str]:
    return [line for line in err.splitlines() if name in line]


def _subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), CURATOR_SETTINGS=str(tmp_path / "none.toml"),
               PYTHONUNBUFFERED="1")
    env.pop("CURATOR_DB", None)
    return env


# -- links ------------------------------------------------------------------------------------------


def test_xmp_write_never_writes_through_a_symlinked_sidecar(shoot: Path, tmp_path: Path, capsys) -> None:
    created, other = _links_out(shoot)
    other_before = other.read_bytes()
    db = tmp_path / "catalog.db"
    _decide(db, sorted(shoot.glob("*.jpg")), "pick")

    code, out, err = run_cli(capsys, "xmp", "write", "--db", db)

    assert not os.path.lexists(created), "xmp write created a file where a dangling link pointed"
    assert other.read_bytes() == other_before, "xmp write changed another shoot's sidecar through a link"
    assert os.readlink(shoot / "A.xmp") == os.path.join("..", "outside", "created_by_curator.sh")
    assert os.readlink(shoot / "C.xmp") == os.path.join("..", "outside", "other_shoot.xmp")
    assert xmp.read_sidecar(shoot / "B.xmp").rating == 4  # the plain one is written as always
    for name in ("A.xmp", "C.xmp"):
        lines = _lines_naming(err, name)
        assert len(lines) == 1 and "symbolic link" in lines[0], err
    assert code == 1 and "1 sidecar(s) written" in out and "2 skipped" in out, out


def test_watch_xmp_never_writes_through_a_symlinked_sidecar(shoot: Path, tmp_path: Path, tiny_model,
                                                           tiny_engine) -> None:
    created, other = _links_out(shoot)
    other_before = other.read_bytes()
    settings = make_settings(tmp_path, tiny_model)
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [shoot], tiny_engine, xmp=True,
                                                              flag_policy=(None, 0.0), xmp_interval=0.1):
        wait_for(lambda: (shoot / "B.xmp").exists(), timeout=60, what="B's sidecar after scoring")
        ids = [r.photo_id for r in rows_by_name(cat).values()]
        cat.set_decisions(ids, flag="reject")  # one batch of decisions: A, B and C are written together
        wait_for(lambda: xmp.read_sidecar(shoot / "B.xmp").rejected, timeout=30, what="B's reject written")
    assert not os.path.lexists(created), "watch --xmp created a file where a dangling link pointed"
    assert other.read_bytes() == other_before, "watch --xmp changed another shoot's sidecar through a link"
    assert (shoot / "A.xmp").is_symlink() and (shoot / "C.xmp").is_symlink()


def test_a_link_that_appears_before_the_write_is_replaced_never_written_through(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A link swapped in between the check and the write is replaced by the new sidecar (the temp file
    beside it is renamed over the path), and the new sidecar takes nothing from the link's target."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not yours")
    os.chmod(outside, 0o604)
    sidecar = tmp_path / "IMG.xmp"
    xmp.write_sidecar(sidecar, xmp.fields_for("keep"))
    real_patch = xmp.patch_fields

    def swap_in_a_link(*args, **kwargs):
        result = real_patch(*args, **kwargs)
        sidecar.unlink()
        sidecar.symlink_to(outside)
        return result

    monkeypatch.setattr(xmp, "patch_fields", swap_in_a_link)
    xmp.write_sidecar(sidecar, xmp.fields_for("reject"))
    assert outside.read_bytes() == b"not yours"
    assert not sidecar.is_symlink() and xmp.read_sidecar(sidecar).rejected
    assert sidecar.stat().st_mode & 0o777 != 0o604  # not the permission bits of the file it led to
    assert outside.stat().st_mode & 0o777 == 0o604


def test_a_linked_sidecar_is_read_only_when_it_stays_in_the_photos_folder(shoot: Path, tmp_path: Path,
                                                                         tiny_model, capsys) -> None:
    _created, _other = _links_out(shoot)  # C.xmp leads out to another shoot's reject
    (shoot / "kept").mkdir()
    five_stars = OTHER_SHOOTS_SIDECAR.replace('"-1"', '"5"').replace('"Red"', '"Blue"')
    (shoot / "kept" / "B.xmp").write_text(five_stars, encoding="utf-8")
    (shoot / "B.xmp").symlink_to(Path("kept") / "B.xmp")  # stays inside: read as ever

    code, out, err = run_cli(capsys, "xmp", "read", "--json", shoot)
    assert code == 1
    lines = _lines_naming(err, "C.xmp")
    assert len(lines) == 1 and "symbolic link" in lines[0], err
    read = {Path(row["path"]).name: row for row in json.loads(out)}
    assert "C.jpg" not in read, "another shoot's reject was read through a link"
    assert (read["B.jpg"]["rating"], read["B.jpg"]["label"]) == (5, "Blue")  # through its link inside the folder

    db = tmp_path / "catalog.db"
    code, out, err = run_cli(capsys, "scan", shoot, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    lines = _lines_naming(err, "C.xmp")
    assert len(lines) == 1 and "symbolic link" in lines[0], err
    with Catalog.open(db) as cat:
        rows = rows_by_name(cat)
        assert rows["C.jpg"].flag is None, "another shoot's reject was imported through a link"
        assert rows["B.jpg"].rating == 5


# -- FIFOs --------------------------------------------------------------------------------------------


def test_a_fifo_named_like_a_sidecar_never_hangs_scan_xmp_read_or_xmp_write(shoot: Path, tmp_path: Path,
                                                                            tiny_model) -> None:
    os.mkfifo(shoot / "A.xmp")
    db = tmp_path / "catalog.db"
    env = _subprocess_env(tmp_path)
    commands = (["scan", str(shoot), "--db", str(db), "--settle", "0", *tiny_model.cli_args()],
                ["xmp", "read", str(shoot)],
                ["xmp", "write", "--db", str(db)])
    for argv in commands:
        try:
            proc = subprocess.run([sys.executable, "-m", "curator", *argv], env=env, capture_output=True,
                                  text=True, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`curator {' '.join(argv[:2])}` hung on a FIFO named A.xmp")
        assert proc.returncode in (0, 1), proc.stderr
        lines = _lines_naming(proc.stderr, "A.xmp")
        assert len(lines) == 1 and "not a regular file" in lines[0], proc.stderr
    assert (shoot / "A.xmp").is_fifo()


def test_a_fifo_named_like_a_sidecar_never_hangs_watch(shoot: Path, tmp_path: Path, tiny_model) -> None:
    os.mkfifo(shoot / "A.xmp")
    db = tmp_path / "catalog.db"
    cmd = [sys.executable, "-m", "curator", "watch", str(shoot), "--db", str(db), "--settle", "0.2",
           *tiny_model.cli_args()]

    proc = subprocess.Popen(cmd, env=_subprocess_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: scored_count(db) == 3 or proc.poll() is not None, timeout=120, what="the three photos scored")
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("`curator watch` did not stop on SIGTERM: blocked on a FIFO named A.xmp")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == 0, out.decode()
    assert b"not a regular file" in out, out.decode()


# -- size ---------------------------------------------------------------------------------------------


def test_a_huge_sidecar_is_skipped_for_its_size_never_read_whole(shoot: Path, tmp_path: Path, tiny_model,
                                                                capsys) -> None:
    huge = shoot / "A.xmp"
    with open(huge, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: 1 GB to a reader, nothing on disk
    with pytest.raises(xmp.SidecarError, match="size"):
        xmp.read_sidecar(huge)

    db = tmp_path / "catalog.db"
    code, out, err = run_cli(capsys, "scan", shoot, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0 and "scored 3" in out, err
    lines = _lines_naming(err, "A.xmp")
    assert len(lines) == 1 and "size" in lines[0], err

    _decide(db, [shoot / "A.jpg"], "reject")
    code, out, err = run_cli(capsys, "xmp", "write", "--db", db)
    lines = _lines_naming(err, "A.xmp")
    assert code == 1 and len(lines) == 1 and "size" in lines[0], err
    assert os.stat(huge).st_size == 1 << 30 and os.stat(huge).st_blocks == 0  # left exactly as it was
