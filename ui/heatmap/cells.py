"""Per-window scores -> a heatmap over the preview: where in the frame the quality is low.

MA-CLIP scores overlapping 224-px windows (KonIQ protocol: stride 128) plus a
global view. Each cell of a coarse grid over the scored image takes the mean
value of the windows covering it: the fused score, a quality dimension of
each window, or the focus of each measurement window (LayerWindow). The
colours span the shoot's range when one is given (red = as weak as the
folder's weakest photo, green = as good as its best), so the best frame of a
folder is mostly green; without one, this photo's own windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    from curator.catalog import ViewRecord

GRID_LONG_SIDE = 64
SMOOTH_PASSES = 6  # display only; score_grid's default is the exact per-cell mean

# colour stops: low -> high (RGBA, alpha 0..255)
_STOPS = np.array([
    [215, 48, 39, 170],  # red, strong
    [252, 141, 89, 130],
    [254, 224, 139, 95],
    [145, 207, 96, 70],
    [26, 152, 80, 60],  # green, faint
], dtype=np.float64)


def window_views(views: Sequence[ViewRecord | LayerWindow]) -> list[ViewRecord | LayerWindow]:
    """The views that have a box (the windows), without the global view."""
    return [v for v in views if getattr(v, "box", None) is not None]


@dataclass(frozen=True)
class LayerWindow:
    """One window of another heatmap layer than the fused score: a quality dimension, or focus."""

    box: tuple[int, int, int, int] | None
    fused: float  # the layer's value (named as ViewRecord's, so the grid reads both alike)


def score_grid(views: Sequence[ViewRecord | LayerWindow], scored_size: tuple[int, int] | None,
               long_side: int = GRID_LONG_SIDE, smooth: int = 0, *,
               windows: Sequence[ViewRecord | LayerWindow] | None = None) -> np.ndarray | None:
    """(rows, cols) mean fused score of the windows covering each cell; NaN where none does.

    None when there are no windows (global protocol, or no score yet). `windows`: window_views(views),
    when the caller has it already.
    """
    if windows is None:
        windows = window_views(views)
    if not windows or not scored_size:
        return None
    sw, sh = scored_size
    if sw <= 0 or sh <= 0:
        return None
    scale = long_side / max(sw, sh)
    gw, gh = max(1, round(sw * scale)), max(1, round(sh * scale))
    total = np.zeros((gh, gw), dtype=np.float64)
    count = np.zeros((gh, gw), dtype=np.float64)
    for v in windows:
        if v.box is None:  # window_views leaves the global view out; a stray one covers nothing
            continue
        left, top, right, bottom = v.box
        c0 = int(np.clip(np.floor(left * gw / sw), 0, gw - 1))
        c1 = int(np.clip(np.ceil(right * gw / sw), c0 + 1, gw))
        r0 = int(np.clip(np.floor(top * gh / sh), 0, gh - 1))
        r1 = int(np.clip(np.ceil(bottom * gh / sh), r0 + 1, gh))
        total[r0:r1, c0:c1] += float(v.fused)
        count[r0:r1, c0:c1] += 1.0
    covered = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = np.where(covered, total / np.where(covered, count, 1.0), 0.0)
    if smooth:
        # soften the windows' hard edges: a normalised blur over covered cells only
        weight = _blur(covered.astype(np.float64), smooth)
        with np.errstate(invalid="ignore", divide="ignore"):
            grid = _blur(grid * covered, smooth) / weight
    grid[~covered] = np.nan
    return grid


def _blur(a: np.ndarray, passes: int) -> np.ndarray:
    """A separable [1 2 1]/4 blur applied `passes` times, edges clamped."""
    out = a
    for _ in range(passes):
        p = np.pad(out, 1, mode="edge")
        out = (p[:-2, 1:-1] + 2 * p[1:-1, 1:-1] + p[2:, 1:-1]) / 4
        p = np.pad(out, 1, mode="edge")
        out = (p[1:-1, :-2] + 2 * p[1:-1, 1:-1] + p[1:-1, 2:]) / 4
    return out


def colorize(grid: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """A score grid -> (rows, cols, 4) uint8 RGBA: red at the low end of `value_range` (the shoot's), green at
    the high end, clipped; without a range, relative to the grid's own."""
    finite = np.isfinite(grid)
    rgba = np.zeros(grid.shape + (4,), dtype=np.uint8)
    if not finite.any():
        return rgba
    lo, hi = value_range if value_range is not None else (float(np.nanmin(grid)), float(np.nanmax(grid)))
    t = np.zeros_like(grid) + 0.5 if hi - lo < 1e-12 else (grid - lo) / (hi - lo)
    t = np.where(finite, np.clip(t, 0.0, 1.0), 0.0)
    pos = t * (len(_STOPS) - 1)
    i0 = np.clip(np.floor(pos).astype(int), 0, len(_STOPS) - 2)
    frac = (pos - i0)[..., None]
    colours = _STOPS[i0] * (1.0 - frac) + _STOPS[i0 + 1] * frac
    rgba[:] = np.clip(colours + 0.5, 0, 255).astype(np.uint8)
    rgba[~finite] = 0
    return rgba


def heatmap_image(views: Sequence[ViewRecord | LayerWindow], scored_size: tuple[int, int] | None,
                  long_side: int = GRID_LONG_SIDE, *, windows: Sequence[ViewRecord | LayerWindow] | None = None,
                  value_range: tuple[float, float] | None = None) -> QImage | None:
    """A small RGBA QImage covering the whole scored image; draw it scaled (smoothly) over the preview.
    `windows`: window_views(views), when the caller has it already; `value_range`: colorize's."""
    grid = score_grid(views, scored_size, long_side, smooth=SMOOTH_PASSES, windows=windows)
    if grid is None:
        return None
    rgba = np.ascontiguousarray(colorize(grid, value_range))
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def score_range(views: Sequence[ViewRecord | LayerWindow], *,
                windows: Sequence[ViewRecord | LayerWindow] | None = None) -> tuple[float, float] | None:
    """(lowest, highest) fused score of the windows, or None; `windows` as for heatmap_image."""
    if windows is None:
        windows = window_views(views)
    if not windows:
        return None
    scores = [float(v.fused) for v in windows]
    return min(scores), max(scores)
