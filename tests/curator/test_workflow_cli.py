"""`curator xmp write|read`, `move-rejects` and `undo` through the real CLI entry point.

The catalog is replaced by a small fake at the one seam the commands use
(curator.commands.workflow.open_catalog), so these tests pin the commands'
behaviour and the exact catalog calls they make.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from curator.cli import main
from curator.commands import workflow
from curator.disk.xmp import read_sidecar


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real settings file or catalog: CURATOR_SETTINGS and CURATOR_DB point into tmp_path."""
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("CURATOR_DB", str(tmp_path / "state" / "catalog.db"))
    return tmp_path


def _write(path: Path, data: bytes = b"pixels") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data + path.name.encode())
    return path


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# -- a fake catalog at the seam -----------------------------------------------------------

@dataclass
class Row:
    path: str
    flag: str | None
    fused: float | None
    rating: int = 0
    label: str | None = None
    status: str = "scored"
    flag_source: str | None = "user"
    low_quality: bool = False


@dataclass
class FakeCatalog:
    rows: list[Row]
    calls: list[tuple] = field(default_factory=list)
    closed: bool = False

    def query_rows(self, *, under: str | None = None, flagged: bool = False) -> list[Row]:
        self.calls.append(("query_rows", under, flagged))
        return [r for r in self.rows if (under is None or r.path.startswith(under + "/"))
                and (not flagged or r.flag is not None)]

    def move_paths(self, moves: list[tuple[str, str]]) -> int:
        self.calls.extend(("move_path", src, dest) for src, dest in moves)
        return len(moves)

    def close(self) -> None:
        self.closed = True


@pytest.fixture()
def shoot(tmp_path: Path) -> Path:
    s = tmp_path / "shoot"
    for name in ("IMG_1.CR2", "IMG_1.JPG", "IMG_2.JPG", "IMG_3.JPG", "DUP.CR2", "DUP.DNG"):
        _write(s / name)
    return s


