"""Photo -> the views MA-CLIP scores.

Protocol "koniq" (the paper's, for KonIQ-10k's 1024x768 photos): the
normalised photo at native resolution cut into every full 224x224 window at
stride 128 (torch.nn.functional.unfold semantics: windows start at 0, 128,
256, ...), plus one global view, the whole photo resized to 224x224 with
bilinear interpolation (align_corners=False, no antialias).

Before that, and only outside what the paper covers: photos whose long side
exceeds 1024 px are downscaled (antialiased) to a 1024 long side, and photos
with a side under 224 px are upscaled so the short side is 224.

Protocol "spaq": the photo resized to 448x448 (the paper's SPAQ setting),
giving 4 windows + the global view. Protocol "global": the global view only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .errors import ImageDecodeError
from .results import Box

VIEW = 224
STRIDE = 128
SPAQ_SIZE = 448
# Beyond this, a strip cannot be both capped and brought up to 224 px high
# without thousands of windows; such files are refused with a clear reason.
MAX_ASPECT_RATIO = 20.0

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

_RESAMPLE = Image.Resampling.BICUBIC


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo at the size the protocol scores it, normalised, with its windows."""

    tensor: torch.Tensor  # (3, H, W) float32, CLIP-normalised
    boxes: tuple[Box, ...]  # the 224x224 windows; the global view comes last and has no box
    protocol: str

    @property
    def size(self) -> tuple[int, int]:
        return int(self.tensor.shape[2]), int(self.tensor.shape[1])

    @property
    def n_views(self) -> int:
        return len(self.boxes) + 1


def scoring_size(width: int, height: int, protocol: str, max_long_side: int = 1024) -> tuple[int, int]:
    """The (width, height) a photo of this size is scored at."""
    if width < 1 or height < 1:
        raise ImageDecodeError(f"image has no pixels ({width}x{height})")
    if max(width, height) / min(width, height) > MAX_ASPECT_RATIO:
        raise ImageDecodeError(
            f"aspect ratio {width}x{height} is more extreme than {MAX_ASPECT_RATIO:.0f}:1; not a photo that can be scored")
    if protocol == "spaq":
        return SPAQ_SIZE, SPAQ_SIZE
    w, h = width, height
    if max(w, h) > max_long_side:
        s = max_long_side / max(w, h)
        w, h = max(1, round(w * s)), max(1, round(h * s))
    if min(w, h) < VIEW:
        s = VIEW / min(w, h)
        w, h = max(VIEW, round(w * s)), max(VIEW, round(h * s))
    return w, h


def draft_hint(protocol: str, max_long_side: int = 1024) -> tuple[int | None, int | None]:
    """(long side, min side) a JPEG may be draft-decoded down to without changing the target size's source."""
    if protocol == "spaq":
        return None, SPAQ_SIZE
    return max_long_side, VIEW


def resize_for_protocol(image: Image.Image, original_size: tuple[int, int], protocol: str,
                        max_long_side: int = 1024) -> Image.Image:
    """Resize an RGB image to the protocol's scoring size (a no-op at or under 1024 px for koniq)."""
    target = scoring_size(*original_size, protocol=protocol, max_long_side=max_long_side)
    if image.size == target:
        return image
    return image.resize(target, _RESAMPLE)


def to_normalised_tensor(image: Image.Image) -> torch.Tensor:
    """uint8 RGB -> [0,1] float (as torchvision's ToTensor) -> CLIP mean/std normalisation."""
    arr = np.asarray(image, dtype=np.uint8)
    t = torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div(255.0)
    mean = torch.tensor(OPENAI_CLIP_MEAN).view(3, 1, 1)
    std = torch.tensor(OPENAI_CLIP_STD).view(3, 1, 1)
    return t.sub(mean).div(std)


def window_boxes(width: int, height: int, protocol: str) -> tuple[Box, ...]:
    """Every full 224x224 window at stride 128, row by row (unfold order)."""
    if protocol == "global":
        return ()
    tops = range(0, height - VIEW + 1, STRIDE)
    lefts = range(0, width - VIEW + 1, STRIDE)
    return tuple((x, y, x + VIEW, y + VIEW) for y in tops for x in lefts)


def prepare(image: Image.Image, original_size: tuple[int, int], protocol: str,
            max_long_side: int = 1024) -> PreparedPhoto:
    return prepare_resized(resize_for_protocol(image, original_size, protocol, max_long_side), protocol)


def prepare_resized(resized: Image.Image, protocol: str) -> PreparedPhoto:
    """An image already at the protocol's scoring size -> its normalised tensor and windows."""
    tensor = to_normalised_tensor(resized)
    boxes = window_boxes(resized.size[0], resized.size[1], protocol)
    return PreparedPhoto(tensor=tensor, boxes=boxes, protocol=protocol)


def window_views(photo: PreparedPhoto) -> torch.Tensor:
    """(n_windows + 1, 3, 224, 224): the windows, then the global view."""
    t = photo.tensor
    crops = [t[:, y0:y1, x0:x1] for (x0, y0, x1, y1) in photo.boxes]
    crops.append(global_view(t))
    return torch.stack(crops)


def global_view(tensor: torch.Tensor) -> torch.Tensor:
    return F.interpolate(tensor.unsqueeze(0), size=(VIEW, VIEW), mode="bilinear", align_corners=False)[0]
