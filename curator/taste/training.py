"""Training the taste model on a user's decisions, with cross-validated figures beside the fused score's.

The model is L2-regularised logistic regression (scikit-learn, lbfgs) with
balanced class weights, because rejects are usually far rarer than keeps.
Scalar columns are standardised; a missing value is the training mean. The
embedding is reduced to its leading principal axes (each scaled to unit
variance) so that a few hundred decisions are not spread over 1024 weights;
the axes are folded back into one weight per embedding dimension, so the
stored model stays a plain linear one (curator.taste.model).

Figures are stratified k-fold means: the whole fit (means, spreads,
principal axes, weights) is redone on each training fold and scored on the
held-out fold. The baseline is MA-CLIP's fused score on the same folds: its
AUC as it ranks, and its balanced accuracy at the cut that is best on each
training fold, so the comparison favours the score, not the model.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from curator.taste.features import FeatureGroup, FeatureTable
from curator.taste.model import GroupWeights, TasteError, TasteMetrics, TasteModel, linear_logits


@dataclass(frozen=True)
class TrainOptions:
    c: float = 1.0  # inverse L2 strength on standardised columns (scikit-learn's C)
    folds: int = 5
    min_per_class: int = 20  # refuse below this many keeps or rejects
    max_components: int = 32  # principal axes of the embedding at most...
    samples_per_component: int = 10  # ...and no more than one per this many decisions
    seed: int = 0  # the fold split's shuffle

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError(f"c must be > 0, got {self.c}")
        if self.folds < 2:
            raise ValueError(f"folds must be at least 2, got {self.folds}")
        if self.min_per_class < 2:
            raise ValueError(f"min_per_class must be at least 2, got {self.min_per_class}")
        if self.max_components < 1 or self.samples_per_component < 1:
            raise ValueError("max_components and samples_per_component must be at least 1")


def train(table: FeatureTable, labels: np.ndarray, *, fingerprint: str, options: TrainOptions = TrainOptions(),
          now: float | None = None) -> TasteModel:
    """Fit the taste model on the photos of `table` labelled 1 (keep) or 0 (reject).

    Photos without an embedding are left out. Raises TasteError, with a one-line message, when
    there is no embedding, only one class, or fewer than options.min_per_class of either class.
    """
    from threadpoolctl import threadpool_limits

    # Every product here is thin (a few dozen columns): BLAS threads gain little, and on a busy
    # machine OpenBLAS's spinning threads made a fit 2-5x slower (a 1024x42 QR: 2 s instead of 2 ms).
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(table, labels, fingerprint, options, now)


def _train(table: FeatureTable, labels: np.ndarray, fingerprint: str, options: TrainOptions,
           now: float | None) -> TasteModel:
    y = np.asarray(labels)
    if y.shape != (table.n,):
        raise ValueError(f"labels have shape {y.shape}, expected ({table.n},)")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (reject) or 1 (keep)")
    table, y = _with_embeddings(table, y.astype(np.int64))
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    _check_counts(n_pos, n_neg, options.min_per_class)
    # The principal axes see the embeddings only, never the labels, so they are found once and
    # shared by the folds: a held-out label still has no say in the fit that predicts it.
    embedding = table.group("embedding")
    assert embedding is not None  # _with_embeddings refuses a table without
    axes = _embedding_axes(embedding, options)
    metrics = _cross_validate(table, axes, y, min(options.folds, n_pos, n_neg), options)
    intercept, groups = _fit(table, axes, np.arange(len(y)), y, options)
    return TasteModel(fingerprint=fingerprint, intercept=intercept, groups=groups, n_positive=n_pos,
                      n_negative=n_neg, metrics=metrics, trained_at=time.time() if now is None else float(now),
                      regularisation_c=options.c, embedding_components=axes.width)


def _with_embeddings(table: FeatureTable, y: np.ndarray) -> tuple[FeatureTable, np.ndarray]:
    emb = table.group("embedding")
    if emb is None or table.n == 0:
        raise TasteError("no photo you decided on has an embedding yet; score them first (curator scan)")
    has = ~np.isnan(emb.values).any(axis=1)
    if not has.any():
        raise TasteError("no photo you decided on has an embedding yet; score them first (curator scan)")
    return (table, y) if has.all() else (table.rows(has), y[has])


def _check_counts(n_pos: int, n_neg: int, minimum: int) -> None:
    if n_pos == 0 or n_neg == 0:
        have = f"{n_pos} keeps" if n_pos else f"{n_neg} rejects"
        raise TasteError(f"all your decisions say the same ({have}); the model needs keeps and rejects, "
                         f"at least {minimum} of each")
    if n_pos < minimum or n_neg < minimum:
        raise TasteError(f"too few decisions to learn from: {n_pos} keeps and {n_neg} rejects; "
                         f"at least {minimum} of each are needed")


# -- cross-validation -----------------------------------------------------------------


def _cross_validate(table: FeatureTable, axes: _Axes, y: np.ndarray, folds: int,
                    options: TrainOptions) -> TasteMetrics:
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    cues = table.group("cues")
    fused = cues.values[:, cues.columns.index("cues.fused")] if cues and "cues.fused" in cues.columns else None
    if fused is not None and not np.isfinite(fused).all():
        fused = None
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=options.seed)
    auc, acc, base_auc, base_acc = [], [], [], []
    for train_idx, test_idx in split.split(np.zeros(len(y)), y):
        intercept, groups = _fit(table, axes, train_idx, y[train_idx], options)
        logit = linear_logits(intercept, groups, table.rows(test_idx))
        auc.append(roc_auc_score(y[test_idx], logit))
        acc.append(balanced_accuracy_score(y[test_idx], logit >= 0.0))  # probability >= 0.5
        if fused is not None:
            cut = _best_cut(fused[train_idx], y[train_idx])
            base_auc.append(roc_auc_score(y[test_idx], fused[test_idx]))
            base_acc.append(balanced_accuracy_score(y[test_idx], fused[test_idx] >= cut))
    nan = float("nan")
    return TasteMetrics(auc=float(np.mean(auc)), balanced_accuracy=float(np.mean(acc)),
                        baseline_auc=float(np.mean(base_auc)) if base_auc else nan,
                        baseline_balanced_accuracy=float(np.mean(base_acc)) if base_acc else nan, folds=folds)


def _best_cut(score: np.ndarray, y: np.ndarray) -> float:
    """The threshold (keep at or above it) with the best balanced accuracy on these photos."""
    order = np.argsort(-score, kind="stable")
    s, t = score[order], y[order]
    pos, neg = t.sum(), len(t) - t.sum()
    # keeping the top i photos (i = 0..n): true keeps among them, true rejects among the rest
    tp = np.concatenate(([0], np.cumsum(t)))
    tn = neg - np.concatenate(([0], np.cumsum(1 - t)))
    ends = np.concatenate((np.flatnonzero(s[1:] != s[:-1]) + 1, [len(s)]))  # cut only between distinct scores
    cuts = np.concatenate(([0], ends))
    best = cuts[np.argmax(0.5 * (tp[cuts] / pos + tn[cuts] / neg))]
    if best == 0:
        return float(np.inf)
    if best == len(s):
        return float(s[-1])
    return float((s[best - 1] + s[best]) / 2)


# -- one fit --------------------------------------------------------------------------


def _fit(table: FeatureTable, axes: _Axes, rows: np.ndarray, y: np.ndarray,
         options: TrainOptions) -> tuple[float, tuple[GroupWeights, ...]]:
    """Standardise the scalar groups on `rows`, fit on them and the embedding's axes; returns the
    intercept and per-group weights per raw unit."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    blocks, unfold = [], []
    for group in table.groups:
        if group.name == "embedding":
            z, back = axes.design[rows], axes.unfold
        else:
            z, back = _standardised(group.values[rows], group)
        if z.shape[1]:
            blocks.append(z)
            unfold.append(back)
    if not blocks:
        raise TasteError("the photos you decided on do not differ in anything the model can see")
    clf = LogisticRegression(C=options.c, class_weight="balanced", solver="lbfgs", max_iter=2000)
    with warnings.catch_warnings():
        # lbfgs stopping a little short of its tolerance changes weights in far decimals; the CV figures
        # are what say whether the model is any good
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(np.hstack(blocks), y)
    w, at, groups = clf.coef_[0], 0, []
    for back, block in zip(unfold, blocks, strict=True):
        groups.append(back.weights(w[at:at + back.width], block))
        at += back.width
    return float(clf.intercept_[0]), tuple(groups)


