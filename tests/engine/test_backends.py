"""The image-tower backends: auto's choice and its cache, the shared trunk, and falling back to PyTorch.

Tiny model, seeded random weights: these check that every runtime computes
the same numbers as PyTorch, not photo quality.
"""

from __future__ import annotations

import logging
import sys

import pytest
from iqa_engine.testing import sample_photos
from PIL import Image

from iqa_engine import Engine
from iqa_engine.backends import EXACT_BOUND, REDUCED_BOUND, check_views, installed_backends
from iqa_engine.hardware import cpu_has_native_bf16

INSTALLED_BACKENDS = installed_backends()
OTHER_RUNTIMES = [b for b in INSTALLED_BACKENDS if b != "torch"]
needs_a_runtime = pytest.mark.skipif(not OTHER_RUNTIMES, reason="neither openvino nor onnxruntime is installed")


def _photo() -> Image.Image:
    return Image.fromarray(sample_photos()["astronaut"]).resize((1024, 768), Image.Resampling.BICUBIC)


@pytest.fixture(scope="module")
def torch_engines(tiny_model):
    return {trunk: Engine(tiny_model.engine_config(trunk=trunk)) for trunk in ("windows", "shared")}


@pytest.mark.parametrize("backend", OTHER_RUNTIMES)
@pytest.mark.usefixtures("backend_cache")
def test_shared_trunk_on_a_backend_equals_pytorch(backend: str, tiny_model, torch_engines) -> None:
    engine = Engine(tiny_model.engine_config(backend=backend, trunk="shared"))
    assert engine.backend.name == backend
    ours, theirs = engine.score_image(_photo()), torch_engines["shared"].score_image(_photo())
    assert ours.n_views == theirs.n_views == 36
    assert abs(ours.fused - theirs.fused) <= EXACT_BOUND
    assert max(abs(a.fused - b.fused) for a, b in zip(ours.views, theirs.views, strict=True)) <= EXACT_BOUND


@needs_a_runtime
@pytest.mark.usefixtures("backend_cache")
def test_auto_picks_a_checked_backend_and_caches_its_verdict(tiny_model, torch_engines) -> None:
    first = Engine(tiny_model.engine_config(backend="auto", protocol="spaq"))
    assert first.backend.requested == "auto"
    assert set(first.backend.ms_per_view) == set(INSTALLED_BACKENDS)  # every installed runtime was timed
    timings = first.backend.ms_per_view
    assert first.backend.name == min(timings, key=lambda k: timings[k])
    assert not first.backend.from_cache
    second = Engine(tiny_model.engine_config(backend="auto", protocol="spaq"))
    assert second.backend.from_cache and second.backend.name == first.backend.name
    # the backend is not part of the fingerprint: the score is the same score
    reference = Engine(tiny_model.engine_config(protocol="spaq"))
    assert second.fingerprint == reference.fingerprint
    assert abs(second.score_image(_photo()).fused - reference.score_image(_photo()).fused) <= EXACT_BOUND


@pytest.mark.usefixtures("backend_cache")
def test_missing_package_falls_back_to_torch_with_one_warning(tiny_model, monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # what `import onnxruntime` meets when it is absent
    with caplog.at_level(logging.WARNING):
        engine = Engine(tiny_model.engine_config(backend="onnxruntime"))
    assert engine.backend.name == "torch" and engine.backend.requested == "onnxruntime"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "not installed" in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()
    assert 0.0 <= engine.score_image(_photo()).fused <= 2.0  # the scan goes on


@pytest.mark.parametrize("backend", OTHER_RUNTIMES)
def test_unwritable_cache_falls_back_to_torch(backend: str, tiny_model, tmp_path, monkeypatch, caplog) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with caplog.at_level(logging.WARNING):
        engine = Engine(tiny_model.engine_config(backend=backend))
    assert engine.backend.name == "torch"
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert engine.score_image(_photo()).fused == pytest.approx(
        Engine(tiny_model.engine_config()).score_image(_photo()).fused, abs=1e-7)


def test_torch_backend_touches_no_cache(tiny_model, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine = Engine(tiny_model.engine_config(backend="torch"))
    assert engine.backend.name == "torch" and engine.backbone.tower is None
    # no converted tower, no verdict: only what every start keeps (iqa_engine.start_cache)
    assert not (tmp_path / "cache" / "curator" / "backends").exists()
    assert {p.name for p in (tmp_path / "cache" / "curator").iterdir()} <= {"text-features", "sha256"}


@pytest.mark.skipif("openvino" not in INSTALLED_BACKENDS or not cpu_has_native_bf16(),
                    reason="needs openvino and a CPU with native bf16")
@pytest.mark.usefixtures("backend_cache")
def test_openvino_bf16_stays_within_the_reduced_precision_bound(tiny_model, torch_engines) -> None:
    engine = Engine(tiny_model.engine_config(backend="openvino", precision="bf16"))
    if engine.backend.name == "openvino":
        assert engine.backend.max_deviation is not None and engine.backend.max_deviation <= REDUCED_BOUND
        assert abs(engine.score_image(_photo()).fused
                   - torch_engines["windows"].score_image(_photo()).fused) <= 4 * REDUCED_BOUND
    else:  # it failed its check on the check views, and said so
        assert "moves the fused score" in engine.backend.note


def test_check_views_are_fixed() -> None:
    a, b = check_views(2), check_views(2)
    assert a.shape == (2, 3, 224, 224) and bool((a == b).all())
