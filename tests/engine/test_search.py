"""Search order equals a brute-force cosine ranking; similar pairs equal a brute-force scan."""

from __future__ import annotations

import numpy as np
import pytest
from iqa_engine.testing import sample_photos
from PIL import Image

from iqa_engine import Engine, search
from iqa_engine.search import EmbeddingIndex


def _brute(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    v = vectors.astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q = query.astype(np.float64) / np.linalg.norm(query)
    return v @ q


@pytest.mark.parametrize("limit", [1, 10, 999, None])
def test_search_order_equals_brute_force_cosine(limit) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(1000, 64)).astype(np.float32)
    keys = [f"p{i}" for i in range(1000)]
    index = EmbeddingIndex.build(keys, vectors)
    query = rng.normal(size=64).astype(np.float32)
    hits = index.search(query, limit)
    sims = _brute(vectors, query)
    expected = np.argsort(-sims, kind="stable")[:limit]
    assert [h.key for h in hits] == [keys[i] for i in expected]
    np.testing.assert_allclose([h.similarity for h in hits], sims[expected], atol=1e-6)


def test_float16_storage_ranks_like_brute_force_on_the_stored_vectors() -> None:
    rng = np.random.default_rng(1)
    stored = rng.normal(size=(500, 32)).astype(np.float16)
    index = EmbeddingIndex.build(list(range(500)), stored)
    query = rng.normal(size=32)
    sims = _brute(stored, query)
    assert [h.key for h in index.search(query, 50)] == list(np.argsort(-sims, kind="stable")[:50])


def test_exclude_leaves_the_query_photo_out_and_ties_keep_row_order() -> None:
    index = EmbeddingIndex.build(["a", "b", "c", "d"], np.asarray([[1, 0], [1, 0], [0, 1], [1, 0]], np.float32))
    assert [h.key for h in index.search(np.asarray([1.0, 0.0]))] == ["a", "b", "d", "c"]
    assert [h.key for h in index.search(np.asarray([1.0, 0.0]), 2, exclude="a")] == ["b", "d"]
    assert EmbeddingIndex.build([], np.zeros((0, 2))).search(np.asarray([1.0, 0.0])) == []


def test_search_over_engine_embeddings_equals_brute_force(tiny_engine: Engine) -> None:
    images = [Image.fromarray(a) for a in sample_photos().values()]
    scores = tiny_engine.score_images(images + [im.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for im in images])
    vectors = np.stack([s.clip_embedding for s in scores])
    index = EmbeddingIndex.build(list(range(len(scores))), vectors)
    query = tiny_engine.encode_texts(["a photo of a cat"])[0]
    assert [h.key for h in index.search(query)] == list(np.argsort(-_brute(vectors, query), kind="stable"))


def test_similar_pairs_equal_brute_force_across_blocks(monkeypatch) -> None:
    monkeypatch.setattr(search, "_BLOCK_ROWS", 7)
    rng = np.random.default_rng(2)
    base = rng.normal(size=(10, 16))
    vectors = np.concatenate([base, base + rng.normal(0, 0.05, size=base.shape), rng.normal(size=(5, 16))])
    index = EmbeddingIndex.build(list(range(len(vectors))), vectors.astype(np.float32))
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = v @ v.T
    expected = {(i, j) for i in range(len(v)) for j in range(i + 1, len(v)) if sims[i, j] >= 0.9}
    got = {(i, j) for i, j, _ in index.similar_pairs(0.9)}
    assert got == expected and len(got) >= 10
