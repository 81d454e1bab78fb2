"""Standard CLIP embeddings in the catalog: stored by the scoring pass, filled in for photos scored
before (without touching their scores), the schema step, and the text-feature cache.

The tiny model has seeded random weights: these tests prove storage and plumbing, not retrieval."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import open_clip
import pytest
import sqlite_utils
import torch
from catalog_support import make_settings, rows_by_name

from curator.scanning import service
from curator.catalog import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    Catalog,
    TermFeaturesRecord,
)
from curator.actions.embedding_backfill import fill_embeddings
from curator.actions.keyword_tagging import tagger
from iqa_engine import Engine
from iqa_engine.keywords import pick_keywords


@pytest.fixture()
def settings(tmp_path, tiny_model):
    return make_settings(tmp_path, tiny_model)


def _fresh(tiny_model, engine: Engine, path: Path) -> np.ndarray:
    """open_clip's own computation on the photo as the engine decodes it."""
    model, _, preprocess = open_clip.create_model_and_transforms(
        engine.model_name, pretrained=str(tiny_model.weights_path), force_quick_gelu=True)
    with torch.no_grad():
        feat = model.eval().encode_image(preprocess(engine.decode(path).image).unsqueeze(0))[0]
    return (feat / feat.norm()).numpy()


def _assert_stored_equals(stored: np.ndarray, fresh: np.ndarray) -> None:
    """Equal to 1e-6 after the float16 rounding the catalog stores (half a float16 step)."""
    assert stored.dtype == np.float16
    bound = np.spacing(np.abs(fresh).astype(np.float16)).astype(np.float32) / 2 + 1e-6
    assert np.all(np.abs(stored.astype(np.float32) - fresh) <= bound)


def test_scan_stores_embeddings_equal_to_a_fresh_computation(settings, photo_dir, tiny_engine, tiny_model) -> None:
    service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    with Catalog.open(settings.db_path) as cat:
        rows = rows_by_name(cat)
        assert cat.clip_fingerprints() == [(tiny_engine.clip_fingerprint, 5)]
        for name, row in rows.items():
            stored = cat.clip_embedding(row.photo_id, tiny_engine.clip_fingerprint)
            _assert_stored_equals(stored, _fresh(tiny_model, tiny_engine, photo_dir / name))
        matrix = cat.clip_embedding_matrix(tiny_engine.clip_fingerprint)
        assert matrix.photo_ids == tuple(sorted(r.photo_id for r in rows.values()))
        assert matrix.vectors.shape == (5, 32) and matrix.vectors.dtype == np.float16
        dup = {r.photo_id: r for r in cat.duplicate_rows(tiny_engine.clip_fingerprint)}
        assert all(d.perceptual_hash is not None and 0 <= d.perceptual_hash < 1 << 64 for d in dup.values())


def test_photos_scored_before_get_embeddings_and_keep_their_scores(settings, photo_dir, tiny_engine) -> None:
    service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    with Catalog.open(settings.db_path) as cat:
        with cat.transaction() as conn:  # as a catalog from before embeddings existed
            conn.execute("DELETE FROM clip_embeddings")
        before = cat._read("SELECT id, photo_id, fused, scored_at FROM scores ORDER BY id")
        assert len(cat.photos_missing_clip_embedding(tiny_engine.clip_fingerprint)) == 5
        half = [str(photo_dir / "coffee.jpg")]
        filled = fill_embeddings(cat, tiny_engine, half, batch=2)
        assert (filled.missing, filled.stored, filled.errors) == (1, 1, [])
        filled = fill_embeddings(cat, tiny_engine, [str(photo_dir)], batch=2)
        assert (filled.missing, filled.stored) == (4, 4)
        assert cat.photos_missing_clip_embedding(tiny_engine.clip_fingerprint) == []
        assert cat._read("SELECT id, photo_id, fused, scored_at FROM scores ORDER BY id") == before


def test_schema_3_migrates_to_embeddings_with_a_backup(tmp_path) -> None:
    path = tmp_path / "catalog.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in (1, 2, 3):
        MIGRATIONS[step](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 3")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO photos (id, path, folder, name, status, added_at, updated_at) "
                 "VALUES (1, '/p/a.jpg', '/p', 'a.jpg', 'scored', 0, 0)")
    conn.execute("INSERT INTO scores (photo_id, fingerprint, fused, scored_at) VALUES (1, 'fp', 0.4, 1.0)")
    conn.execute("COMMIT")
    conn.close()
    assert SCHEMA_VERSION >= 4
    with Catalog.open(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION
        assert cat.photos_missing_clip_embedding("clip-x") == [(1, "/p/a.jpg")]
        assert cat.gallery_rows()[0].fused == 0.4
    assert (tmp_path / "catalog.db.v3.bak").exists()


def test_text_features_are_computed_once_per_vocabulary_and_engine(settings, photo_dir, tiny_engine) -> None:
    service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    loads = []

    def load():
        loads.append(1)
        return tiny_engine

    with Catalog.open(settings.db_path) as cat:
        first = tagger(cat, settings, load_engine=load)
        again = tagger(cat, settings, load_engine=load)
        assert loads == [1]  # the second came from the catalog, without the model
        np.testing.assert_array_equal(first.features.matrix, again.features.matrix)
        assert again.features.keywords == settings.vocabulary().keywords
        other = settings.with_overrides("flag", tags_extra=("my grandmother's garden",))
        assert tagger(cat, other, load_engine=load).features.keywords[-1] == "my grandmother's garden"
        assert loads == [1, 1]
        rows = rows_by_name(cat)
        pid = rows["chelsea.jpg"].photo_id
        kws = first.for_photos(cat, [pid])[pid]
        vector = cat.clip_embedding(pid, tiny_engine.clip_fingerprint).astype(np.float32)
        assert kws == pick_keywords(vector, first.features, settings.keyword_rule())[0]


def test_term_features_round_trip(tmp_path) -> None:
    with Catalog.open(tmp_path / "c.db") as cat:
        rec = TermFeaturesRecord("vocab-1", "clip-1", ("dog", "cat"), np.eye(2, 3, dtype=np.float32),
                                 np.ones(3, np.float32), 100.0)
        cat.put_term_features(rec)
        back = cat.term_features("vocab-1", "clip-1")
        assert back is not None and back.keywords == ("dog", "cat") and back.logit_scale == 100.0
        np.testing.assert_array_equal(back.matrix, rec.matrix)
        assert cat.term_features("vocab-1", "clip-2") is None


def test_the_next_scan_fills_embeddings_without_rescoring(settings, photo_dir, tiny_engine) -> None:
    service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    with Catalog.open(settings.db_path) as cat:
        with cat.transaction() as conn:
            conn.execute("DELETE FROM clip_embeddings")
        before = cat._read("SELECT id, photo_id, fused, scored_at FROM scores ORDER BY id")
    again = service.scan(settings, [str(photo_dir)], engine=tiny_engine)
    assert again.totals.scored == 0 and again.embeddings is not None and again.embeddings.stored == 5
    with Catalog.open(settings.db_path) as cat:
        assert cat._read("SELECT id, photo_id, fused, scored_at FROM scores ORDER BY id") == before
        assert cat.photos_missing_clip_embedding(tiny_engine.clip_fingerprint) == []
