"""Photo file -> upright 8-bit RGB PIL image, or a one-line ImageDecodeError.

JPEG/PNG/TIFF/WebP/... open through Pillow, HEIC/HEIF through pillow-heif, and
camera RAW files through their embedded JPEG preview (rawpy), falling back to a
half-size demosaic when a RAW has no usable preview.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from typing import Any
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageDecodeError

# A 200-MP frame (medium-format pixel shift) is a photo; 250 MP and up is
# treated as a decompression bomb. Pillow's own guard is raised to match.
MAX_PIXELS = 250_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef"})
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif"})
RASTER_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"})
# What counts as a photo when walking a folder; anything else is ignored.
PHOTO_EXTENSIONS = RASTER_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS

# Smallest useful raw preview: below this a half-size demosaic is better.
_MIN_PREVIEW_LONG_SIDE = 640


@dataclass(frozen=True)
class DecodedPhoto:
    image: Image.Image  # mode "RGB", EXIF orientation applied
    original_size: tuple[int, int]  # (width, height) upright, before any draft reduction
    source: str  # "image", "heif", "raw-preview" or "raw-demosaic"


def is_photo_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in PHOTO_EXTENSIONS


def decode_photo(path: str | os.PathLike[str], draft_long_side: int | None = None,
                 draft_min_side: int | None = None) -> DecodedPhoto:
    """Read a photo upright as RGB.

    draft_long_side / draft_min_side let libjpeg decode a JPEG at 1/2, 1/4 or
    1/8 scale, never below the long side (or both sides) asked for: the
    caller downscales to that size anyway, so full-size decoding is wasted.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ImageDecodeError("file not found") from None
    except PermissionError:
        raise ImageDecodeError("permission denied") from None
    except OSError as exc:
        raise ImageDecodeError(_os_reason(exc)) from None
    if size == 0:
        raise ImageDecodeError("empty file (0 bytes)")
    suffix = p.suffix.lower()
    try:
        if suffix in RAW_EXTENSIONS:
            return _decode_raw(p, draft_long_side, draft_min_side)
        if suffix in HEIF_EXTENSIONS:
            _register_heif()
            decoded = _decode_pillow(p, None, None)
            return DecodedPhoto(decoded.image, decoded.original_size, "heif")
        return _decode_pillow(p, draft_long_side, draft_min_side)
    except ImageDecodeError:
        raise
    except PermissionError:
        raise ImageDecodeError("permission denied") from None
    except FileNotFoundError:
        raise ImageDecodeError("file vanished while reading") from None
    except Image.DecompressionBombError:
        raise ImageDecodeError(f"over the {MAX_PIXELS // 1_000_000} MP safety limit (decompression bomb?)") from None
    except UnidentifiedImageError:
        raise ImageDecodeError("not an image Pillow can read (unknown or corrupt format)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(_os_reason(exc)) from None
    except MemoryError:
        raise ImageDecodeError("out of memory while decoding") from None


def _decode_pillow(path: Path, draft_long_side: int | None, draft_min_side: int | None) -> DecodedPhoto:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as im:
            return _finish(im, draft_long_side, draft_min_side, "image")


def _finish(im: Image.Image, draft_long_side: int | None, draft_min_side: int | None,
            source: str) -> DecodedPhoto:
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageDecodeError(f"{w}x{h} is over the {MAX_PIXELS // 1_000_000} MP safety limit")
    orientation = _exif_orientation(im)
    upright = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    if im.format == "JPEG" and (draft_long_side or draft_min_side):
        # The smallest scale that keeps the long side >= draft_long_side and both sides
        # >= draft_min_side: the caller resizes to at least that anyway.
        needed = [draft_long_side / max(w, h)] if draft_long_side else []
        needed += [draft_min_side / min(w, h)] if draft_min_side else []
        scale = min(1.0, max(needed))
        if scale < 1.0:
            im.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))
    im.load()
    im = ImageOps.exif_transpose(im)
    return DecodedPhoto(_to_rgb8(im), upright, source)


def _exif_orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - malformed EXIF must not make a readable photo unreadable
        return 1


def _to_rgb8(im: Image.Image) -> Image.Image:
    """convert("RGB") as the reference does, except for high-bit-depth grey,
    which Pillow would clip to white instead of scaling."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
        grey = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        peak = 1.0 if arr.max() <= 1.0 else 255.0
        grey = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if im.mode == "RGB":
        return im
    return im.convert("RGB")


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif
        except ImportError:
            raise ImageDecodeError("HEIC/HEIF support needs pillow-heif (pip install pillow-heif)") from None
        pillow_heif.register_heif_opener()
        _heif_registered = True


def _decode_raw(path: Path, draft_long_side: int | None, draft_min_side: int | None) -> DecodedPhoto:
    try:
        import rawpy
    except ImportError:
        raise ImageDecodeError("RAW support needs rawpy (pip install rawpy)") from None
    try:
        raw = rawpy.imread(str(path))
    except (rawpy.LibRawError, OSError) as exc:
        raise ImageDecodeError(f"not a readable RAW file ({type(exc).__name__})") from None
    with raw:
        preview = _raw_preview(raw)
        if preview is not None:
            try:
                with Image.open(io.BytesIO(preview)) as im:
                    if max(im.size) >= _MIN_PREVIEW_LONG_SIDE:
                        return _finish(im, draft_long_side, draft_min_side, "raw-preview")
            except (OSError, SyntaxError, ValueError, EOFError):
                pass  # a broken preview: demosaic the sensor data instead
        try:
            rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        except (rawpy.LibRawError, MemoryError) as exc:
            raise ImageDecodeError(f"RAW has no usable preview and could not be demosaiced ({type(exc).__name__})") from None
        demosaiced = Image.fromarray(rgb, "RGB")
        return DecodedPhoto(demosaiced, demosaiced.size, "raw-demosaic")


def _raw_preview(raw: Any) -> bytes | None:  # a rawpy.RawPy (rawpy has no type hints)
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError, rawpy.LibRawError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        return bytes(thumb.data)
    if thumb.format == rawpy.ThumbFormat.BITMAP:
        buf = io.BytesIO()
        Image.fromarray(thumb.data).save(buf, format="PNG")
        return buf.getvalue()
    return None


def _os_reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text.lower():
        return "truncated or corrupt image data"
    return text.splitlines()[0][:200]
