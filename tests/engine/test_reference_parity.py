"""Our scores equal the reference computation's on identical weights, to 1e-5.

The weights are seeded random (no pretrained CLIP weights can be had here):
this proves the computation, not the quality.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import real_photos
from iqa_engine import Engine, EngineConfig
from reference_maclip import reference_score

TOLERANCE = 1e-5


def _photo(name: str, size: tuple[int, int] | None) -> Image.Image:
    im = Image.fromarray(real_photos()[name])
    return im.resize(size, Image.Resampling.BICUBIC) if size else im


@pytest.mark.parametrize(
    ("name", "size"),
    [("astronaut", (1024, 768)), ("coffee", (480, 360)), ("chelsea", (448, 448)), ("rocket", None),
     ("motorcycle", (1000, 700))],
)
def test_engine_matches_reference_on_tiny_model(tiny_engine: Engine, name: str, size) -> None:
    image = _photo(name, size)
    ours = tiny_engine.score_image(image)
    ref = reference_score(tiny_engine.backbone.model, tiny_engine.backbone.tokenizer, image)
    assert ours.n_views == ref["views"]
    assert ours.fused == pytest.approx(ref["fused"], abs=TOLERANCE)
    assert ours.cosine == pytest.approx(ref["cosine"], abs=TOLERANCE)
    assert ours.magnitude == pytest.approx(ref["magnitude"], abs=TOLERANCE)
    assert ours.w_cosine == pytest.approx(ref["w_cosine"], abs=TOLERANCE)


def test_batched_scoring_equals_one_at_a_time(tiny_engine: Engine) -> None:
    images = [_photo("coffee", (480, 360)), _photo("astronaut", (1024, 768)), _photo("chelsea", None)]
    batched = tiny_engine.score_images(images)
    for image, score in zip(images, batched):
        alone = tiny_engine.score_image(image)
        assert score.fused == pytest.approx(alone.fused, abs=1e-6)


def test_our_pool_equals_open_clip_pool_with_zero_positional_embedding(tiny_engine: Engine) -> None:
    torch.manual_seed(0)
    views = torch.randn(3, 3, 224, 224)
    ours = tiny_engine.backbone.image_features(views)
    visual = copy.deepcopy(tiny_engine.backbone.model.visual).float().eval()
    visual = visual.to(memory_format=torch.contiguous_format)
    with torch.no_grad():
        visual.attnpool.positional_embedding.zero_()
        theirs = visual(views)
    assert torch.allclose(ours, theirs, atol=1e-5, rtol=1e-5)


def test_openai_layout_file_builds_with_quickgelu_and_matches(tiny_model) -> None:
    engine = Engine(EngineConfig(model=str(tiny_model.config_path), weights=str(tiny_model.openai_weights_path),
                                 pretrained=None))
    assert engine.backbone.info.quick_gelu
    image = _photo("coffee", (480, 360))
    ref = reference_score(engine.backbone.model, engine.backbone.tokenizer, image)
    assert engine.score_image(image).fused == pytest.approx(ref["fused"], abs=TOLERANCE)


@pytest.mark.slow
def test_rn50_in_openai_layout_matches_reference(tmp_path) -> None:
    """The independent check the issue describes: random RN50 weights in OpenAI's state-dict
    layout (half precision, as OpenAI ships them), passed as --weights with --model RN50."""
    import open_clip

    torch.manual_seed(7)
    model = open_clip.create_model("RN50", pretrained=None, force_quick_gelu=True)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    state.update(input_resolution=torch.tensor(224), context_length=torch.tensor(77), vocab_size=torch.tensor(49408))
    path = tmp_path / "RN50-random-openai.pt"
    torch.save(state, path)
    del model, state

    engine = Engine(EngineConfig(model="RN50", weights=str(path), pretrained=None))
    assert engine.backbone.info.quick_gelu
    # The reference's own model: the same file, built separately, in plain fp32.
    ref_model = open_clip.create_model("RN50", pretrained=None, force_quick_gelu=True)
    ref_state = torch.load(path, weights_only=True)
    for key in ("input_resolution", "context_length", "vocab_size"):
        ref_state.pop(key)
    ref_model.load_state_dict(ref_state)
    ref_model.eval()
    image = _photo("coffee", (480, 360))
    ours = engine.score_image(image)
    ref = reference_score(ref_model, open_clip.get_tokenizer("RN50"), image)
    assert ours.fused == pytest.approx(ref["fused"], abs=TOLERANCE)
    assert ours.cosine == pytest.approx(ref["cosine"], abs=TOLERANCE)
    assert ours.magnitude == pytest.approx(ref["magnitude"], abs=TOLERANCE)


def test_embedding_is_unit_norm_float32(tiny_engine: Engine) -> None:
    score = tiny_engine.score_image(_photo("coffee", None))
    assert score.embedding.dtype == np.float32
    assert float(np.linalg.norm(score.embedding)) == pytest.approx(1.0, abs=1e-5)