def _catalog(shoot: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCatalog:
    fake = FakeCatalog([
        Row(str(shoot / "IMG_1.JPG"), "reject", 0.12),
        Row(str(shoot / "IMG_2.JPG"), "pick", 0.91, rating=5),
        Row(str(shoot / "IMG_3.JPG"), None, 0.55),
        Row(str(shoot / "DUP.CR2"), None, 0.50),
        Row(str(shoot / "GONE.JPG"), "reject", 0.10, status="missing"),
    ])
    monkeypatch.setattr(workflow, "open_catalog", lambda settings: fake)
    return fake


def test_xmp_write_from_the_catalog(shoot: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fake = _catalog(shoot, monkeypatch)
    originals = _tree(shoot)
    assert main(["xmp", "write", "--folder", str(shoot), "--score"]) == 1  # one clash: DUP.CR2 + DUP.DNG
    out, err = capsys.readouterr()
    assert fake.closed and fake.calls[0] == ("query_rows", str(shoot), False)
    assert "DUP.CR2 and DUP.DNG would share the Adobe sidecar DUP.xmp" in err
    assert "3 sidecar(s) written" in out
    d1, d2, d3 = (read_sidecar(shoot / f"IMG_{i}.xmp") for i in (1, 2, 3))
    assert d1.rejected and d1.label == "Red" and d1.score == pytest.approx(0.12)
    assert d2.rating == 5 and d2.label == "Green"  # the user's 5 stars win over the mapping's 4
    assert d3.rating is None and d3.label is None  # undecided: no rating pretends to be the user's
    assert not (shoot / "DUP.xmp").exists()
    assert {k: v for k, v in _tree(shoot).items() if not k.endswith(".xmp")} == originals

    # darktable naming, a custom mapping, and a second run that changes nothing
    assert main(["xmp", "write", "--naming", "darktable", "--map", "reject=1:none,keep=none"]) == 0
    assert read_sidecar(shoot / "IMG_1.CR2.xmp").rating == 1
    assert read_sidecar(shoot / "IMG_1.JPG.xmp").label is None
    assert read_sidecar(shoot / "DUP.CR2.xmp").rating is None
    capsys.readouterr()
    assert main(["xmp", "write", "--naming", "darktable", "--map", "reject=1:none,keep=none"]) == 0
    assert "0 sidecar(s) written" in capsys.readouterr().out


def test_xmp_write_dry_run_writes_nothing(shoot: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _catalog(shoot, monkeypatch)
    assert main(["xmp", "write", "--naming", "darktable", "--dry-run"]) == 0
    assert "would write" in capsys.readouterr().out
    assert not list(shoot.glob("*.xmp"))


def test_xmp_write_bad_mapping_is_a_usage_error(shoot: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _catalog(shoot, monkeypatch)
    assert main(["xmp", "write", "--map", "reject=9"]) == 2
    assert "bad XMP mapping entry" in capsys.readouterr().err



def test_xmp_write_machine_option(shoot: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    fake = _catalog(shoot, monkeypatch)
    fake.rows[0] = Row(str(shoot / "IMG_1.JPG"), "reject", 0.12, flag_source="auto", low_quality=True)
    assert main(["xmp", "write", "--machine", "pink"]) == 2
    assert "XMP machine must be" in capsys.readouterr().err
    main(["xmp", "write", "--machine", "label:Purple"])  # an auto reject: a label, no rating
    d1 = read_sidecar(shoot / "IMG_1.xmp")
    assert (d1.rating, d1.label) == (None, "Purple")
    main(["xmp", "write", "--machine", "legacy"])  # the old mapping: -1 + Red, and 3 stars for a keep
    d1, d3 = read_sidecar(shoot / "IMG_1.xmp"), read_sidecar(shoot / "IMG_3.xmp")
    assert (d1.rating, d1.label, d3.rating) == (-1, "Red", 3)

def test_xmp_read(shoot: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _catalog(shoot, monkeypatch)
    main(["xmp", "write"])
    capsys.readouterr()
    assert main(["xmp", "read", "--json", str(shoot)]) == 0
    rows = {Path(r["path"]).name: r for r in json.loads(capsys.readouterr().out)}
    assert rows["IMG_1.CR2"]["rejected"] and rows["IMG_1.CR2"]["set_by"] == "curator"
    assert rows["IMG_2.JPG"]["rating"] == 5 and rows["IMG_2.JPG"]["set_by"] == "curator"
    assert rows["DUP.DNG"]["sidecar"] is None
    assert main(["xmp", "read", str(shoot / "IMG_1.JPG")]) == 0
    assert "reject" in capsys.readouterr().out


# -- move-rejects and undo ------------------------------------------------------------------

def test_move_rejects_with_files_then_undo(shoot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(shoot)
    dest = tmp_path / "rejects"
    assert main(["move-rejects", "--to", str(dest), "--dry-run", str(shoot / "IMG_1.JPG")]) == 0
    assert "would move" in capsys.readouterr().out and _tree(shoot) == before
    assert main(["move-rejects", "--to", str(dest), str(shoot / "IMG_1.JPG")]) == 0
    out = capsys.readouterr().out
    assert "(partner)" in out and "catalog.moves.jsonl" in out
    assert sorted(p.name for p in dest.iterdir()) == ["IMG_1.CR2", "IMG_1.JPG"]
    assert (tmp_path / "state" / "catalog.moves.jsonl").exists()  # beside the catalog
    assert main(["undo"]) == 0
    assert "2 file(s) moved back" in capsys.readouterr().out
    assert _tree(shoot) == before
    assert main(["undo"]) == 2
    assert "nothing to undo" in capsys.readouterr().err


def test_move_rejects_from_the_catalog_keeps_structure_and_tells_the_catalog(
        shoot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake = _catalog(shoot, monkeypatch)
    dest = tmp_path / "rejects"
    assert main(["move-rejects", "--to", str(dest), "--folder", str(shoot)]) == 0
    assert ("query_rows", str(shoot), True) in fake.calls
    moved = [c for c in fake.calls if c[0] == "move_path"]
    assert sorted(Path(c[2]).name for c in moved) == ["IMG_1.CR2", "IMG_1.JPG"]  # photos only; GONE is missing
    assert (dest / "IMG_1.JPG").exists() and not (shoot / "IMG_1.JPG").exists()
    fake.calls.clear()
    (tmp_path / "state" / "catalog.db").write_bytes(b"")  # undo tells the catalog only when one exists
    assert main(["undo"]) == 0
    assert sorted(Path(c[2]).name for c in fake.calls if c[0] == "move_path") == ["IMG_1.CR2", "IMG_1.JPG"]
    assert (shoot / "IMG_1.JPG").exists()


def test_move_rejects_collision_is_refused(shoot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "rejects"
    _write(dest / "IMG_2.JPG", b"older")
    assert main(["move-rejects", "--to", str(dest), str(shoot / "IMG_2.JPG")]) == 2
    err = capsys.readouterr().err
    assert "already exists; nothing was moved" in err and err.count("\n") == 1
    assert (shoot / "IMG_2.JPG").exists()
    assert main(["move-rejects", "--to", str(dest), "--on-collision", "suffix", str(shoot / "IMG_2.JPG")]) == 0
    assert (dest / "IMG_2-1.JPG").exists() and (dest / "IMG_2.JPG").read_bytes() == b"olderIMG_2.JPG"


def test_the_seam_against_the_real_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same commands on a real catalog file, where curator.catalog exists (it is built in parallel)."""
    catalog_module = pytest.importorskip("curator.catalog")
    import os

    shoot = tmp_path / "shoot"
    jpg, _cr2, keep = _write(shoot / "A.JPG"), _write(shoot / "A.CR2"), _write(shoot / "B.JPG")  # the CR2: partner on disk only
    db = tmp_path / "state" / "catalog.db"
    catalog = catalog_module.Catalog.open(db)
    try:
        ids = {}
        for p in (jpg, keep):
            st = os.stat(p)
            ids[p] = catalog.upsert_photo(str(p), catalog_module.FileStat(st.st_size, st.st_mtime_ns))
        catalog.set_decision(ids[jpg], flag="reject")
        catalog.set_decision(ids[keep], rating=5, label="Blue")
    finally:
        catalog.close()
    assert main(["xmp", "write", "--naming", "darktable"]) == 0
    assert read_sidecar(shoot / "A.CR2.xmp").rejected and read_sidecar(shoot / "A.JPG.xmp").rejected
    assert (read_sidecar(shoot / "B.JPG.xmp").rating, read_sidecar(shoot / "B.JPG.xmp").label) == (5, "Blue")
    assert main(["move-rejects", "--to", str(tmp_path / "rejects"), "--folder", str(shoot)]) == 0
    assert sorted(p.name for p in (tmp_path / "rejects").iterdir()) == ["A.CR2", "A.CR2.xmp", "A.JPG", "A.JPG.xmp"]
    catalog = catalog_module.Catalog.open(db)
    try:
        assert catalog.photo_id_for_path(str(tmp_path / "rejects" / "A.JPG")) == ids[jpg]  # same photo, new place
    finally:
        catalog.close()
    assert main(["undo"]) == 0
    assert sorted(p.name for p in shoot.iterdir()) == ["A.CR2", "A.CR2.xmp", "A.JPG", "A.JPG.xmp", "B.JPG",
                                                       "B.JPG.xmp"]
    capsys.readouterr()


def test_xmp_write_from_a_real_catalog_tells_an_auto_reject_from_the_users(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The catalog's flag_source and low_quality reach the sidecars: the auto policy's reject is a keyword."""
    import os

    from curator.catalog import Catalog, FileStat
    from curator.rules.flags import Change

    shoot = tmp_path / "shoot"
    auto, mine, undecided = (_write(shoot / n) for n in ("AUTO.JPG", "MINE.JPG", "OPEN.JPG"))
    with Catalog.open(tmp_path / "state" / "catalog.db") as catalog:
        ids = {p: catalog.upsert_photo(str(p), FileStat(os.stat(p).st_size, os.stat(p).st_mtime_ns))
               for p in (auto, mine, undecided)}
        catalog.apply_flag_changes([Change(ids[auto], True, "reject", True)])  # as the auto policy does
        catalog.set_decision(ids[mine], flag="reject")
    assert main(["xmp", "write"]) == 0
    a, m = (read_sidecar(shoot / f"{n}.xmp") for n in ("AUTO", "MINE"))
    assert (a.rating, a.label, m.rating, m.label) == (None, None, -1, "Red")
    assert not (shoot / "OPEN.xmp").exists()  # not scored, not decided: nothing to say
    from curator.disk.xmp import read_xmp_properties

    assert read_xmp_properties(shoot / "AUTO.xmp")["Xmp.lr.hierarchicalSubject"] == ["curator|weak"]
    capsys.readouterr()
