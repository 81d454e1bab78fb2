"""`curator tags`, `search`, `dupes` and `scan --embeddings-only` end to end: real catalog file, the tiny
model through --model/--weights, real photos. Random weights: the tests check ordering against a
brute-force ranking and the plumbing, not which photos a real CLIP would find.

The tiny model's image embeddings of different photographs agree to 1e-5 (random weights collapse
them), which leaves their order to float rounding; the ranking tests therefore give the scanned
photos chosen, well-separated embeddings (same engine fingerprint) before searching."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from iqa_engine.testing import write_jpeg

from curator.catalog import Catalog
from cli_support import run_cli


pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "cat" / "catalog.db"


@pytest.fixture()
def library(capsys, db, photo_dir, tiny_model, tmp_path):
    """The five photographs, a byte copy of one in backup/, and a quality-80 re-save of another in exports/."""
    (tmp_path / "backup").mkdir()
    shutil.copy2(photo_dir / "coffee.jpg", tmp_path / "backup" / "coffee.jpg")
    from PIL import Image

    write_jpeg(tmp_path / "exports" / "rocket-small.jpg", np.asarray(Image.open(photo_dir / "rocket.jpg")),
               size=(320, 213), quality=80)
    code, _, err = run_cli(capsys, "scan", tmp_path / "shoot", tmp_path / "backup", tmp_path / "exports",
                           "--db", db, "--settle", "0", *tiny_model.cli_args())
    assert code == 0, err
    return tmp_path


def _spread_embeddings(db) -> None:
    """Well-separated unit vectors in place of the scanned photos' embeddings (see the module docstring)."""
    from curator.catalog import ClipEmbedding

    rng = np.random.default_rng(7)
    with Catalog.open(db) as cat:
        fp = cat.clip_fingerprints()[0][0]
        ids = cat.clip_embedding_matrix(fp).photo_ids
        vectors = rng.normal(size=(len(ids), 32))
        cat.record_clip_embeddings([(pid, ClipEmbedding(v / np.linalg.norm(v), fp, 0))
                                    for pid, v in zip(ids, vectors, strict=True)])


def _brute(db, vector: np.ndarray) -> list[str]:
    with Catalog.open(db) as cat:
        fp = cat.clip_fingerprints()[0][0]
        m = cat.clip_embedding_matrix(fp)
        paths = {r.photo_id: r.path for r in cat.gallery_rows()}
    v = m.vectors.astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    sims = v @ (vector / np.linalg.norm(vector))
    return [paths[m.photo_ids[i]] for i in np.argsort(-sims, kind="stable")]


def test_search_by_text_ranks_like_brute_force_cosine(capsys, db, library, tiny_model, tiny_engine) -> None:
    _spread_embeddings(db)
    code, out, err = run_cli(capsys, "search", "a cat on a sofa", "--db", db, "--json", *tiny_model.cli_args())
    assert code == 0, err
    got = json.loads(out)
    assert [g["path"] for g in got] == _brute(db, tiny_engine.encode_query("a cat on a sofa").astype(np.float64))
    assert all(set(g) == {"path", "similarity", "fused"} for g in got)
    code, out, _ = run_cli(capsys, "search", "a cat", "--db", db, "--limit", "2", "--folder", library / "backup",
                           *tiny_model.cli_args())
    assert code == 0 and out.splitlines()[1].endswith("backup/coffee.jpg") and len(out.splitlines()) == 2
    code, out, _ = run_cli(capsys, "search", "a cat", "--db", db, "--limit", "3", "--json", *tiny_model.cli_args())
    assert [g["path"] for g in json.loads(out)] == [g["path"] for g in got][:3]


def test_search_like_a_photo_leaves_it_out(capsys, db, library) -> None:
    _spread_embeddings(db)
    photo = library / "shoot" / "chelsea.jpg"
    code, out, err = run_cli(capsys, "search", "--like", photo, "--db", db, "--json")
    assert code == 0, err
    got = [g["path"] for g in json.loads(out)]
    with Catalog.open(db) as cat:
        fp = cat.clip_fingerprints()[0][0]
        vector = cat.clip_embedding(cat.photo_id_for_path(str(photo)), fp).astype(np.float64)
    assert got == [p for p in _brute(db, vector) if p != str(photo)]


@pytest.mark.parametrize("argv, message", [
    (["search"], "give a TEXT"), (["search", "x", "--like", "y.jpg"], "give a TEXT"),
    (["search", "--like", "/nowhere/x.jpg"], "not in the catalog"), (["dupes", "--threshold", "3"], "between -1 and 1"),
])
def test_usage_errors_are_one_line(capsys, db, library, argv, message) -> None:
    code, _, err = run_cli(capsys, *argv, "--db", db)
    assert code == 2 and message in err and "Traceback" not in err


