"""EXIF extraction with Pillow: the fields the catalog keeps, and never an exception."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from cli_support import run_cli
from PIL import Image, TiffImagePlugin

from curator.disk.exif import EMPTY, MAX_EXIF_TEXT, ExifData, read_exif
from iqa_engine.testing import sample_photos


def write_exif_jpeg(path: Path, *, make: str = "Canon", model: str = "Canon EOS R5", orientation: int = 6) -> Path:
    im = Image.fromarray(np.full((24, 32, 3), 128, np.uint8))
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0112] = orientation
    ifd = exif.get_ifd(0x8769)
    ifd[0x829A] = TiffImagePlugin.IFDRational(1, 250)  # exposure time
    ifd[0x829D] = TiffImagePlugin.IFDRational(28, 10)  # f-number
    ifd[0x8827] = 400  # ISO
    ifd[0x9003] = "2024:05:01 10:20:30"
    ifd[0x9291] = "25"
    ifd[0x9011] = "+02:00"
    ifd[0x9204] = TiffImagePlugin.IFDRational(-2, 3)  # exposure bias
    ifd[0x920A] = TiffImagePlugin.IFDRational(50, 1)  # focal length
    ifd[0xA434] = "RF24-70mm F2.8 L IS USM"
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", exif=exif)
    return path


def test_reads_every_field(tmp_path):
    path = write_exif_jpeg(tmp_path / "a.jpg")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    e = read_exif(path)
    assert e == ExifData(make="Canon", model="Canon EOS R5", lens="RF24-70mm F2.8 L IS USM", iso=400,
                         exposure_time=0.004, f_number=2.8, focal_length=50.0,
                         capture_time="2024-05-01T10:20:30.25+02:00", orientation=6,
                         exposure_bias=-2 / 3)
    assert e.camera == "Canon EOS R5"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_camera_joins_make_and_model_without_repeating_the_make():
    assert ExifData(make="NIKON CORPORATION", model="NIKON Z 6").camera == "NIKON Z 6"
    assert ExifData(make="FUJIFILM", model="X-T4").camera == "FUJIFILM X-T4"
    assert ExifData(make="Canon").camera == "Canon"
    assert ExifData().camera is None


def test_a_photo_without_exif_has_none(tmp_path):
    path = tmp_path / "plain.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    assert read_exif(path) == EMPTY


def test_broken_or_missing_files_never_raise(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe1 this is not exif")
    assert read_exif(bad) == EMPTY
    assert read_exif(tmp_path / "nothing.jpg") == EMPTY
    raw = tmp_path / "fake.cr2"
    raw.write_bytes(b"not a raw file")
    assert read_exif(raw) == EMPTY


def test_nonsense_values_are_dropped(tmp_path):
    im = Image.fromarray(np.zeros((8, 8, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 42  # no such orientation
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = "0000:00:00 00:00:00"
    ifd[0x829D] = TiffImagePlugin.IFDRational(0, 0)
    path = tmp_path / "odd.jpg"
    im.save(path, exif=exif)
    e = read_exif(path)
    assert e.orientation is None and e.capture_time is None and e.f_number is None


@pytest.mark.usefixtures("isolated_settings")
def test_huge_exif_strings_are_capped_before_they_reach_the_catalog(tmp_path: Path, tiny_model, capsys) -> None:
    """A file can claim a Make of megabytes; the catalog keeps MAX_EXIF_TEXT characters of it."""
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    photos = sample_photos(2)
    jpeg = Image.fromarray(photos["astronaut"]).resize((96, 72))
    exif = jpeg.getexif()
    exif[0x010F] = "M" * 60_000  # Make: as much as a JPEG's EXIF segment holds
    exif[0x0110] = "Model " + "m" * 5_000
    jpeg.save(shoot / "big_make.jpg", "JPEG", exif=exif)
    png = Image.fromarray(photos["coffee"]).resize((96, 72))
    exif = png.getexif()
    exif[0x010F] = "P" * 10_000_000  # a PNG's eXIf chunk has no such limit: 10 MB
    png.save(shoot / "big_make.png", "PNG", exif=exif)

    db = tmp_path / "catalog.db"
    code, out, err = run_cli(capsys, "scan", shoot, "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0 and "scored 2" in out, err
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT p.path, e.make, e.model, e.camera FROM exif e JOIN photos p "
                            "ON p.id = e.photo_id").fetchall()
    finally:
        conn.close()
    assert len(rows) == 2
    for path, make, model, camera in rows:
        assert len(make) <= MAX_EXIF_TEXT, f"{path}: {len(make):,} characters of Make stored"
        assert make.strip("MP") == "" and len(camera) <= MAX_EXIF_TEXT, path
        assert model is None or len(model) <= MAX_EXIF_TEXT, path
