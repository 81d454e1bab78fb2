"""The classic measurements on scikit-image's photos with known degradations, and their cost.

    python bench/reasons.py                  # the tables, then the time of one measure() at 1024x768
    python bench/reasons.py --repeat 200     # more timing samples

Each photo is blurred (Gaussian sigma 1, 2, 4, 8), given noise (sigma 5, 10,
20, 40 in 8-bit units: the same value on R, G and B, i.e. luminance noise;
the last table adds independent noise per channel, which reads as about
0.75 sigma in luma) and exposed x0.25 .. x4 in linear light. The tables print
what iqa_engine.measures reads: focus (whole frame and best window) falling
with blur, the noise estimate against the sigma added, and the shares
clipped to white and black as exposure rises.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from curator.testing.degradations import add_channel_noise, add_luma_noise, gaussian_blur, scale_exposure
from iqa_engine.measures import measure
from iqa_engine.testing import sample_photos

BLURS = (0, 1, 2, 4, 8)
NOISES = (5, 10, 20, 40)
EXPOSURES = (0.25, 0.5, 1.0, 2.0, 4.0)


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def _table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print(_row(header, widths))
    for r in rows:
        print(_row(r, widths))


def blur_table(photos: dict[str, np.ndarray]) -> None:
    rows = []
    for name, image in photos.items():
        ms = [measure(gaussian_blur(image, s) if s else image) for s in BLURS]
        rows.append([name, "whole"] + [f"{m.focus:.1f}" for m in ms])
        rows.append(["", "best window"] + [f"{m.focus_best:.1f}" for m in ms])
    _table("Focus (variance of the Laplacian of luma) against Gaussian blur sigma",
           ["photo", ""] + [f"sigma {s}" if s else "sharp" for s in BLURS], rows)


def noise_table(photos: dict[str, np.ndarray], add, title: str, expected_gain: float) -> None:
    rows = []
    for name, image in photos.items():
        base = measure(image).noise_sigma
        cells = [name, f"{base:.2f}"]
        for s in NOISES:
            estimate = measure(add(image, s, seed=s)).noise_sigma
            cells.append(f"{estimate:.2f} ({100 * (estimate / (expected_gain * s) - 1):+.0f} %)")
        rows.append(cells)
    _table(title, ["photo", "as shipped"] + [f"sigma {s}" for s in NOISES], rows)


def exposure_table(photos: dict[str, np.ndarray]) -> None:
    rows = []
    for name, image in photos.items():
        ms = [measure(scale_exposure(image, k)) for k in EXPOSURES]
        rows.append([name, "white %"] + [f"{100 * m.clipped_white:.2f}" for m in ms])
        rows.append(["", "black %"] + [f"{100 * m.clipped_black:.2f}" for m in ms])
        rows.append(["", "mean luma"] + [f"{m.luma_mean:.1f}" for m in ms])
    _table("Shares clipped to white (luma >= 250) and black (<= 5), and mean luma, against exposure",
           ["photo", ""] + [f"x{k:g}" for k in EXPOSURES], rows)


def timing(repeat: int) -> None:
    from PIL import Image

    image = np.asarray(Image.fromarray(sample_photos(1)["astronaut"]).resize((1024, 768), Image.Resampling.BICUBIC))
    image = np.ascontiguousarray(image)
    for _ in range(5):
        measure(image)
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        measure(image)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    walls_ms, cpus_ms = 1000 * np.asarray(walls), 1000 * np.asarray(cpus)
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    print(f"\nmeasure() on a 1024x768 photo, {repeat} runs: median {np.median(walls_ms):.1f} ms wall "
          f"(fastest {walls_ms.min():.1f} ms), {np.median(cpus_ms):.1f} ms CPU")
    print(f"machine: {_cpu_model()}, {os.cpu_count()} logical CPUs, load average {load}, "
          f"Python {platform.python_version()}, numpy {np.__version__}")


def _cpu_model() -> str:
    from iqa_engine.hardware import cpu_model_and_flags

    return cpu_model_and_flags()[0] or platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="timing samples (default 50)")
    args = parser.parse_args(argv)
    photos = sample_photos(4)  # astronaut, coffee, chelsea, rocket
    print("Photos: " + ", ".join(f"{n} {a.shape[1]}x{a.shape[0]}" for n, a in photos.items()))
    blur_table(photos)
    noise_table(photos, add_luma_noise, "Noise sigma estimate (Immerkaer) against luminance noise added "
                "(in brackets: error against the sigma added)", 1.0)
    noise_table(photos, add_channel_noise, "The same with independent noise per channel "
                "(in brackets: error against 0.75 sigma, its share in Rec. 709 luma)", 0.7496)
    exposure_table(photos)
    timing(max(1, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
