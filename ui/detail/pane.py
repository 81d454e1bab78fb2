"""The detail pane: a large preview (with the per-window heatmap), the score explained, EXIF and path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QImage, QLinearGradient, QMouseEvent, QPainter, QPaintEvent, QPen,
                           QPixmap)
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea,
                               QSizePolicy, QVBoxLayout, QWidget)

from curator.actions.culling import WEAK_MEANING, is_weak
from curator.display import shown
from ui import theme
from ui.grid.delegate import draw_flag, draw_stars
from ui.heatmap.cells import _STOPS, heatmap_image, score_range, window_views
from ui.heatmap.layers import FUSED, HeatLayer
from ui.detail.why_section import WhySection
from ui.rules.exif_wording import exif_lines, rank_text

if TYPE_CHECKING:
    from curator.catalog import GalleryRow, PhotoDetail
    from curator.rules.explain import Why

# A provisional score: triage's quick first pass (one view of the photo); the exact score replaces it.
PROVISIONAL_NOTE = "provisional: a quick first-pass score; the exact score follows"
PROVISIONAL_VERDICT_NOTE = "provisional verdict: reached on quick first-pass scores; checked again when the exact ones land"


# --- widgets ---------------------------------------------------------------------------------------
class PreviewWidget(QWidget):
    """The photo scaled to fit, with the heatmap drawn over exactly the same rectangle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pixmap: QPixmap | None = None
        self.heatmap: QImage | None = None
        self.show_heatmap = False
        self.message = ""

    def set_pixmap(self, pixmap: QPixmap | None, message: str = "") -> None:
        self.pixmap = pixmap
        self.message = message
        self.update()

    def set_heatmap(self, image: QImage | None) -> None:
        self.heatmap = image
        self.update()

    def image_rect(self) -> QRect:
        if self.pixmap is None or self.pixmap.isNull():
            return QRect()
        area = self.rect().adjusted(10, 10, -10, -10)
        size = self.pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        r = QRect(0, 0, size.width(), size.height())
        r.moveCenter(area.center())
        return r

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0x1c, 0x1c, 0x1c))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        target = self.image_rect()
        if target.isValid() and self.pixmap is not None:
            p.drawPixmap(target, self.pixmap)
            if self.show_heatmap and self.heatmap is not None:
                p.drawImage(target, self.heatmap)
        elif self.message:
            p.setPen(theme.TEXT_DIM)
            p.drawText(self.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.message)
        p.end()


