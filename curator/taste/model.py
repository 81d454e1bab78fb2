"""The stored taste model: a plain, versioned record of a linear model, and applying it.

A model is an intercept plus, per feature group, the columns it was trained
on, each column's training mean (`center`, also what a missing value is
taken to be), its training spread (`scale`, to say which columns matter) and
its weight per unit of the raw value (`coef`; standardisation and the
embedding's principal axes are folded in at training). So applying it is one
dot product per group, and the record is numbers and names only: it is
stored as JSON, never as a pickle, and reads back exactly.

    taste = sigmoid(intercept + sum over columns of coef * (value - center))
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from curator.errors import UserError
from curator.taste.features import FeatureTable

RECORD_FORMAT = 1  # bump when the record's layout changes; an unknown format is refused, never guessed at


class TasteError(UserError):
    """Training or applying the taste model is not possible; the message is one line a user can act on."""


class TasteModelStale(TasteError):
    """The stored model was trained on another engine's features: it must be retrained."""


@dataclass(frozen=True)
class GroupWeights:
    group: str
    columns: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    # The standard deviation, over the training photos, of what this group adds to the log-odds of a
    # keep: how much the group moves the model. (An embedding's weights per dimension say little on
    # their own: its dimensions are correlated, and large weights cancel.)
    spread: float = 0.0


@dataclass(frozen=True)
class TasteMetrics:
    """Stratified k-fold cross-validated figures (means over the folds), and the fused score's on the same folds."""

    auc: float
    balanced_accuracy: float
    baseline_auc: float  # the generic fused score ranked against the same labels
    baseline_balanced_accuracy: float  # the fused score cut at the threshold best on each training fold
    folds: int


