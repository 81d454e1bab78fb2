"""Synthetic photographers on real photos: the taste model learns a hidden rule from their decisions.

144 degraded copies of scikit-image's photos are scored by the tiny model
(random weights, through the product's loading path). Each "user" decides by
a hidden rule on a classic measurement of the pixels
(curator.testing.taste_users). The model sees the embedding and cues of
random weights, which know nothing of quality, and the measurements, as the
catalog stores them: so its cross-validated AUC of 0.9 or more comes from
finding the right measurement among the other columns, and the fused score
of random weights stays far below it.
"""

from __future__ import annotations

import numpy as np
import pytest

from curator.testing.taste_users import USERS, degraded_variants, scored_inputs
from curator.taste import FeatureInputs, TasteModel, feature_table, predict, train


@pytest.fixture(scope="module")
def scored(tiny_engine) -> FeatureInputs:
    return scored_inputs(tiny_engine, degraded_variants(seed=0))


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_model_learns_a_hidden_rule_on_the_measurements(scored: FeatureInputs, user: str) -> None:
    rule, measure = USERS[user]
    y = rule(dict(scored.measures))
    assert y.sum() >= 20 and (1 - y).sum() >= 20
    model = train(feature_table(scored), y, fingerprint="tiny")
    assert model.metrics.auc >= 0.9
    assert model.metrics.balanced_accuracy >= 0.8
    assert model.metrics.auc > model.metrics.baseline_auc + 0.2  # random weights' fused score is no judge
    # the measurement of the rule is the column it leans on most, against keeping (more noise, more light)
    name, weight = model.top_columns(1)[0]
    assert (name, weight < 0) == (measure, True)
    assert model.group_spreads()[0][0] == "measures"
    # and applied, the kept frames rank above the rejected ones
    taste = predict(TasteModel.from_json(model.to_json()), feature_table(scored))
    assert taste[y == 1].mean() > taste[y == 0].mean() + 0.3


def test_the_same_decisions_train_the_same_model(scored: FeatureInputs) -> None:
    y = USERS["noise-averse"][0](dict(scored.measures))
    first = train(feature_table(scored), y, fingerprint="tiny", now=0.0)
    again = train(feature_table(scored), y, fingerprint="tiny", now=0.0)
    assert first.to_json() == again.to_json()
    assert np.array_equal(predict(first, feature_table(scored)), predict(again, feature_table(scored)))
