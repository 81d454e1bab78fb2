"""The accelerator path's device-generic code, run on the CPU and on torch's "meta" device.

No GPU here: the meta device (shapes without data) stands in for a non-CPU
device, so the copy-then-cut path a GPU takes really runs.
"""

from __future__ import annotations

import torch
from iqa_engine.testing import sample_photos
from PIL import Image

from iqa_engine import views as V
from iqa_engine.device_path import (
    device_views,
    on_device,
    pinned,
    pins_host_memory,
    wants_channels_last,
)


def _photos() -> list[V.PreparedPhoto]:
    out = []
    for name, size in (("astronaut", (1024, 768)), ("coffee", (600, 400))):
        im = Image.fromarray(sample_photos()[name]).resize(size, Image.Resampling.BICUBIC)
        out.append(V.prepare(im, im.size, "koniq"))
    return out


def test_views_cut_on_another_device_keep_their_order_and_shapes() -> None:
    photos = _photos()
    meta = torch.device("meta")
    views = device_views(photos, meta)
    assert views.device.type == "meta"
    assert views.shape == (sum(p.n_views for p in photos), 3, 224, 224)
    assert all(p.tensor.device.type == "cpu" for p in photos)  # the prepared photos are not moved in place


def test_views_on_the_cpu_are_the_views_of_the_cpu_path() -> None:
    photos = _photos()
    expected = torch.cat([V.window_views(p) for p in photos])
    assert torch.equal(device_views(photos, torch.device("cpu")), expected)
    assert on_device(photos[0], torch.device("cpu")) is photos[0]


def test_pinning_only_where_a_copy_to_a_gpu_follows() -> None:
    photo = _photos()[0]
    assert pinned(photo, torch.device("cpu")) is photo
    assert not pins_host_memory(torch.device("cpu"))
    assert not pins_host_memory(torch.device("mps"))


def test_channels_last_on_cpu_and_cuda_not_mps(tiny_engine) -> None:
    assert wants_channels_last(torch.device("cpu")) and wants_channels_last(torch.device("cuda"))
    assert not wants_channels_last(torch.device("mps"))
    conv = tiny_engine.backbone.model.visual.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
