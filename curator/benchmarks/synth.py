"""Camera-sized test JPEGs (24 MP, 6000x4000) with photographic content.

Each is a crop of one of the photographs that ship inside scikit-image,
upscaled to 24 MP, with sensor-like noise and fine texture added so the file
has a camera file's entropy (a plain upscale compresses to a fraction of a
real file and decodes faster than one). Every third photo is portrait. When
scikit-image is not installed, a procedural scene stands in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CAMERA_SIZE = (6000, 4000)  # 24 MP, 3:2
_STRIP = 400  # rows processed at a time, to bound memory


def _sources() -> list[np.ndarray]:
    try:
        from skimage import data
    except ImportError:
        return []
    out = []
    for name in ("astronaut", "coffee", "chelsea", "rocket", "stereo_motorcycle", "hubble_deep_field",
                 "immunohistochemistry", "retina"):
        try:
            arr = getattr(data, name)()
        except Exception:  # noqa: BLE001 - a missing sample fails in many ways (no pooch, offline)
            continue
        if isinstance(arr, tuple):
            arr = arr[0]
        if arr.ndim == 3 and arr.shape[2] == 3 and arr.dtype == np.uint8:
            out.append(arr)
    return out


def _procedural(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A smooth random landscape with hard-edged shapes, at 1/8 size."""
    w, h = size[0] // 8, size[1] // 8
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        for _ in range(6):
            fx, fy, ph = rng.uniform(0.002, 0.03, 2).tolist() + [rng.uniform(0, 6.3)]
            img[..., c] += np.sin(xx * fx * 6.3 + yy * fy * 6.3 + ph)
    img = (img - img.min()) / (np.ptp(img) + 1e-6) * 200 + 20
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        img[y0:y0 + int(rng.integers(10, h // 3)), x0:x0 + int(rng.integers(10, w // 3))] = rng.uniform(0, 255, 3)
    return img.clip(0, 255).astype(np.uint8)


def synth_photo(path: Path, index: int, size: tuple[int, int] = CAMERA_SIZE, seed: int = 0,
                quality: int = 95) -> Path:
    rng = np.random.default_rng(seed * 1000 + index)
    sources = _sources()
    w, h = size
    if index % 3 == 2:
        w, h = h, w
    if sources:
        src = sources[index % len(sources)]
        sh, sw = src.shape[:2]
        # a random crop of 70-100% of the source, to vary content between photos
        cw, ch = int(sw * rng.uniform(0.7, 1.0)), int(sh * rng.uniform(0.7, 1.0))
        x0, y0 = int(rng.integers(0, sw - cw + 1)), int(rng.integers(0, sh - ch + 1))
        base = Image.fromarray(np.ascontiguousarray(src[y0:y0 + ch, x0:x0 + cw]))
    else:
        base = Image.fromarray(_procedural(rng, (w, h)))
    big = np.asarray(base.resize((w, h), Image.Resampling.BICUBIC))
    out = np.empty_like(big)
    sigma = float(rng.uniform(3.0, 7.0))
    for top in range(0, h, _STRIP):
        strip = big[top:top + _STRIP].astype(np.float32)
        strip += rng.standard_normal(strip.shape, dtype=np.float32) * sigma  # sensor noise
        out[top:top + _STRIP] = strip.clip(0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(out).save(path, "JPEG", quality=quality, subsampling="4:2:2")
    return path


def synth_photos(directory: Path, n: int, size: tuple[int, int] = CAMERA_SIZE, seed: int = 0) -> list[Path]:
    return [synth_photo(directory / f"synth_{i:03d}.jpg", i, size, seed) for i in range(n)]


def has_photographic_sources() -> bool:
    return bool(_sources())
