"""QualiCLIP as a second method, on a synthetic checkpoint in the release's exact format.

The checkpoint holds the tiny test model's seeded random weights under the
prefix `clip_model.` and L2-normalised random text features of 7 prompt pairs
under `prompts_features`, as QualiCLIP's release does. Random weights prove
the computation, not the quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from iqa_engine import Engine, EngineConfig, EngineError
from iqa_engine.backends import installed_backends
from iqa_engine.testing import TinyModel, sample_photos
from reference_maclip import reference_score
from reference_qualiclip import load_reference_model, reference_qualiclip

TOLERANCE = 1e-5
PAIRS = 7  # the release's prompt pairs


def write_qualiclip_checkpoint(tiny_model: TinyModel, path: Path, pairs: int = PAIRS, seed: int = 3) -> Path:
    state = torch.load(tiny_model.weights_path, weights_only=True)
    width = state["text_projection"].shape[1]
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(2 * pairs, width, generator=generator)
    checkpoint = {f"clip_model.{k}": v for k, v in state.items()}
    checkpoint["prompts_features"] = features / features.norm(dim=-1, keepdim=True)
    torch.save(checkpoint, path)
    return path


@pytest.fixture(scope="module")
def checkpoint(tiny_model: TinyModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_qualiclip_checkpoint(tiny_model, tmp_path_factory.mktemp("qualiclip") / "qualiclip.pth")


@pytest.fixture(scope="module")
def qualiclip_engine(tiny_model: TinyModel, checkpoint: Path) -> Engine:
    return Engine(EngineConfig(method="qualiclip", model=str(tiny_model.config_path), weights=str(checkpoint),
                               pretrained=None))


@pytest.fixture(scope="module")
def reference(tiny_model: TinyModel, checkpoint: Path) -> tuple[torch.nn.Module, torch.Tensor]:
    return load_reference_model("tiny-rn", checkpoint)


def _photo(name: str, size: tuple[int, int] | None = None) -> Image.Image:
    im = Image.fromarray(sample_photos()[name])
    return im.resize(size, Image.Resampling.BICUBIC) if size else im


@pytest.mark.parametrize(("name", "size"), [("coffee", None), ("chelsea", None), ("astronaut", (1000, 700)),
                                            ("rocket", (333, 250))])
def test_qualiclip_matches_reference_at_native_size(qualiclip_engine: Engine, reference, name, size) -> None:
    image = _photo(name, size)
    ours = qualiclip_engine.score_image(image)
    expected = reference_qualiclip(*reference, image)
    assert ours.method == "qualiclip"
    assert ours.n_views == 1 and ours.views[0].box is None
    assert ours.scored_size == image.size  # native resolution: no resizing up to 1024 px
    assert ours.score == pytest.approx(expected, abs=TOLERANCE)
    assert ours.fused == ours.cosine == ours.score
    assert (ours.w_cosine, ours.w_magnitude) == (1.0, 0.0)


def test_qualiclip_caps_the_long_side_at_1024(qualiclip_engine: Engine, reference) -> None:
    image = _photo("astronaut", (1600, 1200))
    ours = qualiclip_engine.score_image(image)
    assert ours.scored_size == (1024, 768)
    capped = image.resize((1024, 768), Image.Resampling.BICUBIC)  # the engine's antialiased downscale
    assert ours.score == pytest.approx(reference_qualiclip(*reference, capped), abs=TOLERANCE)


def test_qualiclip_scores_files_in_order_through_the_pipeline(qualiclip_engine: Engine, reference,
                                                              tmp_path: Path) -> None:
    paths = []
    for name in ("coffee", "chelsea", "rocket"):
        path = tmp_path / f"{name}.png"
        _photo(name).save(path)
        paths.append(path)
    results = dict(qualiclip_engine.score_paths(paths))
    for path in paths:
        with Image.open(path) as im:
            assert results[path].score == pytest.approx(reference_qualiclip(*reference, im), abs=TOLERANCE)


def test_maclip_on_the_qualiclip_backbone_matches_the_maclip_reference(tiny_model: TinyModel, checkpoint: Path,
                                                                       reference) -> None:
    engine = Engine(EngineConfig(method="maclip", model=str(tiny_model.config_path), weights=str(checkpoint),
                                 pretrained=None))
    image = _photo("coffee", (480, 360))
    ours = engine.score_image(image)
    model, _ = reference
    ref = reference_score(model, engine.backbone.tokenizer, image)
    assert ours.method == "maclip" and ours.n_views == ref["views"]
    assert ours.fused == pytest.approx(ref["fused"], abs=TOLERANCE)
    assert ours.cosine == pytest.approx(ref["cosine"], abs=TOLERANCE)


def test_the_method_is_part_of_the_fingerprint(tiny_model: TinyModel, checkpoint: Path,
                                               qualiclip_engine: Engine) -> None:
    maclip = Engine(EngineConfig(model=str(tiny_model.config_path), weights=str(checkpoint), pretrained=None))
    assert qualiclip_engine.fingerprint.startswith("qualiclip-")
    assert maclip.fingerprint.startswith("maclip-")
    assert maclip.dimensions_fingerprint != qualiclip_engine.dimensions_fingerprint


def test_qualiclip_options_that_do_not_apply_leave_its_fingerprint_alone(tiny_model: TinyModel,
                                                                         checkpoint: Path) -> None:
    base = EngineConfig(method="qualiclip", model=str(tiny_model.config_path), weights=str(checkpoint),
                        pretrained=None)
    from iqa_engine import fingerprint

    assert fingerprint(base, "x") == fingerprint(base.replace(protocol="spaq", trunk="shared", alpha=2.0), "x")
    assert fingerprint(base, "x") != fingerprint(base.replace(max_long_side=800), "x")


def test_qualiclip_without_stored_text_features_is_refused(tiny_model: TinyModel) -> None:
    with pytest.raises(EngineError, match="QualiCLIP's checkpoint"):
        Engine(tiny_model.engine_config(method="qualiclip"))


def test_a_checkpoint_with_malformed_prompts_features_is_refused(tiny_model: TinyModel, tmp_path: Path) -> None:
    path = write_qualiclip_checkpoint(tiny_model, tmp_path / "odd.pth")
    state = torch.load(path, weights_only=True)
    state["prompts_features"] = state["prompts_features"][:5]  # an odd count: not pairs
    torch.save(state, path)
    with pytest.raises(EngineError, match="prompts_features"):
        Engine(EngineConfig(method="qualiclip", model=str(tiny_model.config_path), weights=str(path),
                            pretrained=None))


def test_qualiclip_photo_keeps_dimensions_and_measures(qualiclip_engine: Engine) -> None:
    image = _photo("chelsea")
    score = qualiclip_engine.score_image(image)
    assert set(score.dimensions) == set(qualiclip_engine.dimension_names)
    assert score.views[0].dimensions == pytest.approx(score.dimensions, abs=1e-12)
    assert score.measures is not None and score.measures.size == image.size
    assert np.isfinite(score.magnitude)


@pytest.mark.parametrize("backend", [b for b in installed_backends() if b != "torch"])
@pytest.mark.usefixtures("backend_cache")
def test_qualiclip_on_another_runtime_matches_the_reference(tiny_model: TinyModel, checkpoint: Path, reference,
                                                            backend: str) -> None:
    """QualiCLIP's whole photo goes through the ResNet trunk at its own size: a runtime running the
    image tower runs that trunk too, and gives the same score."""
    engine = Engine(EngineConfig(method="qualiclip", model=str(tiny_model.config_path), weights=str(checkpoint),
                                 pretrained=None, backend=backend))
    assert engine.backend.name == backend, engine.backend.note
    image = _photo("astronaut", (700, 500))
    assert engine.score_image(image).score == pytest.approx(reference_qualiclip(*reference, image), abs=TOLERANCE)