def test_dupes_finds_the_copy_and_the_resave_best_first(capsys, db, library) -> None:
    code, out, err = run_cli(capsys, "dupes", "--db", db, "--json")
    assert code == 0, err
    groups = json.loads(out)
    assert sorted(sorted(g) for g in groups) == sorted([
        sorted([str(library / "shoot" / "coffee.jpg"), str(library / "backup" / "coffee.jpg")]),
        sorted([str(library / "shoot" / "rocket.jpg"), str(library / "exports" / "rocket-small.jpg")])])
    with Catalog.open(db) as cat:
        fused = {r.path: r.fused for r in cat.gallery_rows()}
    for g in groups:
        assert [fused[p] for p in g] == sorted((fused[p] for p in g), reverse=True)
    code, out, _ = run_cli(capsys, "dupes", "--db", db, "--folder", library / "shoot")
    assert code == 0 and out.strip().endswith("0 group(s) of 0 photo(s)")


def test_tags_lists_keywords_with_confidence(capsys, db, library, tiny_model, tmp_path) -> None:
    # random weights and their small logit scale spread the confidence over the 325 terms (about 0.003
    # each): under the default threshold of 0.05 no photo gets a keyword ...
    code, out, err = run_cli(capsys, "tags", library / "shoot", "--db", db, "--json", *tiny_model.cli_args())
    assert code == 0, err
    assert [item["keywords"] for item in json.loads(out)] == [[]] * 5
    # ... so the rule is opened up in the settings file to see the plumbing: top 3 of every photo
    (tmp_path / "no-settings.toml").write_text("[tags]\ntop_k = 3\nthreshold = 0.0\nmargin = -1.0\n")
    code, out, err = run_cli(capsys, "tags", library / "shoot", "--db", db, "--json", *tiny_model.cli_args())
    assert code == 0, err
    got = json.loads(out)
    assert [item["path"] for item in got] == sorted(str(p) for p in (library / "shoot").iterdir())
    for item in got:
        confidences = [k["confidence"] for k in item["keywords"]]
        assert len(confidences) == 3 and confidences == sorted(confidences, reverse=True)
    code, out, _ = run_cli(capsys, "tags", library / "shoot" / "coffee.jpg", "--db", db, *tiny_model.cli_args())
    assert code == 0 and out.startswith(str(library / "shoot" / "coffee.jpg") + ": ") and out.count("(0.0") == 3


def test_embeddings_only_fills_old_photos_and_leaves_scores(capsys, db, library, tiny_model) -> None:
    with Catalog.open(db) as cat:
        with cat.transaction() as conn:
            conn.execute("DELETE FROM clip_embeddings")
        scores = cat._read("SELECT * FROM scores ORDER BY id")
    code, out, _ = run_cli(capsys, "search", "a dog", "--db", db, *tiny_model.cli_args())
    assert code == 2
    code, out, err = run_cli(capsys, "scan", "--embeddings-only", library, "--db", db, *tiny_model.cli_args())
    assert code == 0, err
    assert "7 scored photo(s) had no CLIP embedding" in out and "7 added" in out
    with Catalog.open(db) as cat:
        assert cat._read("SELECT * FROM scores ORDER BY id") == scores
        assert cat.clip_fingerprints()[0][1] == 7


def test_list_json_and_export_carry_the_keywords(capsys, db, library, tiny_model, tmp_path) -> None:
    (tmp_path / "no-settings.toml").write_text(
        f"[engine]\nmodel = {json.dumps(str(tiny_model.config_path))}\nweights = {json.dumps(str(tiny_model.weights_path))}\n"
        "[tags]\ntop_k = 2\nthreshold = 0.0\nmargin = -1.0\n")
    code, out, err = run_cli(capsys, "tags", "--folder", library, "--db", db, "--json")
    assert code == 0, err
    expected = {item["path"]: [k["keyword"] for k in item["keywords"]] for item in json.loads(out)}
    code, out, err = run_cli(capsys, "list", "--db", db, "--json")
    assert code == 0, err
    listed = {r["path"]: [k["keyword"] for k in r["keywords"]] for r in json.loads(out)}
    assert listed == expected and all(len(v) == 2 for v in listed.values())
    code, out, err = run_cli(capsys, "export", "--db", db, "--format", "json")
    assert {r["path"]: [k["keyword"] for k in r["keywords"]] for r in json.loads(out)} == expected
    code, out, err = run_cli(capsys, "export", "--db", db, "--format", "csv")
    import csv
    import io

    assert {r["path"]: r["keywords"].split("; ") for r in csv.DictReader(io.StringIO(out))} == expected
