"""The gallery side of the photographer's workflow (issue 6): bursts collapsed to one tile, "reject all but
the best", RAW+JPEG pairs as one tile, and "Write XMP".

Two kinds of catalog: a real `curator scan` (the tests' tiny model) of JPEGs whose EXIF holds capture
times and exposure biases, so bursts come from real embeddings; and catalogs built through the Catalog API
with chosen scores and embeddings, where a test needs exact numbers.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from iqa_engine.testing import sample_photos, write_burst_shoot, write_jpeg
from curator.testing.demo_catalog import add_photo
from ui.grid.gallery_model import PAIR_ROLE

pytestmark = pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow reading the fake RAW


# -- a scanned shoot -----------------------------------------------------------------------------------------

def photo_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.lower().endswith(".xmp")}


@pytest.fixture()
def scanned(tmp_path, tiny_model, tiny_engine, monkeypatch):
    """`curator scan` of: a burst B1-B3 (near-identical frames 0.5 s apart), a bracket K1-K3 (0, -1, +1 EV
    0.3 s apart), a single frame S1, and a RAW+JPEG pair IMG_0001.CR2 + IMG_0001.JPG.
    Returns (settings, folder, {stem or file name: photo id}, {photo id: fused})."""
    from curator.scanning import service
    from curator.catalog import Catalog
    from curator.settings import Settings

    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))
    photos = sample_photos()
    folder = tmp_path / "shoot"
    write_burst_shoot(folder, photos)
    write_jpeg(folder / "IMG_0001.JPG", photos["chelsea"], size=(240, 160))
    (folder / "IMG_0001.CR2").write_bytes(b"II*\x00" + bytes(range(256)) * 40)  # never decoded: paired

    settings = Settings(db=str(tmp_path / "catalog.db"), model=str(tiny_model.config_path),
                        weights=str(tiny_model.weights_path), pretrained=None, settle_seconds=0.0, scan_batch=8)
    service.scan(settings, [str(folder)], engine=tiny_engine, flag_policy=(None, 0.0))
    with Catalog.open(settings.db_path) as cat:
        rows = cat.gallery_rows()
    ids = {Path(r.name).stem if not r.name.startswith("IMG") else r.name: r.photo_id for r in rows}
    fused = {r.photo_id: r.fused for r in rows}
    assert rows and len(rows) == 9
    return settings, folder, ids, fused


def catalog_rows(db: Path) -> dict[int, object]:
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        return {r.photo_id: r for r in cat.gallery_rows()}


def open_with_bursts(open_window, qtbot, db: Path, settings=None, bursts: int = 2):
    w = open_window(db, settings=settings)
    qtbot.waitUntil(lambda: len(w.model.burst_groups()) == bursts, timeout=10_000)
    return w


def test_bursts_collapse_to_their_best_frame_and_expand_with_a_key(scanned, open_window, qtbot):
    settings, folder, ids, fused = scanned
    w = open_with_bursts(open_window, qtbot, settings.db_path, settings)
    burst = [ids[n] for n in ("B1", "B2", "B3")]
    bracket = [ids[n] for n in ("K1", "K2", "K3")]
    best_b = max(burst, key=fused.get)
    best_k = max(bracket, key=fused.get)

    # one tile per burst, its best frame on top; the RAW of the pair is not a tile of its own
    shown = w.proxy.photo_ids()
    assert sorted(shown) == sorted([best_b, best_k, ids["S1"], ids["IMG_0001.JPG"]])
    tile = w.proxy.burst_tile(best_b)
    assert (tile.size, tile.state, tile.is_best, tile.is_bracket) == (3, "collapsed", True, False)
    assert w.proxy.burst_tile(best_k).is_bracket  # the bracket marker
    assert w.proxy.burst_tile(ids["S1"]) is None
    w.view.viewport().repaint()  # the stacked tiles, the "×3" and "±EV" badges paint without trouble
    w._update_counts()
    assert "2 bursts (6 frames)" in w.status.summary_label.text() and "1 RAW+JPEG pair" in w.status.summary_label.text()

    # S expands the burst under the selection: all its frames, together, the best first
    w.select_photo(best_b)
    qtbot.keyClick(w.view, Qt.Key.Key_S)
    shown = w.proxy.photo_ids()
    at = shown.index(best_b)
    assert shown[at:at + 3] == [best_b] + [i for i in burst if i != best_b]  # the rest in capture order
    assert [w.proxy.burst_tile(i).state for i in burst] == ["expanded"] * 3
    assert [w.proxy.burst_tile(i).position for i in burst] == [1, 2, 3]
    assert w.current_photo_id() == best_b
    w.view.viewport().repaint()
    # and collapses it again (B does the same), the selection on the burst's tile
    w.select_photo(next(i for i in burst if i != best_b))
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    assert best_b in w.proxy.photo_ids() and len(w.proxy.photo_ids()) == 4
    assert w.current_photo_id() == best_b

    # the toolbar toggle shows every frame (still one tile for the RAW+JPEG pair)
    w.workflow_bar.collapse_action.trigger()
    assert not w.proxy.collapse_bursts
    assert sorted(w.proxy.photo_ids()) == sorted(burst + bracket + [ids["S1"], ids["IMG_0001.JPG"]])
    assert w.proxy.burst_tile(best_b) is None
    w.workflow_bar.collapse_action.trigger()
    assert len(w.proxy.photo_ids()) == 4


def test_reject_all_but_the_best_of_the_selected_burst(scanned, open_window, qtbot):
    from curator.catalog import Catalog

    settings, folder, ids, fused = scanned
    burst = [ids[n] for n in ("B1", "B2", "B3")]
    best = max(burst, key=fused.get)
    rated, other = [i for i in burst if i != best]
    with Catalog.open(settings.db_path) as cat:
        cat.set_decision(rated, rating=3)  # the user's own decision: never overridden
    w = open_with_bursts(open_window, qtbot, settings.db_path, settings)
    w.select_photo(best)
    qtbot.keyClick(w.view, Qt.Key.Key_X, Qt.KeyboardModifier.ShiftModifier)
    assert w.current_photo_id() != best  # on to the next tile, as after any decision

    qtbot.waitUntil(lambda: catalog_rows(settings.db_path)[other].flag == "reject", timeout=10_000)
    rows = catalog_rows(settings.db_path)
    assert rows[other].flag_source == "user"
    assert (rows[best].flag, rows[rated].flag, rows[rated].rating) == (None, None, 3)
    assert {rows[ids[n]].flag for n in ("K1", "K2", "K3", "S1")} == {None}  # other groups untouched
    qtbot.waitUntil(lambda: w.model.photo(other).flag == "reject", timeout=5000)
    assert "Rejected 1 frame" in w.status.message_label.text()
    assert w.proxy.photo_ids().count(best) == 1 and other not in w.proxy.photo_ids()  # still collapsed

    # a bracket is never rejected, and a photo outside any burst says so
    w.select_photo(max((ids[n] for n in ("K1", "K2", "K3")), key=fused.get))
    qtbot.keyClick(w.view, Qt.Key.Key_X, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "Nothing rejected" in w.status.message_label.text(), timeout=10_000)
    w.select_photo(ids["S1"])
    qtbot.keyClick(w.view, Qt.Key.Key_X, Qt.KeyboardModifier.ShiftModifier)
    assert "Not part of a burst" in w.status.message_label.text()
    assert {catalog_rows(settings.db_path)[ids[n]].flag for n in ("K1", "K2", "K3", "S1")} == {None}


def test_a_raw_jpeg_pair_is_one_tile_and_a_decision_reaches_both_files(scanned, open_window, qtbot):
    settings, folder, ids, fused = scanned
    jpg, raw = ids["IMG_0001.JPG"], ids["IMG_0001.CR2"]
    w = open_window(settings.db_path, settings=settings)
    assert w.model.photo(raw).partner_of == jpg
    assert raw not in w.proxy.photo_ids() and jpg in w.proxy.photo_ids()
    r = w.proxy.proxy_row_for_id(jpg)
    assert w.proxy.index(r, 0).data(PAIR_ROLE) == "RAW+JPG"
    assert "IMG_0001.CR2" in w.proxy.index(r, 0).data(Qt.ItemDataRole.ToolTipRole)
    for name in ("rejects", "all"):  # no filter shows the RAW as a tile of its own
        w.set_filter(name)
        assert raw not in w.proxy.photo_ids()

    w.select_photo(jpg)
    w.set_detail_visible(True)
    assert str(folder / "IMG_0001.CR2") in w.detail.path.text()
    w.select_photo(jpg)
    qtbot.keyClick(w.view, Qt.Key.Key_X)
    assert w.model.photo(raw).flag == "reject"  # shown at once on both rows
    assert "RAW+JPG" in w.status.message_label.text()
    qtbot.waitUntil(lambda: {catalog_rows(settings.db_path)[i].flag for i in (jpg, raw)} == {"reject"},
                    timeout=10_000)
    rows = catalog_rows(settings.db_path)
    assert rows[raw].flag_source == rows[jpg].flag_source == "user"
    # the refresh after the decision brought back both rows as the catalog holds them
    qtbot.waitUntil(lambda: w.model.photo(raw) == rows[raw] and w.model.photo(jpg) == rows[jpg], timeout=5000)
    w.set_filter("rejects")
    assert w.proxy.photo_ids() == [jpg]


def test_write_xmp_writes_sidecars_on_the_catalog_thread_and_never_touches_the_photos(
        scanned, open_window, qtbot, monkeypatch):
    from curator.actions import sidecar_sync as sidecars
    from curator.disk import xmp
    from curator.catalog import Catalog

    settings, folder, ids, fused = scanned
    with Catalog.open(settings.db_path) as cat:
        cat.set_decision(ids["IMG_0001.CR2"], flag="reject")  # on the RAW: the pair's decision
        cat.set_decision(ids["S1"], flag="pick", rating=5)
    before = photo_hashes(folder)
    threads = []
    original = sidecars.SidecarWriter.write_all

    def spy(self, roots):
        threads.append(threading.current_thread())
        return original(self, roots)

    monkeypatch.setattr(sidecars.SidecarWriter, "write_all", spy)
    w = open_window(settings.db_path, settings=settings)
    w.workflow_bar.xmp_button.click()  # the chosen folder: none, so every folder
    qtbot.waitUntil(lambda: w.xmp.last_result is not None, timeout=20_000)
    assert threads and threads[0] is not threading.main_thread()

    result = w.xmp.last_result
    assert result.roots == (str(folder),) and result.naming == "adobe"
    assert (result.written, result.unchanged, result.clashes, result.failures) == (8, 0, (), ())
    assert "8 written" in w.status.message_label.text() and "0 unchanged" in w.status.message_label.text()
    assert xmp.read_sidecar(folder / "IMG_0001.xmp").rejected  # one Adobe sidecar for the pair's two files
    s1 = xmp.read_sidecar(folder / "S1.xmp")
    assert (s1.rating, s1.label) == (5, "Green")
    assert xmp.read_sidecar(folder / "K1.xmp").rating is None  # scored, undecided: no rating written
    assert photo_hashes(folder) == before  # the photos' bytes are untouched

    # again: nothing to change
    w.xmp.last_result = None
    w.write_xmp("all")
    qtbot.waitUntil(lambda: w.xmp.last_result is not None, timeout=20_000)
    assert (w.xmp.last_result.written, w.xmp.last_result.unchanged) == (0, 8)


# -- catalogs built through the Catalog API --------------------------------------------------------------------

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@pytest.fixture()
def two_bursts(tmp_path):
    """Two shoots: a 4-frame burst in one, a 3-frame burst in the other (exact scores, chosen embeddings),
    plus a frame alone in each. Returns (db, {name: photo id})."""
    from curator.catalog import Catalog

    rng = np.random.default_rng(1)
    photos = sample_photos()
    ids: dict[str, int] = {}
    db = tmp_path / "catalog.db"
    with Catalog.open(db) as cat:
        for shoot, n, scores, t0 in (("a", 4, (0.52, 0.71, 0.48, 0.66), "10:00"), ("b", 3, (0.6, 0.3, 0.5), "11:00")):
            look = _unit(rng.normal(size=8))
            for i in range(n):
                name = f"{shoot}{i + 1}"
                path = write_jpeg(tmp_path / shoot / f"{name}.jpg", photos["astronaut"], size=(96, 96))
                ids[name] = add_photo(cat, path, scores[i], capture_time=f"2024-05-01T{t0}:0{i}.500",
                                      embedding=look + rng.normal(0, 0.01, 8))
            path = write_jpeg(tmp_path / shoot / f"{shoot}-alone.jpg", photos["rocket"], size=(96, 64))
            ids[f"{shoot}-alone"] = add_photo(cat, path, 0.4, capture_time=f"2024-05-01T{t0}:30",
                                              embedding=_unit(rng.normal(size=8)))
    return db, ids


def test_reject_all_but_the_best_in_every_burst_of_the_folder_asks_first(two_bursts, open_window, qtbot):
    from curator.catalog import Catalog

    db, ids = two_bursts
    with Catalog.open(db) as cat:
        cat.set_decision(ids["a3"], flag="pick")  # decided: kept
        cat.set_decision(ids["a1"], label="Blue")  # decided too
    w = open_with_bursts(open_window, qtbot, db)
    assert len(w.proxy.photo_ids()) == 4  # two bursts, two lone frames
    assert w.proxy.burst_tile(ids["a2"]).size == 4 and w.proxy.burst_tile(ids["b1"]).size == 3

    questions = []
    w.confirm = lambda title, text: questions.append(text) or False  # "No"
    folder_a = str(Path(w.model.photo(ids["a1"]).folder))
    w.set_folder(folder_a)
    w.workflow_bar.reject_folder_action.trigger()
    qtbot.waitUntil(lambda: bool(questions), timeout=10_000)
    assert questions[0].startswith("Reject 1 frame in 1 burst in ")  # a4 only: a2 is the best, a1 and a3 decided
    assert "Nothing rejected" in w.status.message_label.text()
    assert {r.flag for r in catalog_rows(db).values() if r.photo_id in (ids["a4"], ids["b2"], ids["b3"])} == {None}

    w.confirm = lambda title, text: questions.append(text) or True  # "Yes", now for every folder
    w.set_folder(None)
    w.workflow_bar.reject_folder_action.trigger()
    qtbot.waitUntil(lambda: len(questions) == 2, timeout=10_000)
    assert questions[1].startswith("Reject 3 frames in 2 bursts in every folder")
    qtbot.waitUntil(lambda: catalog_rows(db)[ids["b3"]].flag == "reject", timeout=10_000)
    rows = catalog_rows(db)
    assert {n: rows[ids[n]].flag for n in ("a1", "a2", "a3", "a4", "b1", "b2", "b3", "a-alone", "b-alone")} == {
        "a1": None, "a2": None, "a3": "pick", "a4": "reject", "b1": None, "b2": "reject", "b3": "reject",
        "a-alone": None, "b-alone": None}
    assert {rows[ids[n]].flag_source for n in ("a4", "b2", "b3")} == {"user"}
    qtbot.waitUntil(lambda: "Rejected 3 frames in 2 bursts" in w.status.message_label.text(), timeout=5000)


def test_the_tile_for_a_burst_follows_the_filter(two_bursts, open_window, qtbot):
    """With a filter on, a collapsed burst shows its best frame that passes the filter; decisions on
    its frames (from the keyboard or another process) re-stack it."""
    from curator.catalog import Catalog

    db, ids = two_bursts
    w = open_with_bursts(open_window, qtbot, db)
    w.set_filter("picks")
    assert w.proxy.photo_ids() == []
    with Catalog.open(db) as cat:  # another process picks two frames of the first burst
        cat.set_decision(ids["a1"], flag="pick")
        cat.set_decision(ids["a3"], flag="pick")
    qtbot.waitUntil(lambda: w.proxy.photo_ids() == [ids["a1"]], timeout=5000)  # the better of the two picks
    assert w.proxy.burst_tile(ids["a1"]).state == "collapsed"
    w.select_photo(ids["a1"])
    qtbot.keyClick(w.view, Qt.Key.Key_S)
    assert w.proxy.photo_ids() == [ids["a1"], ids["a3"]]
    w.set_filter("all")
    shown = w.proxy.photo_ids()
    at = shown.index(ids["a2"])  # the best on top of the expanded burst, the rest after it
    assert shown[at:at + 4] == [ids["a2"], ids["a1"], ids["a3"], ids["a4"]]
    qtbot.keyClick(w.view, Qt.Key.Key_S)
    assert len(w.proxy.photo_ids()) == 4


def test_a_frame_that_lands_later_joins_its_burst(two_bursts, open_window, qtbot):
    """A watcher in another process scores one more frame of a burst: the folder is regrouped and the
    tile's count follows, without a restart."""
    from curator.catalog import Catalog

    db, ids = two_bursts
    w = open_with_bursts(open_window, qtbot, db)
    assert w.proxy.burst_tile(ids["a2"]).size == 4
    folder = Path(w.model.photo(ids["a1"]).folder)
    with Catalog.open(db) as cat:
        look = cat.embedding(ids["a4"])
        late = add_photo(cat, write_jpeg(folder / "a5.jpg", sample_photos()["astronaut"], size=(96, 96)), 0.9,
                         capture_time="2024-05-01T10:00:04.500", embedding=look)
    qtbot.waitUntil(lambda: w.proxy.burst_tile(late) is not None and w.proxy.burst_tile(late).size == 5,
                    timeout=10_000)
    assert late in w.proxy.photo_ids() and ids["a2"] not in w.proxy.photo_ids()  # the new best is on top
    assert w.proxy.burst_tile(late).is_best and w.proxy.burst_tile(late).state == "collapsed"


