"""Issue 6 wired into the catalog: XMP import at scan time, `watch --xmp`, bursts and brackets in the catalog
and the flag policy, RAW+JPEG pairs as one shot, the [xmp] map setting, the v2 -> v3 migration.

Real SQLite files, real files, real sidecars read and written by exiv2, the tiny model from iqa_engine.testing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils
from catalog_support import hash_tree, make_settings, rows_by_name, running_watch, wait_for

from curator.actions import culling
from curator.actions.culling import CullingRules
from curator.scanning import service
from curator.disk import xmp
from curator.catalog import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, Catalog, FileStat, Outcome
from curator.settings import SettingsError, load_settings
from iqa_engine.results import PhotoScore, ViewScore
from iqa_engine.testing import sample_photos, write_burst_shoot, write_jpeg
from cli_support import run_cli


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture()
def settings(tmp_path, tiny_model):
    return make_settings(tmp_path, tiny_model)


def lightroom_sidecar(extra: str = "") -> str:
    """A sidecar as Lightroom leaves it: develop settings and keywords, plus `extra` attributes."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   crs:Exposure2012="+0.35"
   crs:WhiteBalance="As Shot" {extra}>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>beach</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def originals(folder: Path) -> dict[str, str]:
    """The photos' bytes (sidecars are ours or the user's, not originals)."""
    return {k: v for k, v in hash_tree(folder).items() if not k.lower().endswith(".xmp")}


# -- XMP import at scan time ----------------------------------------------------------------------


