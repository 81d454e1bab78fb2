""""Write XMP": ask the catalog thread for sidecars, then report what it wrote, clashes and failures."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.background.catalog_actions import XmpResult
from ui.background.catalog_worker import CatalogWorker
from ui.rules.ordering import short_folder
from ui.status_bar import plural


def xmp_text(result: XmpResult) -> str:
    """"XMP (adobe) for 2024/city: 8 written · 0 unchanged · 1 clash"."""
    where = short_folder(result.roots[0]) if len(result.roots) == 1 else f"{len(result.roots)} folders"
    parts = [f"XMP ({result.naming}) for {where}: {result.written} written", f"{result.unchanged} unchanged"]
    if result.clashes:
        parts.append(plural(len(result.clashes), "clash", "clashes"))
    if result.failures:
        parts.append(f"{len(result.failures)} failed")
    return " · ".join(parts)


class XmpActions(QObject):
    def __init__(self, worker: CatalogWorker, *, folder: Callable[[], str | None],
                 say: Callable[[str, str | None], None], window: QWidget) -> None:
        super().__init__(window)
        self.worker = worker
        self._folder, self._say, self._window = folder, say, window
        self.last_result: XmpResult | None = None  # the last "Write XMP" report
        self.dialog: QMessageBox | None = None  # the last report's clashes and failures

    def write(self, scope: str = "folder") -> None:
        """Write decisions to XMP sidecars, on the catalog thread: the chosen folder ("folder"; every folder
        when none is chosen) or every folder ("all")."""
        folder = self._folder()
        roots = [folder] if scope == "folder" and folder else None
        self.worker.write_xmp(roots)
        where = short_folder(roots[0]) if roots else "every folder"
        self._say(f"Writing XMP sidecars for {where}…", None)

    def on_written(self, result: XmpResult) -> None:
        self.last_result = result
        text = xmp_text(result)
        problems = list(result.clashes) + list(result.failures)
        self._say(text, "\n".join(problems[:20]))
        if problems:
            self._show_problems(text, problems)

    def _show_problems(self, summary: str, problems: Sequence[str]) -> None:
        """A small non-modal dialog: clashes and failures need reading, not just a status line."""
        if self.dialog is not None:
            self.dialog.close()
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Write XMP")
        box.setText(summary)
        shown = problems[:8]
        more = f"\n… and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        box.setInformativeText("\n\n".join(shown) + more)
        box.setDetailedText("\n".join(problems))
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setModal(False)
        box.show()
        self.dialog = box
