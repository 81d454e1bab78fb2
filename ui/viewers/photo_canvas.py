"""One photo on a neutral dark background, fitted or zoomed (ui.rules.zoom), with the heatmap over it.

The loupe, compare and survey views are made of these. Drag pans, the wheel
zooms in steps about the mouse. A canvas never shows a picture under another
photo's name: `show_placeholder` drops the picture until the next one is set.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme
from ui.rules.zoom import Viewport, next_step

BACKGROUND = QColor(0x26, 0x26, 0x26)  # neutral dark grey: judges exposure without a colour cast
CAPTION_H = 24  # px under the photo for its caption (compare, survey)
FITTED_KEPT = 6  # pictures kept scaled to the fitted size: the shown one and the preloaded neighbours


class PhotoCanvas(QWidget):
    viewportChanged = Signal(object)  # Viewport, after a zoom or pan made here (compare keeps its panes in step)
    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(80, 60)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMouseTracking(True)
        self.photo_id: int | None = None
        self.pixmap: QPixmap | None = None
        self.pixmap_kind = ""
        self.heatmap: QImage | None = None
        self.show_heatmap = False
        self.message = ""
        self.marked = False  # an outline: the frame under the cursor (survey), the select (compare)
        self.caption = ""
        self.viewport = Viewport(1.0, 1.0, float(self.width()), float(self.height()))
        self._drag_from: QPointF | None = None
        # pictures already scaled to the fitted rectangle: a preloaded photo then paints as a plain copy
        self._fitted: OrderedDict[tuple[int, int, int], QPixmap] = OrderedDict()
        self._font = QFont()
        self._font.setPixelSize(13)

    # --- content -----------------------------------------------------------------------------------
    def show_placeholder(self, photo_id: int | None, message: str) -> None:
        """A photo whose picture is not here yet: its message, never the previous picture."""
        self.photo_id = photo_id
        self.pixmap = None
        self.pixmap_kind = ""
        self.heatmap = None
        self.message = message
        self.update()

    def set_picture(self, photo_id: int, image: QImage | QPixmap, original_size: tuple[int, int], kind: str) -> None:
        """Show this picture; the view keeps its zoom when it is the same photo at another resolution."""
        same_photo = photo_id == self.photo_id and self.pixmap is not None
        self.photo_id = photo_id
        self.pixmap = image if isinstance(image, QPixmap) else QPixmap.fromImage(image)
        self.pixmap_kind = kind
        self.message = ""
        w, h = original_size
        if not same_photo or (self.viewport.image_w, self.viewport.image_h) != (w, h):
            self.viewport = Viewport(float(w), float(h), float(self.width()), float(self.photo_height()))
        self.update()

    def set_heatmap(self, image: QImage | None) -> None:
        self.heatmap = image
        self.update()

    def set_viewport(self, viewport: Viewport) -> None:
        """Another canvas's zoom and centre, on this canvas's photo and size (compare's sync)."""
        v = self.viewport
        if viewport.scale is None:
            self.viewport = v.zoom_to(None)
        else:
            # the same photo point (scaled to this photo's size) at the same view point
            fx = viewport.cx / viewport.image_w if viewport.image_w else 0.5
            fy = viewport.cy / viewport.image_h if viewport.image_h else 0.5
            self.viewport = Viewport(v.image_w, v.image_h, v.view_w, v.view_h, viewport.scale,
                                     fx * v.image_w, fy * v.image_h).clamped()
        self.update()

    def prepare_fit(self, pixmap: QPixmap, original_size: tuple[int, int]) -> None:
        """Scale a picture to this canvas's fitted size now (it arrived in the background), so showing it
        later costs no scaling."""
        v = Viewport(float(original_size[0]), float(original_size[1]), float(self.width()), float(self.photo_height()))
        self._fitted_for(pixmap, v)

    def _fitted_for(self, pixmap: QPixmap, v: Viewport) -> QPixmap:
        _, _, w, h = v.image_rect()
        key = (int(pixmap.cacheKey()), round(w), round(h))
        got = self._fitted.get(key)
        if got is None:
            got = pixmap.scaled(key[1], key[2], Qt.AspectRatioMode.IgnoreAspectRatio,
                                Qt.TransformationMode.SmoothTransformation)
            self._fitted[key] = got
            while len(self._fitted) > FITTED_KEPT:
                self._fitted.popitem(last=False)
        self._fitted.move_to_end(key)
        return got

    def has_picture(self) -> bool:
        return self.pixmap is not None

    # --- zoom and pan -----------------------------------------------------------------------------
    def zoom_to(self, scale: float | None, centre: tuple[float, float] | None = None) -> None:
        cx, cy = centre if centre is not None else (None, None)
        self.viewport = self.viewport.zoom_to(scale, cx, cy)
        self._changed()

    def pan_by(self, dx: float, dy: float) -> None:
        self.viewport = self.viewport.panned(dx, dy)
        self._changed()

    def image_point_under_mouse(self) -> tuple[float, float] | None:
        """The photo point under the mouse, when the mouse is over the photo."""
        pos = self.mapFromGlobal(self.cursor().pos())
        if not self.rect().contains(pos) or self.pixmap is None:
            return None
        x, y = self.viewport.to_image(float(pos.x()), float(pos.y()))
        if 0 <= x <= self.viewport.image_w and 0 <= y <= self.viewport.image_h:
            return x, y
        return None

    def _changed(self) -> None:
        self.update()
        self.viewportChanged.emit(self.viewport)

    # --- events ------------------------------------------------------------------------------------
    def photo_height(self) -> int:
        """The height the photo may use: a caption gets its own strip below it, never over the photo."""
        return max(1, self.height() - (CAPTION_H if self.caption else 0))

    def set_caption(self, text: str) -> None:
        had = bool(self.caption)
        self.caption = text
        if had != bool(text):
            self.viewport = self.viewport.resized(float(self.width()), float(self.photo_height()))
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.viewport = self.viewport.resized(float(self.width()), float(self.photo_height()))
        super().resizeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
            self.clicked.emit()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None and self.viewport.scale is not None:
            d = event.position() - self._drag_from
            self._drag_from = event.position()
            self.pan_by(d.x(), d.y())
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.pixmap is None or event.angleDelta().y() == 0:
            return
        v = self.viewport
        scale = next_step(v.effective_scale, v.fit_scale, up=event.angleDelta().y() > 0)
        pos = event.position()
        self.viewport = v.zoom_about(scale, pos.x(), pos.y())
        self._changed()
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self.pixmap is not None:
            left, top, w, h = self.viewport.image_rect()
            target = QRectF(left, top, w, h)
            if self.viewport.scale is None and w < self.pixmap.width():
                p.drawPixmap(QPointF(round(left), round(top)), self._fitted_for(self.pixmap, self.viewport))
            else:
                # 100 % and beyond: exact pixels; below: smooth
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.viewport.effective_scale < 1.0)
                p.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
            if self.show_heatmap and self.heatmap is not None:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                p.drawImage(target, self.heatmap, QRectF(self.heatmap.rect()))
        elif self.message:
            p.setFont(self._font)
            p.setPen(theme.TEXT_DIM)
            p.drawText(self.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.message)
        if self.caption:
            p.setFont(self._font)
            p.setPen(theme.TEXT)
            strip = self.rect().adjusted(8, self.photo_height(), -8, 0)
            p.fillRect(self.rect().adjusted(0, self.photo_height(), 0, 0), BACKGROUND)
            p.drawText(strip, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignHCenter, self.caption)
        if self.marked:
            p.setPen(theme.ACCENT)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))
        p.end()
