"""How the IQA literature measures a quality score against human opinion (MOS).

- SRCC: Spearman's rank correlation; KRCC: Kendall's tau-b (what MATLAB's
  corr(..., 'type', 'Kendall') and scipy.stats.kendalltau compute).
- PLCC and RMSE after the 5-parameter logistic mapping of the VQEG report
  (Sheikh et al., 2006), fitted by least squares with scipy:

      q(x) = b1 * (0.5 - 1 / (1 + exp(b2 * (x - b3)))) + b4 * x + b5

  RMSE is then in the units of the MOS.
- The raw PLCC (no mapping) beside them.

Pure numpy/scipy. The fit runs on standardised x and y (the scores of a model
may span 0.01 while a MOS spans 100) from several starting points and keeps
the best; the parameters are reported back in the original units. The fit is
bounded so the mapping is monotone in the direction of the correlation
(b1 >= 0, and b2 and b4 of the sign of the correlation): a mapping that is
meant to rescale scores must not reorder them. When no logistic fit converges
(or the best is worse than a straight line), the mapping falls back to a
straight line and `fit` says so.

Below MIN_FIT_POINTS images, five parameters fitted to a handful of points
chase the noise, so only the rank correlations (SRCC, KRCC) are reported.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LOGISTIC_MAXFEV = 20000
# Fewer images than this: SRCC and KRCC only (no PLCC, RMSE or fitted mapping).
MIN_FIT_POINTS = 20


@dataclass(frozen=True)
class Evaluation:
    """Agreement of predicted scores with MOS over n images."""

    n: int
    srcc: float
    krcc: float
    plcc: float  # after the fitted mapping
    rmse: float  # after the fitted mapping, in MOS units
    plcc_raw: float  # without any mapping
    fit: str  # "logistic", "linear (...why...)" or "none (...why...)"
    logistic: tuple[float, float, float, float, float] | None  # (b1..b5) in original units

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "srcc": _json_float(self.srcc),
            "krcc": _json_float(self.krcc),
            "plcc": _json_float(self.plcc),
            "rmse": _json_float(self.rmse),
            "plcc_raw": _json_float(self.plcc_raw),
            "fit": self.fit,
            "logistic": list(self.logistic) if self.logistic is not None else None,
        }


def logistic5(x: np.ndarray, b1: float, b2: float, b3: float, b4: float, b5: float) -> np.ndarray:
    """The 5-parameter logistic: b1 * (0.5 - 1/(1 + exp(b2 (x - b3)))) + b4 x + b5."""
    z = np.clip(b2 * (np.asarray(x, dtype=np.float64) - b3), -500.0, 500.0)  # exp stays finite
    return b1 * (0.5 - 1.0 / (1.0 + np.exp(z))) + b4 * x + b5


@dataclass(frozen=True)
class Mapping:
    """A fitted monotone map from predicted scores to the MOS scale."""

    kind: str  # "logistic" or "linear"
    params: tuple[float, ...]  # logistic: b1..b5; linear: (slope, intercept)
    note: str = ""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.kind == "logistic":
            return logistic5(x, *self.params)
        slope, intercept = self.params
        return slope * x + intercept


def fit_logistic(pred: Sequence[float] | np.ndarray, mos: Sequence[float] | np.ndarray) -> Mapping:
    """Fit the 5-parameter logistic from predicted scores to MOS; a straight line if that fails."""
    from scipy.optimize import OptimizeWarning, curve_fit

    x = np.asarray(pred, dtype=np.float64)
    y = np.asarray(mos, dtype=np.float64)
    _check_pair(x, y)
    if x.size < MIN_FIT_POINTS:
        return _linear(x, y, f"a logistic fit needs at least {MIN_FIT_POINTS} images, got {x.size}")
    mx, sx = float(x.mean()), float(x.std())
    my, sy = float(y.mean()), float(y.std())
    if sx == 0.0 or sy == 0.0:
        return _linear(x, y, "constant predictions or MOS")
    xs, ys = (x - mx) / sx, (y - my) / sy
    sign = 1.0 if np.corrcoef(xs, ys)[0, 1] >= 0 else -1.0
    span = float(ys.max() - ys.min())
    # monotone in the direction of the correlation: b1 >= 0, sign*b2 >= 0, sign*b4 >= 0
    inf = np.inf
    lower = (0.0, 0.0 if sign > 0 else -inf, -inf, 0.0 if sign > 0 else -inf, -inf)
    upper = (inf, inf if sign > 0 else 0.0, inf, inf if sign > 0 else 0.0, inf)
    starts = [
        # a logistic spanning the MOS range, centred, with its slope set by the score spread
        (span, sign * 1.0, 0.0, 0.0, 0.0),
        (span, sign * 4.0, 0.0, 0.0, 0.0),
        # half logistic, half line
        (span / 2, sign * 1.0, 0.0, sign * 0.5, 0.0),
        # almost linear
        (0.0, sign * 1.0, 0.0, sign * 1.0, 0.0),
    ]
    best: tuple[float, np.ndarray] | None = None
    last_error = ""
    for p0 in starts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                beta, _ = curve_fit(logistic5, xs, ys, p0=p0, bounds=(lower, upper), method="trf",
                                    max_nfev=LOGISTIC_MAXFEV)
        except (RuntimeError, ValueError, FloatingPointError) as exc:
            last_error = str(exc).splitlines()[0][:120]
            continue
        if not np.all(np.isfinite(beta)):
            continue
        sse = float(np.sum((logistic5(xs, *beta) - ys) ** 2))
        if math.isfinite(sse) and (best is None or sse < best[0]):
            best = (sse, beta)
    if best is None:
        return _linear(x, y, f"logistic fit failed: {last_error or 'no finite solution'}")
    line = _linear(xs, ys, "")
    if best[0] > float(np.sum((line(xs) - ys) ** 2)) * (1 + 1e-9):
        # a local minimum: the logistic family contains the line (b1 = 0), so it should do no worse
        return _linear(x, y, "logistic fit stuck in a local minimum worse than a line")
    b1, b2, b3, b4, b5 = (float(b) for b in best[1])
    # back to original units: xs = (x - mx)/sx, y = my + sy * ys
    params = (sy * b1, b2 / sx, mx + sx * b3, sy * b4 / sx, my + sy * (b5 - b4 * mx / sx))
    return Mapping("logistic", params)


def evaluate(pred: Sequence[float] | np.ndarray, mos: Sequence[float] | np.ndarray) -> Evaluation:
    """SRCC, KRCC, PLCC and RMSE after the logistic mapping, and the raw PLCC (SRCC/KRCC only below
    MIN_FIT_POINTS images)."""
    from scipy import stats

    x = np.asarray(pred, dtype=np.float64)
    y = np.asarray(mos, dtype=np.float64)
    _check_pair(x, y)
    n = int(x.size)
    if n < 2:
        return Evaluation(n, math.nan, math.nan, math.nan, math.nan, math.nan, "none (fewer than 2 images)", None)
    if np.ptp(x) == 0.0 or np.ptp(y) == 0.0:
        what = "predictions" if np.ptp(x) == 0.0 else "MOS"
        return Evaluation(n, math.nan, math.nan, math.nan, math.nan, math.nan, f"none (constant {what})", None)
    srcc = float(stats.spearmanr(x, y).statistic)
    krcc = float(stats.kendalltau(x, y).statistic)
    if n < MIN_FIT_POINTS:
        why = f"none (SRCC/KRCC only: {n} images are too few to fit 5 parameters; {MIN_FIT_POINTS} or more needed)"
        return Evaluation(n, srcc, krcc, math.nan, math.nan, math.nan, why, None)
    plcc_raw = float(stats.pearsonr(x, y).statistic)
    mapping = fit_logistic(x, y)
    yhat = mapping(x)
    rmse = float(np.sqrt(np.mean((yhat - y) ** 2)))
    plcc = float(stats.pearsonr(yhat, y).statistic) if np.ptp(yhat) > 0 else math.nan
    if mapping.kind == "logistic":
        fit = "logistic"
        b1, b2, b3, b4, b5 = (float(p) for p in mapping.params)
        logistic: tuple[float, float, float, float, float] | None = (b1, b2, b3, b4, b5)
    else:
        fit = f"linear ({mapping.note})"
        logistic = None
    return Evaluation(n, srcc, krcc, plcc, rmse, plcc_raw, fit, logistic)


def _linear(x: np.ndarray, y: np.ndarray, note: str) -> Mapping:
    if x.size >= 2 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        return Mapping("linear", (float(slope), float(intercept)), note)
    return Mapping("linear", (0.0, float(y.mean()) if y.size else 0.0), note)


def _check_pair(x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"predictions and MOS must be 1-D and of equal length (got {x.shape} and {y.shape})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("predictions and MOS must be finite numbers")


def _json_float(v: float) -> float | None:
    return None if not math.isfinite(v) else v
