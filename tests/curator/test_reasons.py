"""The reasons rule: measurements relative to the folder, dimensions only with a measurement that agrees,
brackets and exposure compensation left alone, at most two reasons."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from curator.testing.degradations import (
    add_luma_noise,
    gaussian_blur,
    scale_exposure,
)
from curator.rules.reasons import (
    DIMENSION_OF,
    MAX_REASONS,
    VOCABULARY,
    Evidence,
    ReasonRules,
    derive_reasons,
    focus_relative_to_contrast,
)
from iqa_engine.measures import measure
from iqa_engine.testing import sample_photos

NORMAL = {"focus_best": 4000.0, "contrast_rms": 0.25, "noise_sigma": 2.0, "luma_mean": 110.0, "luma_p99": 235.0,
          "clipped_white": 0.002, "clipped_black": 0.01, "luma_spread": 180.0, "colour_cast": 0.15}


def normal(i: int, **changes: float) -> dict[str, float]:
    """A well-exposed, sharp, clean frame, varied a little by i."""
    m = {k: v * (1.0 + 0.03 * ((i % 5) - 2)) for k, v in NORMAL.items()}
    m.update(changes)
    return m


def shoot(*odd: dict[str, float], n: int = 9, folder: str = "shoot", dims=None) -> list[Evidence]:
    photos = [Evidence(f"ok{i}", folder, normal(i), (dims or {}).get(f"ok{i}", {})) for i in range(n)]
    photos += [Evidence(f"odd{j}", folder, m, (dims or {}).get(f"odd{j}", {})) for j, m in enumerate(odd)]
    return photos


def test_vocabulary_is_fixed():
    assert VOCABULARY == ("blurry", "noisy", "too-dark", "too-bright", "flat", "colour-cast", "composition")
    assert set(DIMENSION_OF) == set(VOCABULARY)


def test_a_normal_shoot_has_no_reasons():
    assert all(r == () for r in derive_reasons(shoot()).values())


def test_a_blurred_frame_reads_blurry_even_when_the_model_calls_it_the_sharpest():
    dims = {"odd0": {"sharpness": 0.99}, **{f"ok{i}": {"sharpness": 0.01 * i} for i in range(9)}}
    out = derive_reasons(shoot(normal(0, focus_best=300.0), dims=dims))  # 7.5 % of the folder's focus
    assert out["odd0"] == ("blurry",)
    assert all(out[f"ok{i}"] == () for i in range(9))


def test_a_dimension_alone_never_names_a_measured_reason():
    # ok3 is the model's worst on every dimension, but its measurements are ordinary
    dims = {f"ok{i}": {d: 0.9 for d in set(DIMENSION_OF.values())} for i in range(9)}
    dims["ok3"] = {d: 0.01 for d in set(DIMENSION_OF.values()) - {"composition"}}
    assert derive_reasons(shoot(dims=dims))["ok3"] == ()


def test_a_dimension_fires_with_a_measurement_half_way_to_its_guard():
    # focus at 0.4x the folder's median: past sqrt(0.25) = 0.5x, not past 0.25x
    soft = normal(0, focus_best=1600.0)
    assert derive_reasons(shoot(soft))["odd0"] == ()
    dims = {"odd0": {"sharpness": 0.2}, **{f"ok{i}": {"sharpness": 0.8} for i in range(9)}}
    assert derive_reasons(shoot(soft, dims=dims))["odd0"] == ("blurry",)
    # the model's worst, but the measurement is not the folder's worst: no reason
    dims["ok1"] = {"sharpness": 0.1}
    out = derive_reasons(shoot(normal(0, focus_best=1600.0), dims=dims))
    assert out["ok1"] == () and out["odd0"] == ()


def test_noise_needs_the_folder_and_a_floor():
    assert derive_reasons(shoot(normal(0, noise_sigma=9.0)))["odd0"] == ("noisy",)  # 4.5x median, over 6
    quiet = [Evidence(f"q{i}", "q", normal(i, noise_sigma=0.5)) for i in range(9)]
    quiet.append(Evidence("q-odd", "q", normal(0, noise_sigma=2.0)))  # 4x the median, but under 6 levels
    assert derive_reasons(quiet)["q-odd"] == ()
    # a folder of noisy frames: only the absolute guard (15 levels) speaks
    grainy = [Evidence(f"g{i}", "g", normal(i, noise_sigma=12.0)) for i in range(9)]
    grainy.append(Evidence("g-odd", "g", normal(0, noise_sigma=20.0)))
    out = derive_reasons(grainy)
    assert out["g-odd"] == ("noisy",) and all(out[f"g{i}"] == () for i in range(9))


def test_too_dark_needs_lost_highlights_so_a_low_key_frame_is_left_alone():
    dark = normal(0, luma_mean=40.0, luma_p99=110.0, luma_spread=60.0)
    low_key = normal(1, luma_mean=40.0, luma_p99=230.0, luma_spread=150.0)  # dark, but with highlights
    out = derive_reasons(shoot(dark, low_key))
    assert out["odd0"] == ("too-dark",)  # not "flat": the compressed tones are the exposure's doing
    assert out["odd1"] == ()


def test_bracket_frames_and_exposure_compensation_are_left_alone():
    minus2 = normal(0, luma_mean=35.0, luma_p99=100.0)
    plus2 = normal(1, luma_mean=200.0, clipped_white=0.30)
    photos = shoot()
    photos += [Evidence("b-2", "shoot", minus2, bracketed=True, exposure_bias=-2.0),
               Evidence("b0", "shoot", normal(2), bracketed=True, exposure_bias=0.0),
               Evidence("b+2", "shoot", plus2, bracketed=True, exposure_bias=2.0),
               Evidence("ec-1", "shoot", minus2, exposure_bias=-1.0),  # deliberate -1 EV, no bracket
               Evidence("loose-dark", "shoot", minus2), Evidence("loose-bright", "shoot", plus2)]
    out = derive_reasons(photos)
    assert out["b-2"] == out["b0"] == out["b+2"] == out["ec-1"] == ()
    assert out["loose-dark"] == ("too-dark",) and out["loose-bright"] == ("too-bright",)


def test_too_bright_by_clipping_or_by_brightness_with_clipping():
    blown = normal(0, clipped_white=0.08)  # over 5 % and over twice the folder's median
    brighter = normal(1, luma_mean=160.0, clipped_white=0.015)  # 1.45x the shoot, 1.5 % clipped
    bright_clean = normal(2, luma_mean=160.0, clipped_white=0.0)
    out = derive_reasons(shoot(blown, brighter, bright_clean))
    assert out["odd0"] == ("too-bright",) and out["odd1"] == ("too-bright",) and out["odd2"] == ()
    # a snow shoot where every frame clips 8 %: none is too bright relative to it
    snow = [Evidence(f"s{i}", "snow", normal(i, clipped_white=0.08)) for i in range(6)]
    assert all(r == () for r in derive_reasons(snow).values())


def test_flat_and_colour_cast():
    out = derive_reasons(shoot(normal(0, luma_spread=50.0), normal(1, colour_cast=0.55)))
    assert out["odd0"] == ("flat",) and out["odd1"] == ("colour-cast",)


def test_at_most_two_reasons_in_vocabulary_order():
    wreck = normal(0, focus_best=100.0, noise_sigma=30.0, colour_cast=0.9, luma_spread=20.0)
    reasons = derive_reasons(shoot(wreck))["odd0"]
    assert len(reasons) == MAX_REASONS and reasons == ("blurry", "noisy")


def test_composition_has_only_its_dimension():
    dims = {f"ok{i}": {"composition": 0.6 + 0.01 * i} for i in range(9)}
    dims["odd0"] = {"composition": 0.3}
    assert derive_reasons(shoot(normal(0), dims=dims))["odd0"] == ("composition",)
    dims["odd0"] = {"composition": 0.55}  # the folder's worst but not under composition_max
    assert derive_reasons(shoot(normal(0), dims=dims))["odd0"] == ()


def test_folders_are_judged_apart_and_small_folders_only_by_absolute_guards():
    blurred = normal(0, focus_best=300.0)
    photos = shoot(blurred, folder="a") + [Evidence("lonely", "b", blurred), Evidence("lonely2", "b", normal(1))]
    out = derive_reasons(photos)
    assert out["odd0"] == ("blurry",)
    assert out["lonely"] == ()  # two photos: no folder median to compare with
    hopeless = normal(0, focus_best=20.0)  # 0.005 of the luma variance: under focus_floor
    assert derive_reasons([Evidence("h", "c", hopeless)])["h"] == ("blurry",)
    assert derive_reasons([Evidence("w", "c", normal(0, clipped_white=0.06))])["w"] == ("too-bright",)


def test_missing_measurements_give_no_reason():
    photos = shoot() + [Evidence("unmeasured", "shoot", {}, {"sharpness": 0.0})]
    assert derive_reasons(photos)["unmeasured"] == ()
    assert focus_relative_to_contrast({}) is None


def test_rules_from_a_settings_table():
    rules = ReasonRules.from_table({"focus_ratio": 0.1, "min_folder": 3})
    assert rules.focus_ratio == 0.1 and rules.min_folder == 3 and rules.noise_min == ReasonRules().noise_min
    # with a tenth instead of a quarter, 7.5 % of the median is still blurry, 20 % is not
    out = derive_reasons(shoot(normal(0, focus_best=300.0), normal(1, focus_best=800.0)), rules)
    assert out["odd0"] == ("blurry",) and out["odd1"] == ()
    for bad in ({"focus": 1.0}, {"focus_ratio": -1}, {"noise_min": "6"}, {"min_folder": 2.5},
                {"tail_share": 1.5}, {"dark_ratio": True}):
        with pytest.raises(ValueError, match=r"^\[reasons\]"):
            ReasonRules.from_table(bad)


# -- on real photos, with dimensions drawn at random ---------------------------

def _jpeg(array: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buffer, "JPEG", quality=90)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def test_degraded_copies_read_their_reason_whatever_the_dimensions():
    photos = sample_photos(5)
    sharp = dict(photos, astro_crop=photos["astronaut"][:300, 200:], coffee_crop=photos["coffee"][100:, :350],
                 moto_crop=photos["motorcycle"][:, 300:])
    images = {name: _jpeg(a) for name, a in sharp.items()}
    images["blurred"] = _jpeg(gaussian_blur(photos["chelsea"], 4))
    images["noisy"] = _jpeg(add_luma_noise(np.ascontiguousarray(photos["coffee"]), 25))
    images["dark"] = _jpeg(scale_exposure(np.ascontiguousarray(photos["motorcycle"]), 0.25))
    measured = {name: measure(image).scalars() for name, image in images.items()}
    rng = np.random.default_rng(11)
    names = sorted(set(DIMENSION_OF.values()))
    for _ in range(50):
        out = derive_reasons(Evidence(k, "shoot", m, {d: float(rng.uniform()) for d in names})
                             for k, m in measured.items())
        assert "blurry" in out["blurred"] and "noisy" in out["noisy"] and "too-dark" in out["dark"], out
        for name in sharp:
            assert not {"blurry", "noisy", "too-dark"} & set(out[name]), (name, out[name])