def test_scan_imports_sidecar_decisions_as_the_users_once_per_change(settings, photo_dir, tiny_engine,
                                                                    monkeypatch):
    (photo_dir / "astronaut.xmp").write_text(lightroom_sidecar('xmp:Rating="4" xmp:Label="Blue"'))  # Lightroom
    (photo_dir / "coffee.xmp").write_text(lightroom_sidecar('xmp:Rating="-1"'))  # a reject set in Bridge
    (photo_dir / "chelsea.jpg.xmp").write_text(lightroom_sidecar('xmp:Rating="2"'))  # darktable naming
    before = hash_tree(photo_dir)
    reads: list[Path] = []
    real_read = xmp.read_sidecar
    monkeypatch.setattr(xmp, "read_sidecar", lambda p: reads.append(Path(p)) or real_read(p))

    summary = service.scan(settings, [str(photo_dir)], engine=tiny_engine, flag_policy=(None, 100.0))
    assert summary.totals.scored == 5 and summary.sidecars_imported == 3 and len(reads) == 3
    with Catalog.open(settings.db_path) as cat:
        rows = rows_by_name(cat)
        assert (rows["astronaut.jpg"].rating, rows["astronaut.jpg"].label, rows["astronaut.jpg"].flag) == (4, "Blue",
                                                                                                        None)
        assert (rows["coffee.jpg"].flag, rows["coffee.jpg"].flag_source) == ("reject", "user")
        assert (rows["chelsea.jpg"].rating, rows["chelsea.jpg"].flag) == (2, None)
        # bottom 100%: everything else is an auto reject; the imported decisions are the user's
        assert {n: (r.flag, r.flag_source) for n, r in rows.items() if n in ("rocket.jpg", "motorcycle.jpg")} == {
            "rocket.jpg": ("reject", "auto"), "motorcycle.jpg": ("reject", "auto")}
        culling.recompute_flags(cat, CullingRules(None, 100.0))  # re-flagging does not override them
        culling.recompute_flags(cat, CullingRules(None, 0.0))
        again = rows_by_name(cat)
        assert (again["coffee.jpg"].flag, again["coffee.jpg"].flag_source) == ("reject", "user")
        assert (again["astronaut.jpg"].rating, again["chelsea.jpg"].rating) == (4, 2)
        cat.set_decision(rows["coffee.jpg"].photo_id, flag=None)  # the user changes their mind in curator

    reads.clear()
    summary = service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    assert summary.sidecars_imported == 0 and reads == []  # unchanged sidecars are not read again
    with Catalog.open(settings.db_path) as cat:
        assert rows_by_name(cat)["coffee.jpg"].flag is None  # ...so they do not undo a later decision

    sidecar = photo_dir / "astronaut.xmp"  # later, 5 stars in Lightroom
    sidecar.write_text(lightroom_sidecar('xmp:Rating="5" xmp:Label="Blue"'))
    st = os.stat(sidecar)
    os.utime(sidecar, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    summary = service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    assert summary.sidecars_imported == 1 and reads == [sidecar]
    with Catalog.open(settings.db_path) as cat:
        assert rows_by_name(cat)["astronaut.jpg"].rating == 5
    assert originals(photo_dir) == {k: v for k, v in before.items() if not k.endswith(".xmp")}
    assert hash_tree(photo_dir)["coffee.xmp"] == before["coffee.xmp"]  # importing never writes a sidecar


def test_a_broken_sidecar_is_reported_and_never_stops_the_scan(settings, photo_dir, tiny_engine, capsys,
                                                               tiny_model):
    (photo_dir / "rocket.xmp").write_text("<x:xmpmeta this is not XMP")
    code, out, err = run_cli(capsys, "scan", photo_dir, "--db", settings.db_path, "--settle", "0",
                             *tiny_model.cli_args())
    assert code == 0 and "scored 5" in out
    assert "rocket.xmp" in err and "not imported" in err


# -- watch --xmp ------------------------------------------------------------------------------------


def test_watch_xmp_writes_sidecars_for_new_scores_and_decisions(settings, tmp_path, tiny_engine):
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    card = tmp_path / "card"
    for name, arr in list(sample_photos().items())[:3]:
        write_jpeg(card / f"{name}.jpg", arr, size=(224, 168))
    (inbox / "coffee.xmp").write_text(lightroom_sidecar())  # develop settings already there, no rating
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine, xmp=True,
                                                              flag_policy=(None, 0.0), xmp_interval=0.1):
        for src in sorted(card.iterdir()):
            (inbox / src.name).write_bytes(src.read_bytes())
        wait_for(lambda: all((inbox / f"{n}.xmp").exists() for n in ("astronaut", "chelsea")), timeout=30,
                 what="sidecars for the new photos")
        wait_for(lambda: xmp.read_sidecar(inbox / "coffee.xmp").verdict == "keep", timeout=30,
                 what="coffee's verdict")
        for name in ("astronaut", "coffee", "chelsea"):
            d = xmp.read_sidecar(inbox / f"{name}.xmp")
            # scored, not flagged: "keep", and no rating that would pass for the photographer's
            assert (d.rating, d.verdict, d.curator_rating) == (None, "keep", None)
        props = xmp.read_xmp_properties(inbox / "coffee.xmp")  # foreign fields kept
        assert props["Xmp.crs.Exposure2012"] == "+0.35" and props["Xmp.dc.subject"] == ["beach"]

        chelsea = rows_by_name(cat)["chelsea.jpg"].photo_id
        cat.set_decision(chelsea, flag="reject")  # as the gallery or `curator flag` would, from another thread
        wait_for(lambda: xmp.read_sidecar(inbox / "chelsea.xmp").rejected, timeout=30, what="the reject written")
        assert xmp.read_sidecar(inbox / "chelsea.xmp").label == "Red"
        assert not [p for p in inbox.iterdir() if p.name.endswith((".curator-tmp", ".curator-partial"))]
        # our own sidecar writes are not photos: no rows for them, and nothing queued
        assert len(cat.gallery_rows()) == 3 and cat.queue_length() == 0
    assert originals(inbox) == originals(card)


def test_the_watcher_ignores_curators_own_files(tmp_path):
    from watchdog.events import FileClosedEvent, FileCreatedEvent, FileModifiedEvent, FileMovedEvent

    from curator.scanning.watcher import CatalogEventHandler

    woken = []
    with Catalog.open(tmp_path / "catalog.db") as cat:
        handler = CatalogEventHandler(cat, wake=lambda: woken.append(1))
        d = tmp_path / "photos"
        d.mkdir()
        for name in ("IMG_1.xmp", "IMG_1.CR2.XMP", ".IMG_1.xmp.1a2b3c4d.curator-tmp",
                     ".IMG_2.CR2.1a2b3c4d.curator-partial"):
            (d / name).write_bytes(b"x")
            for event in (FileCreatedEvent, FileModifiedEvent, FileClosedEvent):
                handler.dispatch(event(str(d / name)))
        handler.dispatch(FileMovedEvent(str(d / ".IMG_1.xmp.1a2b3c4d.curator-tmp"), str(d / "IMG_1.xmp")))
        assert cat.gallery_rows() == [] and woken == [] and handler.failures == 0
        # a temp copy renamed to a photo (a move across file systems) is a photo landing
        write_jpeg(d / "IMG_2.CR2", np.zeros((8, 8, 3), np.uint8))
        handler.dispatch(FileMovedEvent(str(d / ".IMG_2.CR2.1a2b3c4d.curator-partial"), str(d / "IMG_2.CR2")))
        assert [r.name for r in cat.gallery_rows()] == ["IMG_2.CR2"]