@dataclass(frozen=True, eq=False)
class _Unfold:
    """How a group's design columns map back to weights per raw column."""

    group: str
    columns: tuple[str, ...]
    center: np.ndarray
    scale: np.ndarray
    to_raw: np.ndarray  # (raw columns, design columns): raw weight = to_raw @ design weight

    @property
    def width(self) -> int:
        return self.to_raw.shape[1]

    def weights(self, w: np.ndarray, design: np.ndarray) -> GroupWeights:
        coef = self.to_raw @ w
        return GroupWeights(self.group, self.columns, tuple(map(float, self.center)),
                            tuple(map(float, self.scale)), tuple(map(float, coef)),
                            spread=float(np.std(design @ w)))


def _standardised(x: np.ndarray, group: FeatureGroup) -> tuple[np.ndarray, _Unfold]:
    """z-scores of the columns of x (some rows of `group`) that vary; a missing value becomes 0 (the mean).
    Constant or empty columns drop."""
    known = ~np.isnan(x)
    count = known.sum(axis=0)
    usable = count >= 2
    filled = np.where(known, x, 0.0)
    mean = np.divide(filled.sum(axis=0), count, out=np.zeros(x.shape[1]), where=usable)
    dev = np.where(known, x - mean, 0.0)
    std = np.sqrt(np.divide((dev ** 2).sum(axis=0), count, out=np.zeros(x.shape[1]), where=usable))
    keep = usable & (std > 1e-12 * np.maximum(1.0, np.abs(mean)))
    z = dev[:, keep] / std[keep]
    columns = tuple(c for c, k in zip(group.columns, keep, strict=True) if k)
    return z, _Unfold(group.name, columns, mean[keep], std[keep], np.diag(1.0 / std[keep]))


