"""Classic image measurements, no model: focus, noise, exposure, contrast, colour cast.

Pure numpy on the 8-bit RGB image the engine already decoded for its views
(capped at 1024 px on the long side), a few milliseconds per photo. Each
measurement is a textbook method, cited where it is computed, so any value
can be checked by hand on any photo.

Everything is measured on luminance (Rec. 709 luma of the gamma-encoded
values, 0..255) except the colour cast. Values depend on the resolution they
are measured at (a 24-MP frame downscaled to 1024 px is sharper and less noisy
than its full-size pixels), so compare them between photos measured the same
way, which is what the reasons do (relative to the photo's folder).

Focus windows: the frame is cut into ``focus_grid = (rows, cols)`` equal
cells, FOCUS_CELLS_LONG_SIDE (8) along the long side and
``max(1, round(8 * short / long))`` along the short side (8 x 6 for a 4:3
landscape frame; fewer on a tiny image, at least 3 pixels per cell). Cell (r, c) covers image rows ``r*H//rows .. (r+1)*H//rows``
(end exclusive) and columns likewise; ``focus_windows`` lists the cells
row-major; ``focus_boxes(width, height)`` gives their (left, top, right,
bottom) boxes in the measured image's coordinates, as the engine's view boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Bumped whenever a measurement's definition changes, so stored values are recomputed (it is part of
# the engine's dimensions fingerprint).
MEASURES_VERSION = 1
# Rec. ITU-R BT.709 luma coefficients (R, G, B).
LUMA_WEIGHTS = (0.2126, 0.7152, 0.0722)
# A pixel is clipped to white when its luma is at or above WHITE_LEVEL, to
# black at or below BLACK_LEVEL (8-bit). A margin of a few levels catches the
# JPEG ringing around a blown area.
WHITE_LEVEL = 250
BLACK_LEVEL = 5
FOCUS_CELLS_LONG_SIDE = 8
# Share of the highest-gradient pixels left out of the noise estimate (edges and texture).
NOISE_EDGE_SHARE = 0.10


@dataclass(frozen=True)
class Measures:
    """One photo's classic measurements, in the units named beside each field."""

    focus: float  # variance of the Laplacian of luma over the whole frame (8-bit units squared)
    focus_best: float  # the same in the sharpest window (the subject may be small)
    noise_sigma: float  # estimated std of the noise in luma, 8-bit units
    clipped_white: float  # share of pixels (0..1) with luma >= WHITE_LEVEL
    clipped_black: float  # share of pixels (0..1) with luma <= BLACK_LEVEL
    luma_mean: float  # 0..255
    luma_median: float  # 0..255
    luma_p99: float  # 99th percentile of luma, 0..255: where the brightest tones reach
    contrast_rms: float  # std of luma / 255 (0..0.5)
    luma_spread: float  # 95th minus 5th percentile of luma, 8-bit units
    colour_cast: float  # grey-world deviation: RMS of channel means around their mean, / that mean
    focus_grid: tuple[int, int]  # (rows, cols) of the focus windows
    focus_windows: tuple[float, ...]  # per-window variance of the Laplacian, row-major
    size: tuple[int, int]  # (width, height) of the measured image

    def scalars(self) -> dict[str, float]:
        """The per-photo measurements by name (without the per-window values): for a catalog or JSON."""
        return {name: float(getattr(self, name)) for name in SCALAR_NAMES}

    def focus_map(self) -> np.ndarray:
        """The focus windows as a (rows, cols) float64 array."""
        rows, cols = self.focus_grid
        return np.asarray(self.focus_windows, dtype=np.float64).reshape(rows, cols)

    def focus_boxes(self) -> tuple[tuple[int, int, int, int], ...]:
        """(left, top, right, bottom) of each focus window, row-major, right/bottom exclusive."""
        return focus_boxes(self.size, self.focus_grid)


SCALAR_NAMES = ("focus", "focus_best", "noise_sigma", "clipped_white", "clipped_black", "luma_mean",
                "luma_median", "luma_p99", "contrast_rms", "luma_spread", "colour_cast")