@dataclass(frozen=True)
class TasteModel:
    fingerprint: str  # the engine whose embedding and cues it was trained on
    intercept: float
    groups: tuple[GroupWeights, ...]
    n_positive: int
    n_negative: int
    metrics: TasteMetrics
    trained_at: float  # epoch seconds
    regularisation_c: float  # inverse L2 strength on standardised features
    embedding_components: int  # principal axes of the embedding the model was fitted on (0: no embedding)
    record_format: int = RECORD_FORMAT

    @property
    def n_train(self) -> int:
        return self.n_positive + self.n_negative

    def to_json(self) -> str:
        return json.dumps(_as_dict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TasteModel:
        try:
            data = json.loads(text)
            return _from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise TasteError(f"the stored taste model cannot be read ({exc}); run `curator learn` again") from None

    def group_spreads(self) -> list[tuple[str, float]]:
        """Each group and how much it moves the log-odds (GroupWeights.spread), largest first."""
        return sorted(((g.group, g.spread) for g in self.groups), key=lambda p: (-p[1], p[0]))

    def top_columns(self, count: int = 8) -> list[tuple[str, float]]:
        """The scalar columns (all but the embedding's) with the largest change in log-odds per training
        standard deviation: what the model leans on. Positive: a larger value makes a keep likelier."""
        pairs = [(name, c * s) for g in self.groups if g.group != "embedding"
                 for name, c, s in zip(g.columns, g.coef, g.scale, strict=True)]
        pairs.sort(key=lambda p: (-abs(p[1]), p[0]))
        return pairs[:count]


def check_applicable(model: TasteModel, fingerprint: str) -> None:
    """Refuse a model trained on another engine: its embedding and cues mean something else."""
    if model.fingerprint != fingerprint:
        raise TasteModelStale("the taste model was trained on another engine's scores; "
                              "run `curator learn` again to retrain it on the current ones")


def predict(model: TasteModel, table: FeatureTable) -> np.ndarray:
    """The probability of a keep for each photo of `table`, as float64 (n,).

    A group or column the table lacks counts as its training mean (no effect). The embedding
    group is multiplied in its own dtype (float32 as stored), so 100k photos need no copy.
    """
    return _sigmoid(linear_logits(model.intercept, model.groups, table))


def linear_logits(intercept: float, groups: tuple[GroupWeights, ...], table: FeatureTable) -> np.ndarray:
    """intercept + the groups' centred dot products: the log-odds of a keep (predict without a full record)."""
    logit = np.full(table.n, intercept, dtype=np.float64)
    for weights in groups:
        group = table.group(weights.group)
        if group is None:
            continue
        if weights.group == "embedding" and len(group.columns) != len(weights.columns):
            raise TasteError(f"the taste model expects {len(weights.columns)}-d embeddings but the catalog holds "
                             f"{len(group.columns)}-d ones; run `curator learn` again")
        coef = np.asarray(weights.coef, dtype=np.float64)
        center = np.asarray(weights.center, dtype=np.float64)
        values = group.values
        if group.columns != weights.columns:  # matched by name: a column the table lacks has no effect
            index = {name: j for j, name in enumerate(group.columns)}
            shared = [k for k, name in enumerate(weights.columns) if name in index]
            coef, center = coef[shared], center[shared]
            values = values[:, [index[weights.columns[k]] for k in shared]]
        logit += _centred_dot(values, center, coef)
    return logit


def _centred_dot(values: np.ndarray, center: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """(values - center) @ coef, with NaN taken as center, without materialising the centred matrix."""
    dtype = values.dtype if values.dtype in (np.float32, np.float64) else np.float64
    out = (values @ coef.astype(dtype)).astype(np.float64) - float(center @ coef)
    missing = np.isnan(out)
    if missing.any():  # few rows: fill their NaN with the centre and redo them
        rows = values[missing].astype(np.float64)
        rows = np.where(np.isnan(rows), center, rows)
        out[missing] = (rows - center) @ coef
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a negative number only: no overflow warning for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# -- the JSON record -----------------------------------------------------------------


def _as_dict(m: TasteModel) -> dict[str, Any]:
    return {
        "record_format": m.record_format,
        "fingerprint": m.fingerprint,
        "trained_at": m.trained_at,
        "n_positive": m.n_positive,
        "n_negative": m.n_negative,
        "regularisation_c": m.regularisation_c,
        "embedding_components": m.embedding_components,
        "metrics": {
            "auc": m.metrics.auc,
            "balanced_accuracy": m.metrics.balanced_accuracy,
            "baseline_auc": m.metrics.baseline_auc,
            "baseline_balanced_accuracy": m.metrics.baseline_balanced_accuracy,
            "folds": m.metrics.folds,
        },
        "intercept": m.intercept,
        "groups": [
            {"group": g.group, "columns": list(g.columns), "center": list(g.center), "scale": list(g.scale),
             "coef": list(g.coef), "spread": g.spread}
            for g in m.groups
        ],
    }


def _from_dict(d: Mapping[str, Any]) -> TasteModel:
    fmt = int(d["record_format"])
    if fmt != RECORD_FORMAT:
        raise ValueError(f"record format {fmt}, this curator reads {RECORD_FORMAT}")
    groups = []
    for g in d["groups"]:
        columns = tuple(str(c) for c in g["columns"])
        center, scale, coef = (tuple(float(x) for x in g[key]) for key in ("center", "scale", "coef"))
        if not len(center) == len(scale) == len(coef) == len(columns):
            raise ValueError(f"group {g['group']!r} has arrays of different lengths")
        if not all(math.isfinite(x) for a in (center, scale, coef) for x in a):
            raise ValueError(f"group {g['group']!r} holds a non-finite number")
        groups.append(GroupWeights(str(g["group"]), columns, center, scale, coef, spread=float(g["spread"])))
    mt = d["metrics"]
    metrics = TasteMetrics(float(mt["auc"]), float(mt["balanced_accuracy"]), float(mt["baseline_auc"]),
                           float(mt["baseline_balanced_accuracy"]), int(mt["folds"]))
    return TasteModel(
        fingerprint=str(d["fingerprint"]), intercept=float(d["intercept"]), groups=tuple(groups),
        n_positive=int(d["n_positive"]), n_negative=int(d["n_negative"]), metrics=metrics,
        trained_at=float(d["trained_at"]), regularisation_c=float(d["regularisation_c"]),
        embedding_components=int(d["embedding_components"]), record_format=fmt)
