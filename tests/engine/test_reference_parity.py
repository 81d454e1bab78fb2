"""Our scores equal the reference computation's on identical weights, to 1e-5,
on every image-tower backend installed (PyTorch, OpenVINO, ONNX Runtime).

The weights are seeded random (no pretrained CLIP weights can be had here):
this proves the computation, not the quality.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image
from reference_maclip import reference_score

from iqa_engine import Engine, EngineConfig, fingerprint
from iqa_engine.testing import sample_photos

TOLERANCE = 1e-5


def _photo(name: str, size: tuple[int, int] | None) -> Image.Image:
    im = Image.fromarray(sample_photos()[name])
    return im.resize(size, Image.Resampling.BICUBIC) if size else im


@pytest.mark.parametrize(
    ("name", "size"),
    [("astronaut", (1024, 768)), ("coffee", (480, 360)), ("chelsea", (448, 448)), ("rocket", None),
     ("motorcycle", (1000, 700))],
)
def test_engine_matches_reference_on_tiny_model(backend_engine: Engine, name: str, size) -> None:
    image = _photo(name, size)
    ours = backend_engine.score_image(image)
    ref = reference_score(backend_engine.backbone.model, backend_engine.backbone.tokenizer, image)
    assert ours.n_views == ref["views"]
    assert ours.fused == pytest.approx(ref["fused"], abs=TOLERANCE)
    assert ours.cosine == pytest.approx(ref["cosine"], abs=TOLERANCE)
    assert ours.magnitude == pytest.approx(ref["magnitude"], abs=TOLERANCE)
    assert ours.w_cosine == pytest.approx(ref["w_cosine"], abs=TOLERANCE)


def test_batched_scoring_equals_one_at_a_time(backend_engine: Engine) -> None:
    """Batches of 57, 13 and 5 views through one graph: the backends' batch size is dynamic."""
    images = [_photo("coffee", (480, 360)), _photo("astronaut", (1024, 768)), _photo("chelsea", None)]
    batched = backend_engine.score_images(images)
    for image, score in zip(images, batched, strict=True):
        alone = backend_engine.score_image(image)
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


@pytest.fixture(scope="module")
def random_rn50(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Random RN50 weights in OpenAI's state-dict layout and half precision, as OpenAI ships them, saved
    twice: with OpenAI's metadata keys, and plain (what torch.save(model.state_dict()) of OpenAI's model
    writes); and the reference's own model, built separately from the same values with QuickGELU, in fp32."""
    import open_clip

    torch.manual_seed(7)
    model = open_clip.create_model("RN50", pretrained=None, force_quick_gelu=True)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    del model
    folder = tmp_path_factory.mktemp("rn50")
    plain = folder / "RN50-random-plain.pt"
    torch.save(state, plain)
    with_metadata = folder / "RN50-random-openai.pt"
    torch.save({**state, "input_resolution": torch.tensor(224), "context_length": torch.tensor(77),
                "vocab_size": torch.tensor(49408)}, with_metadata)
    ref_model = open_clip.create_model("RN50", pretrained=None, force_quick_gelu=True)
    ref_model.load_state_dict(torch.load(plain, weights_only=True))
    ref_model.eval()
    image = _photo("coffee", (480, 360))
    ref = reference_score(ref_model, open_clip.get_tokenizer("RN50"), image)
    return {"plain": plain, "with_metadata": with_metadata, "image": image, "ref": ref}


def _engine_from_flags(*flags: str) -> Engine:
    """The engine `curator score` builds from these flags (no settings file)."""
    from curator.cli import build_parser
    from curator.commands.common import settings_from_args

    args = build_parser().parse_args(["score", "photo.jpg", *flags])
    return Engine(settings_from_args(args).engine_config())


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["plain", "with_metadata"])
def test_rn50_state_dict_matches_reference(random_rn50: dict, layout: str, tmp_path, monkeypatch) -> None:
    """`--model RN50 --weights FILE` with a state dict in OpenAI's layout equals the reference to 1e-5,
    whether or not the file carries OpenAI's metadata keys: RN50 is built with QuickGELU either way,
    because every open_clip pretrained tag of RN50 uses it."""
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "none.toml"))
    engine = _engine_from_flags("--model", "RN50", "--weights", str(random_rn50[layout]))
    assert engine.backbone.info.quick_gelu, engine.backbone.info.activation.reason
    ours = engine.score_image(random_rn50["image"])
    ref = random_rn50["ref"]
    assert ours.fused == pytest.approx(ref["fused"], abs=TOLERANCE)
    assert ours.cosine == pytest.approx(ref["cosine"], abs=TOLERANCE)
    assert ours.magnitude == pytest.approx(ref["magnitude"], abs=TOLERANCE)
    assert ours.w_cosine == pytest.approx(ref["w_cosine"], abs=TOLERANCE)


@pytest.mark.slow
def test_rn50_built_with_gelu_on_request_differs(random_rn50: dict, tmp_path, monkeypatch) -> None:
    """--activation gelu is obeyed, is a different engine (fingerprint), and moves the score: the parity
    test above would catch a GELU build."""
    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "none.toml"))
    gelu = _engine_from_flags("--model", "RN50", "--weights", str(random_rn50["plain"]), "--activation", "gelu")
    assert not gelu.backbone.info.quick_gelu
    assert "auto would pick quickgelu" in gelu.backbone.info.activation.reason
    # the fingerprint the auto (QuickGELU) engine has for the same file and options
    assert gelu.fingerprint != fingerprint(gelu.config, gelu.backbone.info.identity, "quickgelu")
    assert abs(gelu.score_image(random_rn50["image"]).cosine - random_rn50["ref"]["cosine"]) > 2 * TOLERANCE


def test_embedding_is_unit_norm_float32(tiny_engine: Engine) -> None:
    score = tiny_engine.score_image(_photo("coffee", None))
    assert score.embedding.dtype == np.float32
    assert float(np.linalg.norm(score.embedding)) == pytest.approx(1.0, abs=1e-5)
