"""The standard CLIP embedding computed in the scoring pass equals open_clip's own computation.

open_clip's create_model_and_transforms builds the same tiny model (seeded random weights) with
its evaluation transform; its encode_image on that transform's output, L2-normalised, is the
fresh computation the engine's embedding must equal. Random weights prove the plumbing and the
math (the right preprocessing, the positional embedding kept), not retrieval quality.
"""

from __future__ import annotations

import numpy as np
import open_clip
import pytest
import torch
from iqa_engine.testing import TinyModel, build_tiny_model, sample_photos, write_jpeg
from PIL import Image

from iqa_engine import Engine, ImageDecodeError

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def open_clip_reference(tiny_model: TinyModel, tiny_engine: Engine):
    """open_clip's own model and evaluation transform for the tiny model's weights."""
    model, _, preprocess = open_clip.create_model_and_transforms(
        tiny_engine.model_name, pretrained=str(tiny_model.weights_path), force_quick_gelu=True)
    return model.eval(), preprocess


def _fresh(reference, image: Image.Image) -> np.ndarray:
    model, preprocess = reference
    with torch.no_grad():
        feat = model.encode_image(preprocess(image).unsqueeze(0))[0]
    return (feat / feat.norm()).numpy()


@pytest.mark.parametrize("name", sorted(sample_photos()))
def test_embedding_equals_open_clip_encode_image(tiny_engine: Engine, open_clip_reference, name: str) -> None:
    image = Image.fromarray(sample_photos()[name])
    score = tiny_engine.score_image(image)
    assert score.clip_embedding is not None and score.clip_embedding.dtype == np.float32
    assert float(np.linalg.norm(score.clip_embedding)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(score.clip_embedding, _fresh(open_clip_reference, image), atol=TOLERANCE, rtol=0)


def test_files_scored_in_one_pass_equal_fresh_computation_on_the_decoded_photo(
        tiny_engine: Engine, open_clip_reference, tmp_path) -> None:
    paths = [write_jpeg(tmp_path / f"{n}.jpg", a) for n, a in sample_photos().items()]
    results = dict(tiny_engine.score_paths(paths))
    for p in paths:
        decoded = tiny_engine.decode(p).image  # the same decode (draft included) the pass used
        np.testing.assert_allclose(results[p].clip_embedding, _fresh(open_clip_reference, decoded),
                                   atol=TOLERANCE, rtol=0)
        assert results[p].clip_fingerprint == tiny_engine.clip_fingerprint


def test_the_positional_embedding_is_used(tiny_engine: Engine, open_clip_reference) -> None:
    """Zeroing the attention pool's positional embedding (what MA-CLIP's views do) changes the result."""
    model, preprocess = open_clip_reference
    image = Image.fromarray(sample_photos()["coffee"])
    ours = tiny_engine.score_image(image).clip_embedding
    saved = model.visual.attnpool.positional_embedding.detach().clone()
    try:
        with torch.no_grad():
            model.visual.attnpool.positional_embedding.zero_()
        without = _fresh((model, preprocess), image)
    finally:
        with torch.no_grad():
            model.visual.attnpool.positional_embedding.copy_(saved)
    assert np.abs(ours - without).max() > 1e-4


def test_embedding_does_not_change_the_score_and_can_be_switched_off(tiny_model: TinyModel,
                                                                    tiny_engine: Engine) -> None:
    image = Image.fromarray(sample_photos()["chelsea"])
    without = Engine(tiny_model.engine_config(clip_embedding=False), backbone=tiny_engine.backbone)
    a, b = tiny_engine.score_image(image), without.score_image(image)
    assert b.clip_embedding is None and b.clip_fingerprint is None
    assert a.fused == b.fused and a.fingerprint == b.fingerprint
    assert a.perceptual_hash == b.perceptual_hash is not None


def test_clip_fingerprint_names_weights_and_preprocessing_not_the_protocol(tiny_model: TinyModel,
                                                                          tiny_engine: Engine, tmp_path) -> None:
    spaq = Engine(tiny_model.engine_config(protocol="spaq"), backbone=tiny_engine.backbone)
    assert spaq.fingerprint != tiny_engine.fingerprint
    assert spaq.clip_fingerprint == tiny_engine.clip_fingerprint
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert Engine(other.engine_config()).clip_fingerprint != tiny_engine.clip_fingerprint


def test_text_embeddings_are_unit_rows_of_the_same_space(tiny_engine: Engine) -> None:
    texts = [f"a photo of thing {i}" for i in range(300)]  # more than one text chunk
    emb = tiny_engine.encode_texts(texts)
    assert emb.shape == (300, tiny_engine.score_image(Image.new("RGB", (300, 300))).clip_embedding.shape[0])
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-6)
    one = tiny_engine.backbone.text_features([texts[-1]])[0]  # open_clip's encode_text, all 77 positions
    np.testing.assert_allclose(emb[-1], (one / one.norm()).numpy(), atol=1e-5)


