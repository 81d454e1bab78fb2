"""Keywords in XMP sidecars: curator's go to dc:subject and lr:hierarchicalSubject (curator|subject|...),
are replaced on the next write, and every keyword curator did not write survives, byte for byte."""

from __future__ import annotations

import json

import pytest

from curator.disk.xmp import XmpFields, read_xmp_properties, write_sidecar
from curator.disk.xmp_keywords import KEY_HIERARCHY as KEY_HIERARCHICAL
from curator.disk.xmp_keywords import KEY_OUR_KEYWORDS, KEY_SUBJECT, keyword_changes, subject_words_changed

# A Lightroom-style sidecar: keywords of a person's own (odd characters included) in rdf:Bag form.
FOREIGN = ["Ünïcödé café", "Paris", "  spaced  ", "a|b", "日本"]
LIGHTROOM_SIDECAR = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="5">'
    '<dc:subject><rdf:Bag>' + "".join(f"<rdf:li>{k}</rdf:li>" for k in FOREIGN) + '</rdf:Bag></dc:subject>'
    '<lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|France|Paris</rdf:li><rdf:li>People|Ann</rdf:li></rdf:Bag>'
    '</lr:hierarchicalSubject></rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>')


def test_keyword_changes_keep_foreign_keywords_in_place() -> None:
    values = {KEY_SUBJECT: ["Paris", "dog", "beach"], KEY_OUR_KEYWORDS: "dog,beach",
              KEY_HIERARCHICAL: ["Places|Paris", "curator|subject|dog", "curator|subject|beach"]}
    changes = keyword_changes(values, None, None, ["cat", "beach"])
    assert changes == {KEY_SUBJECT: ("Paris", "beach", "cat"), KEY_OUR_KEYWORDS: "cat,beach",
                       KEY_HIERARCHICAL: ("Places|Paris", "curator|subject|cat", "curator|subject|beach")}
    assert subject_words_changed(values, changes) == (("cat",), ("dog",))
    assert keyword_changes(values, None, None, ["dog", "beach"]) == {}
    cleared = keyword_changes(values, None, None, [])
    assert cleared == {KEY_SUBJECT: ("Paris",), KEY_OUR_KEYWORDS: None, KEY_HIERARCHICAL: ("Places|Paris",)}
    assert subject_words_changed(values, cleared)[1] == ("dog", "beach")


def test_a_keyword_a_person_has_stays_theirs() -> None:
    changes = keyword_changes({KEY_SUBJECT: ["dog"]}, None, None, ["dog", "park"])
    assert changes[KEY_SUBJECT] == ("dog", "park") and changes[KEY_OUR_KEYWORDS] == "park"
    # later, curator no longer proposes dog: the person's dog stays
    later = keyword_changes({KEY_SUBJECT: ["dog", "park"], KEY_OUR_KEYWORDS: "park",
                             KEY_HIERARCHICAL: ["curator|subject|dog", "curator|subject|park"]}, None, None, [])
    assert later[KEY_SUBJECT] == ("dog",)


def test_subjects_reasons_and_the_weak_keyword_share_one_record_of_ours() -> None:
    values = {KEY_SUBJECT: ["Paris"]}
    both = keyword_changes(values, ("blurry",), True, ["dog"])
    assert both[KEY_SUBJECT] == ("Paris", "blurry", "dog", "weak")
    assert both[KEY_HIERARCHICAL] == ("curator|reason|blurry", "curator|subject|dog", "curator|weak")
    after = {KEY_SUBJECT: list(both[KEY_SUBJECT]), KEY_OUR_KEYWORDS: both[KEY_OUR_KEYWORDS],
             KEY_HIERARCHICAL: list(both[KEY_HIERARCHICAL])}
    # new subjects only: the reasons and the weak keyword stay as they are
    only = keyword_changes(after, None, None, ["cat"])
    assert only[KEY_SUBJECT] == ("Paris", "blurry", "weak", "cat")
    assert only[KEY_HIERARCHICAL] == ("curator|reason|blurry", "curator|subject|cat", "curator|weak")


