"""Keywords: the vocabulary as data, prompt ensembling, and the threshold / top-k / margin rule.

The rule is checked on hand-built text features (exact numbers); the ensembling and the pass from a
photo to its keywords run on the tiny model with seeded random weights, which proves the plumbing
and the math but says nothing about which words a real CLIP would choose.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from iqa_engine.testing import sample_photos
from PIL import Image

from iqa_engine import Engine
from iqa_engine.keywords import (
    TEMPLATES,
    Keyword,
    KeywordRule,
    Term,
    TermFeatures,
    Vocabulary,
    VocabularyError,
    load_vocabulary,
    parse_terms,
    pick_keywords,
    term_features,
    term_scores,
)


def test_default_vocabulary_has_a_few_hundred_distinct_terms() -> None:
    vocab = load_vocabulary()
    assert 300 <= len(vocab.terms) <= 600
    assert len({k.casefold() for k in vocab.keywords}) == len(vocab.terms)
    for expected in ("wedding", "first dance", "dog", "beach", "car", "night", "food", "portrait", "sunset"):
        assert expected in vocab.keywords
    assert {t.keyword: t.phrase for t in vocab.terms}["first dance"] == "a couple's first dance at a wedding"


def test_parse_terms_reads_keywords_phrases_and_skips_comments() -> None:
    terms = parse_terms(["# a comment", "", "  dog  ", "red car = a red car", "=no keyword"])
    assert terms == [Term("dog", "dog"), Term("red car", "a red car")]


def test_user_terms_extend_the_vocabulary_and_change_its_fingerprint(tmp_path) -> None:
    base = load_vocabulary()
    extended = load_vocabulary(extra=["grandma's garden = my grandmother's garden", "DOG"])
    assert extended.terms[:len(base.terms)] == base.terms
    assert extended.terms[-1] == Term("grandma's garden", "my grandmother's garden")  # "DOG" is already there
    assert extended.fingerprint != base.fingerprint and load_vocabulary().fingerprint == base.fingerprint
    own = tmp_path / "terms.txt"
    own.write_text("heron\nkingfisher = a kingfisher bird\n")
    assert load_vocabulary(own).keywords == ("heron", "kingfisher")


def test_unreadable_or_empty_vocabulary_is_a_one_line_error(tmp_path) -> None:
    with pytest.raises(VocabularyError, match="cannot read vocabulary"):
        load_vocabulary(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(VocabularyError, match="has no terms"):
        load_vocabulary(empty)


def _features(keywords: list[str], rows: list[list[float]], neutral: list[float], scale: float = 10.0) -> TermFeatures:
    m = np.asarray(rows, dtype=np.float32)
    n = np.asarray(neutral, dtype=np.float32)
    return TermFeatures("v", "c", tuple(keywords), m / np.linalg.norm(m, axis=1, keepdims=True), n / np.linalg.norm(n),
                        scale)


def test_confidence_is_the_softmax_of_scaled_cosines_and_margin_is_over_the_neutral_prompt() -> None:
    feats = _features(["a", "b", "c"], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [1, 1, 1], scale=10.0)
    e = np.asarray([[0.8, 0.6, 0.0]], dtype=np.float32)
    conf, margin = term_scores(e, feats)
    z = [math.exp(10 * 0.8), math.exp(10 * 0.6), math.exp(0.0)]
    np.testing.assert_allclose(conf[0], [v / sum(z) for v in z], rtol=1e-5)
    neutral = (0.8 + 0.6) / math.sqrt(3)
    np.testing.assert_allclose(margin[0], [0.8 - neutral, 0.6 - neutral, -neutral], atol=1e-6)


def test_rule_applies_top_k_threshold_and_margin_each() -> None:
    feats = _features(["a", "b", "c"], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [1, 1, 1], scale=10.0)
    e = np.asarray([[0.8, 0.6, 0.0]], dtype=np.float32)  # confidences 0.881, 0.119, 0.0003; margins -0.008, -0.208, -0.808

    def names(rule: KeywordRule) -> list[str]:
        return [k.keyword for k in pick_keywords(e, feats, rule)[0]]

    assert names(KeywordRule(top_k=3, threshold=0.0, margin=-1.0)) == ["a", "b", "c"]
    assert names(KeywordRule(top_k=1, threshold=0.0, margin=-1.0)) == ["a"]
    assert names(KeywordRule(top_k=3, threshold=0.1, margin=-1.0)) == ["a", "b"]
    assert names(KeywordRule(top_k=3, threshold=0.0, margin=-0.1)) == ["a"]  # b is 0.208 under neutral
    assert names(KeywordRule(top_k=3, threshold=0.0, margin=0.0)) == []  # a misses neutral by 0.008
    first = pick_keywords(e, feats, KeywordRule(top_k=1, threshold=0.0, margin=-1.0))[0][0]
    assert isinstance(first, Keyword) and first.confidence == pytest.approx(math.exp(8) / (math.exp(8) + math.exp(6) + 1), rel=1e-5)


def test_rule_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        KeywordRule(top_k=0)
    with pytest.raises(ValueError):
        KeywordRule(threshold=1.5)


def test_ensembled_term_features_equal_the_hand_computed_mean(tiny_engine: Engine) -> None:
    vocab = Vocabulary((Term("dog", "a dog"), Term("beach", "a beach")))
    feats = term_features(vocab, tiny_engine.encode_texts, tiny_engine.clip_fingerprint,
                          float(tiny_engine.backbone.logit_scale().exp()))
    for row, phrase in zip(feats.matrix, ["a dog", "a beach"], strict=True):
        raw = tiny_engine.backbone.search_text_features([t.format(phrase) for t in TEMPLATES]).numpy()
        mean = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).mean(axis=0)
        np.testing.assert_allclose(row, mean / np.linalg.norm(mean), atol=1e-6)
    assert feats.keywords == ("dog", "beach") and feats.vocabulary_fingerprint == vocab.fingerprint
    assert feats.logit_scale == pytest.approx(1 / 0.07, rel=1e-5)  # open_clip's initial temperature


def test_photo_keywords_follow_the_rule_on_the_engines_embedding(tiny_engine: Engine) -> None:
    vocab = load_vocabulary()
    feats = term_features(vocab, tiny_engine.encode_texts, tiny_engine.clip_fingerprint,
                          float(tiny_engine.backbone.logit_scale().exp()))
    emb = tiny_engine.score_image(Image.fromarray(sample_photos()["chelsea"])).clip_embedding
    rule = KeywordRule(top_k=4, threshold=0.0, margin=-1.0)
    got = pick_keywords(emb, feats, rule)[0]
    sims = feats.matrix.astype(np.float64) @ emb
    p = np.exp(feats.logit_scale * (sims - sims.max()))
    p /= p.sum()
    expected = [vocab.keywords[i] for i in np.argsort(-p, kind="stable")[:4]]
    assert [k.keyword for k in got] == expected
    np.testing.assert_allclose([k.confidence for k in got], np.sort(p)[::-1][:4], rtol=1e-4)
