"""JPEG decoding on the engine's device (torchvision), run here on the CPU: the code a CUDA GPU runs.

On a CPU engine, decoder "device" is torchvision's libjpeg-turbo decode plus torch's antialiased
bicubic resize: the same functions nvJPEG feeds on CUDA. The tiny model's random weights test the
plumbing and the fingerprint, not quality.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from iqa_engine import Engine
from iqa_engine import views as V
from iqa_engine.decode import decode_photo
from iqa_engine.device_decode import choose_decoder, decode_on_device
from iqa_engine.errors import ImageDecodeError
from iqa_engine.testing import sample_photos, write_jpeg

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory):
    return write_jpeg(tmp_path_factory.mktemp("dd") / "astronaut.jpg", sample_photos()["astronaut"],
                      size=(3000, 2000), quality=92)


def _cpu_path_image(path, protocol="koniq"):
    decoded = decode_photo(path, *V.draft_hint(protocol))
    return V.resize_for_protocol(decoded.image, decoded.original_size, protocol)


def test_a_jpeg_comes_back_at_its_scoring_size_with_nearly_pillows_pixels(big_jpeg):
    got = decode_on_device(big_jpeg, CPU, "koniq", 1024)
    assert got.original_size == (3000, 2000) and got.image.size == V.scoring_size(3000, 2000, "koniq") == (1024, 683)
    want = _cpu_path_image(big_jpeg)
    diff = np.abs(np.asarray(got.image, dtype=np.int16) - np.asarray(want, dtype=np.int16))
    # another IDCT and resampler: close, not equal (hence a fingerprint of its own)
    assert diff.mean() < 2.0 and np.percentile(diff, 99) < 16


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    path = write_jpeg(tmp_path / "rotated.jpg", sample_photos()["astronaut"], size=(1200, 800), exif=exif)
    got = decode_on_device(path, CPU, "koniq", 1024)
    assert got.original_size == (800, 1200) and got.image.size == (683, 1024)
    with Image.open(path) as im:
        upright = ImageOps.exif_transpose(im).convert("RGB").resize(got.image.size, Image.Resampling.BICUBIC)
    diff = np.abs(np.asarray(got.image, dtype=np.int16) - np.asarray(upright, dtype=np.int16))
    assert diff.mean() < 3.0


def test_other_files_take_the_cpu_path_and_broken_ones_get_one_line(tmp_path):
    png = tmp_path / "a.png"
    Image.fromarray(sample_photos()["coffee"]).save(png)
    assert np.array_equal(np.asarray(decode_on_device(png, CPU, "koniq", 1024).image),
                          np.asarray(decode_photo(png, *V.draft_hint("koniq")).image))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ImageDecodeError) as info:
        decode_on_device(broken, CPU, "koniq", 1024)
    assert "\n" not in str(info.value)
    truncated = tmp_path / "truncated.jpg"
    whole = write_jpeg(tmp_path / "whole.jpg", sample_photos()["coffee"]).read_bytes()
    truncated.write_bytes(whole[: len(whole) * 2 // 3])
    try:  # Pillow's verdict on a truncated file, whichever path reads it
        expected = decode_photo(truncated, *V.draft_hint("koniq")).image.size
    except ImageDecodeError:
        with pytest.raises(ImageDecodeError):
            decode_on_device(truncated, CPU, "koniq", 1024)
    else:
        assert decode_on_device(truncated, CPU, "koniq", 1024).image.size == V.scoring_size(*expected, "koniq")


def test_auto_decodes_on_the_cpu_without_cuda_and_keeps_the_old_fingerprint(tiny_model):
    assert choose_decoder("auto", CPU, "koniq", 1024, 2).name == "cpu"
    assert choose_decoder("device", CPU, "koniq", 1024, 2).name == "device"
    config = tiny_model.engine_config()
    assert "decoder" not in config.math_parameters()  # Pillow's pixels: what every older fingerprint meant
    assert "decoder" not in config.replace(decoder="auto").math_parameters()


def test_a_device_decoding_engine_scores_under_a_fingerprint_of_its_own(tiny_model, tiny_engine, big_jpeg):
    device = Engine(tiny_model.engine_config(decoder="device"), backbone=tiny_engine.backbone)
    auto = Engine(tiny_model.engine_config(decoder="auto"), backbone=tiny_engine.backbone)
    assert device.decoder.name == "device" and auto.decoder.name == "cpu"
    assert auto.fingerprint == tiny_engine.fingerprint != device.fingerprint
    assert device.dimensions_fingerprint != tiny_engine.dimensions_fingerprint
    a, b = device.score_path(big_jpeg), tiny_engine.score_path(big_jpeg)
    assert a.fused != b.fused and abs(a.fused - b.fused) < 0.05