# -- bursts and brackets ---------------------------------------------------------------------------------


def by_stem(cat: Catalog) -> dict[str, object]:
    return {Path(r.name).stem: r for r in cat.gallery_rows()}


@pytest.fixture()
def burst_dir(tmp_path):
    """burst: 3 near-identical frames 0.5 s apart; bracket: 0, -1, +1 EV 0.3 s apart; one frame alone."""
    folder = tmp_path / "shoot"
    write_burst_shoot(folder)
    return folder


def test_bursts_brackets_list_and_reject_all_but_the_best(settings, burst_dir, tiny_engine, capsys):
    service.scan(settings, [str(burst_dir)], engine=tiny_engine, flag_policy=(None, 0.0))
    db = settings.db_path
    with Catalog.open(db) as cat:
        ids = {Path(r.name).stem: r.photo_id for r in cat.gallery_rows()}
        frames = {f.photo_id: f for f in culling.frames(cat, str(burst_dir))}
        assert len(frames) == 7 and all(f.embedding is not None and f.fused is not None for f in frames.values())
        assert frames[ids["K2"]].exposure_bias == -1.0 and frames[ids["B2"]].seconds - frames[ids["B1"]].seconds == 0.5
        groups = sorted(tuple(sorted(b.ids)) for b in culling.bursts(cat, str(burst_dir)) if b.is_burst)
        assert groups == sorted([tuple(sorted(ids[n] for n in ("B1", "B2", "B3"))),
                                 tuple(sorted(ids[n] for n in ("K1", "K2", "K3")))])
        fused = {n: frames[i].fused for n, i in ids.items()}

        # the flag policy never auto-rejects bracketed frames, even when it rejects everything else
        culling.recompute_flags(cat, CullingRules(None, 100.0))
        rows = by_stem(cat)
        assert {n: rows[n].flag for n in rows} == {**{n: "reject" for n in ("B1", "B2", "B3", "S1")},
                                                   **{n: None for n in ("K1", "K2", "K3")}}
        culling.recompute_flags(cat, CullingRules(None, 100.0, burst_gap_seconds=None))  # protection off: they would be
        assert {by_stem(cat)[n].flag for n in ("K1", "K2", "K3")} == {"reject"}
        culling.recompute_flags(cat, CullingRules(None, 0.0))

    code, out, _ = run_cli(capsys, "list", "--bursts", "--db", db)
    assert code == 0
    lines = out.splitlines()
    best_b = max(("B1", "B2", "B3"), key=fused.get)
    best_k = max(("K1", "K2", "K3"), key=fused.get)
    b_at = lines.index(f"burst of 3 in {burst_dir}")
    k_at = lines.index(f"bracket of 3 (bracket: never auto-rejected) in {burst_dir}")
    assert lines[b_at + 1].endswith(f" {best_b}.jpg") and "best" in lines[b_at + 1]
    assert lines[k_at + 1].endswith(f" {best_k}.jpg") and "best" in lines[k_at + 1]
    assert "-1.0 EV" in out and "S1.jpg" not in out
    assert lines[-1] == "2 group(s) of 6 frame(s); 1 frame(s) in no burst"
    code, out, _ = run_cli(capsys, "list", "--bursts", "--json", "--db", db)
    data = json.loads(out)
    assert [(g["kind"], g["size"], g["frames"][0]["name"]) for g in data] == [("burst", 3, f"{best_b}.jpg"),
                                                                               ("bracket", 3, f"{best_k}.jpg")]

    # "reject all but the best": never a frame the user decided on, never a bracketed one
    others = [n for n in ("B1", "B2", "B3") if n != best_b]
    with Catalog.open(db) as cat:
        cat.set_decision(ids[others[0]], rating=3)
    code, out, _ = run_cli(capsys, "flag", "--bursts", "--dry-run", "--db", db)
    assert code == 0 and f"would reject {burst_dir / others[1]}.jpg" in out and "1 frame(s) would reject" in out
    with Catalog.open(db) as cat:
        assert by_stem(cat)[others[1]].flag is None  # a dry run changes nothing
    code, out, _ = run_cli(capsys, "flag", "--bursts", "--folder", burst_dir, "--db", db)
    assert code == 0 and "1 frame(s) rejected in 1 burst(s)" in out
    code, out, _ = run_cli(capsys, "flag", "--bottom", "0", "--db", db)  # re-flagging keeps them
    with Catalog.open(db) as cat:
        rows = by_stem(cat)
        assert (rows[others[1]].flag, rows[others[1]].flag_source) == ("reject", "user")
        assert rows[others[0]].flag is None and rows[others[0]].rating == 3
        assert {rows[n].flag for n in (best_b, "K1", "K2", "K3", "S1")} == {None}