def test_embedding_without_scoring_equals_the_scoring_pass(tiny_engine: Engine, tmp_path) -> None:
    paths = [write_jpeg(tmp_path / f"{n}.jpg", a) for n, a in sample_photos().items()]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    scored = dict(tiny_engine.score_paths(paths))
    embedded = list(tiny_engine.embed_paths([paths[0], broken, *paths[1:]], batch=2))
    assert [p for p, _ in embedded] == [paths[0], broken, *paths[1:]]
    assert isinstance(embedded[1][1], ImageDecodeError)
    for p, e in embedded:
        if p != broken:
            np.testing.assert_allclose(e.clip_embedding, scored[p].clip_embedding, atol=TOLERANCE, rtol=0)
            assert (e.perceptual_hash, e.clip_fingerprint) == (scored[p].perceptual_hash, scored[p].clip_fingerprint)
            assert e.original_size == scored[p].original_size


def test_a_search_query_is_the_same_embedding_and_leaves_the_thread_count_alone(tiny_engine: Engine) -> None:
    before = torch.get_num_threads()
    query = tiny_engine.encode_query("a red car")
    assert torch.get_num_threads() == before
    np.testing.assert_allclose(query, tiny_engine.encode_texts(["a red car"])[0], atol=1e-6)


@pytest.mark.parametrize("changes", [{"protocol": "global"}, {"protocol": "spaq"}, {"trunk": "shared"},
                                     {"batch_views": 5}])
def test_every_protocol_and_trunk_gives_the_same_embedding(tiny_model: TinyModel, tiny_engine: Engine,
                                                           open_clip_reference, changes) -> None:
    """The standard views ride in the MA-CLIP passes (split across passes with batch_views 5) or, with
    the shared trunk, get a pass of their own: the embedding is the same either way."""
    engine = Engine(tiny_model.engine_config(**changes), backbone=tiny_engine.backbone)
    images = [Image.fromarray(sample_photos()[n]) for n in ("coffee", "rocket", "chelsea")]
    for image, score in zip(images, engine.score_images(images), strict=True):
        np.testing.assert_allclose(score.clip_embedding, _fresh(open_clip_reference, image), atol=TOLERANCE, rtol=0)


def test_text_encoding_cut_at_the_end_token_equals_open_clips(tiny_engine: Engine) -> None:
    """The text tower runs only up to the last end-of-text token (the rest is masked anyway)."""
    from iqa_engine.backbone import encode_text

    model = tiny_engine.backbone.model
    texts = ["a dog", "a couple's first dance at a wedding, late at night under fairy lights", "x"]
    tokens = tiny_engine.backbone.tokenizer(texts)
    with torch.no_grad():
        theirs = model.encode_text(tokens)
        model.encode_text = None  # the cut path must not fall back to it
        try:
            ours = encode_text(model, tokens)
        finally:
            del model.encode_text
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5, rtol=0)
