"""The taste model end to end: `curator learn` on a real catalog of scanned photos, its stored record,
the taste values in list, export and the flag policy, new photos, another engine, the refusals,
sidecar imports, migrations and watch's retraining.

The shoot is 60 degraded copies of scikit-image's photos (curator.testing.taste_users), scanned
with the tiny model (random weights). The "user" picks the darker half and rejects the others, and
leaves 10 frames undecided. What the model scores here is plumbing: with random weights and no stored
measurements, its figures say nothing about how well taste can be learned (test_taste_users does).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import curator.catalog.connection as connection
from curator.testing.taste_users import degraded_variants, measurements
from curator.catalog import MIGRATIONS, Catalog, SidecarImport
from curator.cli import main
from curator.actions.taste_learning import Retrainer, learn
from curator.taste import TasteModel
from iqa_engine.testing import build_tiny_model
from cli_support import run_cli

N_PHOTOS, UNDECIDED = 60, 10


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture(scope="module")
def decided_shoot(tmp_path_factory, tiny_model):
    """(folder, catalog path, {photo id: 1 keep / 0 reject}) of a scanned, decided shoot (copied per test)."""
    root = tmp_path_factory.mktemp("taste-shoot")
    variants = degraded_variants(seed=1)[:N_PHOTOS]
    folder = root / "shoot"
    folder.mkdir()
    for v in variants:
        Image.fromarray(v.pixels).save(folder / f"{v.name}.jpg", quality=92)
    db = root / "catalog" / "catalog.db"
    assert main(["scan", str(folder), "--db", str(db), "--settle", "0", *tiny_model.cli_args()]) == 0
    luminance = measurements(variants)["luminance"]
    keeps = luminance < np.median(luminance)  # a low-key photographer: keeps the darker half
    labels = {}
    with Catalog.open(db) as catalog:
        for i, (v, keep) in enumerate(zip(variants, keeps, strict=True)):
            pid = catalog.photo_id_for_path(str((folder / f"{v.name}.jpg").resolve()))
            if i < N_PHOTOS - UNDECIDED:
                catalog.set_decision(pid, flag="pick" if keep else "reject")
                labels[pid] = int(keep)
    return folder, db, labels


@pytest.fixture()
def shoot(decided_shoot, tmp_path):
    folder, db, labels = decided_shoot
    copy = tmp_path / "catalog" / "catalog.db"
    copy.parent.mkdir()
    for f in db.parent.iterdir():
        shutil.copy(f, copy.parent / f.name)
    return folder, copy, labels


def taste_state(db: Path) -> tuple:
    """Everything the taste feature may write: models, values, decisions, flags policy."""
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT * FROM taste_models").fetchall(), conn.execute("SELECT * FROM taste").fetchall(),
                conn.execute("SELECT * FROM decisions ORDER BY photo_id").fetchall(),
                conn.execute("SELECT * FROM meta ORDER BY key").fetchall())
    finally:
        conn.close()


def test_learn_reports_its_figures_beside_the_score_and_stores_a_versioned_record(capsys, shoot):
    folder, db, labels = shoot
    code, out, err = run_cli(capsys, "learn", "--db", db, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert {"auc", "balanced_accuracy", "baseline_auc", "n_positive", "n_negative"} <= set(report)
    assert report["n_positive"] == sum(labels.values())
    assert report["n_negative"] == len(labels) - sum(labels.values())
    assert 0.0 <= report["auc"] <= 1.0 and 0.0 <= report["baseline_auc"] <= 1.0
    assert report["applied"] == N_PHOTOS  # every scored photo, decided or not

    code, out, _ = run_cli(capsys, "learn", "--db", db, "--show", "--json")
    shown = json.loads(out)
    with Catalog.open(db) as catalog:
        fingerprint = catalog.fingerprints()[0][0]
        stored = catalog.taste_model()
    assert shown["model_id"] == report["model_id"] == stored.model_id
    assert shown["applicable"] is True and shown["record"]["fingerprint"] == fingerprint
    assert shown["record"]["metrics"]["auc"] == report["auc"]
    # the scan stored each photo's quality dimensions and measurements, so they are features too;
    # no EXIF in these JPEGs
    assert {g["group"] for g in shown["record"]["groups"]} == {"embedding", "cues", "dimensions", "measures"}
    assert json.loads(stored.record) == shown["record"]  # JSON in the catalog, nothing else

    # trained again on the same decisions: a new version with the same coefficients
    code, out, _ = run_cli(capsys, "learn", "--db", db, "--json")
    assert json.loads(out)["model_id"] == report["model_id"] + 1
    with Catalog.open(db) as catalog:
        again = json.loads(catalog.taste_model().record)
    for record in (again, shown["record"]):
        record.pop("trained_at")
    assert again == shown["record"]

    code, out, _ = run_cli(capsys, "learn", "--db", db, "--show")
    assert code == 0 and f"taste model {report['model_id'] + 1}, trained" in out and "AUC" in out


def test_taste_values_in_list_and_export(capsys, shoot):
    folder, db, labels = shoot
    assert run_cli(capsys, "learn", "--db", db)[0] == 0
    code, out, _ = run_cli(capsys, "list", "--db", db, "--sort", "-taste", "--json")
    rows = json.loads(out)
    values = [r["taste"] for r in rows]
    assert len(values) == N_PHOTOS and all(0.0 < v < 1.0 for v in values)
    assert values == sorted(values, reverse=True)
    code, out, _ = run_cli(capsys, "list", "--db", db, "--sort", "taste", "--json")
    assert [r["taste"] for r in json.loads(out)] == sorted(values)
    # the model agrees with the user it learned from, on the photos it learned from
    by_id = {r["photo_id"]: r["taste"] for r in rows}
    keeps = [by_id[i] for i, k in labels.items() if k]
    rejects = [by_id[i] for i, k in labels.items() if not k]
    assert np.mean(keeps) > np.mean(rejects)

    code, out, _ = run_cli(capsys, "list", "--db", db, "--sort", "-taste", "--limit", "2")
    header, first = out.splitlines()[:2]
    assert header.split()[:2] == ["fused", "taste"] and f"{values[0]:5.3f}" in first
    code, out, _ = run_cli(capsys, "export", "--db", db, "--format", "csv")
    exported = {int(r["photo_id"]): float(r["taste"]) for r in csv.DictReader(io.StringIO(out))}
    assert exported == pytest.approx(by_id)


def test_new_photos_get_their_taste_value_as_they_are_scored(capsys, shoot, tiny_model):
    folder, db, labels = shoot
    assert run_cli(capsys, "learn", "--db", db)[0] == 0
    extra = degraded_variants(seed=7)[:2]
    for v in extra:
        Image.fromarray(v.pixels).save(folder / f"new-{v.name}.jpg", quality=92)
    try:
        assert run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *tiny_model.cli_args())[0] == 0
        code, out, _ = run_cli(capsys, "list", "--db", db, "--json")
        new = [r for r in json.loads(out) if r["name"].startswith("new-")]
        assert len(new) == 2 and all(r["taste"] is not None for r in new)
    finally:
        for v in extra:
            (folder / f"new-{v.name}.jpg").unlink()


def test_flag_by_taste_rejects_the_least_likely_keeps_and_never_a_user_decision(capsys, shoot):
    folder, db, labels = shoot
    code, _, err = run_cli(capsys, "flag", "--db", db, "--by", "taste")
    assert code == 2 and "no taste model yet" in err and len(err.strip().splitlines()) == 1
    assert run_cli(capsys, "learn", "--db", db)[0] == 0
    code, out, err = run_cli(capsys, "flag", "--db", db, "--by", "taste", "--bottom", "30")
    assert code == 0, err
    assert "bottom 30% of each folder by taste" in out
    code, out, _ = run_cli(capsys, "list", "--db", db, "--json")
    rows = json.loads(out)
    ranked = sorted(rows, key=lambda r: (r["taste"], r["photo_id"]))
    lowest = {r["photo_id"] for r in ranked[:18]}  # floor(60 * 30%)
    assert {r["photo_id"] for r in rows if r["low_quality"]} == lowest
    for r in rows:
        if r["photo_id"] in labels:  # decided by the user: untouched
            assert (r["flag"], r["flag_source"]) == ("pick" if labels[r["photo_id"]] else "reject", "user")
        else:
            assert r["flag"] == ("reject" if r["photo_id"] in lowest else None)
    with Catalog.open(db) as catalog:
        assert catalog.flag_basis() == "taste"
    assert run_cli(capsys, "flag", "--db", db, "--by", "score")[0] == 0
    with Catalog.open(db) as catalog:
        assert catalog.flag_basis() == "score"


def test_a_model_from_another_engine_is_not_applied(capsys, shoot, tmp_path):
    folder, db, labels = shoot
    assert run_cli(capsys, "learn", "--db", db)[0] == 0
    other = build_tiny_model(tmp_path / "other-model", seed=1)  # other weights: another fingerprint
    assert run_cli(capsys, "scan", folder, "--db", db, "--settle", "0", *other.cli_args())[0] == 0
    code, out, _ = run_cli(capsys, "learn", "--db", db, "--show", "--json")
    assert json.loads(out)["applicable"] is False
    code, out, _ = run_cli(capsys, "learn", "--db", db, "--show")
    assert "run `curator learn` to retrain" in out
    before = taste_state(db)
    code, _, err = run_cli(capsys, "flag", "--db", db, "--by", "taste")
    assert code == 2 and "run `curator learn` again" in err and len(err.strip().splitlines()) == 1
    assert taste_state(db) == before
    code, out, _ = run_cli(capsys, "learn", "--db", db, "--json")  # retrained on the new engine's features
    with Catalog.open(db) as catalog:
        assert TasteModel.from_json(catalog.taste_model().record).fingerprint == catalog.fingerprints()[0][0]


def test_refusals_are_one_line_and_change_nothing(capsys, shoot, tmp_path):
    folder, db, labels = shoot
    with Catalog.open(db) as catalog:  # 19 rejects: one short
        rejects = [pid for pid, k in labels.items() if not k]
        for pid in rejects[19:]:
            catalog.set_decision(pid, flag=None, rating=0)
    before = taste_state(db)
    code, out, err = run_cli(capsys, "learn", "--db", db)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"curator: error: too few decisions to learn from: {sum(labels.values())} "
                                        "keeps and 19 rejects; at least 20 of each are needed"]
    assert taste_state(db) == before

    with Catalog.open(db) as catalog:  # keeps only
        for pid in rejects[:19]:
            catalog.set_decision(pid, flag=None)
    before = taste_state(db)
    code, out, err = run_cli(capsys, "learn", "--db", db)
    assert code == 2 and "all your decisions say the same" in err and len(err.strip().splitlines()) == 1
    assert taste_state(db) == before

    code, _, err = run_cli(capsys, "learn", "--db", db, "--show")
    assert code == 2 and "no taste model yet" in err

    empty = tmp_path / "empty" / "catalog.db"
    with Catalog.open(empty):
        pass
    code, _, err = run_cli(capsys, "learn", "--db", empty)
    assert code == 2 and "no photo has been scored yet" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "learn", "--db", tmp_path / "nowhere.db")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_decisions_imported_from_sidecars_count_only_when_asked(shoot):
    folder, db, labels = shoot
    with Catalog.open(db) as catalog:
        undecided = [r.photo_id for r in catalog.gallery_rows() if r.photo_id not in labels]
        catalog.import_sidecar_decisions([SidecarImport(pid, 1, rating=1) for pid in undecided[:4]])
        assert {d.photo_id for d in catalog.taste_decisions()} == set(labels)
        assert {d.photo_id for d in catalog.taste_decisions(include_imported=True)} == set(labels) | set(undecided[:4])
        catalog.set_decision(undecided[0], rating=2)  # changed here: the user's own decision now
        assert {d.photo_id for d in catalog.taste_decisions()} == set(labels) | {undecided[0]}
        plain = learn(catalog, now=1.0)
        more = learn(catalog, include_imported=True, now=1.0)
    assert more.model.n_negative == plain.model.n_negative + 3  # 1 star is a reject; 2 stars says neither


def test_a_trained_model_survives_migrations(shoot, monkeypatch):
    folder, db, labels = shoot
    with Catalog.open(db) as catalog:
        learn(catalog)
        record, rows = catalog.taste_model().record, catalog.gallery_rows()
    # a later schema step, as a future version would add one: the model and every value stay
    version = connection.SCHEMA_VERSION
    monkeypatch.setitem(MIGRATIONS, version + 1, lambda d: d.execute("CREATE TABLE later (x INTEGER)"))
    monkeypatch.setattr(connection, "SCHEMA_VERSION", version + 1)
    with Catalog.open(db) as catalog:
        assert catalog.schema_version() == version + 1
        assert catalog.taste_model().record == record
        assert [(r.photo_id, r.taste) for r in catalog.gallery_rows()] == [(r.photo_id, r.taste) for r in rows]
    assert (db.parent / f"catalog.db.v{version}.bak").exists()


def test_watch_retrains_after_every_n_decisions(shoot):
    folder, db, labels = shoot
    said: list[str] = []
    with Catalog.open(db) as catalog:
        retrainer = Retrainer(lambda: Catalog.open(db), every=5, say=said.append)
        for pid in list(labels)[:5]:
            catalog.set_decision(pid, rating=4)
        assert retrainer.poke(catalog) is False  # no model yet: watch never starts one
        first = learn(catalog).model_id
        assert retrainer.poke(catalog) is False  # nothing decided since
        for pid in list(labels)[:4]:
            catalog.set_decision(pid, rating=5)
        assert retrainer.poke(catalog) is False  # 4 < 5
        catalog.set_decision(list(labels)[4], rating=5)
        assert retrainer.poke(catalog) is True
        retrainer.join(timeout=120)
        assert retrainer.trained == 1 and catalog.taste_model().model_id == first + 1
        assert said and said[0].startswith("taste model retrained on 50 decisions")
        assert retrainer.poke(catalog) is False  # counted again from the new model


def test_a_running_watch_retrains_in_the_background(shoot, tiny_model):
    from catalog_support import running_watch, wait_for

    from curator.settings import Settings

    folder, db, labels = shoot
    with Catalog.open(db) as catalog:
        first = learn(catalog).model_id
    # the engine the shoot was scanned with (same fingerprint: nothing to rescore), retraining every 5 decisions
    settings = Settings(db=str(db), model=str(tiny_model.config_path), weights=str(tiny_model.weights_path),
                        settle_seconds=0.3, poll_interval_seconds=0.05, taste_retrain_every=5)
    with running_watch(settings, [folder], None) as service, Catalog.open(db) as catalog:
        for pid in list(labels)[:4]:
            catalog.set_decision(pid, rating=4)
        assert service.retrainer is not None
        for pid in list(labels)[4:5]:
            catalog.set_decision(pid, rating=4)
        wait_for(lambda: catalog.taste_model().model_id > first, timeout=120, what="a retrained taste model")
        wait_for(lambda: service.retrainer.trained == 1, timeout=30, what="the retrainer's count")
        assert catalog.queue_length() == 0  # nothing was rescored: the model was retrained on the same features
