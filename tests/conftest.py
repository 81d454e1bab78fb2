"""Shared fixtures: a tiny open_clip model with seeded random weights, and real photos.

Both come from iqa_engine.testing (the demo and the benchmarks use them too). The tiny
model's scores exercise plumbing and exact math; they say nothing about photo quality.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never reach a model hub; fail fast rather than probe the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest

from iqa_engine.testing import TinyModel, build_tiny_model, sample_photos, write_jpeg


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_engine(tiny_model: TinyModel):
    from iqa_engine import Engine

    return Engine(tiny_model.engine_config())


@pytest.fixture()
def photo_dir(tmp_path: Path) -> Path:
    """A folder of five real photos as JPEGs."""
    folder = tmp_path / "shoot"
    for name, arr in sample_photos().items():
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
