"""A demo shoot on disk: scikit-image's sample photos in several takes, with EXIF, a burst and a RAW+JPEG pair.

`curator demo` and docs/gallery_demo.py (the pictures in the docs) build their shoots here. The photos
are the ones that ship inside scikit-image (iqa_engine.testing.sample_photos), each in a few takes (as
shot, softened, noisy, under- and over-exposed, cropped), split over two shoots, with EXIF written into
the JPEGs so the detail pane has something to show (the camera data is made up), plus one broken file, a
burst of five near-identical frames a quarter of a second apart (one tile with a "×5" badge), a RAW+JPEG
pair (the RAW is a stand-in that is never decoded: the pair is scored from its JPEG) and a 6-megapixel
test chart for the 100 % view.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter
from PIL.TiffImagePlugin import IFDRational

from iqa_engine.testing import sample_photos


def _takes(im: Image.Image, rng: np.random.Generator) -> dict[str, Image.Image]:
    noisy = np.asarray(im).astype(np.float32) + rng.normal(0, 28, (im.height, im.width, 3))
    w, h = im.size
    return {
        "": im,
        "-soft": im.filter(ImageFilter.GaussianBlur(3)),
        "-noisy": Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)),
        "-dark": ImageEnhance.Brightness(im).enhance(0.35),
        "-bright": ImageEnhance.Brightness(im).enhance(1.7),
        "-crop": im.crop((w // 8, h // 8, w - w // 8, h - h // 8)),
    }


def _exif(i: int, day: int, when: str | None = None, subsec: str | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Fujifilm"  # Make
    exif[0x0110] = "X-T4"  # Model
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = when or f"2024:06:0{day} {9 + i // 6:02d}:{(i * 7) % 60:02d}:{(i * 13) % 60:02d}"  # DateTimeOriginal
    if subsec is not None:
        ifd[0x9291] = subsec  # SubSecTimeOriginal
    ifd[0x829A] = IFDRational(1, (125, 250, 500, 1000, 60)[i % 5])  # ExposureTime
    ifd[0x829D] = IFDRational((14, 20, 28, 40, 56)[i % 5], 10)  # FNumber
    ifd[0x8827] = (160, 200, 400, 800, 3200)[i % 5]  # ISO
    ifd[0x920A] = IFDRational((230, 350, 560)[i % 3], 10)  # FocalLength
    ifd[0xA434] = ("XF23mmF1.4 R", "XF35mmF1.4 R", "XF56mmF1.2 R")[i % 3]  # LensModel
    return exif


def _burst(folder: Path, photos: dict[str, np.ndarray], rng: np.random.Generator, i: int) -> None:
    """Five frames of one scene, 0.25 s apart, each with its own sensor noise: a burst."""
    scene = np.asarray(Image.fromarray(photos["rocket"]).convert("RGB")).astype(np.float32)
    for k in range(5):
        frame = np.clip(scene * (1.0 + 0.01 * k) + rng.normal(0, 5, scene.shape), 0, 255).astype(np.uint8)
        Image.fromarray(frame).save(folder / f"DSCF{1100 + k}.jpg", "JPEG", quality=90,
                                    exif=_exif(i, 1, f"2024:06:01 12:30:{5 + 25 * k // 100:02d}",
                                               f"{25 * k % 100:02d}").tobytes())


def _pair(folder: Path, photos: dict[str, np.ndarray], rng: np.random.Generator, i: int) -> None:
    """A RAW+JPEG pair. The RAW is a stand-in: paired with the JPEG by its stem, it is never decoded."""
    im = Image.fromarray(photos["clock"]).convert("RGB")
    noisy = np.asarray(im).astype(np.float32) + rng.normal(0, 28, (im.height, im.width, 3))
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(folder / "DSCF1130.jpg", "JPEG", quality=90,
                                                                  exif=_exif(i, 2).tobytes())
    (folder / "DSCF1130.RAF").write_bytes(b"FUJIFILMCCD-RAW 0201FF383501" + bytes(range(256)) * 64)


def _chart(folder: Path) -> None:
    """A 6-megapixel test chart (fine lines, rings and small print): what 100 % zoom is for."""
    from PIL import ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    w, h = 3000, 2000
    im = Image.new("RGB", (w, h), (236, 232, 222))
    d = ImageDraw.Draw(im)
    for cx, cy in ((750, 1000), (2250, 1000)):
        for r in range(8, 700, 6):
            d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(30, 30, 30) if r % 12 else (180, 40, 40))
    for x in range(1300, 1700, 4):
        d.line((x, 100, x + (x - 1300) // 8, 1900), fill=(20, 20, 60))
    for y in range(60, h, 120):
        d.text((1480, y), f"curator 100% · line {y // 120:02d} · f/5.6 1/250 s", fill=(0, 0, 0))
    im.save(folder / "DSCF2000-chart.jpg", "JPEG", quality=92, exif=_exif(0, 3).tobytes())


def make_shoots(root: Path) -> Path:
    """The demo shoots under root: two days of takes, one broken file, a burst, a pair and a chart."""
    rng = np.random.default_rng(7)
    photos = list(sample_photos(9).items())
    shoots = {"2024-06-01 city": photos[:5], "2024-06-02 studio": photos[5:]}
    for day, (shoot, items) in enumerate(shoots.items(), start=1):
        folder = root / shoot
        folder.mkdir(parents=True, exist_ok=True)
        i = 0
        for name, arr in items:
            base = Image.fromarray(arr).convert("RGB")
            takes = list(_takes(base, rng).items())
            for suffix, im in takes[: 3 + (i // 6) % 3 + (len(name) % 2)]:
                im.save(folder / f"DSCF{1000 + 37 * day + i:04d}{suffix}.jpg", "JPEG", quality=90,
                        exif=_exif(i, day).tobytes())
                i += 1
        (_burst if day == 1 else _pair)(folder, dict(items), rng, i)
    (root / "2024-06-02 studio" / "DSCF9999.jpg").write_bytes(b"\xff\xd8\xff\xe0 card error: truncated")
    _chart(root / "2024-06-03 chart")
    return root


def cull_a_little(db: Path) -> None:
    """A few decisions, as a photographer would have made them in the gallery (P, X, 1-5)."""
    from curator.catalog import Catalog

    with Catalog.open(db) as cat:
        scored = [(r.fused, r) for r in cat.gallery_rows() if r.fused is not None]
        rows = [r for _, r in sorted(scored, key=lambda pair: pair[0])]
        cat.set_decision(rows[1].photo_id, flag="reject")  # agrees with the auto flag, now as a user decision
        cat.set_decision(rows[4].photo_id, flag="pick", rating=4)  # the model ranks it low; the photographer disagrees
        cat.set_decision(rows[6].photo_id, rating=2, label="Yellow")
        cat.set_decision(rows[10].photo_id, flag="pick", rating=3)
        for r, stars in zip(rows[-2:], (4, 5), strict=True):
            cat.set_decision(r.photo_id, flag="pick", rating=stars)
