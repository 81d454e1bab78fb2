"""RAW+JPEG pairing: one shot per folder + stem, scored once from the right file."""

from __future__ import annotations

from pathlib import Path

from curator.disk.raw_pairs import Shot, group_shots, partners_of, shot_of


def test_raw_plus_jpeg_is_one_shot_scored_from_the_jpeg(tmp_path: Path) -> None:
    cr2, jpg = tmp_path / "IMG_0001.CR2", tmp_path / "IMG_0001.JPG"
    shots = group_shots([cr2, jpg])
    assert shots == [Shot(jpg, (jpg, cr2))]
    assert shots[0].is_pair and shots[0].raw == cr2 and shots[0].partners == (cr2,)


def test_raw_plus_heif_is_scored_from_the_raw(tmp_path: Path) -> None:
    cr3, heif = tmp_path / "IMG_0001.CR3", tmp_path / "IMG_0001.HIF"
    assert group_shots([heif, cr3]) == [Shot(cr3, (cr3, heif))]


def test_ambiguous_or_unrelated_files_are_separate_shots(tmp_path: Path) -> None:
    cr2, dng, jpg = tmp_path / "IMG.CR2", tmp_path / "IMG.DNG", tmp_path / "IMG.JPG"
    assert [s.files for s in group_shots([cr2, dng])] == [(cr2,), (dng,)]
    assert len(group_shots([cr2, dng, jpg])) == 3
    assert len(group_shots([jpg, tmp_path / "IMG.HEIC"])) == 2
    assert len(group_shots([cr2, tmp_path / "other" / "IMG.JPG"])) == 2  # another folder
    assert group_shots([tmp_path / "IMG.xmp", tmp_path / "notes.txt"]) == []  # not photos
    assert len(group_shots([jpg, jpg])) == 1  # duplicates dropped


def test_stems_match_case_insensitively(tmp_path: Path) -> None:
    shots = group_shots([tmp_path / "IMG_0001.CR2", tmp_path / "img_0001.jpg"])
    assert len(shots) == 1 and shots[0].primary.name == "img_0001.jpg"


def test_partners_found_on_disk(tmp_path: Path) -> None:
    for name in ("IMG_1.NEF", "IMG_1.JPG", "IMG_1.xmp", "IMG_2.JPG"):
        (tmp_path / name).write_bytes(b"x")
    assert partners_of(tmp_path / "IMG_1.NEF") == (tmp_path / "IMG_1.JPG",)
    assert partners_of(tmp_path / "IMG_1.JPG") == (tmp_path / "IMG_1.NEF",)
    assert partners_of(tmp_path / "IMG_2.JPG") == ()
    assert shot_of(tmp_path / "IMG_1.NEF").primary == tmp_path / "IMG_1.JPG"
    assert partners_of(tmp_path / "missing" / "A.JPG") == ()