def test_write_xmp_reports_clashes_in_a_dialog(tmp_path, open_window, qtbot):
    """IMG.CR2 and IMG.DNG are two shots that would share the Adobe sidecar IMG.xmp: not written, and said."""
    from curator.disk import xmp
    from curator.catalog import Catalog

    folder = tmp_path / "shoot"
    folder.mkdir()
    db = tmp_path / "catalog.db"
    with Catalog.open(db) as cat:
        for name in ("IMG.CR2", "IMG.DNG"):
            (folder / name).write_bytes(b"II*\x00 not really a raw file")
            add_photo(cat, folder / name, 0.5)
        add_photo(cat, write_jpeg(folder / "OTHER.jpg", sample_photos()["coffee"], size=(96, 64)), 0.6)
    w = open_window(db)
    w.set_folder(str(folder))
    w.write_xmp("folder")
    qtbot.waitUntil(lambda: w.xmp.last_result is not None, timeout=20_000)
    assert (w.xmp.last_result.written, len(w.xmp.last_result.clashes)) == (1, 1)
    assert "1 clash" in w.status.message_label.text()
    assert w.xmp.dialog is not None and w.xmp.dialog.isVisible()
    assert "IMG.xmp" in w.xmp.dialog.informativeText()
    assert not (folder / "IMG.xmp").exists() and xmp.read_sidecar(folder / "OTHER.xmp").verdict == "keep"
