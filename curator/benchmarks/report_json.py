"""The benchmarks' reports as JSON: the CLI's --json and the scripts under bench/ write them alike."""

from __future__ import annotations

import math


def finite_json(obj: object) -> object:
    """obj with every non-finite float as None (JSON has no NaN: write null) and tuples as lists."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj
