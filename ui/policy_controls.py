"""The auto flag policy's controls: "Weak below [slider] or bottom [N %] per folder".

The slider spans the catalog's scores (far left: no threshold). Moving either
control asks for a re-flag after a short pause (`changed`), so dragging the
slider does not queue a re-flag per pixel.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QSlider, QSpinBox, QWidget

REFLAG_DEBOUNCE_MS = 250
SLIDER_STEPS = 1000


def score_span(scores: Sequence[float], threshold: float | None) -> tuple[float, float]:
    """The slider's range: the catalog's scores (and the threshold), padded a little."""
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 1.0)
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    pad = max(0.01, (hi - lo) * 0.05)
    return (round(lo - pad, 3), round(hi + pad, 3))


def threshold_to_slider(value: float | None, span: tuple[float, float] | None) -> int:
    if value is None or span is None:
        return 0
    lo, hi = span
    return max(1, min(SLIDER_STEPS, round((value - lo) / (hi - lo) * SLIDER_STEPS)))


def slider_to_threshold(pos: int, span: tuple[float, float] | None) -> float | None:
    if pos <= 0 or span is None:
        return None
    lo, hi = span
    return round(lo + (hi - lo) * pos / SLIDER_STEPS, 3)


def policy_text(threshold: float | None, bottom_percent: float) -> str:
    parts = []
    if threshold is not None:
        parts.append(f"score below {threshold:.3f}")
    if bottom_percent > 0:
        parts.append(f"bottom {bottom_percent:g}% of each folder")
    return " or ".join(parts) if parts else "auto flags off"


class PolicyControls(QObject):
    changed = Signal()  # the user moved a control (debounced): re-flag with threshold, bottom_percent
    done = Signal()  # the user let go of a control: the keys go back to the grid

    def __init__(self, threshold: float | None, bottom_percent: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = threshold
        self.bottom_percent = float(bottom_percent)
        self._span: tuple[float, float] | None = None  # set from the first rows
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, SLIDER_STEPS)
        self.threshold_slider.setFixedWidth(150)
        self.threshold_slider.setToolTip("Flag every photo scoring below this as weak (far left: off)")
        self.threshold_label = QLabel("off")
        self.threshold_label.setMinimumWidth(44)
        self.bottom_spin = QSpinBox()
        self.bottom_spin.setRange(0, 100)
        self.bottom_spin.setSuffix(" %")
        self.bottom_spin.setValue(int(round(self.bottom_percent)))
        self.bottom_spin.setToolTip("Flag the bottom N% of each folder (shoot) as weak; 0 turns it off")
        for w in (self.threshold_slider, self.bottom_spin):
            w.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._timer = QTimer(self, singleShot=True, interval=REFLAG_DEBOUNCE_MS)
        self._timer.timeout.connect(self.changed)
        self.threshold_slider.valueChanged.connect(self._on_slider)
        self.bottom_spin.valueChanged.connect(self._on_bottom)
        self.threshold_slider.sliderReleased.connect(self.done)
        self.bottom_spin.editingFinished.connect(self.done)
        self._typing = False  # a double-click in the spin box's text: the user types a number
        self.bottom_spin.installEventFilter(self)
        self._show_threshold()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The spin box hands the keys back to the grid: after a click (its arrows), and on a key that is
        no part of a number (that key then goes on to the grid: 3 then P is "3 stars, pick", not "3 %")."""
        kind = event.type()
        if kind == QEvent.Type.MouseButtonDblClick:
            self._typing = True
        elif kind == QEvent.Type.MouseButtonRelease and not self._typing:
            QTimer.singleShot(0, self.done.emit)
        elif kind == QEvent.Type.FocusOut:
            self._typing = False
        elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and _not_a_number_key(event):
            self._typing = False
            self.done.emit()
            target = QApplication.focusWidget()
            if target is not None and target is not self.bottom_spin:
                QApplication.sendEvent(target, QKeyEvent(event.type(), event.key(), event.modifiers(), event.text()))
            return True
        return super().eventFilter(watched, event)

    def widgets(self) -> tuple[QWidget, ...]:
        """In toolbar order, between the labels the toolbar puts around them."""
        return (self.threshold_slider, self.threshold_label, self.bottom_spin)

    def set_scores(self, scores: Sequence[float]) -> None:
        """Fit the slider to the catalog's scores (once, on the first load)."""
        self._span = score_span(scores, self.threshold)
        self.show_policy(self.threshold, self.bottom_percent)

    def show_policy(self, threshold: float | None, bottom_percent: float) -> None:
        """Show this policy in the controls without asking for a re-flag."""
        self.threshold, self.bottom_percent = threshold, float(bottom_percent)
        for w, v in ((self.threshold_slider, threshold_to_slider(threshold, self._span)),
                     (self.bottom_spin, int(round(self.bottom_percent)))):
            blocked = w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(blocked)
        self._show_threshold()

    def describe(self) -> str:
        return policy_text(self.threshold, self.bottom_percent)

    def stop(self) -> None:
        self._timer.stop()

    def _show_threshold(self) -> None:
        self.threshold_label.setText("off" if self.threshold is None else f"{self.threshold:.3f}")

    def _on_slider(self, pos: int) -> None:
        self.threshold = slider_to_threshold(pos, self._span)
        self._show_threshold()
        self._timer.start()

    def _on_bottom(self, value: int) -> None:
        self.bottom_percent = float(value)
        self._timer.start()


def _not_a_number_key(event: QKeyEvent) -> bool:
    """A letter or a command key: not a digit, an edit (Backspace, Delete), an arrow or Enter."""
    text = event.text()
    return bool(text) and text.isprintable() and not text.isdigit() and text not in "%+-. "