class CueBars(QWidget):
    """The two MA-CLIP cues as bars, and their fusion weights as one split bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: tuple[float, float, float, float] | None = None
        self.decimals = 3
        self.setFixedHeight(84)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._font = QFont()
        self._font.setPixelSize(11)

    def set_values(self, cosine: float | None, magnitude: float | None, w_cosine: float | None,
                   w_magnitude: float | None) -> None:
        if cosine is None or magnitude is None or w_cosine is None or w_magnitude is None:
            self.values = None
        else:
            self.values = (float(cosine), float(magnitude), float(w_cosine), float(w_magnitude))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, 84)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setFont(self._font)
        w = self.width()
        label_w, value_w = 92, 58
        bar_x, bar_w = label_w, max(40, w - label_w - value_w - 4)
        if self.values is None:
            p.setPen(theme.TEXT_FAINT)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "not scored yet")
            p.end()
            return
        cos, mag, wc, wm = self.values

        def bar(y: int, label: str, value: float, colour: QColor, full: float = 1.0) -> None:
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRect(0, y, label_w, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
            track = QRectF(bar_x, y + 4, bar_w, 8)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0x44, 0x44, 0x44))
            p.drawRoundedRect(track, 4, 4)
            frac = max(0.0, min(1.0, value / full))
            p.setBrush(colour)
            p.drawRoundedRect(QRectF(track.left(), track.top(), max(8.0, track.width() * frac), track.height()), 4, 4)
            p.setPen(theme.TEXT)
            p.drawText(QRect(bar_x + bar_w + 4, y, value_w, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.{self.decimals}f}")

        bar(0, "Cosine cue", cos, theme.COSINE)
        bar(20, "Magnitude cue", mag, theme.MAGNITUDE, full=max(1.0, mag))
        # fusion weights: one bar split between the cues
        y = 44
        p.setPen(theme.TEXT_DIM)
        p.drawText(QRect(0, y, label_w, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "Weights")
        track = QRectF(bar_x, y + 3, bar_w, 10)
        total = wc + wm if wc + wm > 0 else 1.0
        split = track.width() * wc / total
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.COSINE)
        p.drawRoundedRect(QRectF(track.left(), track.top(), split, track.height()), 3, 3)
        p.setBrush(theme.MAGNITUDE)
        p.drawRoundedRect(QRectF(track.left() + split, track.top(), track.width() - split, track.height()), 3, 3)
        p.setPen(QPen(QColor(0x1c, 0x1c, 0x1c), 2))
        p.drawLine(QPointF(track.left() + split, track.top() - 1), QPointF(track.left() + split, track.bottom() + 1))
        p.setPen(theme.TEXT_DIM)
        p.drawText(QRect(bar_x, y + 16, bar_w, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   f"cosine {wc:.2f}")
        p.drawText(QRect(bar_x, y + 16, bar_w, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   f"magnitude {wm:.2f}")
        p.end()


class Legend(QWidget):
    """weak ... strong, in the heatmap's colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(150, 16)
        self.range: tuple[float, float] | None = None
        self._font = QFont()
        self._font.setPixelSize(10)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setFont(self._font)
        p.setPen(theme.TEXT_DIM)
        p.drawText(QRect(0, 0, 30, 16), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, "weak")
        p.drawText(QRect(self.width() - 40, 0, 40, 16), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   "strong")
        grad = QLinearGradient(32, 0, self.width() - 42, 0)
        last = len(_STOPS) - 1
        for i in (0, last // 2, last):  # the heatmap's weakest, middle and strongest colours (opaque)
            grad.setColorAt(i / last, QColor(*(int(c) for c in _STOPS[i, :3])))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(grad)
        p.drawRoundedRect(QRectF(32, 5, self.width() - 74, 6), 3, 3)
        p.end()


STAR_R, STAR_GAP = 6.0, 3.0  # the pane's stars: radius and gap (draw_stars)


def star_at(x: float, r: float = STAR_R, gap: float = STAR_GAP) -> int | None:
    """The rating a click at x (px from the stars' left) asks for: 1-5, None beside the stars."""
    n = int(x // (2 * r + gap)) + 1
    return n if 0 <= x and n <= 5 else None


class MarksWidget(QWidget):
    """Flag and rating of the photo, drawn as on the tiles. A click on the stars sets the rating
    (on the rating it already has: clears it)."""

    ratingClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(110, 20)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click a star to rate")
        self.flag: str | None = None
        self.source: str | None = None
        self.rating = 0

    def set_marks(self, flag: str | None, source: str | None, rating: int) -> None:
        self.flag, self.source, self.rating = flag, source, rating
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        draw_stars(p, 0, 10, self.rating, r=STAR_R, gap=STAR_GAP)
        draw_flag(p, QRectF(88, 1, 14, 18), self.flag, self.source)
        p.end()


    def mousePressEvent(self, event: QMouseEvent) -> None:
        n = star_at(event.position().x())
        if n is not None:
            self.ratingClicked.emit(0 if n == self.rating else n)


def _heading(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("sectionHeading")
    return label


class DetailPane(QWidget):
    heatmapToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumWidth(340)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.photo_id: int | None = None
        self.row: GalleryRow | None = None
        self.detail: PhotoDetail | None = None
        self.preview_loaded = False

        self.preview = PreviewWidget()
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.folder = QLabel()
        self.folder.setObjectName("exifKey")
        self.score = QLabel()
        self.score.setObjectName("scoreBig")
        self.score_note = QLabel()
        self.score_note.setObjectName("exifKey")
        self.score_note.setWordWrap(True)
        self.marks = MarksWidget()
        self.cues = CueBars()
        self.heatmap_box = QCheckBox("Heatmap  (H)")
        self.heatmap_box.setToolTip("colour the preview by the score (or a quality dimension) of each window")
        self.heatmap_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.heatmap_box.toggled.connect(self._on_heatmap_toggled)
        self.heatmap_layer = QComboBox()
        self.heatmap_layer.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.heatmap_layer.setToolTip("what the heatmap shows: the fused score, a quality dimension, or focus; "
                                      "colours span the shoot (red: as weak as its weakest photo)")
        self.heatmap_layer.addItem(FUSED, FUSED)
        self.heatmap_layer.setMinimumContentsLength(11)
        self.heatmap_layer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.heatmap_layer.currentIndexChanged.connect(lambda _i: self._render_heatmap())
        self.layers: dict[str, HeatLayer] = {}
        self.legend = Legend()
        self.heatmap_note = QLabel()
        self.heatmap_note.setObjectName("exifKey")
        self.heatmap_note.setWordWrap(True)
        self.why = WhySection()
        self.exif_labels: dict[str, QLabel] = {}
        self.keywords = QLabel()
        self.keywords.setObjectName("keywords")
        self.keywords.setWordWrap(True)
        self.keywords.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path = QLabel()
        self.path.setObjectName("path")
        self.path.setWordWrap(True)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        info = QVBoxLayout()
        info.setContentsMargins(16, 8, 16, 12)
        info.setSpacing(4)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.marks, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        info.addLayout(title_row)
        info.addWidget(self.folder)
        score_row = QHBoxLayout()
        score_row.addWidget(self.score, 0)
        score_row.addSpacing(10)
        score_row.addWidget(self.score_note, 1)
        info.addLayout(score_row)
        info.addWidget(self.cues)
        hm_row = QHBoxLayout()
        hm_row.addWidget(self.heatmap_box, 0)
        hm_row.addWidget(self.heatmap_layer, 0)
        hm_row.addStretch(1)
        info.addLayout(hm_row)
        # the legend and the note on lines of their own: the pane stays narrow enough for a laptop screen
        info.addWidget(self.legend, 0, Qt.AlignmentFlag.AlignRight)
        info.addWidget(self.heatmap_note)
        info.addWidget(_heading("Why"))
        info.addWidget(self.why)
        info.addWidget(_heading("Exif"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        for i, key in enumerate(("Camera", "Lens", "ISO", "Shutter", "Aperture", "Focal length", "Captured", "Size",
                                 "File")):
            k = QLabel(key)
            k.setObjectName("exifKey")
            v = QLabel("—")
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.exif_labels[key] = v
            grid.addWidget(k, i, 0)
            grid.addWidget(v, i, 1)
        grid.setColumnStretch(1, 1)
        info.addLayout(grid)
        info.addWidget(_heading("Keywords"))
        info.addWidget(self.keywords)
        info.addWidget(_heading("Path"))
        info.addWidget(self.path)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.preview, 3)
        info_widget = QWidget()
        info_widget.setObjectName("detailInfo")
        info_widget.setLayout(info)
        # the text scrolls in a fixed share of the pane: a two-line path or a long note never
        # resizes the preview (the picture would jump while flipping), and a short window still shows it all
        self.info_scroll = QScrollArea()
        self.info_scroll.setObjectName("detailScroll")
        self.info_scroll.setWidget(info_widget)
        self.info_scroll.setWidgetResizable(True)
        self.info_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.info_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.info_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.info_scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        outer.addWidget(self.info_scroll, 2)
        self.clear()

    # --- content --------------------------------------------------------------------------------
    def clear(self, message: str = "Select a photo") -> None:
        self.photo_id, self.row, self.detail = None, None, None
        self.layers = {}
        self.preview_loaded = False
        self.preview.set_pixmap(None, message)
        self.preview.set_heatmap(None)
        self.title.setText("")
        self.folder.setText("")
        self.score.setText("")
        self.score_note.setText("")
        self.marks.set_marks(None, None, 0)
        self.cues.set_values(None, None, None, None)
        self.heatmap_note.setText("")
        self.why.clear()
        for v in self.exif_labels.values():
            v.setText("—")
        self.keywords.setText("—")
        self.path.setText("")

    def show_row(self, row: GalleryRow, rank: float | None, decimals: int = 3, also: tuple[str, ...] = ()) -> None:
        """Everything the gallery row says; the preview and the windows arrive later. `also`: the paths of
        the shot's other files (a RAW+JPEG pair's RAW), shown under the path."""
        if row.photo_id != self.photo_id:
            self.photo_id = row.photo_id
            self.detail = None
            self.keywords.setText("—")
            self.preview_loaded = False
            self.preview.set_heatmap(None)
            if row.status == "missing":
                self.preview.set_pixmap(None, "The file is missing.\nIt was moved or deleted since it was catalogued.")
            else:
                # never the previous picture under this photo's name: a decision key would act on a photo
                # the user has not seen
                self.preview.set_pixmap(None, f"Loading {shown(row.name)}…")
            self.heatmap_note.setText("")
            self.why.clear("…")
            self.layers = {}  # the new photo's arrive with its Why
        self.row = row
        self.title.setText(shown(row.name))
        self.title.setToolTip(shown(row.path))
        self.folder.setText(shown(os.path.basename(row.folder.rstrip("/\\")) or row.folder))
        self.marks.set_marks(row.flag, row.flag_source, int(row.rating or 0))
        if row.fused is not None:
            weak = is_weak(row)
            colour = theme.rank_colour(rank, weak)
            self.score.setText(f"{row.fused:.{decimals}f}")
            self.score.setStyleSheet(f"color: {colour.name()};")
            notes = []
            if rank is not None:
                notes.append(rank_text(rank))
            if weak:
                notes.append(f"<span style='color:{theme.WEAK.name()}'>{WEAK_MEANING}</span>")
            if row.verdict_provisional and (weak or row.flag_source == "auto"):
                notes.append(PROVISIONAL_VERDICT_NOTE)
            if row.flag == "reject" and row.flag_source == "auto" and not weak:
                notes.append("auto reject")
            if row.provisional:
                notes.append(PROVISIONAL_NOTE)
            self.score_note.setText("<br>".join(notes))
        else:
            self.score.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
            self.score.setText({"error": "error", "missing": "missing"}.get(row.status, "queued"))
            self.score_note.setText(row.error or ("waiting to be scored" if row.status == "pending" else ""))
        self.cues.decimals = decimals
        self.cues.set_values(row.cosine, row.magnitude, row.w_cosine, row.w_magnitude)
        for key, value in exif_lines(row):
            self.exif_labels[key].setText(value)
        self.path.setText("\n".join((shown(row.path),) + tuple(f"+ {shown(p)}" for p in also)))

    def set_detail(self, detail: PhotoDetail) -> None:
        if detail is None or detail.row.photo_id != self.photo_id:
            return
        self.detail = detail
        self._render_heatmap()

    def _render_heatmap(self) -> None:
        """The chosen layer over the preview, coloured on the shoot's range when it is known."""
        detail = self.detail
        if detail is None:
            return
        name = self.heatmap_layer.currentData() or FUSED
        layer = self.layers.get(name)
        if name != FUSED and layer is not None:
            self.preview.set_heatmap(heatmap_image(layer.windows, layer.size, value_range=layer.value_range))
            scale = "the shoot's range" if layer.value_range is not None else "this photo's range"
            self.heatmap_note.setText(f"{name} of {len(layer.windows)} windows, coloured on {scale}")
            return
        views = tuple(detail.views or ())
        windows = window_views(views)
        fused = self.layers.get(FUSED)
        value_range = fused.value_range if fused is not None else None
        self.preview.set_heatmap(heatmap_image(views, detail.scored_size, windows=windows, value_range=value_range))
        rng = score_range(views, windows=windows)
        if rng is not None:
            d = self.cues.decimals
            scale = "; colours: the shoot's range" if value_range is not None else ""
            self.heatmap_note.setText(f"{len(windows)} windows, fused {rng[0]:.{d}f} – {rng[1]:.{d}f}{scale}")
        elif detail.row.fused is not None:
            self.heatmap_note.setText("no per-window scores (global view only)")
        else:
            self.heatmap_note.setText("")

    def set_why(self, photo_id: int, why: Why | None, layers: dict[str, HeatLayer] | None = None) -> None:
        """The photo's reasons, dimensions and measurements (curator.rules.explain), and the heatmap's layers with
        the shoot's ranges, when they arrive."""
        if photo_id != self.photo_id:
            return
        self.why.set_why(why)
        self.layers = dict(layers or {})
        box = self.heatmap_layer
        current = box.currentData() or FUSED
        blocked = box.blockSignals(True)
        box.clear()
        for name in list(self.layers) or [FUSED]:
            box.addItem(name, name)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(blocked)
        self._render_heatmap()

    def set_keywords(self, photo_id: int, keywords: list[tuple[str, float]] | None) -> None:
        """The photo's keywords with their confidence; None: none known yet (no embedding, or `curator
        tags` never ran for this vocabulary, which computes its text features once)."""
        if photo_id != self.photo_id:
            return
        if keywords is None:
            self.keywords.setText("— (run curator tags once to compute them)")
        else:
            self.keywords.setText(", ".join(f"{k} {c:.0%}" for k, c in keywords) or "none above the threshold")

    def set_preview(self, photo_id: int, image: QImage) -> None:
        if photo_id != self.photo_id:
            return
        self.preview_loaded = True
        self.preview.set_pixmap(QPixmap.fromImage(image))

    def preview_failed(self, photo_id: int, reason: str) -> None:
        if photo_id != self.photo_id:
            return
        self.preview_loaded = True
        self.preview.set_pixmap(None, f"Cannot show this photo:\n{reason}")

    # --- heatmap --------------------------------------------------------------------------------
    def toggle_heatmap(self) -> None:
        self.heatmap_box.setChecked(not self.heatmap_box.isChecked())

    def _on_heatmap_toggled(self, on: bool) -> None:
        self.preview.show_heatmap = on
        self.preview.update()
        self.heatmapToggled.emit(on)
