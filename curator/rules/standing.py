"""Where a photo stands in its shoot: its rank and percentile among the photos of its folder.

A tile shows this instead of the raw fused score, which means little on its
own (a 0.74 can be a folder's best or its worst). Pure functions over
{photo id: value}; higher values rank first.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

TILE_NUMBERS = ("rank", "percentile", "raw")  # what a tile shows: the [gallery] tile_number setting
K = TypeVar("K", bound=Hashable)  # a photo id


@dataclass(frozen=True)
class Standing:
    rank: int  # 1 = the folder's best; ties share the better rank
    of: int  # photos ranked in the folder
    percentile: float  # 0..1: share of the other photos with a lower value (ties count half)


def finite_values(values: Mapping[K, float | None]) -> dict[K, float]:
    """The values that are numbers: None, NaN and infinities left out."""
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


def percentile_in_folder(values: Mapping[K, float | None]) -> dict[K, float]:
    """id -> share (0..1) of the other photos with a lower value (ties count half); 1.0 for a folder of one."""
    items = finite_values(values)
    n = len(items)
    if n == 1:
        return {k: 1.0 for k in items}
    ordered = sorted(items.values())
    out = {}
    for key, v in items.items():
        below = bisect.bisect_left(ordered, v)
        equal = bisect.bisect_right(ordered, v) - below - 1
        out[key] = (below + 0.5 * equal) / (n - 1)
    return out


def standings(values: Mapping[K, float | None]) -> dict[K, Standing]:
    """id -> its rank and percentile among the finite values given (one folder's)."""
    items = finite_values(values)
    ascending = sorted(items.values())
    percentiles = percentile_in_folder(items)
    n = len(items)
    # rank: one more than the number of strictly higher values
    return {key: Standing(n - bisect.bisect_right(ascending, v) + 1, n, percentiles[key])
            for key, v in items.items()}


def tile_text(standing: Standing | None, raw: float | None, kind: str = "rank") -> str:
    """The number on a tile: "3/24" (rank), "top 12%" (percentile) or the raw score ("0.741")."""
    if kind == "raw":
        return "" if raw is None or not math.isfinite(raw) else f"{raw:.3f}"
    if standing is None:
        return ""
    if kind == "percentile":
        top = max(1, math.ceil(100 * (1 - standing.percentile))) if standing.of > 1 else 100
        return f"top {top}%"
    return f"{standing.rank}/{standing.of}"
