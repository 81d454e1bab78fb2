"""The difference hash on scikit-image's photographs: stable under re-encoding and resizing,
about half the bits apart between different photographs."""

from __future__ import annotations

import io

import pytest
from iqa_engine.testing import sample_photos
from PIL import Image

from iqa_engine.perceptual import (
    as_signed,
    as_unsigned,
    difference_hash,
    hamming_distance,
)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


@pytest.mark.parametrize("name", sorted(sample_photos()))
def test_resaved_and_downscaled_copies_keep_the_hash(name: str) -> None:
    image = Image.fromarray(sample_photos()[name])
    h = difference_hash(image)
    assert hamming_distance(h, difference_hash(_jpeg(image, 80))) <= 3
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    assert hamming_distance(h, difference_hash(half)) <= 3


def test_different_photographs_are_far_apart() -> None:
    hashes = {n: difference_hash(Image.fromarray(a)) for n, a in sample_photos().items()}
    names = sorted(hashes)
    distances = [hamming_distance(hashes[a], hashes[b]) for i, a in enumerate(names) for b in names[i + 1:]]
    assert min(distances) >= 15


def test_hand_made_gradient_hash_and_signed_round_trip() -> None:
    # brightness falls left to right: every "left brighter than right" bit is set
    ramp = Image.linear_gradient("L").rotate(-90).convert("RGB")  # white on the left
    assert difference_hash(ramp) == (1 << 64) - 1
    assert difference_hash(ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) == 0
    assert hamming_distance((1 << 64) - 1, 0) == 64
    for v in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert -(1 << 63) <= as_signed(v) < 1 << 63 and as_unsigned(as_signed(v)) == v
