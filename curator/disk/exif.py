"""The EXIF the catalog keeps, read with Pillow (files are opened read-only, never written).

Camera make/model, lens, ISO, exposure time, f-number, focal length, capture
time (ISO 8601, with sub-seconds and the UTC offset when the camera wrote
them), orientation, and exposure bias (for bracket detection later).

RAW files Pillow cannot parse are read through their embedded JPEG preview,
which most cameras write with the full EXIF. Reading EXIF never raises: a
photo with broken or no EXIF simply has None in those fields. A text field is
cut to MAX_EXIF_TEXT characters: a file can claim a Make of many megabytes,
and the catalog keeps what it reads.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image

from curator.disk.files import HEIF_EXTENSIONS, RAW_EXTENSIONS

# EXIF tag numbers (TIFF/EXIF 2.32)
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_EXIF_IFD = 0x8769
_EXPOSURE_TIME, _F_NUMBER, _ISO = 0x829A, 0x829D, 0x8827
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004
_OFFSET_TIME_ORIGINAL, _SUBSEC_ORIGINAL = 0x9011, 0x9291
_EXPOSURE_BIAS, _FOCAL_LENGTH = 0x9204, 0x920A
_LENS_MAKE, _LENS_MODEL = 0xA433, 0xA434

# The longest text the catalog keeps from one EXIF field (real makes, models and lenses are under 100).
MAX_EXIF_TEXT = 256


@dataclass(frozen=True)
class ExifData:
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    iso: int | None = None
    exposure_time: float | None = None  # seconds
    f_number: float | None = None
    focal_length: float | None = None  # mm
    capture_time: str | None = None  # ISO 8601
    orientation: int | None = None  # 1..8
    exposure_bias: float | None = None  # EV

    @property
    def camera(self) -> str | None:
        """"Canon EOS R5" rather than "Canon Canon EOS R5"."""
        if not self.model:
            return self.make
        if not self.make or self.model.lower().startswith(self.make.split()[0].lower()):
            return self.model
        return _capped(f"{self.make} {self.model}")


EMPTY = ExifData()


def read_exif(path: str | os.PathLike[str]) -> ExifData:
    """The photo's EXIF, or EMPTY when it has none or it cannot be read."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in HEIF_EXTENSIONS:
            _register_heif()
        with Image.open(p) as im:
            return exif_from_image(im)
    except Exception:  # noqa: BLE001 - Pillow's parsers raise many types on a malformed file; it only has no EXIF
        if suffix in RAW_EXTENSIONS:
            return _raw_preview_exif(p)
        return EMPTY


def exif_from_image(im: Image.Image) -> ExifData:
    try:
        exif = im.getexif()
    except Exception:  # noqa: BLE001 - malformed EXIF raises many types in Pillow; the photo only has none
        return EMPTY
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # noqa: BLE001 - likewise a malformed EXIF sub-IFD: the main IFD's tags still count
        sub = {}

    def get(tag: int) -> Any:
        value = sub.get(tag)
        return exif.get(tag) if value is None else value

    make = _text(exif.get(_MAKE))
    model = _text(exif.get(_MODEL))
    lens = _text(get(_LENS_MODEL))
    lens_make = _text(get(_LENS_MAKE))
    if lens and lens_make and not lens.lower().startswith(lens_make.lower()):
        lens = _capped(f"{lens_make} {lens}")
    orientation = _int(exif.get(_ORIENTATION))
    if orientation is not None and not 1 <= orientation <= 8:
        orientation = None
    capture = (_iso_time(get(_DATETIME_ORIGINAL), get(_SUBSEC_ORIGINAL), get(_OFFSET_TIME_ORIGINAL))
               or _iso_time(get(_DATETIME_DIGITIZED), None, None)
               or _iso_time(exif.get(_DATETIME), None, None))
    return ExifData(make=make, model=model, lens=lens, iso=_int(get(_ISO)),
                    exposure_time=_positive(get(_EXPOSURE_TIME)), f_number=_positive(get(_F_NUMBER)),
                    focal_length=_positive(get(_FOCAL_LENGTH)), capture_time=capture, orientation=orientation,
                    exposure_bias=_float(get(_EXPOSURE_BIAS)))


def _raw_preview_exif(path: Path) -> ExifData:
    try:
        import rawpy

        with rawpy.imread(str(path)) as raw:
            thumb = raw.extract_thumb()
            if thumb.format != rawpy.ThumbFormat.JPEG:
                return EMPTY
            with Image.open(io.BytesIO(bytes(thumb.data))) as im:
                return exif_from_image(im)
    except Exception:  # noqa: BLE001 - no rawpy, or LibRaw or Pillow failing on this file: no EXIF, never a failed scan
        return EMPTY


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


def _first(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if value is None:
        return None
    # Cut before the clean-up too, so a huge value costs no more than a short one (whitespace runs collapse,
    # hence the margin).
    margin = MAX_EXIF_TEXT * 4
    if isinstance(value, bytes):
        value = value[:margin].decode("utf-8", "replace")
    text = " ".join(str(value)[:margin].replace("\x00", " ").split())
    return _capped(text) or None


def _capped(text: str) -> str:
    return text[:MAX_EXIF_TEXT].rstrip()


def _float(value: Any) -> float | None:
    value = _first(value)
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if math.isfinite(f) else None


def _positive(value: Any) -> float | None:
    f = _float(value)
    return f if f is not None and f > 0 else None


def _int(value: Any) -> int | None:
    f = _float(value)
    return int(round(f)) if f is not None else None


def _iso_time(value: Any, subsec: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        dt = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    out = dt.isoformat()
    sub = _text(subsec)
    if sub and sub.isdigit():
        out += "." + sub
    off = _text(offset)
    if off and len(off) == 6 and off[0] in "+-" and off[3] == ":":
        out += off
    return out
