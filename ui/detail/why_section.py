"""The detail pane's "Why" section: the photo's reasons, each quality dimension as a bar with the photo's
percentile in its folder, and the classic measurements in photographer units (curator.rules.explain.Why)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from curator.rules.explain import REASON_HINTS, DimensionStanding, Why
from ui import theme

_ROW_H = 18


def percentile_text(pct: float | None) -> str:
    """0.12 -> "12th pct" (where the photo sits in its folder: 100th = the folder's best)."""
    if pct is None:
        return "alone"
    n = int(round(pct * 100))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} pct"


class DimensionBars(QWidget):
    """Each dimension's value (0..1) as a bar coloured by its percentile in the folder, the percentile beside."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dimensions: tuple[DimensionStanding, ...] = ()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._font = QFont()
        self._font.setPixelSize(11)

    def set_dimensions(self, dimensions: tuple[DimensionStanding, ...]) -> None:
        self.dimensions = dimensions
        self.setFixedHeight(max(1, len(dimensions)) * _ROW_H)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, max(1, len(self.dimensions)) * _ROW_H)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setFont(self._font)
        label_w, value_w = 92, 70
        bar_w = max(40, self.width() - label_w - value_w - 4)
        if not self.dimensions:
            p.setPen(theme.TEXT_FAINT)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "not measured yet")
            p.end()
            return
        for i, d in enumerate(self.dimensions):
            y = i * _ROW_H
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRect(0, y, label_w, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, d.name)
            track = QRectF(label_w, y + 4, bar_w, 8)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0x44, 0x44, 0x44))
            p.drawRoundedRect(track, 4, 4)
            p.setBrush(theme.rank_colour(d.percentile) if d.percentile is not None else theme.NO_RANK)
            frac = max(0.0, min(1.0, d.value))
            p.drawRoundedRect(QRectF(track.left(), track.top(), max(8.0, track.width() * frac), track.height()), 4, 4)
            p.setPen(theme.TEXT)
            p.drawText(QRect(label_w + bar_w + 4, y, value_w, 16),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percentile_text(d.percentile))
        p.end()


class WhySection(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo_id: int | None = None
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.RichText)
        self.bars = DimensionBars()
        self.measures = QGridLayout()
        self.measures.setHorizontalSpacing(14)
        self.measures.setVerticalSpacing(2)
        self.measures.setColumnStretch(1, 1)
        self._measure_labels: list[tuple[QLabel, QLabel]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.reasons)
        layout.addWidget(self.bars)
        layout.addLayout(self.measures)
        self.clear()

    def clear(self, message: str = "") -> None:
        self.photo_id = None
        self.reasons.setText(message)
        self.bars.set_dimensions(())
        self._set_measures(())

    def set_why(self, why: Why | None) -> None:
        if why is None:
            self.clear("not measured yet: a scan measures it")
            return
        self.photo_id = why.photo_id
        if why.reasons:
            weak = theme.WEAK.name()
            self.reasons.setText("<br>".join(f"<b style='color:{weak}'>{r}</b> — {REASON_HINTS.get(r, '')}"
                                             for r in why.reasons))
        else:
            self.reasons.setText(f"<span style='color:{theme.TEXT_DIM.name()}'>no reason: nothing stands out "
                                 "against its folder</span>")
        self.bars.set_dimensions(why.dimensions)
        self._set_measures(why.measures)

    def _set_measures(self, lines: tuple[tuple[str, str], ...]) -> None:
        """One (label, value) row per measurement; rows are kept and reused, the ones not needed hidden."""
        while len(self._measure_labels) < len(lines):
            k = QLabel()
            k.setObjectName("exifKey")
            v = QLabel()
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            i = len(self._measure_labels)
            self.measures.addWidget(k, i, 0)
            self.measures.addWidget(v, i, 1)
            self._measure_labels.append((k, v))
        for i, (k, v) in enumerate(self._measure_labels):
            shown = i < len(lines)
            k.setText(lines[i][0] if shown else "")
            v.setText(lines[i][1] if shown else "")
            k.setVisible(shown)
            v.setVisible(shown)
