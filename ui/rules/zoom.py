"""Where a photo sits in a view when it is fitted, zoomed to 100 % or panned. Qt-free.

Coordinates are the photo's own pixels (its original size), so a preview at
screen size and the full-resolution decode place the same point at the same
spot: 1.0 is 100 % (one photo pixel per device pixel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

ZOOM_STEPS = (0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0)  # the wheel's stops beyond "fit"
MARGIN = 0  # the loupe fills its area; the pane keeps its own margin


@dataclass(frozen=True)
class Viewport:
    """A photo of image_w × image_h shown in a view of view_w × view_h.

    scale None means "fit" (the whole photo, centred). Otherwise (cx, cy) is the
    photo point at the view's centre, kept inside the photo so no pan shows
    more empty border than the fit would.
    """

    image_w: float
    image_h: float
    view_w: float
    view_h: float
    scale: float | None = None
    cx: float = 0.0
    cy: float = 0.0

    @property
    def fit_scale(self) -> float:
        if self.image_w <= 0 or self.image_h <= 0:
            return 1.0
        return min(self.view_w / self.image_w, self.view_h / self.image_h)

    @property
    def effective_scale(self) -> float:
        return self.fit_scale if self.scale is None else self.scale

    @property
    def zoomed(self) -> bool:
        """At a set scale (100 %, a wheel step), not fitted: a small photo at 100 % is smaller than fitted."""
        return self.scale is not None

    def centre(self) -> tuple[float, float]:
        if self.scale is None:
            return self.image_w / 2, self.image_h / 2
        return self.cx, self.cy

    def to_view(self, x: float, y: float) -> tuple[float, float]:
        """A photo point -> a view point."""
        s = self.effective_scale
        cx, cy = self.centre()
        return (x - cx) * s + self.view_w / 2, (y - cy) * s + self.view_h / 2

    def to_image(self, vx: float, vy: float) -> tuple[float, float]:
        """A view point -> a photo point."""
        s = self.effective_scale
        cx, cy = self.centre()
        return (vx - self.view_w / 2) / s + cx, (vy - self.view_h / 2) / s + cy

    def image_rect(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the whole photo in view coordinates."""
        left, top = self.to_view(0.0, 0.0)
        s = self.effective_scale
        return left, top, self.image_w * s, self.image_h * s

    def zoom_to(self, scale: float | None, cx: float | None = None, cy: float | None = None) -> Viewport:
        """At this scale (None: fit), centred on (cx, cy) when given, else where it is centred now."""
        if scale is None:
            return replace(self, scale=None, cx=self.image_w / 2, cy=self.image_h / 2)
        ox, oy = self.centre()
        return replace(self, scale=scale, cx=ox if cx is None else cx, cy=oy if cy is None else cy).clamped()

    def zoom_about(self, scale: float | None, vx: float, vy: float) -> Viewport:
        """Zoom keeping the photo point under the view point (vx, vy) where it is (the wheel)."""
        ix, iy = self.to_image(vx, vy)
        if scale is None or scale <= self.fit_scale + 1e-9:
            return self.zoom_to(None)
        # the centre that keeps (ix, iy) at (vx, vy) at the new scale
        cx = ix - (vx - self.view_w / 2) / scale
        cy = iy - (vy - self.view_h / 2) / scale
        return replace(self, scale=scale, cx=cx, cy=cy).clamped()

    def panned(self, dx_view: float, dy_view: float) -> Viewport:
        """Move the photo by (dx, dy) view pixels (a drag): the centre moves the other way."""
        if self.scale is None:
            return self
        s = self.effective_scale
        return replace(self, cx=self.cx - dx_view / s, cy=self.cy - dy_view / s).clamped()

    def resized(self, view_w: float, view_h: float) -> Viewport:
        return replace(self, view_w=view_w, view_h=view_h).clamped()

    def with_image(self, image_w: float, image_h: float) -> Viewport:
        return replace(self, image_w=image_w, image_h=image_h, scale=None, cx=image_w / 2, cy=image_h / 2)

    def clamped(self) -> Viewport:
        """Keep the centre where the photo still covers the view (or centred, along an axis it does not fill)."""
        if self.scale is None:
            return self
        s = self.scale
        half_w, half_h = self.view_w / 2 / s, self.view_h / 2 / s
        cx = self.image_w / 2 if half_w * 2 >= self.image_w else min(max(self.cx, half_w), self.image_w - half_w)
        cy = self.image_h / 2 if half_h * 2 >= self.image_h else min(max(self.cy, half_h), self.image_h - half_h)
        return replace(self, cx=cx, cy=cy)


def next_step(current: float, fit: float, up: bool, steps: Sequence[float] = ZOOM_STEPS) -> float | None:
    """The wheel's next zoom (None: back to fit) from `current`, one stop up or down."""
    stops = sorted({s for s in steps if s > fit + 1e-9})
    if up:
        for s in stops:
            if s > current + 1e-9:
                return s
        return stops[-1] if stops else None
    for s in reversed(stops):
        if s < current - 1e-9:
            return s
    return None


def sharpest_centre(boxes: Sequence[tuple[tuple[int, int, int, int], float]], scored_size: tuple[int, int],
                    image_size: tuple[int, int]) -> tuple[float, float] | None:
    """The centre, in the photo's pixels, of the window with the highest fused score: the spot a
    photographer checks for focus. boxes: (box in scored-size pixels, fused) per window."""
    if not boxes or scored_size[0] <= 0 or scored_size[1] <= 0:
        return None
    (left, top, right, bottom), _ = max(boxes, key=lambda b: b[1])
    sx, sy = image_size[0] / scored_size[0], image_size[1] / scored_size[1]
    return (left + right) / 2 * sx, (top + bottom) / 2 * sy
