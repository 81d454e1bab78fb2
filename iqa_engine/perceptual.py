"""A 64-bit perceptual hash of a photo: the difference hash (dHash).

N. Krawetz, "Kind of Like That" (The Hacker Factor Blog, 2013): shrink the
photo to 9x8 grey pixels and keep one bit per horizontally adjacent pair
(is the left pixel brighter than the right one?). Re-encoding, resizing and
global tone changes leave most bits alone; a different picture flips about
half of them. Two photos are perceptually alike when the Hamming distance of
their hashes is small (a few bits of 64).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

HASH_BITS = 64
_WIDTH, _HEIGHT = 9, 8


def difference_hash(image: Image.Image) -> int:
    """The dHash of an upright image, as an unsigned 64-bit integer."""
    grey = image.convert("L")
    # a box filter first, so every source pixel counts (a plain resize to 9x8 would sample a few)
    grey = grey.reduce(max(1, min(grey.size) // 64)) if min(grey.size) >= 128 else grey
    small = np.asarray(grey.resize((_WIDTH, _HEIGHT), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (small[:, :-1] > small[:, 1:]).ravel()
    return int(np.packbits(bits).view(">u8")[0])


def hamming_distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return (int(a) ^ int(b)).bit_count()


def as_signed(value: int) -> int:
    """The hash as a signed 64-bit integer (what SQLite stores); as_unsigned undoes it."""
    return value - (1 << 64) if value >= 1 << 63 else value


def as_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