def test_sidecar_round_trip_and_foreign_keywords_survive_byte_for_byte(tmp_path) -> None:
    sidecar = tmp_path / "IMG_0001.xmp"
    sidecar.write_text(LIGHTROOM_SIDECAR, encoding="utf-8")
    first = write_sidecar(sidecar, XmpFields(keywords=("dog", "beach")))
    assert first.changed and first.keywords_added == ("dog", "beach")
    props = read_xmp_properties(sidecar)
    assert [k.encode("utf-8") for k in props[KEY_SUBJECT][:len(FOREIGN)]] == [k.encode("utf-8") for k in FOREIGN]
    assert props[KEY_SUBJECT][len(FOREIGN):] == ["dog", "beach"]
    assert props[KEY_HIERARCHICAL] == ["Places|France|Paris", "People|Ann", "curator|subject|dog",
                                       "curator|subject|beach"]
    assert props["Xmp.xmp.Rating"] == "5"  # the person's rating is untouched (no rating was asked for)
    # the vocabulary or the model changed: ours are replaced, the person's stay
    second = write_sidecar(sidecar, XmpFields(keywords=("cat",)))
    assert (second.keywords_added, second.keywords_removed) == (("cat",), ("dog", "beach"))
    props = read_xmp_properties(sidecar)
    assert props[KEY_SUBJECT] == FOREIGN + ["cat"]
    assert props[KEY_HIERARCHICAL] == ["Places|France|Paris", "People|Ann", "curator|subject|cat"]
    # nothing to change: nothing is written, the file is byte-identical
    before = sidecar.read_bytes()
    again = write_sidecar(sidecar, XmpFields(keywords=("cat",)))
    assert not again.changed and sidecar.read_bytes() == before
    # a write without keywords leaves them alone
    write_sidecar(sidecar, XmpFields(rating=2, verdict="review"), force=True)
    assert read_xmp_properties(sidecar)[KEY_SUBJECT] == FOREIGN + ["cat"]


def test_a_new_sidecar_gets_only_curators_keywords(tmp_path) -> None:
    sidecar = tmp_path / "new.xmp"
    result = write_sidecar(sidecar, XmpFields(keywords=("sunset", "sea")))
    assert result.created and result.changed
    props = read_xmp_properties(sidecar)
    assert props[KEY_SUBJECT] == ["sunset", "sea"] and props[KEY_OUR_KEYWORDS] == "sunset,sea"
    dry = write_sidecar(tmp_path / "other.xmp", XmpFields(keywords=("x",)), dry_run=True)
    assert dry.changed and not (tmp_path / "other.xmp").exists()


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.delenv("CURATOR_DB", raising=False)


def test_xmp_write_keywords_end_to_end(capsys, tmp_path, photo_dir, tiny_model) -> None:
    from curator.cli import main

    db = tmp_path / "cat.db"
    (tmp_path / "settings.toml").write_text(
        f"[engine]\nmodel = {json.dumps(str(tiny_model.config_path))}\nweights = {json.dumps(str(tiny_model.weights_path))}\n"
        "[tags]\ntop_k = 2\nthreshold = 0.0\nmargin = -1.0\n")
    assert main(["scan", str(photo_dir), "--db", str(db), "--settle", "0"]) == 0
    (photo_dir / "coffee.xmp").write_text(LIGHTROOM_SIDECAR, encoding="utf-8")
    capsys.readouterr()
    assert main(["tags", "--folder", str(photo_dir), "--db", str(db), "--json"]) == 0
    tags = {item["path"]: [k["keyword"] for k in item["keywords"]] for item in json.loads(capsys.readouterr().out)}
    assert main(["xmp", "write", "--keywords", "--dry-run", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    coffee = str(photo_dir / "coffee.jpg")
    assert f"would write {photo_dir / 'coffee.xmp'}: keywords " + " ".join(f"+{k}" for k in tags[coffee]) in out
    assert "Xmp.dc.subject" in out and not (photo_dir / "chelsea.xmp").exists()
    assert main(["xmp", "write", "--keywords", "--db", str(db)]) == 0
    props = read_xmp_properties(photo_dir / "coffee.xmp")
    assert props[KEY_SUBJECT] == FOREIGN + tags[coffee]
    assert read_xmp_properties(photo_dir / "chelsea.xmp")[KEY_HIERARCHICAL] == [
        f"curator|subject|{k}" for k in tags[str(photo_dir / "chelsea.jpg")]]


def test_a_provisional_machine_verdict_is_not_written_and_leaves_the_sidecar_as_it_is(tmp_path):
    from pathlib import Path

    from curator.disk.xmp import Machine, PhotoDecision

    photo = Path(tmp_path / "a.jpg")
    exact = PhotoDecision(photo, "reject", 0.1, source="auto", weak=True)
    provisional = PhotoDecision(photo, "reject", 0.1, source="auto", weak=True, provisional=True)
    assert exact.fields().weak is True
    assert provisional.fields().weak is None  # None: the keyword is neither set nor taken back
    assert exact.fields(machine=Machine("label", "Purple")).label == "Purple"
    assert provisional.fields(machine=Machine("label", "Purple")).label is None
    # legacy writes every verdict through the mapping: a provisional auto reject is written as a keep
    assert provisional.fields(machine=Machine("legacy")).verdict == "keep"
    # a user's reject is the user's, provisional scores or not
    users = PhotoDecision(photo, "reject", 0.1, source="user", weak=True, provisional=True)
    assert users.fields().verdict == "reject"
