"""What the user does with bursts: stack them, expand one, "reject all but the best" in one or in a folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

from ui.background.catalog_actions import BurstRejectResult
from ui.background.catalog_worker import CatalogWorker
from ui.grid.gallery_model import GalleryModel
from ui.grid.grid_view import GalleryView
from ui.rules.ordering import in_folder, short_folder
from ui.status_bar import plural
from ui.rules.tiling import BurstGroup


def result_text(result: BurstRejectResult) -> str:
    """The status line after a burst reject (not a dry run)."""
    n, b = len(result.rejected), result.bursts
    if result.note and not n:
        return f"Nothing rejected: {result.note}"
    if result.scope == "burst":
        return f"Rejected {plural(n, 'frame')} of the burst; kept the best"
    return f"Rejected {plural(n, 'frame')} in {plural(b, 'burst')}; kept the best of each"


class BurstActions(QObject):
    countsChanged = Signal()  # tiles were stacked or unstacked

    def __init__(self, view: GalleryView, model: GalleryModel, worker: CatalogWorker, *,
                 say: Callable[[str], None], confirm: Callable[[str, str], bool], can_write: Callable[[], bool],
                 folders: Callable[[], Sequence[str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.model, self.worker = view, model, worker
        self._say, self._confirm, self._can_write, self._folders = say, confirm, can_write, folders
        self.last_result: BurstRejectResult | None = None

    def set_collapsed(self, on: bool) -> None:
        """Show each burst as one tile (the toolbar's "Collapse bursts")."""
        current = self.view.current_photo_id()
        self.view.proxy.set_collapse_bursts(on)
        self.view.keep_selection(current)
        self.countsChanged.emit()
        self.view.setFocus()

    def toggle(self) -> None:
        """Expand or collapse the burst under the selection (S or B)."""
        pid = self.view.current_photo_id()
        if pid is None:
            return
        group = self.model.burst_of(pid)
        proxy = self.view.proxy
        if group is None:
            self._say("Not part of a burst")
            return
        if not proxy.collapse_bursts:
            self._say("Bursts are shown frame by frame; turn on “Collapse bursts” to stack them")
            return
        expand = not proxy.is_expanded(group)
        proxy.set_expanded(group, expand)
        self.view.keep_selection(pid)
        if expand:  # a burst expanded at the end of the grid: bring its frames up from below the fold
            QTimer.singleShot(0, lambda: self._scroll_into_view(group))
        kind = "bracket" if group.is_bracket else "burst"
        self._say(f"{kind.capitalize()} of {group.size} " + ("expanded" if expand else "collapsed"))

    def _scroll_into_view(self, group: BurstGroup) -> None:
        """The expanded frames on screen: the last one, then the selected one (which wins if they do not fit)."""
        proxy = self.view.proxy
        rows = [r for r in (proxy.proxy_row_for_id(pid) for pid in group.ids) if r is not None]
        if not rows:
            return
        self.view.scrollTo(proxy.index(max(rows), 0), QAbstractItemView.ScrollHint.EnsureVisible)
        current = self.view.currentIndex()
        if current.isValid() and not self.view.viewport().rect().contains(self.view.visualRect(current)):
            # the burst is taller than the view: its first frames at the top, as many as fit
            self.view.scrollTo(current, QAbstractItemView.ScrollHint.PositionAtTop)

    def reject_one(self) -> None:
        """"Reject all but the best" in the burst under the selection (Shift+X), then go to the next tile."""
        pid = self.view.current_photo_id()
        if pid is None or not self._can_write():
            return
        group = self.model.burst_of(pid)
        if group is None:
            self._say("Not part of a burst: nothing to reject")
            return
        self.worker.reject_burst(pid)
        self._say("Rejecting all but the best of this burst…")
        proxy = self.view.proxy
        r = proxy.proxy_row_for_id(pid)
        if r is not None:  # on to the first tile after this burst
            for nxt in range(r + 1, proxy.rowCount()):
                if proxy.row_at(nxt).photo_id not in group.ids:
                    self.view.select_row(nxt)
                    break

    def reject_in_folder(self) -> None:
        """"Reject all but the best" in every burst of the chosen folder (all folders when none is chosen),
        after a dry run and the user's yes."""
        if not self._can_write():
            return
        self.worker.reject_bursts(self._folders_in_scope(), dry_run=True)
        self._say("Looking for bursts…")

    def on_result(self, result: BurstRejectResult) -> None:
        self.last_result = result
        if result.scope == "folders" and result.dry_run:
            self._ask_to_reject(result)
        else:
            self._say(result_text(result))

    def on_bursts(self, by_folder: Mapping[str, Sequence[BurstGroup]]) -> None:
        """The catalog thread grouped (or cleared) these folders' bursts."""
        current = self.view.current_photo_id()
        self.model.set_bursts(by_folder)
        self.view.keep_selection(current)
        self.countsChanged.emit()

    def _ask_to_reject(self, dry_run: BurstRejectResult) -> None:
        n, b = len(dry_run.rejected), dry_run.bursts
        if not n:
            self._say(f"No frames to reject {self._scope_text()}: no burst has one that is scored, undecided and "
                      "not bracketed")
            return
        text = (f"Reject {plural(n, 'frame')} in {plural(b, 'burst')} {self._scope_text()}?\n\n"
                "The best frame of each burst is kept. Frames you already decided on (a flag, stars or a "
                "label) and bracketed exposures are never rejected.")
        if self._confirm("Reject all but the best", text):
            self.worker.reject_bursts(dry_run.folders, dry_run=False)
            self._say("Rejecting…")
        else:
            self._say("Nothing rejected")

    def _folders_in_scope(self) -> list[str] | None:
        chosen = self.view.proxy.folder
        if chosen is None:
            return None
        return [f for f in self._folders() if in_folder(f, chosen)] or [chosen]

    def _scope_text(self) -> str:
        folder = self.view.proxy.folder
        return f"in {short_folder(folder)}" if folder else "in every folder"