# -- RAW+JPEG pairs ----------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow reading the fake RAW
def test_a_raw_jpeg_pair_is_scored_once_and_a_decision_applies_to_both(settings, tmp_path, tiny_engine, capsys):
    shoot = tmp_path / "shoot"
    write_jpeg(shoot / "IMG_0001.JPG", sample_photos()["coffee"])
    write_jpeg(shoot / "IMG_0002.jpg", sample_photos()["rocket"])
    # The RAW is never decoded: a file LibRaw cannot open shows it (it would be an error row if it were).
    (shoot / "IMG_0001.CR2").write_bytes(b"II*\x00" + bytes(range(256)) * 40)
    before = originals(shoot)
    summary = service.scan(settings, [str(shoot)], engine=tiny_engine, flag_policy=(None, 0.0))
    assert (summary.totals.scored, summary.totals.paired, summary.totals.errors) == (2, 1, 0)
    db = settings.db_path
    with Catalog.open(db) as cat:
        rows = rows_by_name(cat)
        raw, jpg = rows["IMG_0001.CR2"], rows["IMG_0001.JPG"]
        assert cat.score_count() == 2 and cat.score_count(raw.photo_id) == 0
        assert (raw.status, raw.partner_of, raw.fused) == ("scored", jpg.photo_id, jpg.fused)
        assert jpg.partner_of is None and cat.shot_ids(raw.photo_id) == (jpg.photo_id, raw.photo_id)
        assert len(cat.flag_rows()) == 2 and len(cat.latest_fused()) == 2  # ranked and counted once
        cat.set_decision(raw.photo_id, flag="reject", label="Red")  # on the RAW...
        rows = rows_by_name(cat)
        assert {n: (rows[n].flag, rows[n].label) for n in ("IMG_0001.CR2", "IMG_0001.JPG")} == {
            "IMG_0001.CR2": ("reject", "Red"), "IMG_0001.JPG": ("reject", "Red")}  # ...applies to both
    again = service.scan(settings, [str(shoot)], engine=tiny_engine)
    assert again.sync.unchanged == 3 and again.totals.done == 0  # the partner is not queued again

    code, out, err = run_cli(capsys, "xmp", "write", "--naming", "darktable", "--db", db)
    assert code == 0, err
    assert all(xmp.read_sidecar(shoot / f"IMG_0001.{ext}.xmp").rejected for ext in ("CR2", "JPG"))
    code, out, err = run_cli(capsys, "move-rejects", "--to", tmp_path / "rejects", "--folder", shoot, "--db", db)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "rejects").iterdir()) == [
        "IMG_0001.CR2", "IMG_0001.CR2.xmp", "IMG_0001.JPG", "IMG_0001.JPG.xmp"]
    with Catalog.open(db) as cat:
        rows = rows_by_name(cat)
        assert rows["IMG_0001.CR2"].partner_of == rows["IMG_0001.JPG"].photo_id  # moved together, still one shot
        assert rows["IMG_0001.CR2"].folder == str(tmp_path / "rejects")
    assert run_cli(capsys, "undo", "--db", db)[0] == 0
    assert originals(shoot) == before


def fake_score(fused: float, fingerprint: str = "fp") -> PhotoScore:
    views = (ViewScore(box=None, fused=fused, cosine=0.5, magnitude=1.0, w_cosine=0.4, w_magnitude=0.6),)
    return PhotoScore(score=fused, fused=fused, cosine=0.5, magnitude=1.0, w_cosine=0.4, w_magnitude=0.6,
                      mode="fused", protocol="koniq", model="tiny", fingerprint=fingerprint, views=views,
                      scored_size=(300, 224), original_size=(600, 448), embedding=np.ones(4, np.float32),
                      elapsed_ms=1.0)


