"""The gallery window: builds the parts and wires them together, and saves the keys' decisions.

The parts, each in its own module:
  ui.grid.grid_view        the grid, its key map and its selection
  ui.detail.sync      the detail pane, kept on the selection
  ui.toolbars         the view bar (sort, filter, folder, policy, weak count) and the workflow bar
  ui.policy_controls  the auto flag policy's slider and spin box
  ui.actions.burst_actions    stacking bursts and "reject all but the best"
  ui.actions.xmp_actions      "Write XMP" and its report
  ui.actions.search_actions   Ctrl+F: the search box and the grid ordered by similarity
  ui.actions.duplicates_view  the Duplicates view and its "reject all but the best"
  ui.status_bar       the status bar
  ui.background.catalog_worker   every catalog access, on its own thread
  ui.viewers.loupe, ui.viewers.loupe_sync  the loupe (E, Enter, double-click), on the grid's selection
  ui.viewers.multi_views      compare (C) and survey (N)
  ui.background.undo             the undo history (kept by the catalog worker)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QShortcut
from PySide6.QtWidgets import QListView, QMainWindow, QMessageBox, QSplitter, QStackedWidget, QWidget

from curator.settings import Settings
from ui.actions.burst_actions import BurstActions
from curator.display import shown
from ui.cheat_sheet import CheatSheet
from ui.background.catalog_worker import CatalogWorker, OpenCatalog
from ui.grid.delegate import TileDelegate
from ui.detail.pane import DetailPane
from ui.detail.sync import DetailSync
from ui.actions.duplicates_view import DuplicatesActions
from ui.grid.gallery_model import GalleryModel
from ui.grid.grid_view import WINDOW_KEYS, Command, GalleryView, hint_text
from ui.grid.key_names import key_sequence
from ui.viewers.loupe import LoupeView
from ui.viewers.loupe_images import LoupeImages, screen_long_side
from ui.viewers.loupe_sync import LoupeSync
from ui.viewers.multi_views import MultiViews
from ui.rules.ordering import FILTERS
from ui.policy_controls import PolicyControls
from ui.grid.proxy import GalleryProxy
from ui.session_state import SessionState, load_state, save_state
from ui.actions.search_actions import SearchActions, SearchBar
from ui.status_bar import GalleryStatusBar
from ui.grid.thumbnails import ThumbnailCache, ThumbnailLoader, default_cache_dir
from ui.toolbars import ViewBar, WorkflowBar
from ui.actions.xmp_actions import XmpActions

if TYPE_CHECKING:
    from curator.catalog import GalleryRow
    from ui.background.watch_runner import WatchRunner

log = logging.getLogger(__name__)

POLL_MS = 1000  # catalog data_version poll: live updates land within ~1 s (+ the reload)
READ_ONLY = "This catalog is open read-only; decisions are not saved."


def describe_decision(changes: dict[str, Any]) -> str:
    if "flag" in changes:
        return {"pick": "Picked", "reject": "Rejected", None: "Unflagged"}[changes["flag"]]
    if "rating" in changes:
        n = changes["rating"]
        return "Rating cleared" if n == 0 else f"Rated {'★' * n}"
    if "label" in changes:
        return f"Label {changes['label']}" if changes["label"] else "Label cleared"
    return "Saved"


class GalleryWindow(QMainWindow):
    """The culling window over one catalog."""

    def __init__(self, settings: Settings, *, folder: str | None = None, readonly: bool = False,
                 cache_dir: Path | str | None = None, open_catalog: OpenCatalog | None = None, poll_ms: int = POLL_MS,
                 thumbnail_threads: int | None = None, remember: QSettings | None = None) -> None:
        """The window over `settings.db_path`, with the settings' flag policy, tiles and burst rules."""
        super().__init__()
        self.db_path = settings.db_path
        self.setWindowTitle(f"curator — {self.db_path.name}")
        self._open_error: str | None = None
        self._readonly = readonly
        self._selected_once = False
        self._folders: list[str] = []
        self._closed = False
        self.watch_runner: WatchRunner | None = None
        self.confirm: Callable[[str, str], bool] = self._ask  # replaceable (tests answer for the user)

        # data; the catalog is opened and read on the worker's thread once everything is connected
        self.model = GalleryModel(self)
        self.model.tile_number = settings.tile_number
        self.proxy = GalleryProxy(self)
        self.proxy.setSourceModel(self.model)
        if folder:
            self.proxy.set_folder(os.path.abspath(os.path.expanduser(folder)))
        cache = ThumbnailCache(Path(cache_dir) if cache_dir else default_cache_dir())
        self.loader = ThumbnailLoader(cache, max_threads=thumbnail_threads, parent=self)
        self.worker = CatalogWorker(self.db_path, readonly=readonly, open_catalog=open_catalog, settings=settings,
                                    parent=self)

        # widgets
        self.view = GalleryView()
        # The first load is laid out in batches, so a 100k catalog shows its first screen at
        # once; later changes lay out in one pass, which keeps the scroll position exact.
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(2000)
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(TileDelegate(self.loader, self.view))
        self.detail = DetailPane()
        self.detail.hide()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("central")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        # the grid (with its detail pane) and the loupe, one at a time
        self.loupe = LoupeView()
        self.loupe_images = LoupeImages(screen_long_side(), parent=self)
        self.stack = QStackedWidget()
        self.stack.setObjectName("views")
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.loupe)
        self.setCentralWidget(self.stack)
        self.policy = PolicyControls(settings.threshold, settings.bottom_percent, self)
        self.view_bar = ViewBar(self.policy, self.proxy.folder, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.view_bar)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.search_bar = SearchBar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.search_bar)
        self.workflow_bar = WorkflowBar(self.proxy.collapse_bursts, self)
        self.workflow_bar.show_scope(self.proxy.folder)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.workflow_bar)
        self.status = GalleryStatusBar(self.db_path, self)
        self.setStatusBar(self.status)
        self.bursts = BurstActions(self.view, self.model, self.worker, say=self.status.say,
                                   confirm=lambda title, text: self.confirm(title, text), can_write=self._can_write,
                                   folders=lambda: self._folders, parent=self)
        self.details = DetailSync(self.detail, self.view, self.model, self.splitter, self.loader, self.worker, self)
        self.loupe_sync = LoupeSync(self.loupe, self.view, self.model, self.worker, self.loupe_images, self.loader,
                                    self)
        self.multi = MultiViews(self.stack, self.view, self.model, self.worker, self.loupe_images,
                                decide_on=self.decide_on, say=self.status.say, back=self.back_to_grid, parent=self)
        # auto-advance after a decision (Caps Lock, as in Lightroom, or the toolbar)
        self.auto_advance_action = QAction("Auto-advance", self)
        self.auto_advance_action.setCheckable(True)
        self.auto_advance_action.setChecked(True)
        self.auto_advance_action.setToolTip("After a decision, move on to the next photo (Caps Lock)")
        self.workflow_bar.addAction(self.auto_advance_action)
        self.cheat_sheet = CheatSheet(self)
        self.xmp = XmpActions(self.worker, folder=lambda: self.proxy.folder, say=self.status.say, window=self)
        self.search = SearchActions(self.search_bar, self.view, self.proxy, self.worker, say=self.status.say,
                                    parent=self)
        self.duplicates = DuplicatesActions(self.worker, self.model, folder=lambda: self.proxy.folder,
                                            say=self.status.say, confirm=lambda title, text: self.confirm(title, text),
                                            can_write=self._can_write, window=self)
        # the window's own keys (WINDOW_KEYS: Ctrl+F), whatever view has the focus
        search_key = next(binding for binding, name in WINDOW_KEYS.items() if name == "search")
        self.find_shortcut = QShortcut(key_sequence(search_key), self)
        self.find_shortcut.activated.connect(self.search.open)
        self._update_hint()

        self._thumb_timer = QTimer(self, singleShot=True, interval=40)
        self._thumb_timer.timeout.connect(self.view.viewport().update)
        self._counts_timer = QTimer(self, singleShot=True, interval=120)
        self._counts_timer.timeout.connect(self._update_counts)
        self.poll_timer = QTimer(self, interval=poll_ms)
        self.poll_timer.timeout.connect(self._poll)
        self._reset_state: tuple[int | None, int] | None = None
        self._connect()
        self.worker.start()  # its results are queued signals, delivered once the event loop runs
        self.worker.reload()
        self._remember = remember  # where the window was left, restored now and saved on close
        self._restore_photo: int | None = None
        self.resize(*self._restore())
        self.poll_timer.start()
        self.view.setFocus()

    def _connect(self) -> None:
        w = self.worker
        for signal, slot in ((w.opened, self._on_opened), (w.openFailed, self._on_open_failed),
                             (w.rowsLoaded, self._on_rows), (w.foldersLoaded, self._on_folders),
                             (w.detailLoaded, self.details.detail_loaded),
                             (w.whyLoaded, self.details.why_loaded), (w.rowRefreshed, self._on_row_refreshed),
                             (w.decisionFailed, self._on_decision_failed), (w.flagsRecomputed, self._on_flags),
                             (w.policyLoaded, self._on_policy), (w.failed, self.status.say),
                             (w.burstsLoaded, self.bursts.on_bursts), (w.burstRejectDone, self.bursts.on_result),
                             (w.xmpWritten, self.xmp.on_written),
                             (w.keywordsLoaded, self.details.keywords_loaded)):
            signal.connect(slot)
        self._commands: dict[str, Callable[[], None]] = {
            "toggle_detail": self.toggle_detail, "open_detail": lambda: self.set_detail_visible(True),
            "close_detail": lambda: self.set_detail_visible(False), "toggle_heatmap": self.details.toggle_heatmap,
            "toggle_burst": self.bursts.toggle, "reject_burst_others": self.bursts.reject_one,
            "open_loupe": self.open_loupe, "open_loupe_zoomed": lambda: self.open_loupe(zoomed=True),
            "loupe:close": self.close_loupe, "loupe:next": lambda: self.loupe_sync.step(1),
            "loupe:previous": lambda: self.loupe_sync.step(-1), "loupe:zoom": self.loupe_sync.toggle_zoom,
            "loupe:heatmap": self.loupe_sync.toggle_heatmap,
            "undo": self.undo, "redo": self.redo, "open_compare": self.open_compare,
            "toggle_auto_advance": self.toggle_auto_advance, "cheat_sheet": self.cheat_sheet.show,
            "open_survey": self.open_survey,
        }
        self.view.command.connect(self._on_command)
        for view in (self.loupe, self.multi.compare, self.multi.survey):
            view.command.connect(self._on_command)
        w.detailLoaded.connect(self.multi.detail_loaded)
        self.view.doubleClicked.connect(lambda _idx: self.open_loupe())
        w.detailLoaded.connect(self.loupe_sync.detail_loaded)
        w.undone.connect(self.status.say)
        self.detail.marks.ratingClicked.connect(self._rate_shown)
        bar = self.view_bar
        bar.sortChosen.connect(self.set_sort)
        bar.filterChosen.connect(self.set_filter)
        bar.reasonChosen.connect(self.set_reason)
        bar.folderChosen.connect(self.set_folder)
        for done in (bar.done, self.policy.done):
            done.connect(self.view.setFocus)
        self.policy.changed.connect(self._reflag)
        flow = self.workflow_bar
        flow.collapseToggled.connect(self.bursts.set_collapsed)
        flow.tasteBadgeToggled.connect(self.set_taste_badge)
        flow.rejectBurst.connect(self.bursts.reject_one)
        flow.rejectInFolder.connect(self.bursts.reject_in_folder)
        flow.writeXmp.connect(self.write_xmp)
        flow.findDuplicates.connect(self.duplicates.open)
        self.bursts.countsChanged.connect(self._schedule_counts)
        self.proxy.countsChanged.connect(self._schedule_counts)
        self.proxy.modelAboutToBeReset.connect(self._before_proxy_reset)
        self.proxy.modelReset.connect(self._after_proxy_reset)
        self.loader.thumbnailReady.connect(self._on_thumbnail)

    # --- public actions -------------------------------------------------------------------------
    def set_taste_badge(self, shown: bool) -> None:
        """Show or hide each tile's taste value (the probability that you keep it)."""
        delegate = self.view.itemDelegate()
        if isinstance(delegate, TileDelegate):
            delegate.show_taste = shown
        self.workflow_bar.taste_action.setChecked(shown)
        self.view.viewport().update()

    def set_sort(self, kind: str) -> None:
        current = self.current_photo_id()
        self.proxy.set_sort(kind)
        self.view_bar.show_sort(kind)
        if current is not None:
            self.select_photo(current)

    def set_filter(self, name: str) -> None:
        current = self.current_photo_id()
        self.proxy.set_filter(name)
        self.view_bar.show_filter(name)
        self._update_hint()
        self.view.reselect(current)

    def set_reason(self, reason: str | None) -> None:
        """Show only the photos with this reason (None: every photo)."""
        current = self.current_photo_id()
        self.proxy.set_reason(reason)
        self.view_bar.show_reason(reason)
        self._update_hint()
        self.view.reselect(current)

    def set_folder(self, folder: str | None) -> None:
        current = self.current_photo_id()
        self.proxy.set_folder(folder)
        self.view_bar.show_folder(folder)
        self.loader.forget()  # the arch note: clear the pool when the folder changes
        self.workflow_bar.show_scope(folder)
        self.status.say("", "")  # the last folder's message ("XMP … written") is not this folder's
        self._update_hint()
        self.view.reselect(current)

    def current_photo_id(self) -> int | None:
        return self.view.current_photo_id()

    def current_row(self) -> GalleryRow | None:
        return self.view.current_row()

    def select_photo(self, photo_id: int, scroll: bool = True) -> bool:
        return self.view.select_photo(photo_id, scroll)

    def select_row(self, r: int, scroll: bool = True) -> None:
        self.view.select_row(r, scroll)

    def decide(self, changes: dict[str, Any]) -> None:
        """Save a decision for the current photo at once (as a user decision) and move to the next one.
        In compare or survey: on the photo with the outline. With several photos selected in the grid:
        on all of them, as one step."""
        shown = self.multi.current_row()
        if shown is not None:
            self.decide_on(shown.photo_id, changes)
            return
        idx = self.view.currentIndex()
        if not idx.isValid() or not self._can_write():
            return
        selected = self.view.selected_photo_ids() if not self.in_loupe() else []
        if len(selected) > 1:
            for pid in selected:
                self.model.apply_decision(pid, **changes)
            self.worker.set_decisions(selected, **changes)
            self.status.say(f"{describe_decision(changes)}: {len(selected)} photos")
            return
        r = idx.row()
        pid = self.proxy.row_at(r).photo_id
        changes = self._toggled_label(pid, changes)
        advance = self.auto_advance_action.isChecked()
        next_id = self.proxy.row_at(r + 1).photo_id if advance and r + 1 < self.proxy.rowCount() else None
        self.model.apply_decision(pid, **changes)
        self.worker.set_decision(pid, **changes)
        if next_id is not None and self.select_photo(next_id):
            pass
        elif not self.select_photo(pid) and self.proxy.rowCount():
            self.select_row(min(r, self.proxy.rowCount() - 1))
        badge = self.model.pair_badge(pid)
        self.status.say(describe_decision(changes) + (f" ({badge}: both files)" if badge else ""))

    def _rate_shown(self, stars: int) -> None:
        """A click on the detail pane's stars: rate the photo it shows (and stay on it)."""
        if self.detail.photo_id is not None:
            self.decide_on(self.detail.photo_id, {"rating": stars})

    def toggle_auto_advance(self) -> None:
        on = not self.auto_advance_action.isChecked()
        self.auto_advance_action.setChecked(on)
        self.status.say("Auto-advance " + ("on: a decision moves on to the next photo" if on else "off"))

    def _toggled_label(self, photo_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """A colour key on a photo that has that label already clears it (as in Lightroom)."""
        row = self.model.photo(photo_id)
        if "label" in changes and row is not None and row.label == changes["label"]:
            return {**changes, "label": None}
        return changes

    def decide_on(self, photo_id: int, changes: dict[str, Any]) -> None:
        """Save a decision for this photo, staying on it."""
        if not self._can_write():
            return
        changes = self._toggled_label(photo_id, changes)
        self.model.apply_decision(photo_id, **changes)
        self.worker.set_decision(photo_id, **changes)
        row = self.model.photo(photo_id)
        self.status.say(describe_decision(changes) + (f": {shown(row.name)}" if row is not None else ""))

    def undo(self) -> None:
        """Undo the last decision (Ctrl+Z): the catalog's thread keeps the session's history, in order."""
        if self._can_write():
            self.worker.undo()

    def redo(self) -> None:
        if self._can_write():
            self.worker.redo()

    def write_xmp(self, scope: str = "folder") -> None:
        self.xmp.write(scope)
        self.view.setFocus()

    def set_flag_policy(self, threshold: float | None, bottom_percent: float) -> None:
        """Set the toolbar controls (as a user would) and re-flag."""
        self.policy.show_policy(threshold, bottom_percent)
        self._reflag()

    def toggle_detail(self) -> None:
        self.set_detail_visible(not self.details.is_open())

    def set_detail_visible(self, visible: bool) -> None:
        self.details.set_visible(visible)

    # --- the loupe ----------------------------------------------------------------------------------
    def in_loupe(self) -> bool:
        return self.stack.currentWidget() is self.loupe

    def open_loupe(self, zoomed: bool = False) -> None:
        """The selected photo filling the window (E, Enter, double-click); Z from the grid opens it at 100 %."""
        if self.current_photo_id() is None:
            return
        self._leave_grid()
        self.stack.setCurrentWidget(self.loupe)
        self.loupe_sync.open()
        self.loupe.setFocus()
        if zoomed:
            self.loupe_sync.toggle_zoom()

    def open_compare(self) -> None:
        self._leave_grid()
        if not self.multi.open_compare():
            self.back_to_grid()

    def open_survey(self) -> None:
        self._leave_grid()
        if not self.multi.open_survey():
            self.back_to_grid()

    def view_name(self) -> str:
        """"grid", "loupe", "compare" or "survey": what the window shows."""
        shown = self.stack.currentWidget()
        names: dict[QWidget, str] = {self.loupe: "loupe", self.multi.compare: "compare", self.multi.survey: "survey"}
        return names.get(shown, "grid") if shown is not None else "grid"

    def _leave_grid(self) -> None:
        for bar in (self.view_bar, self.workflow_bar):  # the photo gets the whole window
            bar.hide()

    def close_loupe(self) -> None:
        self.back_to_grid()

    def back_to_grid(self) -> None:
        """Back to the grid (Esc), on the photo the loupe showed."""
        if self.in_loupe():
            self.loupe_sync.close()
        self.stack.setCurrentWidget(self.splitter)
        for bar in (self.view_bar, self.workflow_bar):
            bar.show()
        idx = self.view.currentIndex()
        if idx.isValid():
            self.view.scrollTo(idx)
        self.details.sync()  # the pane names the photo the keys now act on
        self.view.setFocus()

    def set_watch_runner(self, runner: WatchRunner) -> None:
        self.watch_runner = runner
        self.status.show_watch(f"Watching {len(runner.dirs)} folder{'s' if len(runner.dirs) != 1 else ''}…")
        runner.status.connect(self.set_watch_status)
        runner.stopped.connect(self.status.watch_stopped)

    def set_watch_status(self, status: Any) -> None:
        from ui.background.watch_runner import describe_status

        n = len(self.watch_runner.dirs) if self.watch_runner is not None else 1
        self.status.show_watch(describe_status(status, n))
        self.worker.poll()  # a score just landed: look now rather than at the next tick

    def _can_write(self) -> bool:
        if self._readonly:
            self.status.say(READ_ONLY)
        return not self._readonly

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _on_command(self, command: Command) -> None:
        if command.name == "decide":
            self.decide(dict(command.changes))
        elif command.name in self._commands:
            self._commands[command.name]()
        elif command.name.startswith("filter:"):
            self.set_filter(command.name.partition(":")[2])
        else:
            self.multi.handle(command)

    # --- catalog results ------------------------------------------------------------------------
    def _on_opened(self, readonly: bool, why: str) -> None:
        self._readonly = readonly
        if readonly:
            self.status.show_read_only()
            self.status.say(f"Catalog opened read-only ({why}): decisions will not be saved.")

    def _on_open_failed(self, message: str) -> None:
        self._open_error = message
        self.poll_timer.stop()
        self.model.set_rows([])
        self._update_hint()
        self.status.say(f"Cannot open the catalog: {message}")
        self.view.viewport().update()

    def _on_rows(self, rows: list[GalleryRow]) -> None:
        first = not self.model.loaded
        current = self.current_photo_id()
        scroll = self.view.verticalScrollBar().value()
        self.model.set_rows(rows)
        if first:
            self.policy.set_scores([r.fused for r in rows if r.fused is not None])
            # the batches of this first layout go on by themselves (QListView's timer)
            QTimer.singleShot(0, lambda: self.view.setLayoutMode(QListView.LayoutMode.SinglePass))
            # bursts are grouped once the first screen is up (the catalog thread then works in slices);
            # always, so that "reject all but the best" knows them with bursts shown frame by frame too
            QTimer.singleShot(150, lambda: self.worker.set_bursts_enabled(True))
        if current is not None and self.current_photo_id() != current:
            if self.select_photo(current, scroll=False):
                self.view.verticalScrollBar().setValue(scroll)
        if not self._selected_once and self.proxy.rowCount():
            self._selected_once = True
            if self._restore_photo is None or not self.select_photo(self._restore_photo):
                self.select_row(0, scroll=False)
        self._update_hint()
        self._schedule_counts()
        self.details.rows_reloaded()
        self.loupe_sync.row_changed()

    def _on_policy(self, policy: tuple[float | None, float] | None) -> None:
        """The policy the catalog's flags were last computed with wins over the settings' defaults."""
        if policy is not None:
            self.policy.show_policy(policy[0], policy[1])

    def _on_folders(self, folders: list[str]) -> None:
        self._folders = list(folders)
        self.view_bar.set_folders(folders)

    def _on_row_refreshed(self, row: GalleryRow) -> None:
        current = self.current_photo_id()
        self.model.update_row(row)
        if current is not None and self.current_photo_id() != current:
            self.select_photo(current)
        self.details.row_refreshed(row)
        self.loupe_sync.row_changed()
        self.multi.row_changed(row)

    def _on_decision_failed(self, photo_id: int, message: str) -> None:
        self.status.say(f"Decision not saved: {message}")

    def _on_flags(self, n: int) -> None:
        self.status.say("Re-flagged: " + self.policy.describe())

    # --- reactions ------------------------------------------------------------------------------
    def _on_thumbnail(self, photo_id: int) -> None:
        # Thumbnails arrive in bursts: repaint the visible tiles once per burst (cheap), rather
        # than asking the view for each tile's rectangle (which may force a layout first).
        if not self._thumb_timer.isActive():
            self._thumb_timer.start()

    def _before_proxy_reset(self) -> None:
        self._reset_state = (self.current_photo_id(), self.view.verticalScrollBar().value())

    def _after_proxy_reset(self) -> None:
        state, self._reset_state = self._reset_state, None
        if state is None:
            return
        pid, scroll = state
        if pid is not None and self.select_photo(pid, scroll=False):
            QTimer.singleShot(0, lambda: self.view.verticalScrollBar().setValue(scroll))

    def _poll(self) -> None:
        self.status.show_busy(*self.worker.busy_for())
        if self._open_error is None:
            self.worker.poll()

    def _reflag(self) -> None:
        if self._readonly:
            self.status.say("This catalog is open read-only; flags cannot be recomputed.")
            return
        self.status.say("Re-flagging…")
        self.worker.recompute_flags(self.policy.threshold, self.policy.bottom_percent, None)

    # --- labels ---------------------------------------------------------------------------------
    def _schedule_counts(self) -> None:
        self._counts_timer.start()

    def _update_counts(self) -> None:
        counts = self.proxy.counts()
        self.view_bar.show_counts(counts, filtered=self.proxy.filter_name != "all" or self.proxy.reason is not None)
        self.status.show_counts(counts)

    def _update_hint(self) -> None:
        filter_label = dict(FILTERS).get(self.proxy.filter_name, self.proxy.filter_name)
        if self.proxy.reason is not None:
            filter_label += f", reason {self.proxy.reason}"
        self.view.hint = hint_text(self.db_path, self._open_error, self.model.loaded, self.model.rowCount(),
                                   filter_label, self.proxy.folder)
        self.view.viewport().update()

    # --- shutdown -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def _restore(self) -> tuple[int, int]:
        """The window's size, and the folder, filter and sort it was left with (the photo once loaded)."""
        from PySide6.QtGui import QGuiApplication

        screen = QGuiApplication.primaryScreen()
        size = (1440, 900)
        if screen is not None:  # the screen's available size, as a first guess
            avail = screen.availableGeometry()
            size = (min(1440, avail.width()), min(900, avail.height()))
        state = load_state(self._remember, self.db_path) if self._remember is not None else None
        if state is None:
            return size
        try:
            if state.folder and self.proxy.folder is None:
                self.set_folder(state.folder)
            self.set_filter(state.filter)
            self.set_sort(state.sort)
        except ValueError:  # a filter or sort this version does not have
            pass
        self._restore_photo = state.photo_id
        return state.size or size

    def save_state(self) -> None:
        if self._remember is not None:
            save_state(self._remember, self.db_path, SessionState(
                self.proxy.folder, self.proxy.filter_name, self.proxy.sort_kind, self.current_photo_id(),
                (self.width(), self.height())))

    def shutdown(self) -> None:
        if self._closed:
            return
        self.save_state()
        self._closed = True
        self.poll_timer.stop()
        self.policy.stop()
        if self.watch_runner is not None:
            self.status.show_watch("Stopping the watcher…")
            self.watch_runner.stop()
        self.loader.shutdown()
        self.loupe_images.shutdown()
        self.worker.stop()
