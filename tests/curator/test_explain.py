"""Measurements in photographer units."""

from __future__ import annotations

from curator.rules.explain import REASON_HINTS, measure_lines
from curator.rules.reasons import VOCABULARY


def test_measure_lines_in_photographer_units():
    m = {"focus_best": 400.0, "contrast_rms": 0.2, "noise_sigma": 6.12, "clipped_white": 0.032,
         "clipped_black": 0.0002, "luma_mean": 107.1, "luma_p99": 242.0, "luma_spread": 181.0, "colour_cast": 0.12}
    lines = dict(measure_lines(m, focus_median=0.4))
    assert lines["Focus"] == "0.38× the shoot's median (sharpest area)"  # 400 / 51^2 / 0.4
    assert lines["Noise"] == "noise σ 6.1 (of 255 levels)"
    assert lines["Highlights"] == "3.2 % highlights clipped"
    assert lines["Shadows"] == "< 0.1 % shadows clipped"
    assert lines["Brightness"] == "mean 42 %, brightest tones 95 %"
    assert lines["Contrast"] == "tones span 71 % of the range (5–95 %)"
    assert lines["Colour"] == "average colour 12 % off neutral grey"
    assert dict(measure_lines(m))["Focus"] == "400 in the sharpest area (variance of the Laplacian)"
    assert measure_lines({}) == []


def test_every_reason_has_a_hint():
    assert set(REASON_HINTS) == set(VOCABULARY)


def test_explain_ranks_each_dimension_in_the_folder():
    from curator.catalog import QualityRow
    from curator.rules.explain import explain

    m = {"focus_best": 400.0, "contrast_rms": 0.2, "noise_sigma": 6.12, "clipped_white": 0.032}
    folder = [QualityRow(i, "/s", {"sharpness": 0.1 * i, "noise": 0.5}, dict(m, focus_best=400.0 * (i + 1)),
                         ("blurry",) if i == 0 else ()) for i in range(5)]
    why = explain(0, folder[0], folder)
    assert why.reasons == ("blurry",)
    dims = {d.name: d for d in why.dimensions}
    assert dims["sharpness"].value == 0.0 and dims["sharpness"].percentile == 0.0
    assert dims["noise"].percentile == 0.5  # all tied
    assert dict(why.measures)["Focus"] == "0.33× the shoot's median (sharpest area)"  # 400 / median 1200
    alone = explain(0, folder[0], folder[:1])
    assert alone.dimensions[0].percentile is None and "variance of the Laplacian" in dict(alone.measures)["Focus"]
