"""The classic measurements: exact values on images built by hand, and known
degradations of scikit-image's photos (blur, noise, exposure)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import ndimage

from curator.testing.degradations import add_luma_noise, gaussian_blur, scale_exposure
from iqa_engine.measures import LUMA_WEIGHTS, SCALAR_NAMES, focus_grid_shape, measure
from iqa_engine.testing import sample_photos

PHOTOS = sample_photos(4)  # astronaut, coffee, chelsea, rocket

# -- exact values on constructed images -------------------------------------


def test_a_flat_grey_frame_has_no_focus_no_noise_no_cast():
    m = measure(np.full((60, 80, 3), 100, np.uint8))
    assert m.focus == 0.0 and m.focus_best == 0.0 and m.noise_sigma == 0.0
    assert m.luma_mean == pytest.approx(100.0) and m.luma_median == 100.0
    assert m.contrast_rms == 0.0 and m.luma_spread == 0.0
    assert m.clipped_white == 0.0 and m.clipped_black == 0.0 and m.colour_cast == 0.0


def test_clipped_shares_count_pixels_at_the_ends():
    image = np.full((100, 100, 3), 128, np.uint8)
    image[:10] = 255  # 10 % white
    image[10:15] = 0  # 5 % black
    image[15:20] = (250, 250, 250)  # still counts as white (>= 250)
    image[20:25] = (255, 255, 0)  # bright yellow: luma 236.6, not clipped to white
    m = measure(image)
    assert m.clipped_white == pytest.approx(0.15)
    assert m.clipped_black == pytest.approx(0.05)


def test_luma_statistics_of_a_known_histogram():
    # 100 columns at grey levels 0..99 (each 1 % of the pixels)
    image = np.repeat(np.repeat(np.arange(100, dtype=np.uint8)[None, :, None], 20, axis=0), 3, axis=2)
    m = measure(image)
    assert m.luma_mean == pytest.approx(49.5)
    assert m.contrast_rms == pytest.approx(np.arange(100).std() / 255.0)
    assert m.luma_median == 49.0  # the first level where half the pixels are reached
    assert m.luma_p99 == 98.0
    assert m.luma_spread == 94.0 - 4.0  # 95th and 5th percentile levels


def test_grey_world_deviation_by_hand():
    image = np.empty((10, 10, 3), np.uint8)
    image[:] = (120, 100, 80)
    expected = math.sqrt((20 ** 2 + 0 + 20 ** 2) / 3) / 100.0
    assert measure(image).colour_cast == pytest.approx(expected, rel=1e-6)


def test_focus_matches_an_independent_laplacian_per_window():
    rng = np.random.default_rng(3)
    image = ndimage.gaussian_filter(rng.uniform(0, 255, (97, 131, 3)), (1.5, 1.5, 0)).astype(np.uint8)
    image[40:60, 70:100] = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)  # one sharp patch
    m = measure(image)
    luma = image.astype(np.float64) @ np.asarray(LUMA_WEIGHTS)
    lap = ndimage.laplace(luma)[1:-1, 1:-1]  # interior responses only
    assert m.focus == pytest.approx(lap.var(), rel=1e-4)
    assert m.focus_grid == focus_grid_shape(131, 97) == (6, 8)
    assert len(m.focus_windows) == len(m.focus_boxes()) == 48
    for value, (left, top, right, bottom) in zip(m.focus_windows, m.focus_boxes(), strict=True):
        # responses whose centre pixel lies in the box (interior pixel i is image pixel i + 1)
        cell = lap[max(top - 1, 0):bottom - 1, max(left - 1, 0):right - 1]
        assert value == pytest.approx(cell.var(), rel=1e-4, abs=1e-6)
    assert m.focus_best == max(m.focus_windows)
    assert m.focus_best > 5 * m.focus  # the sharp patch stands out from the frame
    _rows, _cols = m.focus_grid
    best = int(np.argmax(m.focus_windows))
    left, top, right, bottom = m.focus_boxes()[best]
    assert left < 100 and right > 70 and top < 60 and bottom > 40


def test_focus_grid_follows_the_orientation():
    assert focus_grid_shape(1024, 768) == (6, 8)
    assert focus_grid_shape(768, 1024) == (8, 6)
    assert focus_grid_shape(1024, 100) == (1, 8)
    m = measure(np.zeros((1024, 683, 3), np.uint8))
    assert m.focus_grid == (8, 5) and m.focus_map().shape == (8, 5)
    assert m.focus_boxes()[-1] == (546, 896, 683, 1024)


def test_noise_of_pure_gaussian_noise():
    flat = np.full((400, 600, 3), 128, np.uint8)
    for sigma in (2.0, 8.0, 30.0):
        assert measure(add_luma_noise(flat, sigma, seed=5)).noise_sigma == pytest.approx(sigma, rel=0.05)


def test_scalars_are_plain_floats_by_name():
    scalars = measure(PHOTOS["chelsea"]).scalars()
    assert tuple(scalars) == SCALAR_NAMES
    assert all(type(v) is float and math.isfinite(v) for v in scalars.values())


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.float32),
                                 np.zeros((10, 10, 4), np.uint8), np.zeros((2, 10, 3), np.uint8)])
def test_refuses_what_is_not_an_8bit_rgb_image(bad):
    with pytest.raises(ValueError):
        measure(bad)


# -- known degradations of real photos ----------------------------------------

@pytest.fixture(scope="module", params=list(PHOTOS))
def photo(request):
    return PHOTOS[request.param]


def test_focus_falls_monotonically_with_blur(photo):
    sharp = measure(photo)
    blurred = [measure(gaussian_blur(photo, sigma)) for sigma in (1, 2, 4, 8)]
    whole = [sharp.focus] + [m.focus for m in blurred]
    best = [sharp.focus_best] + [m.focus_best for m in blurred]
    assert all(a > b for a, b in itertools.pairwise(whole)), whole
    assert all(a > b for a, b in itertools.pairwise(best)), best
    assert whole[3] < whole[0] / 4  # sigma 4: far under a quarter of the sharp frame


def test_noise_estimate_within_20_percent_of_the_added_sigma(photo):
    for sigma in (10, 20, 40):
        estimate = measure(add_luma_noise(photo, sigma, seed=sigma)).noise_sigma
        assert estimate == pytest.approx(sigma, rel=0.20), (sigma, estimate)
    estimates = [measure(add_luma_noise(photo, s, seed=s)).noise_sigma for s in (5, 10, 20, 40)]
    assert all(a < b for a, b in itertools.pairwise(estimates))


def test_clipped_shares_follow_exposure(photo):
    factors = (0.25, 0.5, 1.0, 2.0, 4.0)
    ms = [measure(scale_exposure(photo, k)) for k in factors]
    white = [m.clipped_white for m in ms]
    black = [m.clipped_black for m in ms]
    assert all(a <= b for a, b in itertools.pairwise(white)) and white[-1] > white[2], white
    assert all(a >= b for a, b in itertools.pairwise(black)) and black[0] > black[2], black
    means = [m.luma_mean for m in ms]
    assert all(a < b for a, b in itertools.pairwise(means))


def test_a_tiny_image_still_gets_one_value_per_window():
    m = measure(np.random.default_rng(0).integers(0, 256, (10, 10, 3), dtype=np.uint8))
    assert m.focus_grid == (3, 3)
    assert all(math.isfinite(v) and v > 0 for v in m.focus_windows)
