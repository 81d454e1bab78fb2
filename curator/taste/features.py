"""What the taste model sees of a photo: feature groups assembled from whatever the catalog holds.

One adapter, `feature_table`, turns column-wise inputs into named groups of
columns. A group the catalog does not hold yet (per-dimension values, classic
measurements, EXIF) is simply absent, and a single value a photo lacks is
NaN; the model imputes it with its training mean, so it adds nothing to that
photo's taste. Column names are stable strings ("exif.log2_iso",
"measures.noise_sigma", "embedding.17"); the stored model records them, so a
model and a table are matched by name, never by position.

The groups, in the order the model lists them:
  embedding   the stored CLIP image embedding (L2-normalised, one column per dimension)
  cues        MA-CLIP's fused score, its cosine and magnitude cues and their fusion weights
  dimensions  per-dimension quality values (zero-shot prompts), where stored
  measures    classic measurements (focus, noise, clipping, luminance...), where stored
  exif        ISO, shutter time and focal length, as log2 (each step is one stop or a doubling)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

GROUP_ORDER = ("embedding", "cues", "dimensions", "measures", "exif")
CUE_COLUMNS = ("fused", "cosine", "magnitude", "w_cosine", "w_magnitude")
# Raw EXIF field -> the column the model sees. ISO, exposure time and focal length each act
# multiplicatively (stops, zoom), so their log is what a linear model can use.
EXIF_COLUMNS = {"iso": "log2_iso", "exposure_time": "log2_exposure_time", "focal_length": "log2_focal_length"}


class FeatureError(ValueError):
    """Inputs that cannot form a feature table (mismatched lengths, a bad name); a bug, not a user error."""


@dataclass(frozen=True)
class FeatureInputs:
    """What is stored for n photos, column-wise. Leave out (None or empty) what is not stored.

    embedding: (n, d) array; a photo without one has a row of NaN.
    cues: CUE_COLUMNS names -> (n,) arrays.
    dimensions, measures: a name per dimension or measurement -> (n,) arrays.
    exif: 'iso', 'exposure_time' (seconds), 'focal_length' (mm) -> (n,) arrays, NaN or <= 0 if unknown.
    """

    n: int
    embedding: np.ndarray | None = None
    cues: Mapping[str, np.ndarray] = field(default_factory=dict)
    dimensions: Mapping[str, np.ndarray] = field(default_factory=dict)
    measures: Mapping[str, np.ndarray] = field(default_factory=dict)
    exif: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class FeatureGroup:
    name: str
    columns: tuple[str, ...]  # qualified: "<group>.<column>"
    values: np.ndarray  # (n, len(columns)); NaN where a photo lacks the value


@dataclass(frozen=True, eq=False)
class FeatureTable:
    n: int
    groups: tuple[FeatureGroup, ...]

    def group(self, name: str) -> FeatureGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for g in self.groups for c in g.columns)

    def rows(self, index: np.ndarray) -> FeatureTable:
        """The same groups for a subset of photos (an index or boolean mask)."""
        sub = [FeatureGroup(g.name, g.columns, g.values[index]) for g in self.groups]
        return FeatureTable(len(sub[0].values) if sub else int(np.count_nonzero(index)), tuple(sub))


def feature_table(inputs: FeatureInputs) -> FeatureTable:
    """The adapter: every group present in `inputs`, in GROUP_ORDER, with EXIF put on a log2 scale."""
    groups: list[FeatureGroup] = []
    if inputs.embedding is not None:
        emb = np.asarray(inputs.embedding)
        if emb.ndim != 2 or emb.shape[0] != inputs.n:
            raise FeatureError(f"embedding has shape {emb.shape}, expected ({inputs.n}, d)")
        if not np.issubdtype(emb.dtype, np.floating):
            emb = emb.astype(np.float64)
        groups.append(FeatureGroup("embedding", tuple(f"embedding.{i}" for i in range(emb.shape[1])), emb))
    unknown = set(inputs.cues) - set(CUE_COLUMNS)
    if unknown:
        raise FeatureError(f"unknown cue {sorted(unknown)[0]!r}; cues are {', '.join(CUE_COLUMNS)}")
    cues = {name: inputs.cues[name] for name in CUE_COLUMNS if name in inputs.cues}
    for name, columns in (("cues", cues), ("dimensions", inputs.dimensions), ("measures", inputs.measures)):
        if columns:
            groups.append(_scalar_group(name, dict(columns), inputs.n))
    unknown = set(inputs.exif) - set(EXIF_COLUMNS)
    if unknown:
        raise FeatureError(f"unknown EXIF field {sorted(unknown)[0]!r}; fields are {', '.join(EXIF_COLUMNS)}")
    if inputs.exif:
        logged = {EXIF_COLUMNS[k]: _log2_positive(inputs.exif[k]) for k in EXIF_COLUMNS if k in inputs.exif}
        groups.append(_scalar_group("exif", logged, inputs.n))
    return FeatureTable(inputs.n, tuple(groups))


def _scalar_group(group: str, columns: dict[str, np.ndarray], n: int) -> FeatureGroup:
    names = sorted(columns)  # sorted: the same inputs give the same column order, whatever the dict order
    for name in names:
        if not name or "." in name:
            raise FeatureError(f"bad {group} name {name!r}: it must be non-empty and have no '.'")
    values = np.empty((n, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        col = np.asarray(columns[name], dtype=np.float64)
        if col.shape != (n,):
            raise FeatureError(f"{group}.{name} has shape {col.shape}, expected ({n},)")
        values[:, j] = col
    values[~np.isfinite(values)] = np.nan  # an infinite value is as unknown as a missing one
    return FeatureGroup(group, tuple(f"{group}.{name}" for name in names), values)


def _log2_positive(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v) & (v > 0)
    out[ok] = np.log2(v[ok])
    return out