@dataclass(frozen=True, eq=False)
class _Axes:
    unfold: _Unfold
    design: np.ndarray  # (training photos, axes): each photo's coordinates, unit variance per axis

    @property
    def width(self) -> int:
        return self.unfold.width


def _embedding_axes(group: FeatureGroup, options: TrainOptions) -> _Axes:
    """The embedding projected on its leading principal axes, each scaled to unit variance.

    The axes come from a randomised subspace iteration (Halko, Martinsson & Tropp, "Finding
    structure with randomness", SIAM Review 2011, algorithms 4.4 and 5.1), seeded, so the same
    data give the same axes: it needs a few products with the data instead of a d x d
    eigendecomposition. The sign of each axis is arbitrary, but it folds back out: the raw
    weights do not depend on it.
    """
    x = group.values
    n = len(x)
    mean = x.mean(axis=0, dtype=np.float64)
    centred = x - mean.astype(x.dtype)
    k = min(options.max_components, x.shape[1], max(1, n // options.samples_per_component))
    values, axes = _leading_axes(centred, k, options.seed)
    strong = values > 1e-10 * max(float(values[0]), 1e-30)
    values, axes = values[strong], axes[:, strong]
    to_raw = axes / np.sqrt(values)  # design column j = centred @ axes[:, j] / sqrt(values[j])
    z = (centred @ to_raw.astype(x.dtype)).astype(np.float64)
    std = np.sqrt(np.einsum("ij,ij->j", centred, centred, dtype=np.float64) / n)
    return _Axes(_Unfold(group.name, group.columns, mean, std, to_raw), z)


_OVERSAMPLE = 10  # extra directions carried along, so the k wanted converge quickly
_POWER_ITERATIONS = 3


def _leading_axes(centred: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The top-k variances (descending) and principal axes (d, k) of row-centred data."""
    n, d = centred.shape
    width = min(d, k + _OVERSAMPLE)
    q = np.random.default_rng(seed).standard_normal((d, width)).astype(centred.dtype)
    for _ in range(_POWER_ITERATIONS):
        q = np.linalg.qr(centred.T @ (centred @ q))[0]
    b = (centred @ q).astype(np.float64)
    values, vectors = np.linalg.eigh(b.T @ b / max(n - 1, 1))  # Rayleigh-Ritz in the found subspace
    order = np.argsort(values)[::-1][:k]
    return values[order], q.astype(np.float64) @ vectors[:, order]