def focus_boxes(size: tuple[int, int], grid: tuple[int, int]) -> tuple[tuple[int, int, int, int], ...]:
    """(left, top, right, bottom) of each focus window of an image of `size` (width, height) cut into `grid`
    (rows, cols), row-major, right/bottom exclusive."""
    width, height = size
    rows, cols = grid
    ys, xs = _cell_edges(height, rows), _cell_edges(width, cols)
    return tuple((xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(rows) for c in range(cols))


def focus_grid_shape(width: int, height: int) -> tuple[int, int]:
    """(rows, cols) of the focus windows for an image of this size."""
    long_side, short_side = max(width, height), min(width, height)
    # at least 3 pixels per cell, so every cell holds a Laplacian response
    cells_long = max(1, min(FOCUS_CELLS_LONG_SIDE, long_side // 3))
    cells_short = max(1, min(short_side // 3, round(FOCUS_CELLS_LONG_SIDE * short_side / max(long_side, 1))))
    return (cells_short, cells_long) if width >= height else (cells_long, cells_short)


def measure(image: np.ndarray) -> Measures:
    """Measure an 8-bit RGB image (H x W x 3, uint8). Raises ValueError on anything else."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 uint8 RGB image, got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    if height < 3 or width < 3:
        raise ValueError(f"image too small to measure: {width}x{height}")
    rgb = image.reshape(-1, 3).astype(np.float32)
    luma = (rgb @ np.asarray(LUMA_WEIGHTS, dtype=np.float32)).reshape(height, width)
    # Mean, spread and clipping from the histogram of luma rounded to 8-bit
    # levels (a rounding error of at most half a level).
    histogram = np.bincount(np.rint(luma).astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    n = float(luma.size)
    levels = np.arange(256, dtype=np.float64)
    mean = float(histogram @ levels / n)
    variance = max(float(histogram @ (levels - mean) ** 2 / n), 0.0)
    cumulative = np.cumsum(histogram) / n
    rows, cols = focus_grid_shape(width, height)
    windows, whole = _laplacian_variance(luma, rows, cols)
    return Measures(
        focus=whole,
        focus_best=float(windows.max()),
        noise_sigma=_immerkaer_sigma(luma),
        clipped_white=float(histogram[WHITE_LEVEL:].sum() / n),
        clipped_black=float(histogram[:BLACK_LEVEL + 1].sum() / n),
        luma_mean=mean,
        luma_median=_percentile(cumulative, 0.5),
        luma_p99=_percentile(cumulative, 0.99),
        # RMS contrast: the standard deviation of normalised intensities
        # (Peli, "Contrast in complex images", JOSA A 7(10), 1990).
        contrast_rms=math.sqrt(variance) / 255.0,
        luma_spread=_percentile(cumulative, 0.95) - _percentile(cumulative, 0.05),
        colour_cast=_grey_world_deviation(rgb),
        focus_grid=(rows, cols),
        focus_windows=tuple(float(v) for v in windows.ravel()),
        size=(width, height),
    )


def _cell_edges(length: int, cells: int) -> list[int]:
    return [i * length // cells for i in range(cells + 1)]


def _laplacian_variance(luma: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, float]:
    """Variance of the Laplacian per window and over the whole frame.

    Pech-Pacheco, Cristóbal, Chamorro-Martínez and Fernández-Valdivia,
    "Diatom autofocusing in brightfield microscopy: a comparative study",
    ICPR 2000: the variance of the 4-neighbour Laplacian response grows with
    the high-frequency content a sharp image has and a blurred one lacks.
    The response is taken at interior pixels (no padding) and each window
    covers the responses whose centre pixel falls in it.
    """
    lap = (luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:]
           - np.float32(4.0) * luma[1:-1, 1:-1]).astype(np.float64)  # float64: exact sums of squares
    height, width = luma.shape
    # window edges in the interior's coordinates (interior pixel i is image pixel i + 1)
    ys = np.clip(np.asarray(_cell_edges(height, rows)[:-1]) - 1, 0, lap.shape[0] - 1)
    xs = np.clip(np.asarray(_cell_edges(width, cols)[:-1]) - 1, 0, lap.shape[1] - 1)
    counts = np.outer(np.diff(np.append(ys, lap.shape[0])), np.diff(np.append(xs, lap.shape[1])))
    sums = np.add.reduceat(np.add.reduceat(lap, ys, axis=0), xs, axis=1)
    squares = np.add.reduceat(np.add.reduceat(lap * lap, ys, axis=0), xs, axis=1)
    means = sums / counts
    windows = np.maximum(squares / counts - means * means, 0.0)
    total = float(counts.sum())
    mean = float(sums.sum()) / total
    whole = max(float(squares.sum()) / total - mean * mean, 0.0)
    return windows, whole


def _immerkaer_sigma(luma: np.ndarray) -> float:
    """Noise standard deviation, Immerkær's fast method, ignoring edges.

    Immerkær, "Fast Noise Variance Estimation", Computer Vision and Image
    Understanding 64(2), 1996: the mask [[1,-2,1],[-2,4,-2],[1,-2,1]] (the
    difference of two Laplacians) cancels image structure up to second order
    and leaves 6·σ of Gaussian noise, so σ = sqrt(π/2)·mean|I*M| / 6.
    As Tai and Yang ("Fast noise variance estimation with edge detection",
    ICPR 2008) propose, the pixels with the strongest Sobel gradient
    (NOISE_EDGE_SHARE of them) are left out: edges and texture are not noise.
    """
    two = np.float32(2.0)
    # the mask is separable: outer([1, -2, 1], [1, -2, 1])
    d = luma[:, :-2] + luma[:, 2:]
    d -= two * luma[:, 1:-1]
    response = d[:-2] + d[2:]
    response -= two * d[1:-1]
    np.abs(response, out=response)
    # Sobel gradient magnitude (L1) at the same interior pixels
    dx = luma[:, 2:] - luma[:, :-2]
    gradient = dx[:-2] + dx[2:]
    gradient += two * dx[1:-1]
    np.abs(gradient, out=gradient)
    dy = luma[2:, :] - luma[:-2, :]
    sy = dy[:, :-2] + dy[:, 2:]
    sy += two * dy[:, 1:-1]
    gradient += np.abs(sy, out=sy)
    # the threshold from every 4th pixel each way: the same quantile, 16 times cheaper
    sample = gradient[::4, ::4].ravel()
    keep = max(1, int(sample.size * (1.0 - NOISE_EDGE_SHARE)))
    threshold = np.partition(sample, keep - 1)[keep - 1]
    flat = gradient <= threshold
    total = float(np.sum(response, where=flat, dtype=np.float64))
    return float(math.sqrt(math.pi / 2.0) * total / max(int(np.count_nonzero(flat)), 1) / 6.0)


def _percentile(cumulative: np.ndarray, q: float) -> float:
    """The luma level at which the cumulative histogram first reaches q."""
    return float(np.searchsorted(cumulative, q - 1e-12))


def _grey_world_deviation(rgb: np.ndarray) -> float:
    """How far the average colour is from grey.

    The grey-world assumption (Buchsbaum, "A spatial processor model for object
    colour perception", J. Franklin Institute 310(1), 1980): a scene's colours
    average to grey, so channel means that differ reveal a cast. The value is
    the RMS of the three channel means around their mean, divided by that mean
    (0 for a neutral average; about 0.1 for a clearly warm or cool frame).
    """
    # channel sums as a matrix-vector product (BLAS), far faster than a strided mean
    means = np.ones(rgb.shape[0], dtype=np.float32) @ rgb / np.float64(rgb.shape[0])
    grey = float(means.mean())
    if grey <= 0.0:
        return 0.0
    return float(np.sqrt(np.mean((means - grey) ** 2)) / grey)
