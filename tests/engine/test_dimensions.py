"""Quality dimensions and classic measurements on the engine's views.

Dimension values from the tiny model's random weights test the plumbing and
the exact maths (each one is the cosine-cue formula on its own prompts), not
what the dimensions say about a photo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from iqa_engine import Engine
from iqa_engine import views as V
from iqa_engine.config import dimensions_fingerprint, fingerprint
from iqa_engine.dimensions import Dimension, default_dimensions, parse_dimensions, with_overrides
from iqa_engine.measures import measure
from iqa_engine.testing import TinyModel, sample_photos
from reference_maclip import MEAN, STD, attention_pool_by_hand

DEFAULT_NAMES = ("sharpness", "noise", "exposure", "contrast", "colour", "composition")


def _photo(name: str, size: tuple[int, int] | None = None) -> Image.Image:
    im = Image.fromarray(sample_photos()[name])
    return im.resize(size, Image.Resampling.BICUBIC) if size else im


@pytest.fixture(scope="module")
def plain_engine(tiny_model: TinyModel) -> Engine:
    return Engine(tiny_model.engine_config(reasons=False))


def test_the_defaults_are_the_six_dimensions_with_their_pairs() -> None:
    dims = default_dimensions()
    assert tuple(d.name for d in dims) == DEFAULT_NAMES
    by_name = {d.name: d for d in dims}
    assert by_name["sharpness"].pairs[1] == ("a photo in focus", "an out-of-focus photo")
    assert len(by_name["exposure"].pairs) == 2 and len(by_name["composition"].pairs) == 1


def test_overrides_replace_add_and_remove_by_name() -> None:
    table = {"noise": [["a noise-free photo", "a noisy photo"]], "composition": [],
             "horizon": [["a level horizon", "a tilted horizon"]]}
    dims = with_overrides(default_dimensions(), table, "settings")
    names = [d.name for d in dims]
    assert names == ["sharpness", "noise", "exposure", "contrast", "colour", "horizon"]
    assert dims[1].pairs == (("a noise-free photo", "a noisy photo"),)


@pytest.mark.parametrize("bad", [{"noise": "a noisy photo"}, {"noise": [["only one"]]},
                                 {"noise": [["a", ""]]}, {"noise": [[1, 2]]}])
def test_a_malformed_dimension_is_a_one_line_error(bad: dict) -> None:
    with pytest.raises(ValueError, match=r"settings file: dimension 'noise'"):
        parse_dimensions(bad, "settings file")


@pytest.mark.parametrize(("name", "size"), [("astronaut", (1024, 768)), ("coffee", None)])
def test_dimensions_leave_the_score_exactly_as_a_plain_engine_gives_it(tiny_engine: Engine, plain_engine: Engine,
                                                                        name: str, size) -> None:
    image = _photo(name, size)
    with_dims, plain = tiny_engine.score_image(image), plain_engine.score_image(image)
    assert with_dims.fingerprint == plain.fingerprint
    assert plain.dimensions == {} and plain.measures is None and plain.dimensions_fingerprint is None
    for field in ("score", "fused", "cosine", "magnitude", "w_cosine", "w_magnitude"):
        assert abs(getattr(with_dims, field) - getattr(plain, field)) <= 1e-9, field
    for a, b in zip(with_dims.views, plain.views, strict=True):
        assert abs(a.fused - b.fused) <= 1e-9 and a.box == b.box


def _reference_dimensions(engine: Engine, image: Image.Image) -> np.ndarray:
    """Every view's dimensions recomputed by hand: unfold windows + global view, the model's own layers,
    each dimension's prompts encoded separately, a softmax within each pair, the mean positive probability."""
    import torch.nn.functional as F
    from torchvision.transforms import functional as TF

    model, tokenizer = engine.backbone.model, engine.backbone.tokenizer
    x = TF.normalize(TF.to_tensor(image.convert("RGB")), MEAN, STD).unsqueeze(0)
    patches = torch.nn.Unfold(kernel_size=(224, 224), stride=128)(x).view(1, 3, 224, 224, -1)[0].permute(3, 0, 1, 2)
    views = torch.cat([patches, F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False)])
    v = model.visual
    with torch.no_grad():
        grid = v.layer4(v.layer3(v.layer2(v.layer1(v.stem(views.contiguous())))))
        feats = attention_pool_by_hand(v.attnpool, grid)
        feats = feats / feats.norm(dim=-1, keepdim=True)
        columns = []
        for dim in engine.config.dimensions:
            pos = model.encode_text(tokenizer([p for p, _ in dim.pairs]))
            neg = model.encode_text(tokenizer([n for _, n in dim.pairs]))
            pos, neg = pos / pos.norm(dim=-1, keepdim=True), neg / neg.norm(dim=-1, keepdim=True)
            scale = model.logit_scale.exp()
            lp, ln = scale * feats @ pos.t(), scale * feats @ neg.t()
            columns.append((lp.exp() / (lp.exp() + ln.exp())).mean(dim=1))
    return torch.stack(columns, dim=1).double().numpy()


def test_every_view_keeps_its_dimensions_and_the_photo_takes_their_mean(tiny_engine: Engine) -> None:
    image = _photo("coffee", (480, 360))
    score = tiny_engine.score_image(image)
    expected = _reference_dimensions(tiny_engine, image)
    assert expected.shape == (score.n_views, len(DEFAULT_NAMES))
    for view, row in zip(score.views, expected, strict=True):
        assert tuple(view.dimensions) == DEFAULT_NAMES
        assert list(view.dimensions.values()) == pytest.approx(list(row), abs=1e-5)
    for name in DEFAULT_NAMES:
        assert score.dimensions[name] == pytest.approx(float(np.mean([v.dimensions[name] for v in score.views])),
                                                       abs=1e-12)
        assert 0.0 < score.dimensions[name] < 1.0


def test_text_features_are_computed_once_per_engine(tiny_model: TinyModel, monkeypatch) -> None:
    engine = Engine(tiny_model.engine_config())
    calls = []
    original = engine.backbone.text_features
    monkeypatch.setattr(engine.backbone, "text_features", lambda prompts: calls.append(prompts) or original(prompts))
    engine.score_images([_photo("coffee"), _photo("chelsea")])
    assert calls == []


def test_changing_a_dimension_changes_only_the_dimensions_fingerprint(tiny_model: TinyModel) -> None:
    base = tiny_model.engine_config()
    edited = base.replace(dimensions=with_overrides(base.dimensions, {"noise": [["a crisp photo", "a grainy photo"]]}))
    assert fingerprint(edited, "w") == fingerprint(base, "w")
    assert dimensions_fingerprint(edited, "w") != dimensions_fingerprint(base, "w")
    # what shapes the views changes both
    for change in ({"protocol": "spaq"}, {"precision": "bf16"}, {"trunk": "shared"}):
        other = base.replace(**change)
        assert fingerprint(other, "w") != fingerprint(base, "w")
        assert dimensions_fingerprint(other, "w") != dimensions_fingerprint(base, "w")
    assert dimensions_fingerprint(base, "other weights") != dimensions_fingerprint(base, "w")
    assert (dimensions_fingerprint(base, "w", measures_version=2)
            != dimensions_fingerprint(base, "w", measures_version=1))
    assert dimensions_fingerprint(base, "w", "gelu") != dimensions_fingerprint(base, "w", "quickgelu")
    # the fusion's parameters change the score only
    fusion = base.replace(alpha=2.0)
    assert fingerprint(fusion, "w") != fingerprint(base, "w")
    assert dimensions_fingerprint(fusion, "w") == dimensions_fingerprint(base, "w")


def test_an_engine_with_its_own_dimensions_scores_those(tiny_model: TinyModel) -> None:
    dims = (Dimension("horizon", (("a level horizon", "a tilted horizon"),)),)
    engine = Engine(tiny_model.engine_config(dimensions=dims))
    score = engine.score_image(_photo("chelsea"))
    assert list(score.dimensions) == ["horizon"]
    assert all(list(v.dimensions) == ["horizon"] for v in score.views)


def test_measures_are_taken_on_the_image_the_views_were_cut_from(tiny_engine: Engine) -> None:
    image = _photo("astronaut", (1600, 1200))
    score = tiny_engine.score_image(image)
    resized = V.resize_for_protocol(image, image.size, "koniq")
    assert score.scored_size == resized.size == (1024, 768)
    assert score.measures == measure(np.asarray(resized))
    assert score.measures.size == score.scored_size  # focus windows share the view boxes' coordinates
    assert 0.0 <= score.reasons_ms <= score.elapsed_ms or score.elapsed_ms == 0.0


def test_spaq_measures_the_photo_at_its_own_aspect(tiny_model: TinyModel) -> None:
    engine = Engine(tiny_model.engine_config(protocol="spaq"))
    image = _photo("rocket")  # 640x427
    score = engine.score_image(image)
    assert score.scored_size == (448, 448)
    assert score.measures is not None and score.measures.size == (640, 427)


def test_measures_come_through_the_file_pipeline(tiny_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "chelsea.png"
    _photo("chelsea").save(path)
    [(_, score)] = list(tiny_engine.score_paths([path]))
    assert score.measures == measure(np.asarray(_photo("chelsea")))
    assert score.reasons_ms > 0.0


def test_all_dimensions_at_once_equal_the_cosine_cue_on_each_dimensions_pairs() -> None:
    from iqa_engine.cues import cosine_cue, dimension_values

    generator = torch.Generator().manual_seed(11)
    feats = 3.0 * torch.randn(40, 64, generator=generator)
    counts = (3, 2, 2, 1, 1, 1)
    text = torch.randn(2 * sum(counts), 64, generator=generator)
    scale = torch.tensor(4.6052)
    together = dimension_values(feats, text, scale, counts)
    start = 0
    for column, pairs in enumerate(counts):
        alone = cosine_cue(feats, text[start:start + 2 * pairs], scale)
        assert torch.allclose(together[:, column], alone, atol=2e-6, rtol=0), column
        start += 2 * pairs
    assert dimension_values(feats, text[:0], scale, ()).shape == (40, 0)
