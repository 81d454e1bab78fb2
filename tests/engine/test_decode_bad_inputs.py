"""Every awkward file gets a score or a one-line reason; none crashes a batch."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iqa_engine.decode import decode_photo
from iqa_engine.errors import ImageDecodeError
from iqa_engine.testing import sample_photos, write_jpeg


def png_with_header_size(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims width x height: what a decompression bomb looks like at open."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def make_bad_inputs(folder: Path) -> dict[str, tuple[Path, str | None]]:
    """name -> (path, expected error fragment, or None when the file must score)."""
    folder.mkdir(parents=True, exist_ok=True)
    photo = sample_photos()["coffee"]
    cases: dict[str, tuple[Path, str | None]] = {}

    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    cases["empty"] = (empty, "empty file")

    good = write_jpeg(folder / "source.jpg", photo)
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    good.unlink()
    cases["truncated"] = (truncated, "truncated")

    text = folder / "notes.jpg"
    text.write_text("this is not a photo\n")
    cases["text"] = (text, "not an image")

    cases["bomb"] = (png_with_header_size(folder / "bomb.png", 60000, 60000), "safety limit")

    grey16 = (np.linspace(0, 65535, 300 * 200).reshape(200, 300)).astype(np.uint16)
    p16 = folder / "grey16.png"
    Image.fromarray(grey16).save(p16)
    cases["png16"] = (p16, None)

    cmyk = folder / "cmyk.jpg"
    Image.fromarray(photo).convert("CMYK").save(cmyk, "JPEG")
    cases["cmyk"] = (cmyk, None)

    pal = Image.fromarray(photo).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    pal.info["transparency"] = 0
    ppng = folder / "palette.png"
    pal.save(ppng, transparency=0)
    cases["palette"] = (ppng, None)

    rotated = folder / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(photo).save(rotated, "JPEG", exif=exif.tobytes())
    cases["rotated"] = (rotated, None)

    tiny = folder / "one-pixel.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(tiny)
    cases["1x1"] = (tiny, None)

    strip = folder / "strip.png"
    Image.new("RGB", (20000, 20), (90, 90, 90)).save(strip)
    cases["strip"] = (strip, "aspect ratio")
    return cases


def test_decode_gives_rgb_or_one_line_reason(tmp_path: Path) -> None:
    for name, (path, expected_error) in make_bad_inputs(tmp_path).items():
        if expected_error is None:
            decoded = decode_photo(path)
            assert decoded.image.mode == "RGB", name
        elif name == "strip":
            decode_photo(path)  # decodes fine; the views refuse it (see the batch test)
        else:
            with pytest.raises(ImageDecodeError) as info:
                decode_photo(path)
            message = str(info.value)
            assert expected_error in message, (name, message)
            assert "\n" not in message


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    path = make_bad_inputs(tmp_path)["png16"][0]
    arr = np.asarray(decode_photo(path).image)
    # a 0..65535 ramp becomes a 0..255 ramp (clipping would make most of it white)
    assert arr[..., 0].min() == 0 and arr[..., 0].max() == 255
    assert 100 < arr.mean() < 155


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    path = make_bad_inputs(tmp_path)["rotated"][0]
    decoded = decode_photo(path)
    h, w = sample_photos()["coffee"].shape[:2]
    assert decoded.image.size == (h, w)  # portrait: width and height swapped
    assert decoded.original_size == (h, w)


def test_batch_scores_good_files_and_reports_bad_ones(tmp_path: Path, tiny_engine) -> None:
    cases = make_bad_inputs(tmp_path)
    results = dict(tiny_engine.score_paths([p for p, _ in cases.values()]))
    assert len(results) == len(cases)
    for name, (path, expected_error) in cases.items():
        result = results[path]
        if expected_error is None:
            assert not isinstance(result, Exception), (name, result)
            assert np.isfinite(result.fused)
        else:
            assert isinstance(result, ImageDecodeError), name
            assert expected_error in str(result)


def test_rotated_photo_scores_as_its_upright_version(tmp_path: Path, tiny_engine) -> None:
    path = make_bad_inputs(tmp_path)["rotated"][0]
    upright = Image.open(path)
    upright = upright.transpose(Image.Transpose.ROTATE_270).convert("RGB")
    from_file = tiny_engine.score_path(path)
    from_pixels = tiny_engine.score_image(upright)
    assert from_file.original_size == upright.size
    assert from_file.fused == pytest.approx(from_pixels.fused, abs=1e-6)


def test_results_come_back_in_input_order(tmp_path: Path, tiny_model) -> None:
    from iqa_engine import Engine

    cases = make_bad_inputs(tmp_path)
    order = [cases[name][0] for name in ("cmyk", "empty", "palette", "text", "rotated", "1x1", "truncated")]
    # a small batch forces several passes, with failures between them
    engine = Engine(tiny_model.engine_config(batch_views=4, decode_workers=2))
    assert [p for p, _ in engine.score_paths(order)] == order


def test_jpeg_draft_decodes_no_smaller_than_the_protocol_needs(tmp_path: Path) -> None:
    from iqa_engine import views as V

    path = write_jpeg(tmp_path / "big.jpg", sample_photos()["rocket"], size=(4000, 3000))
    for protocol, at_least in (("koniq", (1024, 768)), ("spaq", (448, 448))):
        decoded = decode_photo(path, *V.draft_hint(protocol))
        assert decoded.original_size == (4000, 3000)
        w, h = decoded.image.size
        assert w < 4000 and h < 3000, protocol  # libjpeg scaled it down
        assert w >= at_least[0] and h >= at_least[1], protocol
