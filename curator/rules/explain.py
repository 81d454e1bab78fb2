"""A photo's measurements and reasons in words a photographer reads: "3.2 % highlights clipped", "noise σ 6.1".

Pure text from the values the catalog stores (iqa_engine.measures scalars by
name); the gallery's "Why" section shows them (explain), with each quality
dimension's percentile in the photo's folder.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from curator.rules.reasons import focus_relative_to_contrast
from curator.rules.standing import percentile_in_folder


class QualityLike(Protocol):
    """A shot's stored quality values (curator.catalog.QualityRow)."""

    @property
    def photo_id(self) -> Hashable: ...
    @property
    def dimensions(self) -> Mapping[str, float]: ...
    @property
    def measures(self) -> Mapping[str, float]: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...

# One line each, for tooltips and the detail pane.
REASON_HINTS = {
    "blurry": "missed focus or camera shake: far less fine detail than the rest of the shoot",
    "noisy": "visible noise or grain, well above the rest of the shoot",
    "too-dark": "under-exposed: even its brightest tones stay dark",
    "too-bright": "over-exposed: highlights clipped to white",
    "flat": "low contrast: tones squeezed into a narrow range",
    "colour-cast": "a colour cast: the average colour is far from neutral",
    "composition": "the model finds the framing weak (zero-shot, no measurement)",
}


def _percent(share: float) -> str:
    value = 100.0 * share
    if 0.0 < value < 0.05:
        return "< 0.1 %"
    return f"{value:.1f} %"


def measure_lines(measures: Mapping[str, float], focus_median: float | None = None) -> list[tuple[str, str]]:
    """(label, text) for each measurement present, in photographer units.

    focus_median: the folder's median focus relative to contrast
    (curator.rules.reasons.focus_relative_to_contrast), so focus reads as a multiple
    of the shoot's; without it the best window's raw value is given.
    """
    lines: list[tuple[str, str]] = []
    focus = focus_relative_to_contrast(measures)
    if focus is not None:
        if focus_median is not None and focus_median > 0 and math.isfinite(focus_median):
            lines.append(("Focus", f"{focus / focus_median:.2g}× the shoot's median (sharpest area)"))
        elif "focus_best" in measures:
            lines.append(("Focus", f"{measures['focus_best']:.0f} in the sharpest area (variance of the Laplacian)"))
    if "noise_sigma" in measures:
        lines.append(("Noise", f"noise σ {measures['noise_sigma']:.1f} (of 255 levels)"))
    if "clipped_white" in measures:
        lines.append(("Highlights", f"{_percent(measures['clipped_white'])} highlights clipped"))
    if "clipped_black" in measures:
        lines.append(("Shadows", f"{_percent(measures['clipped_black'])} shadows clipped"))
    if "luma_mean" in measures:
        text = f"mean {100 * measures['luma_mean'] / 255:.0f} %"
        if "luma_p99" in measures:
            text += f", brightest tones {100 * measures['luma_p99'] / 255:.0f} %"
        lines.append(("Brightness", text))
    if "luma_spread" in measures:
        lines.append(("Contrast", f"tones span {100 * measures['luma_spread'] / 255:.0f} % of the range (5–95 %)"))
    if "colour_cast" in measures:
        lines.append(("Colour", f"average colour {100 * measures['colour_cast']:.0f} % off neutral grey"))
    return lines


@dataclass(frozen=True)
class DimensionStanding:
    name: str
    value: float  # 0..1, higher is better
    percentile: float | None  # 0..1 among the folder's photos (1 = the folder's best); None alone in it


@dataclass(frozen=True)
class Why:
    """What the detail pane's "Why" section shows for one photo."""

    photo_id: int
    reasons: tuple[str, ...]
    dimensions: tuple[DimensionStanding, ...]
    measures: tuple[tuple[str, str], ...]  # (label, text) in photographer units


def explain(photo_id: int, quality: QualityLike, folder: Sequence[QualityLike]) -> Why:
    """The Why of one photo from its quality values and those of its folder's photos (itself included)."""
    names = list(quality.dimensions)
    dims = []
    for name in names:
        pct = percentile_in_folder({r.photo_id: r.dimensions.get(name) for r in folder}).get(quality.photo_id)
        dims.append(DimensionStanding(name, float(quality.dimensions[name]),
                                      pct if sum(1 for r in folder if name in r.dimensions) > 1 else None))
    focus = [f for f in (focus_relative_to_contrast(r.measures) for r in folder) if f is not None]
    median = statistics.median(focus) if len(focus) > 1 else None
    return Why(photo_id, tuple(quality.reasons), tuple(dims), tuple(measure_lines(quality.measures, median)))
