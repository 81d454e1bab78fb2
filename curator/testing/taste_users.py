"""Synthetic photographers for the taste model's tests and bench/taste.py, on real photos.

The photos are scikit-image's (real photographs and textures), cut into two
crops each and given seeded degradations: added Gaussian noise and an
exposure change. A "user" labels them by a hidden rule on a classic
measurement of the degraded pixels, computed here with numpy:

- Immerkær's noise estimate (J. Immerkær, "Fast Noise Variance Estimation",
  CVIU 64(2), 1996): sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * N| with
  the 3x3 Laplacian-difference mask N = [[1,-2,1],[-2,4,-2],[1,-2,1]];
- mean luminance (Rec. 709 weights on the 0..1 encoded values) and the RMS
  contrast (its standard deviation).

The measurements are also given to the taste model, as the catalog will give
it its stored measurements; the embedding and cues come from the test
suite's tiny model with random weights, which carry no knowledge of quality.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from curator.taste.features import CUE_COLUMNS, FeatureInputs

CROP_SIZE = (256, 192)
VARIANTS_PER_CROP = 4
NOISE_SIGMAS = (0.0, 2.0, 5.0, 10.0, 18.0, 28.0)  # added Gaussian noise, in 0..255 steps


@dataclass(frozen=True, eq=False)
class Variant:
    name: str
    pixels: np.ndarray  # (H, W, 3) uint8
    added_noise: float
    gain: float


def source_photos() -> dict[str, np.ndarray]:
    """scikit-image's photographs that ship inside its wheel, as RGB uint8."""
    from skimage import data

    photos = {
        "astronaut": data.astronaut(), "coffee": data.coffee(), "chelsea": data.chelsea(), "rocket": data.rocket(),
        "motorcycle": data.stereo_motorcycle()[0], "camera": data.camera(), "coins": data.coins(),
        "moon": data.moon(), "brick": data.brick(), "grass": data.grass(), "gravel": data.gravel(),
        "clock": data.clock(), "hubble": data.hubble_deep_field(), "ihc": data.immunohistochemistry(),
        "retina": data.retina(), "cell": data.cell(), "cat": data.cat(), "colorwheel": data.colorwheel(),
    }
    return {k: np.repeat(v[..., None], 3, axis=2) if v.ndim == 2 else v[..., :3] for k, v in photos.items()}


def degraded_variants(seed: int = 0) -> list[Variant]:
    """Two crops of every source photo, each in VARIANTS_PER_CROP seeded degradations."""
    rng = np.random.default_rng(seed)
    out = []
    for name, photo in source_photos().items():
        h, w = photo.shape[:2]
        side = min(h, w) * 3 // 4
        for c, (top, left) in enumerate(((0, 0), (h - side, w - side))):
            crop = Image.fromarray(photo[top:top + side, left:left + side]).resize(CROP_SIZE, Image.Resampling.BILINEAR)
            base = np.asarray(crop, dtype=np.float64)
            for v in range(VARIANTS_PER_CROP):
                sigma = float(rng.choice(NOISE_SIGMAS))
                gain = float(rng.uniform(0.25, 1.3))
                pixels = base * gain + rng.normal(0.0, sigma, base.shape)
                out.append(Variant(f"{name}-{c}-{v}", np.clip(pixels, 0, 255).round().astype(np.uint8), sigma, gain))
    return out


def luma(pixels: np.ndarray) -> np.ndarray:
    rgb = pixels.astype(np.float64) / 255.0
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def immerkaer_sigma(pixels: np.ndarray) -> float:
    """Immerkær's noise standard deviation, in 0..255 steps, of the image's luma."""
    y = luma(pixels) * 255.0
    conv = (y[:-2, :-2] - 2 * y[:-2, 1:-1] + y[:-2, 2:]
            - 2 * y[1:-1, :-2] + 4 * y[1:-1, 1:-1] - 2 * y[1:-1, 2:]
            + y[2:, :-2] - 2 * y[2:, 1:-1] + y[2:, 2:])
    h, w = y.shape
    return float(np.sqrt(np.pi / 2) * np.abs(conv).sum() / (6.0 * (w - 2) * (h - 2)))


def measurements(variants: list[Variant]) -> dict[str, np.ndarray]:
    """The classic measurements of each variant, as the feature adapter takes them."""
    lum = [luma(v.pixels) for v in variants]
    return {
        "noise_sigma": np.array([immerkaer_sigma(v.pixels) for v in variants]),
        "luminance": np.array([y.mean() for y in lum]),
        "contrast": np.array([y.std() for y in lum]),
    }


def scored_inputs(engine: Any, variants: list[Variant], *, with_measures: bool = True) -> FeatureInputs:
    """Score the variants with an iqa_engine Engine: the features the catalog would hold for them
    (embedding and cues), plus the measurements when asked."""
    scores = engine.score_images([Image.fromarray(v.pixels) for v in variants])
    return FeatureInputs(
        len(variants),
        embedding=np.stack([s.embedding for s in scores]),
        cues={name: np.array([getattr(s, name) for s in scores]) for name in CUE_COLUMNS},
        measures=measurements(variants) if with_measures else {},
    )


def noise_averse_user(measures: dict[str, np.ndarray]) -> np.ndarray:
    """Rejects every frame noisier than most (the top 40% of Immerkær's estimate), keeps the rest."""
    sigma = measures["noise_sigma"]
    return (sigma <= np.quantile(sigma, 0.6)).astype(np.int64)


def low_key_user(measures: dict[str, np.ndarray]) -> np.ndarray:
    """Keeps only dark frames (the lowest 35% of mean luminance), rejects the rest."""
    lum = measures["luminance"]
    return (lum < np.quantile(lum, 0.35)).astype(np.int64)


USERS: dict[str, tuple[Callable[[dict[str, np.ndarray]], np.ndarray], str]] = {
    # name: (the hidden rule, the measurement it reads)
    "noise-averse": (noise_averse_user, "measures.noise_sigma"),
    "low-key": (low_key_user, "measures.luminance"),
}
