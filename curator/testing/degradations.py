"""Known degradations of an 8-bit RGB photo: blur, noise, exposure.

The inputs of the classic-measurement checks (bench/reasons.py and its test),
applied to the photographs that ship inside scikit-image
(iqa_engine.testing.sample_photos): each function takes an H x W x 3 uint8
image and returns a new one, so a measurement can be compared with the
degradation that was applied.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of standard deviation `sigma` pixels, each channel alike (a defocused lens)."""
    blurred = ndimage.gaussian_filter(image.astype(np.float64), sigma=(sigma, sigma, 0), mode="reflect")
    return _to_uint8(blurred)


def add_luma_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Gaussian noise of standard deviation `sigma` (8-bit units) added alike to R, G and B.

    The same value on all three channels is noise in luminance of exactly
    `sigma` (the luma weights sum to 1), which is what the noise measurement
    estimates. Independent noise of `sigma` per channel would read as
    0.75 * sigma in Rec. 709 luma (the root of the sum of the squared weights).
    """
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, size=image.shape[:2])[..., None]
    return _to_uint8(image.astype(np.float64) + noise)


def add_channel_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Independent Gaussian noise of standard deviation `sigma` on each channel (colour noise)."""
    rng = np.random.default_rng(seed)
    return _to_uint8(image.astype(np.float64) + rng.normal(0.0, sigma, size=image.shape))


def scale_exposure(image: np.ndarray, factor: float) -> np.ndarray:
    """Multiply the light by `factor` (4 = +2 EV, 0.25 = -2 EV), in linear light, then clip.

    The sRGB transfer function (IEC 61966-2-1) is undone before scaling and
    applied after, as a camera's exposure acts on linear sensor values.
    """
    linear = _srgb_to_linear(image.astype(np.float64) / 255.0) * factor
    return _to_uint8(_linear_to_srgb(np.clip(linear, 0.0, 1.0)) * 255.0)


def _srgb_to_linear(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1.0 / 2.4) - 0.055)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
