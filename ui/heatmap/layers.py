"""The heatmap's layers beside the fused score: each quality dimension per view, and focus per measurement
window, each with its colour range taken from the shoot (the photo's folder). No Qt here.

Ranges: the fused score and each dimension span the lowest to the highest photo value in the folder; focus
(the variance of the Laplacian per window, on a log scale) spans from a quarter of the folder's median
sharpest-window focus (what the reasons call blurry) to the folder's highest.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ui.heatmap.cells import LayerWindow

FUSED, FOCUS = "fused", "focus"


@dataclass(frozen=True)
class HeatLayer:
    name: str
    windows: tuple[LayerWindow, ...]  # empty for "fused": the pane draws the score's own views
    size: tuple[int, int] | None  # the image size the windows' boxes refer to
    value_range: tuple[float, float] | None  # the shoot's: red at the low end, green at the high end


def _span(values: Iterable[float | None]) -> tuple[float, float] | None:
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if len(finite) < 2 or max(finite) - min(finite) < 1e-12:
        return None
    return min(finite), max(finite)


def _log_focus(v: float) -> float:
    return math.log10(1.0 + max(v, 0.0))


def layers_for(view_boxes: Sequence[tuple[int, int, int, int] | None],
               view_dimensions: Sequence[Mapping[str, float]], scored_size: tuple[int, int] | None,
               focus_boxes: Sequence[tuple[int, int, int, int]], focus_values: Sequence[float],
               measured_size: tuple[int, int] | None, folder_dimensions: Sequence[Mapping[str, float]],
               folder_focus: Sequence[float], folder_fused: Sequence[float | None]) -> dict[str, HeatLayer]:
    """fused, each dimension (in the views' order of names) and focus, as the pane's layer choice lists them."""
    layers = {FUSED: HeatLayer(FUSED, (), scored_size, _span(folder_fused))}
    names = list(dict.fromkeys(n for dims in view_dimensions for n in dims))
    for name in names:
        windows = tuple(LayerWindow(box, dims[name]) for box, dims in zip(view_boxes, view_dimensions, strict=False)
                        if box is not None and name in dims)
        if windows:
            layers[name] = HeatLayer(name, windows, scored_size, _span(d.get(name) for d in folder_dimensions))
    if focus_boxes and measured_size:
        windows = tuple(LayerWindow(box, _log_focus(v)) for box, v in zip(focus_boxes, focus_values, strict=False))
        focus = [f for f in folder_focus if math.isfinite(f)]
        value_range = None
        if len(focus) >= 2:
            lo, hi = _log_focus(0.25 * statistics.median(focus)), _log_focus(max(focus))
            value_range = (lo, hi) if hi - lo > 1e-12 else None
        layers[FOCUS] = HeatLayer(FOCUS, windows, measured_size, value_range)
    return layers
