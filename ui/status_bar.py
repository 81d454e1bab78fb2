"""The status bar: what the catalog holds, the last message, a slow catalog, the watcher, the catalog's path."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from ui import theme
from ui.rules.ordering import GalleryCounts

BUSY_AFTER_S = 1.0  # a catalog request slower than this is shown as "busy"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def summary_text(c: GalleryCounts) -> str:
    """"13 photos · 2 picked · 1 unreadable · 1 burst (5 frames)": what the chosen folder holds."""
    parts = [f"{c.total} photos"]
    for n, word in ((c.pick, "picked"), (c.reject, "rejected"), (c.pending, "queued"), (c.error, "unreadable"),
                    (c.missing, "missing")):
        if n:
            parts.append(f"{n} {word}")
    if c.bursts:
        parts.append(f"{plural(c.bursts, 'burst')} ({c.burst_frames} frames)")
    if c.pairs:
        parts.append(plural(c.pairs, "RAW+JPEG pair"))
    return "  ·  ".join(parts)


def busy_text(job: str | None, seconds: float) -> str:
    """What the catalog thread is busy with, once it is slow enough to say (job: CatalogWorker.busy_for)."""
    if job == "xmp":
        return f"Writing XMP sidecars… ({seconds:.0f} s)" if seconds > BUSY_AFTER_S else ""
    if job is None or job == "bursts" or seconds <= BUSY_AFTER_S:  # background grouping is not "busy"
        return ""
    if job == "burst_reject":
        return f"Rejecting all but the best… ({seconds:.0f} s)"
    return f"Catalog busy ({job}, {seconds:.0f} s): another process may hold it locked…"


class ElidedLabel(QLabel):
    """A status text that gives way: it never widens the window (a long catalog path, the counts of a big
    folder, a long message), and what does not fit ends in "…", the whole text in its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, self.width())
        p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        p.end()


class GalleryStatusBar(QStatusBar):
    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.db_path = db_path
        self.summary_label = ElidedLabel("")
        self.message_label = ElidedLabel("")
        self.busy_label = QLabel("")
        self.busy_label.setStyleSheet(f"color: {theme.WEAK.name()};")
        self.watch_label = ElidedLabel("")
        self.catalog_label = ElidedLabel(str(db_path))
        self.notice_label = QLabel("")  # what must stay in view, such as a demo's random-weight scores
        self.notice_label.setStyleSheet(f"color: {theme.WEAK.name()}; font-weight: bold;")
        self.addWidget(self.summary_label)
        self.addWidget(self.message_label, 1)
        self.addWidget(self.busy_label)
        self.addPermanentWidget(self.watch_label)
        self.addPermanentWidget(self.notice_label)
        self.addPermanentWidget(self.catalog_label)

    def say(self, text: str, details: str | None = None) -> None:
        """The last thing that happened (details: its tooltip, when one is given)."""
        self.message_label.setText(text)
        if details is not None:
            self.message_label.setToolTip(details)

    def show_counts(self, counts: GalleryCounts) -> None:
        self.summary_label.setText(summary_text(counts))

    def show_busy(self, job: str | None, seconds: float) -> None:
        text = busy_text(job, seconds)
        if text != self.busy_label.text():
            self.busy_label.setText(text)

    def show_notice(self, text: str) -> None:
        """A standing notice, in view for the whole session (never replaced by the last message). It takes
        the catalog path's place, which moves to its tooltip, so the window keeps its smallest width."""
        self.notice_label.setText(text)
        self.notice_label.setToolTip(str(self.db_path))
        self.catalog_label.hide()

    def show_read_only(self) -> None:
        self.catalog_label.setText(f"{self.db_path} (read-only)")

    def show_watch(self, text: str) -> None:
        self.watch_label.setText(text)

    def watch_stopped(self, message: str) -> None:
        if message:
            self.watch_label.setText(message)
            self.watch_label.setStyleSheet(f"color: {theme.WEAK.name()};")
        else:
            self.watch_label.setText("Watcher stopped")
