"""`curator xmp write --embed`: XMP written into real JPEG, TIFF and DNG files, read back with pyexiv2."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import pyexiv2
import tifffile
from PIL import Image

from curator.cli import main
from curator.commands import workflow
from curator.disk.xmp_embedded import EmbedError, embed_xmp, stored_image_data, verify_same_image
from curator.disk.xmp import PhotoDecision, XmpFields
from iqa_engine.testing import sample_photos, write_jpeg


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("CURATOR_DB", str(tmp_path / "state" / "catalog.db"))
    return tmp_path


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return next(iter(sample_photos(1).values()))


def _pixels(path: Path) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(path) as im:
        return im.mode, im.size, im.tobytes()


def _xmp(path: Path) -> dict:
    img = pyexiv2.Image(str(path))
    try:
        return img.read_xmp()
    finally:
        img.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_embed_in_a_jpeg_changes_only_its_metadata(tmp_path: Path, photo: np.ndarray) -> None:
    jpg = write_jpeg(tmp_path / "IMG_0001.jpg", photo)
    pixels, size_before = _pixels(jpg), jpg.stat().st_size
    result = embed_xmp(jpg, XmpFields(rating=-1, label="Red", verdict="reject", weak=True))
    assert result.changed and jpg.stat().st_size != size_before
    assert _pixels(jpg) == pixels  # every decoded pixel identical
    props = _xmp(jpg)
    assert (props["Xmp.xmp.Rating"], props["Xmp.xmp.Label"]) == ("-1", "Red")
    assert props["Xmp.lr.hierarchicalSubject"] == ["curator|weak"]
    assert sorted(os.listdir(tmp_path)) == ["IMG_0001.jpg"]  # no temp file left, no sidecar
    sha = _sha(jpg)
    assert not embed_xmp(jpg, XmpFields(rating=-1, label="Red", verdict="reject", weak=True)).changed
    assert _sha(jpg) == sha  # nothing to change: the file is not rewritten
    embed_xmp(jpg, XmpFields(verdict="keep", weak=False))  # taken back: no rating, no label, no keyword
    props = _xmp(jpg)
    assert "Xmp.xmp.Rating" not in props and "Xmp.xmp.Label" not in props
    assert "Xmp.lr.hierarchicalSubject" not in props and _pixels(jpg) == pixels


def test_embed_in_a_tiff_keeps_pixels_and_image_data(tmp_path: Path, photo: np.ndarray) -> None:
    tif = tmp_path / "IMG_0002.tif"
    Image.fromarray(photo).save(tif, compression="tiff_lzw")
    pixels, stored = _pixels(tif), stored_image_data(tif.read_bytes())
    embed_xmp(tif, XmpFields(rating=4, label="Green", verdict="pick"))
    assert _pixels(tif) == pixels
    assert stored_image_data(tif.read_bytes()) == stored  # the LZW strips, byte for byte
    assert _xmp(tif)["Xmp.xmp.Rating"] == "4" and sorted(os.listdir(tmp_path)) == ["IMG_0002.tif"]


def test_embed_in_a_dng_compares_the_raw_data_in_its_subifd(tmp_path: Path) -> None:
    """A DNG's layout: a small preview in IFD0, the raw sensor data in a SubIFD (written with tifffile)."""
    dng = tmp_path / "IMG_0003.dng"
    raw = ((np.arange(64 * 96, dtype=np.uint32).reshape(64, 96) * 7919) % 4096).astype(np.uint16)
    with tifffile.TiffWriter(dng) as tw:
        tw.write(np.zeros((16, 24, 3), np.uint8), subifds=1, photometric="rgb")
        tw.write(raw, photometric="minisblack")
    embed_xmp(dng, XmpFields(rating=2))
    with tifffile.TiffFile(dng) as t:
        subifds = t.pages.first.pages
        assert subifds is not None and np.array_equal(subifds[0].asarray(), raw)
    assert _xmp(dng)["Xmp.xmp.Rating"] == "2"



def test_embed_through_a_symlink_writes_the_file_and_keeps_the_link(tmp_path: Path, photo: np.ndarray) -> None:
    real = write_jpeg(tmp_path / "real" / "IMG.jpg", photo)
    link = tmp_path / "IMG.jpg"
    link.symlink_to(real)
    embed_xmp(link, XmpFields(rating=5))
    assert link.is_symlink() and _xmp(real)["Xmp.xmp.Rating"] == "5"

def test_verification_refuses_different_pixels(tmp_path: Path, photo: np.ndarray) -> None:
    a = write_jpeg(tmp_path / "a.jpg", photo).read_bytes()
    b = write_jpeg(tmp_path / "b.jpg", photo, quality=60).read_bytes()
    assert verify_same_image(a, a, ".jpg") == "decoded pixels"
    with pytest.raises(EmbedError, match="decoded pixels differ"):
        verify_same_image(a, b, ".jpg")