def test_a_pair_links_in_either_order_and_comes_apart_when_its_jpeg_goes(tmp_path):
    st = FileStat(10, 1)
    with Catalog.open(tmp_path / "catalog.db") as cat:
        # the RAW landed first and was scored alone, and the user rated it
        raw = cat.upsert_photo("/s/IMG.CR2", st)
        cat.record_outcomes([Outcome(raw, "scored", st, stat=st, score=fake_score(0.3))])
        cat.set_decision(raw, rating=4)
        # then its JPEG: scored, and the RAW becomes its partner, the rating now the shot's
        jpg = cat.upsert_photo("/s/IMG.JPG", st)
        cat.record_outcomes([Outcome(jpg, "scored", st, stat=st, score=fake_score(0.7), partners=("/s/IMG.CR2",))])
        rows = {r.name: r for r in cat.gallery_rows()}
        assert rows["IMG.CR2"].partner_of == jpg and rows["IMG.CR2"].fused == pytest.approx(0.7)
        assert rows["IMG.CR2"].rating == rows["IMG.JPG"].rating == 4
        # the other order: a RAW whose JPEG the catalog does not know yet queues the JPEG
        raw2 = cat.upsert_photo("/s/B.CR2", st)
        cat.record_outcomes([Outcome(raw2, "partner", st, stat=st, primary="/s/B.JPG", primary_stat=st)])
        rows = {r.name: r for r in cat.gallery_rows()}
        assert rows["B.JPG"].status == "pending" and rows["B.CR2"].partner_of == rows["B.JPG"].photo_id
        # a RAW that could not be scored alone (no usable preview) is looked at again once its JPEG is scored
        raw3 = cat.upsert_photo("/s/C.CR2", st)
        cat.record_outcomes([Outcome(raw3, "error", st, stat=st, error="cannot be decoded")])
        jpg3 = cat.upsert_photo("/s/C.JPG", st)
        cat.record_outcomes([Outcome(jpg3, "scored", st, stat=st, score=fake_score(0.5), partners=("/s/C.CR2",))])
        rows = {r.name: r for r in cat.gallery_rows()}
        assert (rows["C.CR2"].status, rows["C.CR2"].error, rows["C.CR2"].partner_of) == ("pending", None, jpg3)
        # the JPEG is deleted: the RAW is a shot of its own again, keeps the decision and is queued to be scored
        assert cat.mark_missing("/s/IMG.JPG") == 1
        rows = {r.name: r for r in cat.gallery_rows()}
        assert (rows["IMG.CR2"].partner_of, rows["IMG.CR2"].status, rows["IMG.CR2"].rating) == (None, "pending", 4)
        assert rows["IMG.CR2"].fused == pytest.approx(0.3)  # its own score again


# -- settings and migration ----------------------------------------------------------------------------------


def test_xmp_map_setting_is_validated_and_used(tmp_path, capsys, monkeypatch):
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[xmp]\nmap = "reject=1:Purple,keep=none"\n')
    s = load_settings(settings_file, environ={})
    assert s.xmp_map == "reject=1:Purple,keep=none" and s.sources["xmp_map"] == str(settings_file)
    assert xmp.parse_mapping(s.xmp_map)["reject"] == xmp.Mark(1, "Purple")
    settings_file.write_text('[xmp]\nmap = "reject=9"\n')
    with pytest.raises(SettingsError, match=r"\[xmp\] map: bad XMP mapping entry 'reject=9'"):
        load_settings(settings_file, environ={})
    monkeypatch.setenv("CURATOR_SETTINGS", str(settings_file))
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 2 and err.startswith("curator: error: [xmp] map:") and err.count("\n") == 1



def test_xmp_machine_setting_is_validated_shown_and_used(tmp_path, capsys, monkeypatch):
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[xmp]\nmachine = "label:purple"\n')
    s = load_settings(settings_file, environ={})
    assert xmp.parse_machine(s.xmp_machine) == xmp.Machine("label", "Purple")
    assert load_settings(tmp_path / "none.toml", environ={}).xmp_machine == "keyword"  # the default
    monkeypatch.setenv("CURATOR_SETTINGS", str(settings_file))
    code, out, _err = run_cli(capsys, "config", "show")
    assert code == 0 and "machine" in out and "label:purple" in out
    settings_file.write_text('[xmp]\nmachine = "pink"\n')
    code, out, err = run_cli(capsys, "config", "show")
    assert code == 2 and err.startswith("curator: error: [xmp] machine:") and err.count("\n") == 1

