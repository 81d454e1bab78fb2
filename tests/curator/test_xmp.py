"""XMP sidecars, written and read back by exiv2 (pyexiv2): real files, no mocks of the library."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from curator.disk import xmp
from curator.errors import UserError
from curator.disk.xmp import (DEFAULT_MAPPING, Mark, PhotoDecision, SidecarError, XmpFields, adobe_sidecar_clashes,
                         fields_for, find_sidecar, imported_decision, parse_mapping, read_photo_decision,
                         read_sidecar, read_xmp_properties, sidecar_path, write_decisions, write_sidecar)

# A sidecar as darktable and Lightroom leave it: develop settings, history, keywords, a title.
FOREIGN_SIDECAR = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
   xmpMM:DerivedFrom="IMG_0001.CR2"
   crs:Exposure2012="+0.35"
   crs:WhiteBalance="As Shot"
   crs:Temperature="5200"
   darktable:xmp_version="5"
   darktable:history_end="2">
   <dc:subject>
    <rdf:Bag>
     <rdf:li>family</rdf:li>
     <rdf:li>beach</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <dc:title>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">Low tide</rdf:li>
    </rdf:Alt>
   </dc:title>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>places|beach</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1"
      darktable:modversion="6" darktable:params="0000000000000000"/>
     <rdf:li darktable:num="1" darktable:operation="colorin" darktable:enabled="1"
      darktable:modversion="7" darktable:params="gz48eJzjZBgFo2AU0AsAAANwAAE="/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _touch(path: Path, data: bytes = b"not really a photo") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- naming ----------------------------------------------------------------------------

def test_both_naming_schemes(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_0001.CR2"
    assert sidecar_path(photo, "adobe") == tmp_path / "IMG_0001.xmp"
    assert sidecar_path(photo, "darktable") == tmp_path / "IMG_0001.CR2.xmp"
    with pytest.raises(UserError):
        sidecar_path(photo, "capture-one")


def test_find_sidecar_accepts_upper_case_extension(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG_0001.CR2")
    assert find_sidecar(photo, "adobe") is None
    _touch(tmp_path / "IMG_0001.XMP", b"")
    assert find_sidecar(photo, "adobe") == tmp_path / "IMG_0001.XMP"
    assert find_sidecar(photo, "darktable") is None


def test_clash_between_two_raws_sharing_a_stem(tmp_path: Path) -> None:
    cr2, dng = tmp_path / "IMG.CR2", tmp_path / "IMG.DNG"
    clashes = adobe_sidecar_clashes([cr2, dng])
    assert len(clashes) == 1
    assert clashes[0].sidecar == tmp_path / "IMG.xmp"
    assert set(clashes[0].photos) == {cr2, dng}
    message = clashes[0].message
    assert "IMG.CR2 and IMG.DNG would share the Adobe sidecar IMG.xmp" in message
    assert "--naming darktable" in message and "IMG.CR2.xmp" in message and "\n" not in message


def test_raw_plus_jpeg_is_one_shot_not_a_clash(tmp_path: Path) -> None:
    # Lightroom imports the JPEG of a RAW+JPEG pair as part of the RAW: one IMG.xmp, one decision.
    assert adobe_sidecar_clashes([tmp_path / "IMG.CR2", tmp_path / "IMG.JPG"]) == []
    # ...but a third file with that stem makes it ambiguous again.
    assert len(adobe_sidecar_clashes([tmp_path / "IMG.CR2", tmp_path / "IMG.JPG", tmp_path / "IMG.DNG"])) == 1
    # Two rendered files are two different pictures.
    assert len(adobe_sidecar_clashes([tmp_path / "IMG.JPG", tmp_path / "IMG.HEIC"])) == 1
    # Different folders never clash; stems are compared case-insensitively.
    assert adobe_sidecar_clashes([tmp_path / "a" / "IMG.CR2", tmp_path / "b" / "IMG.DNG"]) == []
    assert len(adobe_sidecar_clashes([tmp_path / "IMG.CR2", tmp_path / "img.dng"])) == 1


# -- mapping ---------------------------------------------------------------------------

def test_default_mapping_leaves_five_stars_to_the_user() -> None:
    assert DEFAULT_MAPPING["reject"] == Mark(-1, "Red")
    assert max(m.rating for m in DEFAULT_MAPPING.values() if m.rating is not None) == 4
    assert fields_for("reject") == XmpFields(-1, "Red", "reject", None)
    assert fields_for(None) == XmpFields(None, None, None, None)
    assert fields_for("pick", score=0.61234, write_score=True).score == pytest.approx(0.61234)
    assert fields_for("pick", score=0.6).score is None  # score only when asked for


def test_parse_mapping() -> None:
    m = parse_mapping("reject=-1:none, keep=none:blue,pick=5")
    assert m["reject"] == Mark(-1, None)
    assert m["keep"] == Mark(None, "Blue")
    assert m["pick"] == Mark(5, None)
    assert m["review"] == DEFAULT_MAPPING["review"]
    assert xmp.format_mapping(parse_mapping(xmp.format_mapping(m))) == xmp.format_mapping(m)
    for bad in ("reject", "maybe=2", "keep=7", "keep=x", "keep=3:Pink"):
        with pytest.raises(UserError):
            parse_mapping(bad)


# -- writing and reading back ------------------------------------------------------------

def test_new_sidecar_written_and_read_back(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG_0001.CR2")
    before = _sha(photo)
    sidecar = sidecar_path(photo, "adobe")
    result = write_sidecar(sidecar, fields_for("reject", score=0.25, write_score=True))
    assert result.created and result.changed
    props = read_xmp_properties(sidecar)
    assert props["Xmp.xmp.Rating"] == "-1"
    assert props["Xmp.xmp.Label"] == "Red"
    assert float(props["Xmp.curator.Score"]) == pytest.approx(0.25)
    d = read_sidecar(sidecar)
    assert d.rejected and d.rating == -1 and d.label == "Red" and d.verdict == "reject"
    assert d.user_rating is None and d.user_label is None and not d.has_user_decision  # curator wrote them
    assert _sha(photo) == before  # the original is never touched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IMG_0001.CR2", "IMG_0001.xmp"]  # no temp left


def test_a_fresh_process_reads_our_sidecar(tmp_path: Path) -> None:
    """The curator namespace is declared in the file, so any exiv2 reader gets it without registering."""
    import subprocess
    import sys

    sidecar = tmp_path / "IMG.xmp"
    write_sidecar(sidecar, XmpFields(3, None, "keep", 0.5))
    code = ("import pyexiv2,sys; d=pyexiv2.ImageData(open(sys.argv[1],'rb').read()).read_xmp(); "
            "print(d['Xmp.xmp.Rating'], d['Xmp.curator.Score'])")
    out = subprocess.run([sys.executable, "-c", code, str(sidecar)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["3", "0.5000"]


def test_patch_keeps_develop_settings_and_keywords(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG_0001.CR2.xmp"
    sidecar.write_text(FOREIGN_SIDECAR, encoding="utf-8")
    before = read_xmp_properties(sidecar)
    assert before["Xmp.dc.subject"] == ["family", "beach"]
    assert before["Xmp.darktable.history[2]/darktable:operation"] == "colorin"

    result = write_sidecar(sidecar, fields_for("pick", score=0.8, write_score=True))
    assert result.changed and not result.created
    after = read_xmp_properties(sidecar)
    ours = set(xmp.OUR_KEYS)
    assert {k: v for k, v in after.items() if k not in ours} == before  # every foreign field survives
    assert after["Xmp.xmp.Rating"] == "4" and after["Xmp.xmp.Label"] == "Green"

    # Changing the verdict changes only our fields again; no label for "keep" removes ours.
    write_sidecar(sidecar, fields_for("keep"))
    again = read_xmp_properties(sidecar)
    assert {k: v for k, v in again.items() if k not in ours} == before
    assert again["Xmp.xmp.Rating"] == "3" and "Xmp.xmp.Label" not in again
    assert again["Xmp.curator.Score"] == "0.8000"  # not asked to write a score: the old one is left


def test_unchanged_sidecar_is_not_rewritten(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG.xmp"
    write_sidecar(sidecar, fields_for("review"))
    stat = sidecar.stat()
    result = write_sidecar(sidecar, fields_for("review"))
    assert not result.changed
    assert sidecar.stat().st_mtime_ns == stat.st_mtime_ns and sidecar.stat().st_ino == stat.st_ino


def test_rating_a_person_set_is_kept_unless_forced(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG_0001.xmp"
    # Lightroom: 5 stars and a Blue label, no curator fields.
    sidecar.write_text(FOREIGN_SIDECAR.replace('crs:Temperature="5200"',
                                               'crs:Temperature="5200" xmp:Rating="5" xmp:Label="Blue"'))
    d = read_sidecar(sidecar)
    assert d.user_rating == 5 and d.user_label == "Blue"
    # Stars are not a reject: on import they also take back a reject the shot may have.
    assert imported_decision(d) == xmp.ImportedDecision(None, 5, "Blue", unreject=True)

    result = write_sidecar(sidecar, fields_for("reject"))
    assert set(result.kept_user) == {"rating", "label"}
    d = read_sidecar(sidecar)
    assert d.rating == 5 and d.label == "Blue" and d.verdict == "reject"

    write_sidecar(sidecar, fields_for("reject"), force=True)
    d = read_sidecar(sidecar)
    assert d.rating == -1 and d.label == "Red" and not d.has_user_decision


def test_a_change_made_in_lightroom_after_our_write_is_the_users(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG.xmp"
    write_sidecar(sidecar, fields_for("keep"))  # curator: 3 stars
    # The photographer re-rates to 1 star in another application (simulated through exiv2).
    data = xmp._patch(sidecar.read_bytes(), {"Xmp.xmp.Rating": "1"}, sidecar)
    sidecar.write_bytes(data)
    d = read_sidecar(sidecar)
    assert d.rating == 1 and d.curator_rating == 3 and d.user_rating == 1
    assert write_sidecar(sidecar, fields_for("pick")).kept_user == ("rating",)
    assert read_sidecar(sidecar).rating == 1


def test_imported_decision_of_a_reject_set_elsewhere(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG.xmp"
    sidecar.write_text(FOREIGN_SIDECAR.replace('crs:Temperature="5200"', 'crs:Temperature="5200" xmp:Rating="-1"'))
    assert imported_decision(read_sidecar(sidecar)) == xmp.ImportedDecision("reject", None, None)
    write_sidecar(sidecar, XmpFields(2, None), force=True)
    assert imported_decision(read_sidecar(sidecar)) is None  # curator's own rating is not a user decision


def test_interrupted_write_leaves_the_old_sidecar_byte_identical(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sidecar = tmp_path / "IMG_0001.CR2.xmp"
    sidecar.write_text(FOREIGN_SIDECAR, encoding="utf-8")
    before = sidecar.read_bytes()

    def power_cut(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(xmp.os, "replace", power_cut)
    with pytest.raises(SidecarError, match="old sidecar left as it was"):
        write_sidecar(sidecar, fields_for("reject"))
    assert sidecar.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["IMG_0001.CR2.xmp"]  # the temp file is gone too


def test_write_keeps_permissions_and_never_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "IMG.xmp"
    real.parent.mkdir()
    write_sidecar(real, fields_for("keep"))
    os.chmod(real, 0o640)
    write_sidecar(real, fields_for("pick"))
    assert real.stat().st_mode & 0o777 == 0o640
    before = real.read_bytes()
    link = tmp_path / "IMG.xmp"
    link.symlink_to(real)
    with pytest.raises(SidecarError, match="a symbolic link; curator never writes through links"):
        write_sidecar(link, fields_for("reject"))
    assert link.is_symlink() and real.read_bytes() == before
    assert read_sidecar(link).rating == 4  # reading it is fine: it stays inside the folder's tree


def test_refuses_to_write_anything_but_xmp(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG.JPG")
    with pytest.raises(SidecarError, match="not a .xmp sidecar"):
        write_sidecar(photo, fields_for("reject"))


def test_corrupt_sidecar_is_reported_and_left_alone(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG.xmp"
    sidecar.write_bytes(b"<x:xmpmeta><rdf:RDF><broken")
    with pytest.raises(SidecarError, match="not a readable XMP sidecar"):
        read_sidecar(sidecar)
    with pytest.raises(SidecarError):
        write_sidecar(sidecar, fields_for("reject"))
    assert sidecar.read_bytes() == b"<x:xmpmeta><rdf:RDF><broken"


# -- batches: shots, naming, clashes -------------------------------------------------------

def test_write_decisions_adobe_pair_gets_one_sidecar(tmp_path: Path) -> None:
    cr2, jpg = _touch(tmp_path / "IMG_0001.CR2"), _touch(tmp_path / "IMG_0001.JPG")
    solo = _touch(tmp_path / "IMG_0002.JPG")
    originals = {p: _sha(p) for p in (cr2, jpg, solo)}
    report = write_decisions([PhotoDecision(jpg, "reject", 0.1), PhotoDecision(solo, "pick", 0.9)],
                             naming="adobe")
    assert report.clashes == () and report.failures == ()
    assert {r.sidecar.name for r in report.written} == {"IMG_0001.xmp", "IMG_0002.xmp"}
    assert read_sidecar(tmp_path / "IMG_0001.xmp").rejected
    assert read_sidecar(tmp_path / "IMG_0002.xmp").rating == 4
    assert all(_sha(p) == h for p, h in originals.items())


def test_write_decisions_darktable_pair_gets_two_sidecars(tmp_path: Path) -> None:
    cr2, jpg = _touch(tmp_path / "IMG_0001.CR2"), _touch(tmp_path / "IMG_0001.JPG")
    report = write_decisions([PhotoDecision(jpg, "reject")], naming="darktable")
    assert {r.sidecar.name for r in report.written} == {"IMG_0001.JPG.xmp", "IMG_0001.CR2.xmp"}
    assert read_photo_decision(cr2, "darktable").rejected
    assert read_photo_decision(jpg, "darktable").rejected


def test_write_decisions_skips_a_clash_and_says_so(tmp_path: Path) -> None:
    cr2 = _touch(tmp_path / "IMG.CR2")
    _touch(tmp_path / "IMG.DNG")
    ok = _touch(tmp_path / "OTHER.CR2")
    report = write_decisions([PhotoDecision(cr2, "reject"), PhotoDecision(ok, "keep")], naming="adobe")
    assert len(report.clashes) == 1 and "IMG.CR2 and IMG.DNG" in report.clashes[0].message
    assert not (tmp_path / "IMG.xmp").exists()
    assert (tmp_path / "OTHER.xmp").exists()
    # darktable naming has no clash
    report = write_decisions([PhotoDecision(cr2, "reject")], naming="darktable")
    assert report.clashes == () and (tmp_path / "IMG.CR2.xmp").exists()


def test_write_decisions_user_stars_and_missing_photo(tmp_path: Path) -> None:
    jpg = _touch(tmp_path / "A.JPG")
    report = write_decisions([PhotoDecision(jpg, "pick", rating=5, label="purple"),
                              PhotoDecision(tmp_path / "GONE.JPG", "reject")], dry_run=True)
    assert report.changed == 1 and not (tmp_path / "A.xmp").exists()  # dry run writes nothing
    assert len(report.failures) == 1 and "photo not found" in report.failures[0][1]
    write_decisions([PhotoDecision(jpg, "pick", rating=5, label="purple")])
    d = read_sidecar(tmp_path / "A.xmp")
    assert (d.rating, d.label) == (5, "Purple")
    assert not (tmp_path / "GONE.xmp").exists()


def test_read_photo_decision_prefers_the_configured_scheme(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG.CR2")
    assert read_photo_decision(photo) is None
    write_sidecar(tmp_path / "IMG.CR2.xmp", XmpFields(2, None), force=True)
    assert read_photo_decision(photo, "adobe").rating == 2  # falls back to the other scheme
    write_sidecar(tmp_path / "IMG.xmp", XmpFields(4, None), force=True)
    assert read_photo_decision(photo, "adobe").rating == 4
    assert read_photo_decision(photo, "darktable").rating == 2


def test_a_255_byte_file_name_gets_its_sidecar(tmp_path: Path) -> None:
    """The longest name a file system allows (255 bytes): the temporary file must not be longer."""
    photo = _touch(tmp_path / ("x" * 251 + ".jpg"))
    sidecar = sidecar_path(photo, "adobe")
    assert len(sidecar.name.encode()) == 255
    assert write_sidecar(sidecar, fields_for("reject")).created
    assert read_sidecar(sidecar).rejected
    assert write_sidecar(sidecar, fields_for("pick")).changed  # a rewrite goes through a temp file too
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([photo.name, sidecar.name])


# -- reasons as keywords ------------------------------------------------------------------

def test_reasons_become_keywords_beside_the_users_and_are_replaced_when_they_change(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG_0001.CR2.xmp"
    sidecar.write_text(FOREIGN_SIDECAR, encoding="utf-8")
    before = read_xmp_properties(sidecar)
    write_sidecar(sidecar, XmpFields(reasons=("blurry", "too-dark")))
    after = read_xmp_properties(sidecar)
    assert after["Xmp.dc.subject"] == ["family", "beach", "blurry", "too-dark"]
    assert after["Xmp.lr.hierarchicalSubject"] == ["places|beach", "curator|reason|blurry",
                                                   "curator|reason|too-dark"]
    assert "<rdf:Bag>" in sidecar.read_text(encoding="utf-8").split("<dc:subject>")[1].split("</dc:subject>")[0]
    untouched = {k: v for k, v in after.items()
                 if k not in ("Xmp.dc.subject", "Xmp.lr.hierarchicalSubject", "Xmp.curator.Keywords")}
    assert untouched == {k: v for k, v in before.items()
                         if k not in ("Xmp.dc.subject", "Xmp.lr.hierarchicalSubject")}

    # the reasons change: ours are replaced, the photographer's stay
    write_sidecar(sidecar, XmpFields(reasons=("noisy",)))
    again = read_xmp_properties(sidecar)
    assert again["Xmp.dc.subject"] == ["family", "beach", "noisy"]
    assert again["Xmp.lr.hierarchicalSubject"] == ["places|beach", "curator|reason|noisy"]
    # no reasons left: only the photographer's keywords remain
    write_sidecar(sidecar, XmpFields(reasons=()))
    last = read_xmp_properties(sidecar)
    assert last["Xmp.dc.subject"] == ["family", "beach"]
    assert last["Xmp.lr.hierarchicalSubject"] == ["places|beach"]
    assert "Xmp.curator.Keywords" not in last
    # unchanged reasons: the file is not rewritten
    stat = sidecar.stat()
    assert not write_sidecar(sidecar, XmpFields(reasons=())).changed
    assert sidecar.stat().st_mtime_ns == stat.st_mtime_ns


def test_a_keyword_the_photographer_wrote_is_never_taken_back(tmp_path: Path) -> None:
    sidecar = tmp_path / "IMG.xmp"
    write_sidecar(sidecar, XmpFields(reasons=("flat",)))
    # a person tags the photo "blurry" themselves, then curator finds it blurry too, then not
    from curator.disk.xmp import _patch  # the same exiv2 path a keyword tool would take

    sidecar.write_bytes(_patch(sidecar.read_bytes(), {"Xmp.dc.subject": ("flat", "blurry")}, sidecar))
    write_sidecar(sidecar, XmpFields(reasons=("blurry",)))
    assert read_xmp_properties(sidecar)["Xmp.dc.subject"] == ["blurry"]
    write_sidecar(sidecar, XmpFields(reasons=()))
    props = read_xmp_properties(sidecar)
    assert props["Xmp.dc.subject"] == ["blurry"]  # theirs, not ours: kept
    assert "Xmp.lr.hierarchicalSubject" not in props


def test_keywords_are_left_alone_without_reasons_and_written_by_write_decisions(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG_0002.jpg")
    report = write_decisions([PhotoDecision(photo, "reject", reasons=("blurry",))])
    props = read_xmp_properties(report.written[0].sidecar)
    assert "Xmp.dc.subject" not in props  # reasons are written only when asked
    report = write_decisions([PhotoDecision(photo, "reject", reasons=("blurry",))], write_reasons=True)
    props = read_xmp_properties(report.written[0].sidecar)
    assert props["Xmp.dc.subject"] == ["blurry"] and props["Xmp.xmp.Rating"] == "-1"
    assert props["Xmp.lr.hierarchicalSubject"] == ["curator|reason|blurry"]


# -- whose decision: the user's become ratings and labels, the machine's a keyword or a chosen label --------

def test_default_write_marks_an_auto_reject_with_the_weak_keyword_not_a_reject(tmp_path: Path) -> None:
    auto = _touch(tmp_path / "AUTO.jpg")
    user = _touch(tmp_path / "USER.jpg")
    undecided = _touch(tmp_path / "KEEP.jpg")
    write_decisions([PhotoDecision(auto, "reject", 0.1, source="auto", weak=True),
                     PhotoDecision(user, "reject", 0.2, source="user"),
                     PhotoDecision(undecided, "keep", 0.6)])
    props = read_xmp_properties(tmp_path / "AUTO.xmp")
    assert "Xmp.xmp.Rating" not in props and "Xmp.xmp.Label" not in props
    assert props["Xmp.dc.subject"] == ["weak"] and props["Xmp.lr.hierarchicalSubject"] == ["curator|weak"]
    assert props["Xmp.curator.Keywords"] == "weak"  # recorded as ours, so only ours is ever taken back
    assert imported_decision(read_sidecar(tmp_path / "AUTO.xmp")) is None
    mine = read_sidecar(tmp_path / "USER.xmp")
    assert (mine.rating, mine.label) == (-1, "Red")  # the user's own reject is a reject
    assert "Xmp.dc.subject" not in read_xmp_properties(tmp_path / "USER.xmp")
    keep = read_sidecar(tmp_path / "KEEP.xmp")
    assert (keep.rating, keep.label) == (None, None)  # undecided: no rating at all


def test_a_user_pick_of_a_weak_photo_keeps_its_rating_and_gets_the_keyword(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG.jpg")
    write_decisions([PhotoDecision(photo, "pick", rating=5, source="user", weak=True)])
    props = read_xmp_properties(tmp_path / "IMG.xmp")
    assert (props["Xmp.xmp.Rating"], props["Xmp.xmp.Label"]) == ("5", "Green")
    assert props["Xmp.lr.hierarchicalSubject"] == ["curator|weak"]


def test_legacy_restores_the_old_mapping_and_a_rewrite_takes_curators_old_values_back(tmp_path: Path) -> None:
    auto, keep, touched = (_touch(tmp_path / n) for n in ("AUTO.jpg", "KEEP.jpg", "MINE.jpg"))
    decisions = [PhotoDecision(auto, "reject", source="auto", weak=True), PhotoDecision(keep, "keep"),
                 PhotoDecision(touched, "keep")]
    write_decisions(decisions, machine=xmp.parse_machine("legacy"))
    assert (read_sidecar(tmp_path / "AUTO.xmp").rating, read_sidecar(tmp_path / "AUTO.xmp").label) == (-1, "Red")
    assert read_sidecar(tmp_path / "KEEP.xmp").rating == 3
    assert "Xmp.dc.subject" not in read_xmp_properties(tmp_path / "AUTO.xmp")
    # a person sets 4 stars on one of them in Lightroom
    mine = tmp_path / "MINE.xmp"
    mine.write_bytes(xmp._patch(mine.read_bytes(), {"Xmp.xmp.Rating": "4"}, mine))

    write_decisions(decisions)  # the default again: curator's own earlier values are taken back
    auto_props = read_xmp_properties(tmp_path / "AUTO.xmp")
    assert "Xmp.xmp.Rating" not in auto_props and "Xmp.xmp.Label" not in auto_props
    assert "Xmp.curator.Rating" not in auto_props and auto_props["Xmp.lr.hierarchicalSubject"] == ["curator|weak"]
    assert read_sidecar(tmp_path / "KEEP.xmp").rating is None
    assert read_sidecar(mine).rating == 4  # the person's 4 stars stay theirs

    write_decisions(decisions, machine=xmp.parse_machine("legacy"))  # and back: the keyword goes
    assert "Xmp.lr.hierarchicalSubject" not in read_xmp_properties(tmp_path / "AUTO.xmp")
    assert read_sidecar(tmp_path / "AUTO.xmp").rating == -1


def test_machine_label_marks_weak_photos_with_the_chosen_colour_unless_the_user_gave_one(tmp_path: Path) -> None:
    weak, labelled = _touch(tmp_path / "WEAK.jpg"), _touch(tmp_path / "BLUE.jpg")
    purple = xmp.parse_machine("label:purple")
    assert purple == xmp.Machine("label", "Purple") and purple.spec() == "label:Purple"
    write_decisions([PhotoDecision(weak, "reject", source="auto", weak=True),
                     PhotoDecision(labelled, "reject", source="auto", weak=True, label="Blue")], machine=purple)
    d = read_sidecar(tmp_path / "WEAK.xmp")
    assert (d.rating, d.label, d.user_label) == (None, "Purple", None)  # curator's label, not the user's
    assert "Xmp.dc.subject" not in read_xmp_properties(tmp_path / "WEAK.xmp")
    assert read_sidecar(tmp_path / "BLUE.xmp").label == "Blue"


def test_the_weak_keyword_leaves_foreign_keywords_and_a_persons_own_weak_alone(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "IMG_0001.CR2")
    sidecar = tmp_path / "IMG_0001.xmp"
    sidecar.write_text(FOREIGN_SIDECAR)
    write_decisions([PhotoDecision(photo, "reject", source="auto", weak=True)])
    props = read_xmp_properties(sidecar)
    assert props["Xmp.dc.subject"] == ["family", "beach", "weak"]
    assert props["Xmp.lr.hierarchicalSubject"] == ["places|beach", "curator|weak"]
    assert props["Xmp.crs.Exposure2012"] == "+0.35"
    write_decisions([PhotoDecision(photo, "keep")])  # no longer weak: ours goes, theirs stays
    props = read_xmp_properties(sidecar)
    assert props["Xmp.dc.subject"] == ["family", "beach"]
    assert props["Xmp.lr.hierarchicalSubject"] == ["places|beach"] and "Xmp.curator.Keywords" not in props

    theirs = _touch(tmp_path / "THEIRS.jpg")  # a person tagged it "weak" before curator did
    own = tmp_path / "THEIRS.xmp"
    own.write_bytes(xmp._patch(xmp._EMPTY_PACKET, {"Xmp.dc.subject": ("weak",)}, own))
    write_decisions([PhotoDecision(theirs, "reject", source="auto", weak=True)])
    write_decisions([PhotoDecision(theirs, "keep")])
    assert read_xmp_properties(own)["Xmp.dc.subject"] == ["weak"]


def test_parse_machine_refuses_what_it_does_not_know() -> None:
    assert xmp.parse_machine(None) == xmp.Machine("keyword") and xmp.parse_machine(" Legacy ").kind == "legacy"
    for bad in ("label", "label:pink", "keywords", "legacy:Red", "label:none"):
        with pytest.raises(UserError, match="XMP machine must be"):
            xmp.parse_machine(bad)