def test_verification_of_a_dng_refuses_changed_image_tags_over_identical_data() -> None:
    """The same raw bytes under another colour matrix would be another photo: refused."""
    raw = np.arange(32 * 48, dtype=np.uint16).reshape(32, 48)

    def dng(matrix: tuple[float, ...]) -> bytes:
        out = io.BytesIO()
        with tifffile.TiffWriter(out) as tw:  # 50721: ColorMatrix1 (DNG), as SRATIONALs
            tw.write(raw, photometric="minisblack",
                     extratags=[(50721, 10, 9, tuple(x for v in matrix for x in (int(v * 10000), 10000)), True)])
        return out.getvalue()

    a, b = dng((1, 0, 0, 0, 1, 0, 0, 0, 1)), dng((0.9, 0.1, 0, 0, 1, 0, 0, 0, 1))
    assert verify_same_image(a, a, ".dng") == "stored image data and image tags"
    with pytest.raises(EmbedError, match="image tags differ"):
        verify_same_image(a, b, ".dng")


def test_a_failure_leaves_the_original_byte_identical_and_no_temp_file(tmp_path: Path, photo: np.ndarray) -> None:
    jpg = write_jpeg(tmp_path / "CUT.jpg", photo)
    jpg.write_bytes(jpg.read_bytes()[: jpg.stat().st_size // 2])  # a truncated JPEG: its pixels cannot be verified
    sha = _sha(jpg)
    with pytest.raises(EmbedError, match="CUT.jpg: not changed: cannot read the image data"):
        embed_xmp(jpg, XmpFields(rating=3))
    assert _sha(jpg) == sha and sorted(os.listdir(tmp_path)) == ["CUT.jpg"]
    with pytest.raises(EmbedError, match="only in"):
        embed_xmp(tmp_path / "IMG.CR2", XmpFields(rating=3))


# -- the command: asks, or refuses without a terminal -------------------------------------------------------

@dataclass
class Row:
    path: str
    flag: str | None
    fused: float | None
    flag_source: str | None = "user"
    low_quality: bool = False
    rating: int = 0
    label: str | None = None
    status: str = "scored"


class FakeCatalog:
    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def query_rows(self, *, under: str | None = None, flagged: bool = False) -> list[Row]:
        return self.rows

    def close(self) -> None:
        pass


@pytest.fixture()
def shoot(tmp_path: Path, photo: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "shoot"
    folder.mkdir()
    mine, auto = write_jpeg(folder / "MINE.jpg", photo), write_jpeg(folder / "AUTO.jpg", photo, quality=80)
    fake = FakeCatalog([Row(str(mine), "reject", 0.2), Row(str(auto), "reject", 0.1, "auto", True)])
    monkeypatch.setattr(workflow, "open_catalog", lambda settings: fake)
    return folder


class _Stdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_embed_refuses_without_yes_and_without_a_terminal(shoot: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: _sha(p) for p in shoot.iterdir()}
    monkeypatch.setattr("sys.stdin", _Stdin("", tty=False))
    assert main(["xmp", "write", "--embed"]) == 2
    err = capsys.readouterr().err
    assert "pass --yes" in err and len(err.strip().splitlines()) == 1
    assert {p.name: _sha(p) for p in shoot.iterdir()} == before  # not even a sidecar

    monkeypatch.setattr("sys.stdin", _Stdin("n\n", tty=True))  # asked on a terminal, and declined
    assert main(["xmp", "write", "--embed"]) == 2
    assert "not confirmed" in capsys.readouterr().err
    assert {p.name: _sha(p) for p in shoot.iterdir()} == before


def test_embed_with_yes_writes_the_honest_mapping_into_the_files(shoot: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pixels = {p.name: _pixels(p) for p in shoot.iterdir()}
    monkeypatch.setattr("sys.stdin", _Stdin("", tty=False))
    assert main(["xmp", "write", "--embed", "--yes"]) == 0
    assert "2 original(s) written" in capsys.readouterr().out
    mine, auto = _xmp(shoot / "MINE.jpg"), _xmp(shoot / "AUTO.jpg")
    assert mine["Xmp.xmp.Rating"] == "-1"  # the user's reject
    assert "Xmp.xmp.Rating" not in auto and auto["Xmp.lr.hierarchicalSubject"] == ["curator|weak"]
    assert {p.name: _pixels(p) for p in shoot.iterdir() if p.suffix == ".jpg"} == pixels
    assert sorted(p.name for p in shoot.iterdir()) == ["AUTO.jpg", "AUTO.xmp", "MINE.jpg", "MINE.xmp"]

    monkeypatch.setattr("sys.stdin", _Stdin("y\n", tty=True))  # confirmed on a terminal: nothing left to change
    assert main(["xmp", "write", "--embed"]) == 0
    assert "0 original(s) written, 2 already up to date" in capsys.readouterr().out


def test_photo_decision_of_an_auto_reject_embeds_no_rating() -> None:
    fields = PhotoDecision(Path("x.jpg"), "reject", source="auto", weak=True).fields()
    assert (fields.rating, fields.label, fields.weak) == (None, None, True)
