"""The taste model on feature matrices: the fit against an independent restatement, determinism,
the stored record, applying it to tables that lack columns, and the one-line refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curator.errors import UserError
from curator.taste import (KEEP, REJECT, FeatureInputs, KeepRule, TasteError, TasteModel, TasteModelStale,
                           TrainOptions, check_applicable, feature_table, keep_or_reject, predict, train)
from curator.taste.features import FeatureError

FP = "engine-fingerprint-a"


def synthetic(n: int = 400, d: int = 64, seed: int = 0, exif: bool = True) -> tuple[FeatureInputs, np.ndarray]:
    """An embedding with a decaying spectrum, cues, one measurement and EXIF; keeps follow a noisy
    linear rule on the measurement and the embedding's first axis."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(d, d)))
    latent = rng.normal(size=(n, d)) * (0.8 ** np.arange(d))
    emb = (latent @ basis.T + 0.3).astype(np.float32)
    noise = rng.gamma(2.0, 2.0, n)
    fused = rng.normal(0.5, 0.1, n)
    logit = 1.5 * latent[:, 0] - 0.8 * (noise - 4.0) + rng.logistic(size=n) * 0.5
    y = (logit > 0).astype(np.int64)
    ex = {"iso": rng.choice([100.0, 400.0, 3200.0], n), "exposure_time": rng.choice([1 / 500, 1 / 60, 0.5], n),
          "focal_length": rng.uniform(18, 200, n)} if exif else {}
    inputs = FeatureInputs(n, embedding=emb,
                           cues={"fused": fused, "cosine": rng.normal(0.2, 0.05, n), "magnitude": rng.normal(0, 1, n)},
                           measures={"noise_sigma": noise}, exif=ex)
    return inputs, y


