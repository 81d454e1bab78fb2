"""JPEG decoding on the engine's device (nvJPEG on CUDA), for when it beats draft decoding on the CPU.

The CPU path (iqa_engine.decode) lets libjpeg decode a 24-MP JPEG at 1/4
scale when the protocol downscales anyway, which is cheap. On a CUDA GPU,
nvJPEG decodes the full frame (torchvision.io.decode_jpeg(device="cuda")) and
the frame is downscaled to the scoring size there, so only a 1024-px image
comes back to the host. The pixels differ slightly from Pillow's (another
IDCT, torch's antialiased bicubic instead of Pillow's), so "device" decoding
is part of the score's fingerprint, and `bench/gpu_check.sh` reports how far
the score moves.

The engine's `decoder` option:
- "cpu": Pillow, draft-decoded (the exact path; the library's default);
- "device": torchvision's decoder on the engine's device (on a CPU engine:
  libjpeg-turbo through torchvision, which is how the tests run this code);
- "auto": "device" only on CUDA, and only when one timed decode there beats
  the CPU's draft decode across its decode threads; otherwise "cpu".
Anything that is not a plain baseline/progressive RGB or grey JPEG (PNG,
HEIF, RAW, CMYK JPEG) goes through the CPU path either way.

torchvision 0.29 marks its image decoders deprecated in favour of TorchCodec;
they are what this torch build ships with nvJPEG, so they are used until
TorchCodec's decoder is a dependency here.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from . import views as V
from .decode import MAX_PIXELS, DecodedPhoto, decode_photo
from .errors import ImageDecodeError

log = logging.getLogger(__name__)

DECODERS = ("auto", "cpu", "device")
_JPEG_SUFFIXES = (".jpg", ".jpeg", ".jpe")


@dataclass(frozen=True)
class DecoderChoice:
    name: str  # "cpu" or "device"
    why: str
    ms: dict[str, float] | None = None  # the timed decodes auto compared (CUDA only)


def choose_decoder(requested: str, device: torch.device, protocol: str, max_long_side: int,
                   decode_workers: int) -> DecoderChoice:
    if requested == "cpu":
        return DecoderChoice("cpu", "asked")
    if requested == "device":
        return DecoderChoice("device", f"asked ({device.type})")
    if device.type != "cuda":
        return DecoderChoice("cpu", f"auto: no CUDA device ({device.type})")
    try:
        sample = _sample_jpeg()
        cpu_ms = _time(lambda: decode_photo(sample, *V.draft_hint(protocol, max_long_side)))
        decode_on_device(sample, device, protocol, max_long_side)  # warm-up: nvJPEG's first call sets it up
        dev_ms = _time(lambda: decode_on_device(sample, device, protocol, max_long_side))
    except Exception as exc:  # noqa: BLE001 - no nvJPEG in this build, a driver error: decode on the CPU
        return DecoderChoice("cpu", f"auto: device decoding failed ({type(exc).__name__})")
    # the CPU decodes on decode_workers threads at once; the device decodes one photo at a time
    per_photo_cpu = cpu_ms / max(1, decode_workers)
    name = "device" if dev_ms < per_photo_cpu else "cpu"
    return DecoderChoice(name, f"auto: device {dev_ms:.1f} ms vs CPU {cpu_ms:.1f} ms / {decode_workers} threads",
                         {"device": dev_ms, "cpu": cpu_ms})


def decode_on_device(path: str | os.PathLike[str], device: torch.device, protocol: str, max_long_side: int) -> DecodedPhoto:
    """A JPEG decoded on the device and downscaled there to its scoring size; other files as decode_photo."""
    p = Path(path)
    if p.suffix.lower() not in _JPEG_SUFFIXES:
        return decode_photo(p, *V.draft_hint(protocol, max_long_side))
    try:
        with Image.open(p) as im:  # the header only: format, size, colour mode, orientation
            fmt, (w, h), mode = im.format, im.size, im.mode
            orientation = int(im.getexif().get(0x0112, 1)) if fmt == "JPEG" else 1
    except Exception:  # noqa: BLE001 - the CPU path gives the one-line reason
        return decode_photo(p, *V.draft_hint(protocol, max_long_side))
    if fmt != "JPEG" or mode not in ("RGB", "L") or w * h > MAX_PIXELS:
        return decode_photo(p, *V.draft_hint(protocol, max_long_side))
    from torchvision.io import ImageReadMode, decode_jpeg

    try:
        data = torch.frombuffer(bytearray(p.read_bytes()), dtype=torch.uint8)
        pixels = decode_jpeg(data, mode=ImageReadMode.RGB, device=device, apply_exif_orientation=True)
    except OSError as exc:
        raise ImageDecodeError(f"cannot read the file: {exc.strerror or exc}") from None
    except RuntimeError:  # a truncated or odd JPEG: Pillow is more forgiving, and names the fault
        return decode_photo(p, *V.draft_hint(protocol, max_long_side))
    upright = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    target = V.scoring_size(*upright, protocol=protocol, max_long_side=max_long_side)
    return DecodedPhoto(_resized_image(pixels, target), upright, "image")


def _resized_image(pixels: torch.Tensor, size: tuple[int, int]) -> Image.Image:
    """(3, H, W) uint8 on the device -> (W, H)-sized RGB image on the host (antialiased bicubic)."""
    width, height = size
    if (pixels.shape[2], pixels.shape[1]) != (width, height):
        x = pixels.unsqueeze(0).float()
        x = F.interpolate(x, size=(height, width), mode="bicubic", antialias=True, align_corners=False)
        pixels = x.round_().clamp_(0, 255).to(torch.uint8)[0]
    return Image.fromarray(pixels.permute(1, 2, 0).contiguous().cpu().numpy(), "RGB")


def _time(fn: Callable[[], object]) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1000.0


def _sample_jpeg() -> Path:
    """A 24-MP photo-like JPEG (6000 x 4000) to time both decoders on, made once per process."""
    global _SAMPLE
    if _SAMPLE is None or not _SAMPLE.exists():
        import tempfile

        import numpy as np

        rng = np.random.default_rng(0)
        small = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
        im = Image.fromarray(small, "RGB").resize((6000, 4000), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=92)
        fd, name = tempfile.mkstemp(prefix="curator-decode-sample-", suffix=".jpg")
        with open(fd, "wb") as fh:
            fh.write(buf.getvalue())
        _SAMPLE = Path(name)
        atexit.register(_SAMPLE.unlink, missing_ok=True)
    return _SAMPLE


_SAMPLE: Path | None = None
