"""RAW and HEIC decoding (iqa_engine.decode) on files built in the test.

No RAW sample ships with rawpy, Pillow or scikit-image, so the RAW files here
are DNGs written byte by byte by `build_dng` below: a little-endian TIFF whose
IFD0 holds the DNG tags and (optionally) a baseline-JPEG preview
(NewSubfileType 1, Compression 7), with the CFA sensor data (16-bit RGGB,
PhotometricInterpretation 32803) in a SubIFD - the layout cameras and Adobe's
converter write. LibRaw (through rawpy) opens them like any DNG: extract_thumb
returns the preview, postprocess demosaics the mosaic. That exercises the
real code paths of decode.py: preview chosen, preview too small, preview
unusable, no preview at all, orientation, draft decoding. What it cannot cover
is a vendor format's own quirks (CR3 in ISO-BMFF, Fuji X-Trans, Sony's
compressed ARW); those take real camera files.

HEIC files are encoded with pillow-heif (x265) and decoded back.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from iqa_engine.decode import RAW_EXTENSIONS, ImageDecodeError, decode_photo, is_photo_path

BYTE, ASCII, SHORT, LONG, SRATIONAL = 1, 2, 3, 4, 10


def _encode(typ: int, values: Any) -> tuple[bytes, int]:
    if typ == ASCII:
        data = str(values).encode("ascii") + b"\0"
        return data, len(data)
    if typ == SRATIONAL:
        pairs = list(values)
        return b"".join(struct.pack("<ii", *p) for p in pairs), len(pairs)
    seq = list(values)
    code = {BYTE: "B", SHORT: "H", LONG: "I"}[typ]
    return struct.pack(f"<{len(seq)}{code}", *seq), len(seq)


def _append_ifd(buf: bytearray, tags: dict[int, tuple[int, object]]) -> int:
    """Append one IFD (entries sorted by tag, values > 4 bytes after it); returns its offset."""
    if len(buf) % 2:
        buf.append(0)
    offset = len(buf)
    extra_at = offset + 2 + 12 * len(tags) + 4
    entries, extra = [], bytearray()
    for tag in sorted(tags):
        typ, values = tags[tag]
        data, count = _encode(typ, values)
        if len(data) <= 4:
            entries.append(struct.pack("<HHI", tag, typ, count) + data.ljust(4, b"\0"))
        else:
            entries.append(struct.pack("<HHII", tag, typ, count, extra_at + len(extra)))
            extra += data
            if len(extra) % 2:
                extra.append(0)
    buf += struct.pack("<H", len(tags)) + b"".join(entries) + struct.pack("<I", 0) + extra
    return offset


def build_dng(cfa: np.ndarray, preview_jpeg: bytes | None = None, orientation: int = 1) -> bytes:
    """A minimal DNG 1.4: RGGB CFA data, optional JPEG preview in IFD0, identity colour matrix."""
    buf = bytearray(b"II*\0\0\0\0\0")
    data_at = len(buf)
    buf += cfa.astype("<u2").tobytes()
    h, w = cfa.shape
    raw_ifd = {
        254: (LONG, [0]), 256: (LONG, [w]), 257: (LONG, [h]), 258: (SHORT, [16]), 259: (SHORT, [1]),
        262: (SHORT, [32803]), 273: (LONG, [data_at]), 277: (SHORT, [1]), 278: (LONG, [h]),
        279: (LONG, [cfa.size * 2]), 284: (SHORT, [1]),
        33421: (SHORT, [2, 2]), 33422: (BYTE, [0, 1, 1, 2]),  # CFARepeatPatternDim, CFAPattern RGGB
        50717: (LONG, [4095]),  # WhiteLevel
    }
    ifd0 = {
        271: (ASCII, "Curator"), 272: (ASCII, "Test DNG"), 274: (SHORT, [orientation]),
        50706: (BYTE, [1, 4, 0, 0]), 50707: (BYTE, [1, 1, 0, 0]),  # DNGVersion, DNGBackwardVersion
        50708: (ASCII, "Curator Test DNG"),  # UniqueCameraModel
        50721: (SRATIONAL, [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]),  # ColorMatrix1
        50778: (SHORT, [21]),  # CalibrationIlluminant1 D65
    }
    if preview_jpeg is None:
        first = _append_ifd(buf, {**raw_ifd, **ifd0})
    else:
        try:
            with Image.open(io.BytesIO(preview_jpeg)) as im:
                pw, ph = im.size
        except OSError:  # a deliberately broken preview: claim a usable size
            pw, ph = 960, 720
        sub = _append_ifd(buf, raw_ifd)
        if len(buf) % 2:
            buf.append(0)
        preview_at = len(buf)
        buf += preview_jpeg
        ifd0.update({
            254: (LONG, [1]), 256: (LONG, [pw]), 257: (LONG, [ph]), 258: (SHORT, [8, 8, 8]), 259: (SHORT, [7]),
            262: (SHORT, [6]), 273: (LONG, [preview_at]), 277: (SHORT, [3]), 278: (LONG, [ph]),
            279: (LONG, [len(preview_jpeg)]), 284: (SHORT, [1]), 330: (LONG, [sub]),  # SubIFDs
        })
        first = _append_ifd(buf, ifd0)
    struct.pack_into("<I", buf, 4, first)
    return bytes(buf)


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int], stripe: tuple[int, int, int] | None = None) -> bytes:
    im = Image.new("RGB", size, colour)
    if stripe is not None:  # a left stripe, to see rotations
        im.paste(stripe, (0, 0, size[0] // 4, size[1]))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _cfa(h: int = 192, w: int = 256) -> np.ndarray:
    return (np.random.default_rng(0).random((h, w)) * 3000 + 200).astype(np.uint16)


RED, BLUE = (200, 30, 30), (30, 30, 200)


@pytest.fixture()
def dng(tmp_path: Path):
    pytest.importorskip("rawpy")

    def make(name: str, preview: bytes | None = None, orientation: int = 1) -> Path:
        path = tmp_path / name
        path.write_bytes(build_dng(_cfa(), preview, orientation))
        return path
    return make


def test_the_built_dng_is_a_dng_for_libraw(dng) -> None:
    import rawpy

    path = dng("a.dng", _jpeg((960, 720), RED))
    with rawpy.imread(str(path)) as raw:
        assert (raw.sizes.raw_width, raw.sizes.raw_height) == (256, 192)
        thumb = raw.extract_thumb()
        assert thumb.format == rawpy.ThumbFormat.JPEG


def test_raw_scores_from_its_embedded_preview(dng) -> None:
    decoded = decode_photo(dng("a.dng", _jpeg((960, 720), RED)))
    assert decoded.source == "raw-preview"
    assert decoded.image.mode == "RGB" and decoded.image.size == (960, 720)
    assert np.abs(np.asarray(decoded.image)[360, 480].astype(int) - RED).max() <= 6


def test_preview_orientation_is_applied(dng) -> None:
    # LibRaw hands the preview back with an EXIF header carrying the DNG's Orientation (6 = 90° CW).
    decoded = decode_photo(dng("rot.dng", _jpeg((960, 720), RED, stripe=BLUE), orientation=6))
    assert decoded.source == "raw-preview"
    assert decoded.image.size == (720, 960) and decoded.original_size == (720, 960)
    top, bottom = np.asarray(decoded.image)[20, 360], np.asarray(decoded.image)[940, 360]
    assert np.abs(top.astype(int) - BLUE).max() <= 8  # the left stripe is now at the top
    assert np.abs(bottom.astype(int) - RED).max() <= 8


def test_preview_draft_decoding(dng) -> None:
    decoded = decode_photo(dng("a.dng", _jpeg((960, 720), RED)), draft_long_side=300)
    assert decoded.source == "raw-preview"
    assert 300 <= max(decoded.image.size) < 960  # libjpeg's DCT scaling, never below the asked size
    assert decoded.original_size == (960, 720)


def test_no_preview_falls_back_to_a_half_size_demosaic(dng) -> None:
    decoded = decode_photo(dng("none.dng"))
    assert decoded.source == "raw-demosaic"
    assert decoded.image.size == (128, 96)  # half of 256x192
    assert decoded.image.mode == "RGB"


def test_small_preview_falls_back_to_demosaic(dng) -> None:
    decoded = decode_photo(dng("small.dng", _jpeg((320, 240), RED)))  # below the 640 px minimum
    assert decoded.source == "raw-demosaic"


def test_unusable_preview_falls_back_to_demosaic(dng) -> None:
    decoded = decode_photo(dng("bad.dng", b"\xff\xd8" + b"not a jpeg at all" * 20))
    assert decoded.source == "raw-demosaic"


def test_truncated_preview_falls_back_to_demosaic(dng) -> None:
    rng = np.random.default_rng(1)
    noisy = Image.fromarray((rng.random((720, 960, 3)) * 255).astype(np.uint8))
    buf = io.BytesIO()
    noisy.save(buf, "JPEG", quality=90)
    truncated = buf.getvalue()[: len(buf.getvalue()) // 2]
    decoded = decode_photo(dng("trunc.dng", truncated))
    assert decoded.source == "raw-demosaic"


def test_a_raw_extension_on_garbage_is_a_one_line_error(tmp_path: Path) -> None:
    pytest.importorskip("rawpy")
    path = tmp_path / "IMG_0001.CR2"
    path.write_bytes(b"\x00" * 64 + b"definitely not a raw file" * 50)
    with pytest.raises(ImageDecodeError, match="not a readable RAW file") as info:
        decode_photo(path)
    assert "\n" not in str(info.value)


def test_every_raw_extension_of_the_issue_counts_as_a_photo() -> None:
    for ext in ("CR2", "CR3", "NEF", "ARW", "DNG", "RAF", "ORF", "RW2", "PEF"):
        assert f".{ext.lower()}" in RAW_EXTENSIONS
        assert is_photo_path(f"IMG_0001.{ext}") and is_photo_path(f"img_0001.{ext.lower()}")


# -- HEIC ------------------------------------------------------------------------------------

def _heic(path: Path, size: tuple[int, int], orientation: int | None = None) -> Path:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    im = Image.new("RGB", size, RED)
    im.paste(BLUE, (0, 0, size[0] // 4, size[1]))
    kwargs = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    im.save(path, format="HEIF", quality=90, **kwargs)
    return path


def test_heic_decodes_through_pillow_heif(tmp_path: Path) -> None:
    decoded = decode_photo(_heic(tmp_path / "IMG_0001.HEIC", (160, 96)))
    assert decoded.source == "heif"
    assert decoded.image.mode == "RGB" and decoded.image.size == (160, 96)
    px = np.asarray(decoded.image).astype(int)
    assert np.abs(px[48, 120] - RED).max() <= 12 and np.abs(px[48, 10] - BLUE).max() <= 12


def test_heic_orientation_is_applied_once(tmp_path: Path) -> None:
    # pillow-heif stores EXIF orientation as the HEIF rotation; the decoded image must be upright, not turned twice.
    decoded = decode_photo(_heic(tmp_path / "rot.heic", (160, 96), orientation=6))
    assert decoded.image.size == (96, 160)
    px = np.asarray(decoded.image).astype(int)
    assert np.abs(px[5, 48] - BLUE).max() <= 12  # the left stripe is at the top after 90° CW
    assert np.abs(px[150, 48] - RED).max() <= 12


def test_heif_extensions(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    for name in ("a.heic", "b.HEIF", "c.hif"):
        assert is_photo_path(name)
    broken = tmp_path / "broken.heic"
    broken.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40)
    with pytest.raises(ImageDecodeError):
        decode_photo(broken)