def test_the_stored_weights_restate_a_scaled_pca_logistic_pipeline() -> None:
    """The fit folded into one weight per raw column gives the probabilities of the textbook pipeline
    (z-scored scalars, whitened PCA of the embedding, balanced-weight L2 logistic regression)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    inputs, y = synthetic(exif=False)
    model = train(feature_table(inputs), y, fingerprint=FP)
    assert model.embedding_components == 32  # min(32, d=64, 400 // 10)

    pca = PCA(n_components=32, whiten=True, svd_solver="full").fit(inputs.embedding.astype(np.float64))
    cue_names = ("fused", "cosine", "magnitude")
    scalars = np.column_stack([inputs.cues[k] for k in cue_names] + [inputs.measures["noise_sigma"]])
    scaler = StandardScaler().fit(scalars)
    design = np.hstack([pca.transform(inputs.embedding.astype(np.float64)), scaler.transform(scalars)])
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000, tol=1e-10).fit(design, y)
    expected = clf.predict_proba(design)[:, 1]

    got = predict(model, feature_table(inputs))
    assert np.abs(got - expected).max() < 2e-3
    assert model.groups[0].group == "embedding" and len(model.groups[0].coef) == 64


def test_predict_is_the_logistic_of_the_centred_dot_product_with_missing_values_at_the_centre() -> None:
    inputs, y = synthetic()
    model = train(feature_table(inputs), y, fingerprint=FP)
    table = feature_table(inputs)
    by_hand = []
    for i in range(5):
        logit = model.intercept
        for g in model.groups:
            values = table.group(g.group).values[i]
            names = table.group(g.group).columns
            for name, c, center in zip(g.columns, g.coef, g.center, strict=True):
                logit += c * (float(values[names.index(name)]) - center)
        by_hand.append(1 / (1 + np.exp(-logit)))
    np.testing.assert_allclose(predict(model, table)[:5], by_hand, rtol=1e-5)

    # a photo without EXIF counts as the training mean: the same taste as one with exactly that EXIF
    exif = model.groups[[g.group for g in model.groups].index("exif")]
    at_mean = {k: np.full(inputs.n, np.nan) for k in ("iso", "exposure_time", "focal_length")}
    at_mean_values = {"iso": 2.0 ** exif.center[exif.columns.index("exif.log2_iso")],
                      "exposure_time": 2.0 ** exif.center[exif.columns.index("exif.log2_exposure_time")],
                      "focal_length": 2.0 ** exif.center[exif.columns.index("exif.log2_focal_length")]}
    missing = feature_table(FeatureInputs(inputs.n, inputs.embedding, inputs.cues, {}, inputs.measures, at_mean))
    centred = feature_table(FeatureInputs(inputs.n, inputs.embedding, inputs.cues, {}, inputs.measures,
                                          {k: np.full(inputs.n, v) for k, v in at_mean_values.items()}))
    no_group = feature_table(FeatureInputs(inputs.n, inputs.embedding, inputs.cues, {}, inputs.measures))
    np.testing.assert_allclose(predict(model, missing), predict(model, centred), rtol=1e-9)
    np.testing.assert_allclose(predict(model, missing), predict(model, no_group), rtol=1e-12)
    assert not np.allclose(predict(model, missing), predict(model, table))  # EXIF does count when present


def test_training_twice_gives_the_same_record_and_json_reads_back_exactly() -> None:
    inputs, y = synthetic(seed=3)
    a = train(feature_table(inputs), y, fingerprint=FP, now=1.0)
    b = train(feature_table(inputs), y, fingerprint=FP, now=1.0)
    assert a == b
    assert a.to_json() == b.to_json()
    back = TasteModel.from_json(a.to_json())
    assert back == a
    np.testing.assert_array_equal(predict(back, feature_table(inputs)), predict(a, feature_table(inputs)))
    record = json.loads(a.to_json())
    assert record["record_format"] == 1 and record["fingerprint"] == FP
    assert {g["group"] for g in record["groups"]} == {"embedding", "cues", "measures", "exif"}
    assert record["n_positive"] == int(y.sum()) and record["n_negative"] == int(len(y) - y.sum())


def test_cross_validated_figures_and_the_baseline() -> None:
    inputs, y = synthetic(n=600, seed=5)
    model = train(feature_table(inputs), y, fingerprint=FP)
    m = model.metrics
    assert m.folds == 5
    assert m.auc > 0.85 and m.balanced_accuracy > 0.75
    assert 0.35 < m.baseline_auc < 0.65  # the fused score here is noise, unrelated to the labels
    assert m.auc > m.baseline_auc + 0.2
    # the rule's measurement is what the model leans on, with the sign of the rule
    name, weight = model.top_columns(1)[0]
    assert name == "measures.noise_sigma" and weight < 0


def test_columns_are_matched_by_name_not_position() -> None:
    inputs, y = synthetic()
    model = train(feature_table(inputs), y, fingerprint=FP)
    reordered = FeatureInputs(inputs.n, inputs.embedding, dict(reversed(list(inputs.cues.items()))), {},
                              inputs.measures, dict(reversed(list(inputs.exif.items()))))
    np.testing.assert_array_equal(predict(model, feature_table(reordered)), predict(model, feature_table(inputs)))
    extra = FeatureInputs(inputs.n, inputs.embedding, inputs.cues, {"sharpness": np.ones(inputs.n)},
                          {**inputs.measures, "focus": np.zeros(inputs.n)}, inputs.exif)
    np.testing.assert_array_equal(predict(model, feature_table(extra)), predict(model, feature_table(inputs)))


def test_an_all_missing_or_constant_column_is_left_out_and_photos_without_embedding_are_skipped() -> None:
    inputs, y = synthetic()
    emb = inputs.embedding.copy()
    emb[:10] = np.nan  # ten photos not scored yet
    shaky = FeatureInputs(inputs.n, emb, inputs.cues, {"aesthetic": np.full(inputs.n, np.nan)},
                          {**inputs.measures, "flat": np.full(inputs.n, 7.0)}, inputs.exif)
    model = train(feature_table(shaky), y, fingerprint=FP)
    assert model.n_train == inputs.n - 10
    columns = {c for g in model.groups for c in g.columns}
    assert "measures.noise_sigma" in columns
    assert "measures.flat" not in columns and "dimensions.aesthetic" not in columns
    assert "dimensions" not in {g.group for g in model.groups}
    # the unscored photos still get a taste: their embedding counts as the training mean
    assert np.isfinite(predict(model, feature_table(shaky))).all()


def test_exif_is_put_on_a_log2_scale_and_unknown_values_are_missing() -> None:
    table = feature_table(FeatureInputs(3, exif={"iso": np.array([100.0, 0.0, 3200.0]),
                                                 "exposure_time": np.array([0.25, np.nan, -1.0])}))
    g = table.group("exif")
    assert g.columns == ("exif.log2_exposure_time", "exif.log2_iso")
    np.testing.assert_allclose(g.values[:, 1], [np.log2(100), np.nan, np.log2(3200)])
    np.testing.assert_allclose(g.values[:, 0], [-2.0, np.nan, np.nan])
    with pytest.raises(FeatureError):
        feature_table(FeatureInputs(3, exif={"aperture": np.ones(3)}))
    with pytest.raises(FeatureError):
        feature_table(FeatureInputs(3, measures={"noise": np.ones(4)}))


# -- refusals: one line, a TasteError (a UserError), nothing returned ---------------------------------


def _one_line_error(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(excinfo.value)
    assert isinstance(excinfo.value, UserError)
    assert message and "\n" not in message
    return message


def test_too_few_decisions_of_a_class() -> None:
    inputs, _ = synthetic(n=60)
    y = np.array([1] * 41 + [0] * 19)
    with pytest.raises(TasteError) as excinfo:
        train(feature_table(inputs), y, fingerprint=FP)
    assert _one_line_error(excinfo) == ("too few decisions to learn from: 41 keeps and 19 rejects; "
                                        "at least 20 of each are needed")
    model = train(feature_table(inputs), y, fingerprint=FP, options=TrainOptions(min_per_class=10))
    assert model.metrics.folds == 5


def test_only_one_class() -> None:
    inputs, _ = synthetic(n=60)
    with pytest.raises(TasteError) as excinfo:
        train(feature_table(inputs), np.ones(60, dtype=int), fingerprint=FP)
    assert "all your decisions say the same (60 keeps)" in _one_line_error(excinfo)


def test_no_embeddings_yet() -> None:
    inputs, y = synthetic(n=60)
    for table in (feature_table(FeatureInputs(60, cues=inputs.cues)),
                  feature_table(FeatureInputs(60, embedding=np.full((60, 8), np.nan, np.float32), cues=inputs.cues))):
        with pytest.raises(TasteError) as excinfo:
            train(table, y, fingerprint=FP)
        assert "no photo you decided on has an embedding yet" in _one_line_error(excinfo)


def test_a_model_from_another_engine_is_not_applied() -> None:
    inputs, y = synthetic()
    model = train(feature_table(inputs), y, fingerprint=FP)
    check_applicable(model, FP)
    with pytest.raises(TasteModelStale) as excinfo:
        check_applicable(model, "engine-fingerprint-b")
    assert "run `curator learn` again" in _one_line_error(excinfo)
    wider = FeatureInputs(inputs.n, np.zeros((inputs.n, 65), np.float32), inputs.cues)
    with pytest.raises(TasteError) as excinfo:
        predict(model, feature_table(wider))
    assert "64-d embeddings" in _one_line_error(excinfo)


@pytest.mark.parametrize("text", ["", "{}", "[1, 2]", '{"record_format": 99}'])
def test_an_unreadable_or_newer_record_is_refused(text: str) -> None:
    with pytest.raises(TasteError) as excinfo:
        TasteModel.from_json(text)
    assert "run `curator learn` again" in _one_line_error(excinfo)


def test_a_record_with_a_non_finite_weight_is_refused() -> None:
    inputs, y = synthetic(n=100)
    record = json.loads(train(feature_table(inputs), y, fingerprint=FP).to_json())
    record["groups"][1]["coef"][0] = float("nan")
    with pytest.raises(TasteError):
        TasteModel.from_json(json.dumps(record))


# -- labels -------------------------------------------------------------------------------------


def test_labels_come_from_user_flags_first_then_ratings() -> None:
    assert keep_or_reject("pick", "user", 0) == KEEP
    assert keep_or_reject("reject", "user", 5) == REJECT  # the cull decision wins over a rating
    assert keep_or_reject("pick", "user", 1) == KEEP
    assert keep_or_reject("reject", "auto", 0) is None  # the score's opinion, not the user's
    assert keep_or_reject("pick", "auto", 0) is None
    assert keep_or_reject("reject", "auto", 4) == KEEP  # the user's rating still counts
    assert keep_or_reject(None, None, 3) == KEEP
    assert keep_or_reject(None, None, 2) is None
    assert keep_or_reject(None, None, 1) == REJECT
    assert keep_or_reject(None, None, 0) is None
    strict = KeepRule(keep_rating=4, reject_rating=2)
    assert keep_or_reject(None, None, 3, strict) is None and keep_or_reject(None, None, 2, strict) == REJECT
    with pytest.raises(ValueError):
        KeepRule(keep_rating=2, reject_rating=2)
