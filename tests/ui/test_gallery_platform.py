"""Without a display, Qt would abort the process; the gallery command chooses instead."""

from __future__ import annotations

import sys

import pytest

from curator.commands.gallery import _choose_qt_platform
from curator.errors import UserError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland display rules")


def test_screenshot_without_display_renders_offscreen() -> None:
    env: dict[str, str] = {}
    _choose_qt_platform(screenshot=True, environ=env)
    assert env["QT_QPA_PLATFORM"] == "offscreen"


def test_window_without_display_is_a_one_line_error() -> None:
    with pytest.raises(UserError, match="no display"):
        _choose_qt_platform(screenshot=False, environ={})


def test_a_display_or_an_explicit_platform_is_left_alone() -> None:
    for env in ({"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}, {"QT_QPA_PLATFORM": "xcb"}):
        before = dict(env)
        _choose_qt_platform(screenshot=False, environ=env)
        assert env == before