def make_v2_catalog(path: Path) -> None:
    """A catalog as schema 2 left it: a RAW+JPEG pair scored twice, the RAW rejected by the user."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("BEGIN")
    for version in (1, 2):
        MIGRATIONS[version](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 2")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for pid, name, fused in ((1, "IMG_1.JPG", 0.6), (2, "IMG_1.CR2", 0.5), (3, "IMG_2.JPG", 0.4)):
        conn.execute("INSERT INTO photos (id, path, folder, name, size, mtime_ns, status, added_at, updated_at) "
                     "VALUES (?, ?, '/p', ?, 10, 5, 'scored', 0, 0)", (pid, f"/p/{name}", name))
        conn.execute("INSERT INTO scores (photo_id, fingerprint, fused, scored_at) VALUES (?, 'fp', ?, 1.0)",
                     (pid, fused))
    conn.execute("INSERT INTO decisions (photo_id, flag, flag_source, rating, label) VALUES (2, 'reject', 'user', 0, "
                 "NULL)")
    conn.execute("COMMIT")
    conn.close()


def test_schema_2_migrates_linking_pairs_already_in_the_catalog(tmp_path):
    path = tmp_path / "catalog.db"
    make_v2_catalog(path)
    with Catalog.open(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION  # migrated to the newest schema
        rows = {r.name: r for r in cat.gallery_rows()}
        assert rows["IMG_1.CR2"].partner_of == 1 and rows["IMG_1.JPG"].partner_of is None
        assert {n: (rows[n].flag, rows[n].flag_source, rows[n].fused) for n in ("IMG_1.CR2", "IMG_1.JPG")} == {
            "IMG_1.CR2": ("reject", "user", 0.6), "IMG_1.JPG": ("reject", "user", 0.6)}  # one shot, one decision
        assert cat.sidecar_seen(1) is None
        cat.note_sidecar(1, 123)
        assert cat.sidecar_seen(1) == 123
        assert cat.decided_since(0) == []  # a migrated decision has no time: nothing for watch --xmp to redo
        assert cat.integrity_check() == "ok"
    assert (tmp_path / "catalog.db.v2.bak").exists()
    conn = sqlite3.connect(path)
    assert {r[1] for r in conn.execute("PRAGMA index_list(decisions)")} >= {"decisions_decided_at"}
    conn.close()


def test_a_rating_set_over_curators_reject_is_an_unreject(capsys, tmp_path, photo_dir, tiny_model):
    """flag reject -> xmp write (Rating -1) -> 5 stars and Purple set in Lightroom -> scan: no longer rejected."""
    db, model = tmp_path / "cat" / "catalog.db", tiny_model.cli_args()
    assert run_cli(capsys, "scan", photo_dir, "--db", db, "--bottom", "0", *model)[0] == 0
    photo = photo_dir / "coffee.jpg"
    assert run_cli(capsys, "flag", photo, "--set", "reject", "--db", db)[0] == 0
    assert run_cli(capsys, "xmp", "write", "--db", db)[0] == 0
    sidecar = photo_dir / "coffee.xmp"
    assert xmp.read_sidecar(sidecar).rating == -1
    # Lightroom rewrites the rating and label (curator:Rating keeps saying what curator wrote: -1).
    sidecar.write_bytes(xmp._patch(sidecar.read_bytes(), {"Xmp.xmp.Rating": "5", "Xmp.xmp.Label": "Purple"},
                                   sidecar))
    st = os.stat(sidecar)
    os.utime(sidecar, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    assert run_cli(capsys, "scan", photo_dir, "--db", db, "--bottom", "0", *model)[0] == 0
    with Catalog.open(db) as cat:
        row = rows_by_name(cat)["coffee.jpg"]
        assert (row.flag, row.rating, row.label) == (None, 5, "Purple")
    code, out, err = run_cli(capsys, "move-rejects", "--folder", photo_dir, "--to", tmp_path / "rejects", "--dry-run",
                             "--db", db)
    assert code == 0 and "coffee" not in out, out


def test_an_unrated_foreign_sidecar_does_not_unreject(capsys, tmp_path, photo_dir, tiny_model):
    """Rating 0 in a sidecar curator never wrote is many applications' "no rating", not a decision."""
    db, model = tmp_path / "cat" / "catalog.db", tiny_model.cli_args()
    assert run_cli(capsys, "scan", photo_dir, "--db", db, "--bottom", "0", *model)[0] == 0
    assert run_cli(capsys, "flag", photo_dir / "coffee.jpg", "--set", "reject", "--db", db)[0] == 0
    (photo_dir / "coffee.xmp").write_text(lightroom_sidecar('xmp:Rating="0"'))
    assert run_cli(capsys, "scan", photo_dir, "--db", db, "--bottom", "0", *model)[0] == 0
    with Catalog.open(db) as cat:
        assert rows_by_name(cat)["coffee.jpg"].flag == "reject"
