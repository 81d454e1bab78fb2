"""Test and demo helpers: a tiny open_clip model with seeded random weights, and sample photos.

The tiny model's seeded random weights are for tests and demos: its scores test plumbing, never
quality. It is a real open_clip architecture (ModifiedResNet image tower, transformer text tower)
built from a model-config JSON, its weights saved to a file and loaded through the same
`--model CONFIG.json --weights FILE` path a user's checkpoint takes.

The sample photos are the photographs that ship inside scikit-image's wheel (a test and docs
dependency, imported only when asked for). The test suite, the gallery's demo catalog
(curator.testing.demo_catalog), docs/gallery_demo.py and bench/catalog.py all take them from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from iqa_engine.config import EngineConfig

TINY_MODEL_CONFIG = {
    "embed_dim": 32,
    "quick_gelu": True,
    "vision_cfg": {"image_size": 224, "layers": [1, 1, 1, 1], "width": 8, "head_width": 64},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 1, "layers": 1},
}


@dataclass(frozen=True)
class TinyModel:
    config_path: Path  # pass as --model
    weights_path: Path  # pass as --weights (open_clip state-dict layout)
    openai_weights_path: Path  # the same weights in OpenAI's layout (with its metadata keys)

    def cli_args(self) -> list[str]:
        return ["--model", str(self.config_path), "--weights", str(self.weights_path)]

    def engine_config(self, **changes: Any) -> EngineConfig:
        from iqa_engine.config import EngineConfig

        return EngineConfig(model=str(self.config_path), weights=str(self.weights_path), pretrained=None,
                            **changes)


def build_tiny_model(directory: Path, seed: int = 0) -> TinyModel:
    import open_clip
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "tiny-rn.json"
    config_path.write_text(json.dumps(TINY_MODEL_CONFIG))
    open_clip.add_model_config(config_path)
    torch.manual_seed(seed)
    model = open_clip.create_model("tiny-rn", pretrained=None)
    # Random BatchNorm statistics, so a bug that skips a BN layer would show.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                assert m.running_mean is not None and m.running_var is not None  # track_running_stats
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.normal_(1, 0.1)
                m.bias.normal_(0, 0.1)
    state = model.state_dict()
    weights_path = directory / "tiny-rn.pt"
    torch.save(state, weights_path)
    openai_state = dict(state)
    openai_state["input_resolution"] = torch.tensor(224)
    openai_state["context_length"] = torch.tensor(77)
    openai_state["vocab_size"] = torch.tensor(49408)
    openai_path = directory / "tiny-rn-openai.pt"
    torch.save(openai_state, openai_path)
    return TinyModel(config_path, weights_path, openai_path)



# (name, how to get it from skimage.data); the first five are what the tests' shoots are made of
_SAMPLES: tuple[tuple[str, str], ...] = (
    ("astronaut", "astronaut"),  # 512x512
    ("coffee", "coffee"),  # 600x400
    ("chelsea", "chelsea"),  # 451x300
    ("rocket", "rocket"),  # 640x427
    ("motorcycle", "stereo_motorcycle"),  # 740x500 (the left view)
    ("hubble", "hubble_deep_field"),
    ("camera", "camera"),  # grey
    ("clock", "clock"),  # grey
    ("coins", "coins"),  # grey
)


def sample_photos(count: int = 5) -> dict[str, np.ndarray]:
    """The first `count` (at most 9) photographs that ship inside scikit-image, as RGB uint8 arrays."""
    from skimage import data

    out = {}
    for name, loader in _SAMPLES[:count]:
        arr = getattr(data, loader)()
        if loader == "stereo_motorcycle":
            arr = arr[0]
        out[name] = np.stack([arr] * 3, axis=-1) if arr.ndim == 2 else arr
    return out


def write_jpeg(path: Path, array: np.ndarray, size: tuple[int, int] | None = None, quality: int = 90,
               **save_kwargs: object) -> Path:
    """Save an RGB array as a JPEG (resized to `size` first, if given), making its folder."""
    from PIL import Image

    im = Image.fromarray(array)
    if size is not None:
        im = im.resize(size, Image.Resampling.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", quality=quality, **save_kwargs)
    return path


def write_frame(path: Path, array: np.ndarray, when: str, subsec: str, bias: tuple[int, int],
                size: tuple[int, int] | None = (240, 180)) -> Path:
    """A frame of a burst or a bracket: a JPEG with EXIF DateTimeOriginal (`when`, "YYYY:MM:DD HH:MM:SS"),
    SubSecTimeOriginal (`subsec`) and ExposureBiasValue (`bias`, a rational)."""
    from PIL import Image, TiffImagePlugin

    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = when
    ifd[0x9291] = subsec
    ifd[0x9204] = TiffImagePlugin.IFDRational(*bias)
    return write_jpeg(path, array, size=size, exif=exif)


def write_burst_shoot(folder: Path, photos: dict[str, np.ndarray] | None = None) -> Path:
    """A shoot of frames with capture times: a burst B1-B3 (three near-identical frames, 0.5 s apart), a
    bracket K1-K3 (0, -1, +1 EV, 0.3 s apart) and a frame alone, S1."""
    photos = photos or sample_photos()
    rng = np.random.default_rng(0)
    base = photos["astronaut"].astype(np.int16)
    for i, (when, sub) in enumerate((("10:00:00", "00"), ("10:00:00", "50"), ("10:00:01", "00"))):
        noisy = np.clip(base + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8)
        write_frame(folder / f"B{i + 1}.jpg", noisy, f"2024:05:01 {when}", sub, (0, 1))
    scene = photos["coffee"].astype(np.float32)
    for i, (ev, sub) in enumerate(((0, "00"), (-1, "30"), (1, "60"))):
        frame = np.clip(scene * 2.0 ** ev, 0, 255).astype(np.uint8)
        write_frame(folder / f"K{i + 1}.jpg", frame, "2024:05:01 10:01:00", sub, (ev, 1))
    write_frame(folder / "S1.jpg", photos["rocket"], "2024:05:01 10:05:00", "00", (0, 1))
    return folder
