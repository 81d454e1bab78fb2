"""Shared fixtures: a tiny open_clip model with seeded random weights, and real photos.

The tiny model is a real open_clip architecture (ModifiedResNet image tower,
transformer text tower) built from a model-config JSON, its seeded random
weights saved to a file and loaded through the same `--model CONFIG.json
--weights FILE` path a user's checkpoint takes. Its scores exercise plumbing
and exact math; they say nothing about photo quality.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never reach a model hub; fail fast rather than probe the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest
from PIL import Image

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

    def engine_config(self, **changes: object):
        from iqa_engine import EngineConfig

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


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_engine(tiny_model: TinyModel):
    from iqa_engine import Engine

    return Engine(tiny_model.engine_config())


def real_photos() -> dict[str, np.ndarray]:
    """Photographs that ship inside scikit-image's wheel (RGB uint8)."""
    from skimage import data

    return {
        "astronaut": data.astronaut(),  # 512x512
        "coffee": data.coffee(),  # 600x400
        "chelsea": data.chelsea(),  # 451x300
        "rocket": data.rocket(),  # 640x427
        "motorcycle": data.stereo_motorcycle()[0],  # 740x500
    }


def write_jpeg(path: Path, array: np.ndarray, size: tuple[int, int] | None = None, quality: int = 90,
               **save_kwargs: object) -> Path:
    im = Image.fromarray(array)
    if size is not None:
        im = im.resize(size, Image.Resampling.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", quality=quality, **save_kwargs)
    return path


@pytest.fixture()
def photo_dir(tmp_path: Path) -> Path:
    """A folder of five real photos as JPEGs."""
    folder = tmp_path / "shoot"
    for name, arr in real_photos().items():
        write_jpeg(folder / f"{name}.jpg", arr)
    return folder


# -- very deep folder chains (the walk's and the watcher's depth limits) --------------------


def make_deep(root: Path, levels: int) -> Path:
    """A chain of `levels` one-letter folders under root (built with relative paths: mkdir on a long
    absolute path is what would fail, not the walk); returns the deepest folder."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.chdir(cwd)
    return root.joinpath(*(["d"] * levels))


def remove_deep(top: Path) -> None:
    """Remove a chain made by make_deep, and whatever sits beside it on the way, without recursing
    (shutil.rmtree, and pytest's clean-up of old temp folders with it, recurse once per level)."""
    cwd = os.getcwd()
    os.chdir(top)
    levels = 0
    try:
        while os.path.isdir("d"):
            os.chdir("d")
            levels += 1
        for _ in range(levels + 1):
            for name in os.listdir("."):
                if name != "d":
                    shutil.rmtree(name) if os.path.isdir(name) else os.unlink(name)
                else:
                    os.rmdir(name)
            os.chdir("..")
    finally:
        os.chdir(cwd)


@pytest.fixture()
def deep_roots():
    """Folders to clean with remove_deep at the end of the test."""
    roots: list[Path] = []
    yield roots
    for root in roots:
        if root.exists():
            remove_deep(root)
