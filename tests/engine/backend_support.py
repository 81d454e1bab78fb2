"""Which image-tower backends this machine has, and engines on each (for the parity tests)."""

from __future__ import annotations

import importlib.util

import pytest

# PyTorch always; the others where their package is installed.
INSTALLED_BACKENDS = ["torch"] + [name for name in ("openvino", "onnxruntime")
                                  if importlib.util.find_spec(name) is not None]


@pytest.fixture(scope="session")
def backend_cache(tmp_path_factory: pytest.TempPathFactory):
    """One user cache for the session, so each backend converts the tiny model once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("backend-cache")))
        yield


@pytest.fixture(scope="session", params=INSTALLED_BACKENDS)
def backend_engine(request: pytest.FixtureRequest, tiny_model, backend_cache):
    from iqa_engine import Engine

    engine = Engine(tiny_model.engine_config(backend=request.param))
    # the backend asked for really runs the image tower, or the parity below proves nothing
    assert engine.backend.name == request.param, engine.backend.note
    return engine
