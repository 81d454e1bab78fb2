"""Shared fixtures: a tiny open_clip model with seeded random weights, and real photos.

Both come from iqa_engine.testing (the demo and the benchmarks use them too). The tiny
model's scores exercise plumbing and exact math; they say nothing about photo quality.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never reach a model hub; fail fast rather than probe the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Engines built by tests run the image tower on PyTorch unless a test asks for a backend:
# converting a model for OpenVINO takes seconds, and many tests use a fresh cache folder.
# tests/engine/test_backends.py covers every installed backend, and "auto".
os.environ.setdefault("CURATOR_BACKEND", "torch")

import pytest

from iqa_engine.testing import TinyModel, build_tiny_model, sample_photos, write_jpeg


@pytest.fixture(scope="session", autouse=True)
def user_cache_for_the_session(tmp_path_factory: pytest.TempPathFactory):
    """The run's own user cache (converted towers, text features, file hashes): never the real one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture()
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings file and no CURATOR_DB from the person running the tests (CLI tests use this)."""
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "no-settings.toml"))
    monkeypatch.delenv("CURATOR_DB", raising=False)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))




@pytest.fixture(scope="session")
def backend_cache(tmp_path_factory: pytest.TempPathFactory):
    """One user cache for the session, so each backend converts the tiny model once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("backend-cache")))
        yield


# Image-tower backends: PyTorch always; the others where their package is installed
# (as iqa_engine.backends.installed_backends says, without importing torch here).
INSTALLED_BACKENDS = ["torch"] + [n for n in ("openvino", "onnxruntime") if importlib.util.find_spec(n) is not None]


@pytest.fixture(scope="session", params=INSTALLED_BACKENDS)
def backend_engine(request: pytest.FixtureRequest, tiny_model, backend_cache):
    """The tiny model's engine on each installed backend (for the parity tests)."""
    from iqa_engine import Engine

    engine = Engine(tiny_model.engine_config(backend=request.param))
    # the backend asked for really runs the image tower, or the parity proves nothing
    assert engine.backend.name == request.param, engine.backend.note
    return engine


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
