"""The loupe's geometry (ui.rules.zoom): fit, 100 %, pan limits, wheel steps, the sharpest window. Plain math."""

from __future__ import annotations

from ui.rules.zoom import Viewport, next_step, sharpest_centre


def test_fit_centres_the_whole_photo():
    v = Viewport(6000, 4000, 1200, 600)
    assert v.fit_scale == 0.15
    assert v.image_rect() == (150.0, 0.0, 900.0, 600.0)
    assert v.to_view(3000, 2000) == (600.0, 300.0)


def test_zoom_centres_on_a_point_and_round_trips():
    v = Viewport(6000, 4000, 1200, 600).zoom_to(1.0, 4500, 1000)
    assert (v.cx, v.cy) == (4500, 1000)
    assert v.to_view(4500, 1000) == (600.0, 300.0)
    assert v.to_image(*v.to_view(123.0, 456.0)) == (123.0, 456.0)


def test_zoom_is_clamped_inside_the_photo():
    v = Viewport(6000, 4000, 1200, 600).zoom_to(1.0, 10, 3990)
    assert (v.cx, v.cy) == (600, 3700)  # the view's edges meet the photo's edges
    assert v.panned(-100000, 0).cx == 5400


def test_zoom_about_keeps_the_point_under_the_mouse():
    v = Viewport(6000, 4000, 1200, 600)
    ix, iy = v.to_image(800, 200)
    z = v.zoom_about(0.5, 800, 200)
    vx, vy = z.to_view(ix, iy)
    assert abs(vx - 800) < 1e-9 and abs(vy - 200) < 1e-9


def test_wheel_steps():
    assert next_step(0.15, 0.15, up=True) == 0.25
    assert next_step(1.0, 0.15, up=True) == 2.0
    assert next_step(0.25, 0.15, up=False) is None  # back to fit
    assert next_step(4.0, 0.15, up=True) == 4.0


def test_sharpest_centre_scales_the_best_window_to_the_photo():
    boxes = [((0, 0, 224, 224), 0.2), ((128, 96, 352, 320), 0.9), ((256, 0, 480, 224), 0.5)]
    assert sharpest_centre(boxes, (512, 384), (1024, 768)) == (480.0, 416.0)
    assert sharpest_centre([], (512, 384), (1024, 768)) is None


def test_a_small_photo_at_100_percent_is_centred():
    v = Viewport(240, 160, 1200, 600).zoom_to(1.0, 10, 10)
    assert v.zoomed and (v.cx, v.cy) == (120, 80)
    assert v.image_rect() == (480.0, 220.0, 240.0, 160.0)


def test_star_at_maps_a_click_to_a_rating():
    from ui.detail.pane import star_at

    assert [star_at(x) for x in (0, 14.9, 15, 51, 74.9, 75, -1)] == [1, 1, 2, 4, 5, None, None]
