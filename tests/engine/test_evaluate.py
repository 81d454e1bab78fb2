"""SRCC/KRCC/PLCC/RMSE against scipy.stats and cases worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from iqa_engine.evaluate import Evaluation, evaluate, fit_logistic, logistic5


def test_perfect_monotone_and_reversed() -> None:
    x = np.linspace(0.1, 1.3, 25) ** 1.5
    up = evaluate(x, x ** 3 + 5)  # monotone, not linear
    assert up.srcc == pytest.approx(1.0)
    assert up.krcc == pytest.approx(1.0)
    down = evaluate(x, -np.exp(x))
    assert down.srcc == pytest.approx(-1.0)
    assert down.krcc == pytest.approx(-1.0)
    assert down.plcc_raw < -0.95
    # the fitted mapping may be decreasing, so PLCC after it is positive
    assert down.plcc > 0.99


def test_kendall_by_hand() -> None:
    # pairs of (1,2,3,4,5) vs (1,3,2,5,4): 10 pairs, 2 discordant ((2,3) and (4,5)) -> (8 - 2) / 10
    e = evaluate([1, 2, 3, 4, 5], [1, 3, 2, 5, 4])
    assert e.krcc == pytest.approx(0.6)
    # Spearman by hand: d = (0,1,1,1,1), 1 - 6*4/(5*24) = 0.8
    assert e.srcc == pytest.approx(0.8)


def test_kendall_tau_b_with_ties() -> None:
    # x has one tied pair: n0 = 6, n1 = 1, n2 = 0; concordant 5, discordant 0 -> 5 / sqrt(5 * 6)
    e = evaluate([1, 2, 2, 3], [1, 2, 3, 4])
    assert e.krcc == pytest.approx(5 / math.sqrt(30))


def test_matches_scipy_on_noisy_data() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0.3, 0.7, 300)
    y = 60 * x + rng.normal(0, 4, 300)
    e = evaluate(x, y)
    assert e.srcc == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert e.krcc == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
    assert e.plcc_raw == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    assert e.fit == "logistic"
    # the fitted 5-parameter map includes a linear term, so it is never worse than a straight line
    line = np.polyval(np.polyfit(x, y, 1), x)
    assert e.rmse <= float(np.sqrt(np.mean((line - y) ** 2))) + 1e-9
    assert e.plcc >= abs(e.plcc_raw) - 1e-9
    mapped = logistic5(x, *e.logistic)
    assert e.plcc == pytest.approx(stats.pearsonr(mapped, y).statistic, abs=1e-12)
    assert e.rmse == pytest.approx(float(np.sqrt(np.mean((mapped - y) ** 2))), abs=1e-12)


def test_logistic_fit_recovers_a_logistic_relationship() -> None:
    # scores on a narrow scale (as CLIP scores are), MOS on a 1-100 scale
    rng = np.random.default_rng(0)
    x = rng.uniform(0.40, 0.60, 400)
    beta = (70.0, 60.0, 0.5, 20.0, 45.0)
    y = logistic5(x, *beta)
    e = evaluate(x, y)
    assert e.fit == "logistic"
    assert e.plcc == pytest.approx(1.0, abs=1e-6)
    assert e.rmse == pytest.approx(0.0, abs=1e-3)
    assert e.plcc_raw < 0.999  # the raw relationship is visibly non-linear
    mapping = fit_logistic(x, y)
    grid = np.linspace(0.4, 0.6, 50)
    np.testing.assert_allclose(mapping(grid), logistic5(grid, *beta), atol=1e-3)


def test_below_twenty_images_only_the_rank_correlations_and_why() -> None:
    x = np.arange(6.0)
    e = evaluate(x, [2.0, 4.0, 3.0, 6.0, 8.5, 7.0])  # six images: too few for five parameters
    assert e.srcc == pytest.approx(stats.spearmanr(x, [2, 4, 3, 6, 8.5, 7]).statistic)
    assert math.isnan(e.plcc) and math.isnan(e.rmse) and math.isnan(e.plcc_raw) and e.logistic is None
    assert e.fit.startswith("none (SRCC/KRCC only") and "20" in e.fit
    assert fit_logistic(x, [2.0, 4.0, 3.0, 6.0, 8.5, 7.0]).kind == "linear"


@pytest.mark.parametrize("seed", range(5))
def test_fitted_mapping_is_monotone(seed: int) -> None:
    # noisy, weakly related scores: an unbounded fit can bend back on itself between the points
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.4, 0.6, 25)
    y = 50 + 100 * (x - 0.5) + rng.normal(0, 8, x.size)
    for sign in (1, -1):
        mapping = fit_logistic(x, sign * y)
        grid = np.linspace(x.min(), x.max(), 500)
        steps = np.diff(mapping(grid)) * np.sign(np.corrcoef(x, sign * y)[0, 1])
        assert np.all(steps >= -1e-9), mapping


def test_degenerate_inputs() -> None:
    const = evaluate([0.5] * 10, list(range(10)))
    assert math.isnan(const.srcc) and "constant" in const.fit
    assert const.as_dict()["srcc"] is None  # JSON has no NaN
    assert math.isnan(evaluate([1.0], [2.0]).srcc)
    with pytest.raises(ValueError):
        evaluate([1, 2, 3], [1, 2])
    with pytest.raises(ValueError):
        evaluate([1, 2, float("nan")], [1, 2, 3])


def test_result_is_frozen_and_serialisable() -> None:
    e = evaluate(np.arange(25.0), np.arange(25.0) ** 2)
    assert isinstance(e, Evaluation)
    with pytest.raises(AttributeError):
        e.srcc = 0.0  # type: ignore[misc]  # assigning to a frozen field is the point
    d = e.as_dict()
    assert set(d) == {"n", "srcc", "krcc", "plcc", "rmse", "plcc_raw", "fit", "logistic"}
    assert len(d["logistic"]) == 5
