"""The gallery window: toolbar, thumbnail grid, detail pane, status bar, keyboard culling."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QLabel, QListView, QMainWindow, QMenu, QMessageBox,
                               QSizePolicy, QSlider, QSpinBox, QSplitter, QToolBar, QToolButton, QWidget)

from ui import theme
from ui.catalog_actions import XmpResult
from ui.catalog_worker import CatalogWorker
from ui.delegate import TILE, TileDelegate
from ui.detail import DetailPane
from ui.gallery_model import GalleryModel
from ui.proxy import FILTERS, SORTS, GalleryProxy, in_folder
from ui.thumbnails import ThumbnailCache, ThumbnailLoader, default_cache_dir

log = logging.getLogger(__name__)

POLL_MS = 1000  # catalog data_version poll: live updates land within ~1 s (+ the reload)
BUSY_AFTER_S = 1.0  # a catalog request slower than this is shown as "busy"
REFLAG_DEBOUNCE_MS = 250
SLIDER_STEPS = 1000

# key -> decision
DECISION_KEYS: dict[int, dict[str, Any]] = {
    int(Qt.Key.Key_P): {"flag": "pick"},
    int(Qt.Key.Key_X): {"flag": "reject"},
    int(Qt.Key.Key_U): {"flag": None},
    **{int(Qt.Key.Key_0) + n: {"rating": n} for n in range(6)},
}
# expand / collapse the burst under the selection: S as Lightroom's stack key, B for "burst"
BURST_KEYS = (int(Qt.Key.Key_S), int(Qt.Key.Key_B))
KEYS_HINT = "P pick · X reject · U unflag · 0–5 rate · S burst · ⇧X keep best · Enter details · H heatmap"


class GalleryView(QListView):
    """The grid. Culling keys become signals; navigation keys are QListView's own."""

    decisionKey = Signal(dict)
    toggleDetail = Signal()
    closeDetail = Signal()
    openDetail = Signal()
    toggleHeatmap = Signal()
    toggleBurst = Signal()
    rejectBurstOthers = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A wrapping list, not IconMode: the same grid on screen, but IconMode asks the model
        # for every index twice as often on each layout (100k photos: 0.5 s more to open).
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setGridSize(TILE)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        self.setMouseTracking(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hint = ""
        self._hint_font = QFont()
        self._hint_font.setPixelSize(13)
        self._title_font = QFont()
        self._title_font.setPixelSize(20)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods == Qt.KeyboardModifier.NoModifier:
            if key in DECISION_KEYS:
                self.decisionKey.emit(dict(DECISION_KEYS[key]))
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
                self.toggleDetail.emit()
                return
            if key in (Qt.Key.Key_Escape, Qt.Key.Key_G):
                self.closeDetail.emit()
                return
            if key == Qt.Key.Key_E:
                self.openDetail.emit()
                return
            if key == Qt.Key.Key_H:
                self.toggleHeatmap.emit()
                return
            if key in BURST_KEYS:
                self.toggleBurst.emit()
                return
        elif mods == Qt.KeyboardModifier.ShiftModifier and key == Qt.Key.Key_X:
            self.rejectBurstOthers.emit()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        model = self.model()
        if self.hint and (model is None or model.rowCount() == 0):
            title, _, body = self.hint.partition("\n")
            p = QPainter(self.viewport())
            area = self.viewport().rect().adjusted(40, 40, -40, -40)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
            body = body.strip("\n")
            title_h = QFontMetrics(self._title_font).height() + 14
            p.setFont(self._hint_font)
            body_h = p.boundingRect(area, flags, body).height() if body else 0
            top = area.top() + max(0, (area.height() - title_h - body_h) // 2)
            p.setPen(theme.TEXT)
            p.setFont(self._title_font)
            p.drawText(QRect(area.left(), top, area.width(), title_h), flags | Qt.AlignmentFlag.AlignTop, title)
            if body:
                p.setPen(theme.TEXT_DIM)
                p.setFont(self._hint_font)
                p.drawText(QRect(area.left(), top + title_h, area.width(), body_h + 4),
                           flags | Qt.AlignmentFlag.AlignTop, body)
            p.end()


def _short_folder(path: str) -> str:
    parts = Path(path).parts
    return os.path.join(*parts[-2:]) if len(parts) >= 2 else path


def _sync_combo(box: QComboBox, value: Any) -> None:
    """Show this value in a toolbar box without its currentIndexChanged (the caller has applied it)."""
    i = box.findData(value)
    if i >= 0 and i != box.currentIndex():
        blocked = box.blockSignals(True)
        box.setCurrentIndex(i)
        box.blockSignals(blocked)


class GalleryWindow(QMainWindow):
    """The culling window over one catalog."""

    def __init__(self, db_path: Path | str, *, folder: str | None = None, threshold: float | None = None,
                 bottom_percent: float = 15.0, readonly: bool = False, cache_dir: Path | str | None = None,
                 open_catalog: Callable[[Path, bool], Any] | None = None, poll_ms: int = POLL_MS,
                 thumbnail_threads: int | None = None, settings: Any = None) -> None:
        super().__init__()
        self.setWindowTitle(f"curator — {Path(db_path).name}")
        self.db_path = Path(db_path)
        self._open_error: str | None = None
        self._readonly = readonly
        self._threshold = threshold
        self._bottom = bottom_percent
        self._score_span: tuple[float, float] | None = None
        self._selected_once = False
        self._folders: list[str] = []
        self.last_xmp: XmpResult | None = None  # the last "Write XMP" report
        self.last_burst_reject: Any = None  # the last "reject all but the best" result
        self._xmp_dialog: QMessageBox | None = None
        self.confirm: Callable[[str, str], bool] = self._ask  # replaceable (tests answer for the user)

        # data
        self.model = GalleryModel(self)
        self.proxy = GalleryProxy(self)
        self.proxy.setSourceModel(self.model)
        if folder:
            self.proxy.set_folder(os.path.abspath(os.path.expanduser(folder)))
        cache = ThumbnailCache(Path(cache_dir) if cache_dir else default_cache_dir())
        self.loader = ThumbnailLoader(cache, max_threads=thumbnail_threads, parent=self)
        self.worker = CatalogWorker(self.db_path, readonly=readonly, open_catalog=open_catalog, settings=settings,
                                    parent=self)
        # Open and read the catalog while the widgets are built: results are queued signals,
        # delivered once the event loop runs, after this constructor.
        self.worker.opened.connect(self._on_opened)
        self.worker.openFailed.connect(self._on_open_failed)
        self.worker.rowsLoaded.connect(self._on_rows)
        self.worker.foldersLoaded.connect(self._on_folders)
        self.worker.detailLoaded.connect(self._on_detail)
        self.worker.rowRefreshed.connect(self._on_row_refreshed)
        self.worker.decisionFailed.connect(self._on_decision_failed)
        self.worker.flagsRecomputed.connect(self._on_flags_recomputed)
        self.worker.policyLoaded.connect(self._on_policy)
        self.worker.failed.connect(self._show_message)
        self.worker.burstsLoaded.connect(self._on_bursts)
        self.worker.burstRejectDone.connect(self._on_burst_reject_done)
        self.worker.xmpWritten.connect(self._on_xmp_written)
        self.worker.start()
        self.worker.reload()

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
        self.setCentralWidget(self.splitter)
        self._build_toolbar()
        self._build_workflow_bar()
        self._build_status_bar()
        self._update_hint()

        # signals
        self.view.decisionKey.connect(self.decide)
        self.view.toggleDetail.connect(self.toggle_detail)
        self.view.openDetail.connect(lambda: self.set_detail_visible(True))
        self.view.closeDetail.connect(lambda: self.set_detail_visible(False))
        self.view.toggleHeatmap.connect(self._toggle_heatmap)
        self.view.toggleBurst.connect(self.toggle_burst)
        self.view.rejectBurstOthers.connect(self.reject_burst_others)
        self.view.doubleClicked.connect(lambda _idx: self.toggle_detail())
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.proxy.countsChanged.connect(self._schedule_counts)
        self.proxy.modelReset.connect(self._after_proxy_reset)
        self.loader.thumbnailReady.connect(self._on_thumbnail)
        self.loader.previewReady.connect(self.detail.set_preview)
        self.loader.previewFailed.connect(self.detail.preview_failed)

        self._thumb_timer = QTimer(self, singleShot=True, interval=40)
        self._thumb_timer.timeout.connect(self.view.viewport().update)
        self._counts_timer = QTimer(self, singleShot=True, interval=120)
        self._counts_timer.timeout.connect(self._update_counts)
        self._reflag_timer = QTimer(self, singleShot=True, interval=REFLAG_DEBOUNCE_MS)
        self._reflag_timer.timeout.connect(self._reflag)
        self.poll_timer = QTimer(self, interval=poll_ms)
        self.poll_timer.timeout.connect(self._poll)
        self._reset_state: tuple[int | None, int] | None = None
        self.proxy.modelAboutToBeReset.connect(self._before_proxy_reset)
        self.watch_runner: Any = None
        self._closed = False

        self.resize(1440, 900)
        self.poll_timer.start()
        self.view.setFocus()

    # --- layout ---------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Gallery")
        bar.setMovable(False)
        bar.setFloatable(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        def label(text: str) -> QLabel:
            w = QLabel(text)
            return w

        self.sort_box = QComboBox()
        for key, text in SORTS:
            self.sort_box.addItem(text, key)
        self.sort_box.currentIndexChanged.connect(lambda _i: self.set_sort(self.sort_box.currentData()))
        self.filter_box = QComboBox()
        for key, text in FILTERS:
            self.filter_box.addItem(text, key)
        self.filter_box.currentIndexChanged.connect(lambda _i: self.set_filter(self.filter_box.currentData()))
        self.folder_box = QComboBox()
        self.folder_box.setMinimumContentsLength(18)
        self.folder_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.folder_box.addItem("All folders", None)
        if self.proxy.folder:
            self.folder_box.addItem(_short_folder(self.proxy.folder), self.proxy.folder)
            self.folder_box.setCurrentIndex(1)
        self.folder_box.currentIndexChanged.connect(self._on_folder_chosen)

        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, SLIDER_STEPS)
        self.threshold_slider.setFixedWidth(150)
        self.threshold_slider.setToolTip("Flag every photo scoring below this as weak (far left: off)")
        self.threshold_slider.valueChanged.connect(self._on_threshold_moved)
        self.threshold_label = QLabel("off")
        self.threshold_label.setMinimumWidth(44)
        self.bottom_spin = QSpinBox()
        self.bottom_spin.setRange(0, 100)
        self.bottom_spin.setSuffix(" %")
        self.bottom_spin.setValue(int(round(self._bottom)))
        self.bottom_spin.setToolTip("Flag the bottom N% of each folder (shoot) as weak; 0 turns it off")
        self.bottom_spin.valueChanged.connect(self._on_bottom_changed)
        for w in (self.sort_box, self.filter_box, self.folder_box, self.threshold_slider, self.bottom_spin):
            w.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for box in (self.sort_box, self.filter_box, self.folder_box):  # back to culling after a choice
            box.activated.connect(lambda _i: self.view.setFocus())
        self.threshold_slider.sliderReleased.connect(self.view.setFocus)
        self.bottom_spin.editingFinished.connect(self.view.setFocus)

        bar.addWidget(label("Sort"))
        bar.addWidget(self.sort_box)
        bar.addSeparator()
        bar.addWidget(label("Show"))
        bar.addWidget(self.filter_box)
        bar.addWidget(label("in"))
        bar.addWidget(self.folder_box)
        bar.addSeparator()
        bar.addWidget(label("Weak below"))
        bar.addWidget(self.threshold_slider)
        bar.addWidget(self.threshold_label)
        bar.addWidget(label("or bottom"))
        bar.addWidget(self.bottom_spin)
        bar.addWidget(label("per folder"))
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.count_label = QLabel("")
        self.count_label.setObjectName("countLabel")
        bar.addWidget(self.count_label)
        self._set_threshold_label()

    def _build_workflow_bar(self) -> None:
        """Under the grid, as Lightroom's toolbar: bursts and sidecars, and the keys."""
        bar = QToolBar("Workflow")
        bar.setObjectName("workflowBar")
        bar.setMovable(False)
        bar.setFloatable(False)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)

        self.collapse_action = QAction("Collapse bursts", self)
        self.collapse_action.setCheckable(True)
        self.collapse_action.setChecked(self.proxy.collapse_bursts)
        self.collapse_action.setToolTip("Show each burst as one tile, its best frame on top with the number of "
                                        "frames (S or B expands or collapses the burst under the selection)")
        self.collapse_action.toggled.connect(self.set_collapse_bursts)
        bar.addAction(self.collapse_action)

        self.reject_burst_action = QAction("Reject all but the best in this burst", self)
        self.reject_burst_action.setShortcut("Shift+X")
        self.reject_burst_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the grid's key does it
        self.reject_burst_action.triggered.connect(self.reject_burst_others)
        self.reject_folder_action = QAction("Reject all but the best in every burst here…", self)
        self.reject_folder_action.triggered.connect(self.reject_bursts_in_folder)
        menu = QMenu(self)
        menu.addAction(self.reject_burst_action)
        menu.addAction(self.reject_folder_action)
        self.keep_best_button = QToolButton()
        self.keep_best_button.setText("Reject all but the best")
        self.keep_best_button.setToolTip("Reject all but the best frame of the selected burst (Shift+X), or of "
                                         "every burst in the folder. Frames you decided on and bracketed "
                                         "exposures are never rejected.")
        self.keep_best_button.setMenu(menu)
        self.keep_best_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.keep_best_button.clicked.connect(self.reject_burst_others)
        bar.addWidget(self.keep_best_button)
        bar.addSeparator()

        self.xmp_folder_action = QAction("Write XMP for this folder", self)
        self.xmp_folder_action.triggered.connect(lambda: self.write_xmp("folder"))
        self.xmp_all_action = QAction("Write XMP for every folder", self)
        self.xmp_all_action.triggered.connect(lambda: self.write_xmp("all"))
        xmp_menu = QMenu(self)
        xmp_menu.addAction(self.xmp_folder_action)
        xmp_menu.addAction(self.xmp_all_action)
        self.xmp_button = QToolButton()
        self.xmp_button.setText("Write XMP")
        self.xmp_button.setToolTip("Write the decisions (rating, label, reject) to XMP sidecars that Lightroom, "
                                   "darktable and digiKam read: the chosen folder, or every folder")
        self.xmp_button.setMenu(xmp_menu)
        self.xmp_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.xmp_button.clicked.connect(lambda: self.write_xmp("folder"))
        bar.addWidget(self.xmp_button)
        self._update_scope_actions()
        for w in (self.keep_best_button, self.xmp_button, bar.widgetForAction(self.collapse_action)):
            if w is not None:
                w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the grid
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.keys_label = QLabel(KEYS_HINT)
        self.keys_label.setObjectName("keysLabel")
        bar.addWidget(self.keys_label)

    def _update_scope_actions(self) -> None:
        """The menu entries that act on "this folder" say which folder that is."""
        folder = self.proxy.folder
        where = f"“{_short_folder(folder)}”" if folder else "every folder"
        self.reject_folder_action.setText(f"Reject all but the best in every burst of {where}…")
        self.xmp_folder_action.setText(f"Write XMP for {where}")
        self.xmp_folder_action.setVisible(folder is not None)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        sb.setSizeGripEnabled(False)
        self.summary_label = QLabel("")
        self.message_label = QLabel("")
        self.busy_label = QLabel("")
        self.busy_label.setStyleSheet(f"color: {theme.WEAK.name()};")
        self.watch_label = QLabel("")
        self.catalog_label = QLabel(str(self.db_path))
        sb.addWidget(self.summary_label)
        sb.addWidget(self.message_label, 1)
        sb.addWidget(self.busy_label)
        sb.addPermanentWidget(self.watch_label)
        sb.addPermanentWidget(self.catalog_label)

    # --- public actions -------------------------------------------------------------------------
    def set_sort(self, kind: str) -> None:
        current = self.current_photo_id()
        self.proxy.set_sort(kind)
        _sync_combo(self.sort_box, kind)
        if current is not None:
            self.select_photo(current)

    def set_filter(self, name: str) -> None:
        current = self.current_photo_id()
        self.proxy.set_filter(name)
        _sync_combo(self.filter_box, name)
        self._update_hint()
        self._reselect_after_change(current)

    def set_folder(self, folder: str | None) -> None:
        current = self.current_photo_id()
        self.proxy.set_folder(folder)
        if folder and self.folder_box.findData(folder) < 0:
            self.folder_box.addItem(_short_folder(folder), folder)
        _sync_combo(self.folder_box, folder)
        self.loader.forget()  # the arch note: clear the pool when the folder changes
        self._update_scope_actions()
        self._update_hint()
        self._reselect_after_change(current)

    def current_photo_id(self) -> int | None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return None
        return self.proxy.row_at(idx.row()).photo_id

    def current_row(self) -> Any | None:
        idx = self.view.currentIndex()
        return self.proxy.row_at(idx.row()) if idx.isValid() else None

    def select_photo(self, photo_id: int, scroll: bool = True) -> bool:
        r = self.proxy.proxy_row_for_id(photo_id)
        if r is None:
            return False
        self.select_row(r, scroll)
        return True

    def select_row(self, r: int, scroll: bool = True) -> None:
        if r < 0 or r >= self.proxy.rowCount():
            return
        idx = self.proxy.index(r, 0)
        self.view.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if scroll:
            self.view.scrollTo(idx)

    def decide(self, changes: dict[str, Any]) -> None:
        """Save a decision for the current photo at once (as a user decision) and move to the next one."""
        idx = self.view.currentIndex()
        if not idx.isValid():
            return
        if self._readonly:
            self._show_message("This catalog is open read-only; decisions are not saved.")
            return
        r = idx.row()
        pid = self.proxy.row_at(r).photo_id
        next_id = self.proxy.row_at(r + 1).photo_id if r + 1 < self.proxy.rowCount() else None
        self.model.apply_decision(pid, **changes)
        self.worker.set_decision(pid, **changes)
        if next_id is not None and self.select_photo(next_id):
            pass
        elif not self.select_photo(pid) and self.proxy.rowCount():
            self.select_row(min(r, self.proxy.rowCount() - 1))
        badge = self.model.pair_badge(pid)
        self._show_message(_describe_decision(changes) + (f" ({badge}: both files)" if badge else ""))

    # --- bursts -----------------------------------------------------------------------------------
    def set_collapse_bursts(self, on: bool) -> None:
        """Show each burst as one tile (the toolbar's "Collapse bursts")."""
        current = self.current_photo_id()
        self.proxy.set_collapse_bursts(on)
        if self.collapse_action.isChecked() != on:
            self.collapse_action.blockSignals(True)
            self.collapse_action.setChecked(on)
            self.collapse_action.blockSignals(False)
        self._keep_selection(current)
        self._schedule_counts()
        self.view.setFocus()

    def toggle_burst(self) -> None:
        """Expand or collapse the burst under the selection (S or B)."""
        pid = self.current_photo_id()
        if pid is None:
            return
        group = self.model.burst_of(pid)
        if group is None:
            self._show_message("Not part of a burst")
            return
        if not self.proxy.collapse_bursts:
            self._show_message("Bursts are shown frame by frame; turn on “Collapse bursts” to stack them")
            return
        expand = not self.proxy.is_expanded(group)
        self.proxy.set_expanded(group, expand)
        self._keep_selection(pid)
        kind = "bracket" if group.is_bracket else "burst"
        self._show_message(f"{kind.capitalize()} of {group.size} " + ("expanded" if expand else "collapsed"))

    def reject_burst_others(self) -> None:
        """"Reject all but the best" in the burst under the selection (Shift+X), then go to the next tile."""
        pid = self.current_photo_id()
        if pid is None:
            return
        if self._readonly:
            self._show_message("This catalog is open read-only; decisions are not saved.")
            return
        group = self.model.burst_of(pid)
        if group is None:
            self._show_message("Not part of a burst: nothing to reject")
            return
        self.worker.reject_burst(pid)
        self._show_message("Rejecting all but the best of this burst…")
        r = self.proxy.proxy_row_for_id(pid)
        if r is not None:  # on to the first tile after this burst
            for nxt in range(r + 1, self.proxy.rowCount()):
                if self.proxy.row_at(nxt).photo_id not in group.ids:
                    self.select_row(nxt)
                    break

    def reject_bursts_in_folder(self) -> None:
        """"Reject all but the best" in every burst of the chosen folder (all folders when none is chosen),
        after a dry run and the user's yes."""
        if self._readonly:
            self._show_message("This catalog is open read-only; decisions are not saved.")
            return
        self.worker.reject_bursts(self._folders_in_scope(), dry_run=True)
        self._show_message("Looking for bursts…")

    def _folders_in_scope(self) -> list[str] | None:
        chosen = self.proxy.folder
        if chosen is None:
            return None
        return [f for f in self._folders if in_folder(f, chosen)] or [chosen]

    def _scope_text(self) -> str:
        return f"in {_short_folder(self.proxy.folder)}" if self.proxy.folder else "in every folder"

    def _on_burst_reject_done(self, result: Any) -> None:
        self.last_burst_reject = result
        n, b = len(result.rejected), result.bursts
        if result.scope == "folders" and result.dry_run:
            if not n:
                self._show_message(f"No frames to reject {self._scope_text()}: no burst has one that is scored, "
                                   "undecided and not bracketed")
                return
            text = (f"Reject {n} frame{'s' * (n != 1)} in {b} burst{'s' * (b != 1)} {self._scope_text()}?\n\n"
                    "The best frame of each burst is kept. Frames you already decided on (a flag, stars or a "
                    "label) and bracketed exposures are never rejected.")
            if self.confirm("Reject all but the best", text):
                self.worker.reject_bursts(result.folders, dry_run=False)
                self._show_message("Rejecting…")
            else:
                self._show_message("Nothing rejected")
            return
        if result.note and not n:
            self._show_message(f"Nothing rejected: {result.note}")
        elif result.scope == "burst":
            self._show_message(f"Rejected {n} frame{'s' * (n != 1)} of the burst; kept the best")
        else:
            self._show_message(f"Rejected {n} frame{'s' * (n != 1)} in {b} burst{'s' * (b != 1)}; kept the best "
                               "of each")

    def _on_bursts(self, by_folder: dict[str, Any]) -> None:
        current = self.current_photo_id()
        self.model.set_bursts(by_folder)
        self._keep_selection(current)
        self._schedule_counts()

    def _keep_selection(self, photo_id: int | None) -> None:
        """After tiles were stacked or unstacked: select the tile that now shows this photo."""
        if photo_id is None:
            return
        if self.current_photo_id() == photo_id and self.proxy.proxy_row_for_id(photo_id) is not None:
            return
        shown = self.proxy.shown_id_for(photo_id)
        if shown is not None:
            self.select_photo(shown)
        elif self.proxy.rowCount() and self.current_photo_id() is None:
            self.select_row(0)

    # --- XMP ------------------------------------------------------------------------------------
    def write_xmp(self, scope: str = "folder") -> None:
        """Write decisions to XMP sidecars, on the catalog thread: the chosen folder ("folder"; every folder
        when none is chosen) or every folder ("all")."""
        roots = [self.proxy.folder] if scope == "folder" and self.proxy.folder else None
        self.worker.write_xmp(roots)
        where = _short_folder(roots[0]) if roots else "every folder"
        self._show_message(f"Writing XMP sidecars for {where}…")
        self.view.setFocus()

    def _on_xmp_written(self, result: XmpResult) -> None:
        self.last_xmp = result
        where = _short_folder(result.roots[0]) if len(result.roots) == 1 else f"{len(result.roots)} folders"
        parts = [f"XMP ({result.naming}) for {where}: {result.written} written", f"{result.unchanged} unchanged"]
        if result.clashes:
            parts.append(f"{len(result.clashes)} clash{'es' * (len(result.clashes) != 1)}")
        if result.failures:
            parts.append(f"{len(result.failures)} failed")
        text = " · ".join(parts)
        self._show_message(text)
        problems = list(result.clashes) + list(result.failures)
        self.message_label.setToolTip("\n".join(problems[:20]))
        if problems:
            self._show_xmp_problems(text, problems)

    def _show_xmp_problems(self, summary: str, problems: list[str]) -> None:
        """A small non-modal dialog: clashes and failures need reading, not just a status line."""
        if self._xmp_dialog is not None:
            self._xmp_dialog.close()
        box = QMessageBox(self)
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
        self._xmp_dialog = box

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def toggle_detail(self) -> None:
        self.set_detail_visible(not self.detail.isVisible())

    def set_detail_visible(self, visible: bool) -> None:
        if visible == self.detail.isVisible():
            return
        if visible:
            self.detail.show()
            total = max(self.splitter.width(), 800)
            self.splitter.setSizes([total - max(420, total * 2 // 5), max(420, total * 2 // 5)])
            self._show_current_detail()
        else:
            self.detail.hide()
        idx = self.view.currentIndex()
        if idx.isValid():
            QTimer.singleShot(0, lambda: self.view.scrollTo(self.view.currentIndex()))
        self.view.setFocus()

    def set_watch_runner(self, runner: Any) -> None:
        self.watch_runner = runner
        self.watch_label.setText(f"Watching {len(runner.dirs)} folder{'s' if len(runner.dirs) != 1 else ''}…")
        runner.status.connect(self.set_watch_status)
        runner.stopped.connect(self._on_watch_stopped)

    def set_watch_status(self, status: Any) -> None:
        from ui.watch import describe_status

        n = len(self.watch_runner.dirs) if self.watch_runner is not None else 1
        self.watch_label.setText(describe_status(status, n))
        self.worker.poll()  # a score just landed: look now rather than at the next tick

    # --- catalog results ------------------------------------------------------------------------
    def _on_opened(self, readonly: bool, why: str) -> None:
        self._readonly = readonly
        if readonly:
            self.catalog_label.setText(f"{self.db_path} (read-only)")
            self._show_message(f"Catalog opened read-only ({why}): decisions will not be saved.")

    def _on_open_failed(self, message: str) -> None:
        self._open_error = message
        self.poll_timer.stop()
        self.model.set_rows([])
        self._update_hint()
        self._show_message(f"Cannot open the catalog: {message}")
        self.view.viewport().update()

    def _on_rows(self, rows: list[Any]) -> None:
        first = not self.model.loaded
        current = self.current_photo_id()
        scroll = self.view.verticalScrollBar().value()
        self.model.set_rows(rows)
        if first:
            self._init_threshold_range(rows)
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
            self.select_row(0, scroll=False)
        self._update_hint()
        self._schedule_counts()
        if self.detail.isVisible():
            row = self.current_row()
            if row is not None and self.detail.row is not None and row.photo_id == self.detail.photo_id \
                    and row != self.detail.row:
                rescored = row.fused != self.detail.row.fused
                self._detail_show_row(row)
                if rescored or self.detail.detail is None:
                    self.worker.load_detail(row.photo_id)  # new windows for the heatmap

    def _on_policy(self, policy: tuple[float | None, float] | None) -> None:
        """The policy the catalog's flags were last computed with wins over the settings' defaults."""
        if policy is None:
            return
        self._threshold, self._bottom = policy[0], float(policy[1])
        self.bottom_spin.blockSignals(True)
        self.bottom_spin.setValue(int(round(self._bottom)))
        self.bottom_spin.blockSignals(False)
        if self._score_span is not None:
            self.threshold_slider.blockSignals(True)
            self.threshold_slider.setValue(self._threshold_to_slider(self._threshold))
            self.threshold_slider.blockSignals(False)
        self._set_threshold_label()

    def _on_folders(self, folders: list[str]) -> None:
        self._folders = list(folders)
        current = self.folder_box.currentData()
        self.folder_box.blockSignals(True)
        self.folder_box.clear()
        self.folder_box.addItem("All folders", None)
        for f in folders:
            self.folder_box.addItem(_short_folder(f), f)
            self.folder_box.setItemData(self.folder_box.count() - 1, f, Qt.ItemDataRole.ToolTipRole)
        if current and self.folder_box.findData(current) < 0:
            self.folder_box.addItem(_short_folder(current), current)
        self.folder_box.setCurrentIndex(max(0, self.folder_box.findData(current)) if current else 0)
        self.folder_box.blockSignals(False)

    def _on_detail(self, photo_id: int, detail: Any) -> None:
        if detail is not None:
            self.detail.set_detail(detail)

    def _on_row_refreshed(self, row: Any) -> None:
        current = self.current_photo_id()
        self.model.update_row(row)
        if current is not None and self.current_photo_id() != current:
            self.select_photo(current)
        if self.detail.isVisible() and self.detail.photo_id == row.photo_id:
            self._detail_show_row(row)

    def _on_decision_failed(self, photo_id: int, message: str) -> None:
        self._show_message(f"Decision not saved: {message}")

    def _on_flags_recomputed(self, n: int) -> None:
        self._show_message("Re-flagged: " + self._flag_policy_text())

    # --- reactions ------------------------------------------------------------------------------
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.detail.isVisible():
            self._show_current_detail()

    def _show_current_detail(self) -> None:
        row = self.current_row()
        if row is None:
            self.detail.clear("No photo selected")
            return
        changed = row.photo_id != self.detail.photo_id
        self._detail_show_row(row)
        if changed or self.detail.detail is None:
            self.worker.load_detail(row.photo_id)
        if (changed or not self.detail.preview_loaded) and row.status != "missing":
            self.loader.request_preview(row)

    def _detail_show_row(self, row: Any) -> None:
        also = tuple(r.path for r in self.model.partner_rows(row.photo_id))
        self.detail.show_row(row, self.model.rank(row.photo_id), self.model.score_decimals, also)

    def _toggle_heatmap(self) -> None:
        if not self.detail.isVisible():
            self.set_detail_visible(True)
        self.detail.toggle_heatmap()

    def _on_thumbnail(self, photo_id: int) -> None:
        # Thumbnails arrive in bursts: repaint the visible tiles once per burst (cheap), rather
        # than asking the view for each tile's rectangle (which may force a layout first).
        if not self._thumb_timer.isActive():
            self._thumb_timer.start()

    def _on_folder_chosen(self, _i: int) -> None:
        self.set_folder(self.folder_box.currentData())

    def _reselect_after_change(self, previous: int | None) -> None:
        if previous is not None and self.select_photo(previous):
            return
        if self.proxy.rowCount():
            self.select_row(0)

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
        job, seconds = self.worker.busy_for()
        if job == "xmp":
            self.busy_label.setText(f"Writing XMP sidecars… ({seconds:.0f} s)" if seconds > BUSY_AFTER_S else "")
        elif job == "burst_reject" and seconds > BUSY_AFTER_S:
            self.busy_label.setText(f"Rejecting all but the best… ({seconds:.0f} s)")
        elif job is not None and job != "bursts" and seconds > BUSY_AFTER_S:
            self.busy_label.setText(f"Catalog busy ({job}, {seconds:.0f} s): another process may hold it locked…")
        elif self.busy_label.text():
            self.busy_label.setText("")
        if self._open_error is None:
            self.worker.poll()

    # --- flags policy ---------------------------------------------------------------------------
    def _init_threshold_range(self, rows: list[Any]) -> None:
        scores = [r.fused for r in rows if r.fused is not None]
        lo, hi = (min(scores), max(scores)) if scores else (0.0, 1.0)
        if self._threshold is not None:
            lo, hi = min(lo, self._threshold), max(hi, self._threshold)
        pad = max(0.01, (hi - lo) * 0.05)
        self._score_span = (round(lo - pad, 3), round(hi + pad, 3))
        self.threshold_slider.blockSignals(True)
        self.threshold_slider.setValue(self._threshold_to_slider(self._threshold))
        self.threshold_slider.blockSignals(False)
        self._set_threshold_label()

    def _threshold_to_slider(self, value: float | None) -> int:
        if value is None or self._score_span is None:
            return 0
        lo, hi = self._score_span
        return max(1, min(SLIDER_STEPS, round((value - lo) / (hi - lo) * SLIDER_STEPS)))

    def _slider_to_threshold(self, pos: int) -> float | None:
        if pos <= 0 or self._score_span is None:
            return None
        lo, hi = self._score_span
        return round(lo + (hi - lo) * pos / SLIDER_STEPS, 3)

    def _set_threshold_label(self) -> None:
        self.threshold_label.setText("off" if self._threshold is None else f"{self._threshold:.3f}")

    def _on_threshold_moved(self, pos: int) -> None:
        self._threshold = self._slider_to_threshold(pos)
        self._set_threshold_label()
        self._reflag_timer.start()

    def _on_bottom_changed(self, value: int) -> None:
        self._bottom = float(value)
        self._reflag_timer.start()

    def set_flag_policy(self, threshold: float | None, bottom_percent: float) -> None:
        """Set the toolbar controls (as a user would) and re-flag."""
        self._threshold = threshold
        self._bottom = float(bottom_percent)
        for w, v in ((self.threshold_slider, self._threshold_to_slider(threshold)),
                     (self.bottom_spin, int(round(bottom_percent)))):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self._set_threshold_label()
        self._reflag()

    def _reflag(self) -> None:
        if self._readonly:
            self._show_message("This catalog is open read-only; flags cannot be recomputed.")
            return
        self._show_message("Re-flagging…")
        self.worker.recompute_flags(self._threshold, self._bottom, None)

    def _flag_policy_text(self) -> str:
        parts = []
        if self._threshold is not None:
            parts.append(f"score below {self._threshold:.3f}")
        if self._bottom > 0:
            parts.append(f"bottom {self._bottom:g}% of each folder")
        return " or ".join(parts) if parts else "auto flags off"

    # --- labels ---------------------------------------------------------------------------------
    def _schedule_counts(self) -> None:
        self._counts_timer.start()

    def _update_counts(self) -> None:
        c = self.proxy.counts()
        text = f"{c['flagged']} of {c['total']} flagged"
        if self.proxy.filter_name != "all":
            text += f"  ·  {c['shown']} shown"
        self.count_label.setText(text)
        self.count_label.setToolTip("flagged: marked weak by the auto policy (score threshold or bottom N% "
                                    "of each folder), whatever you decided since")
        parts = [f"{c['total']} photos"]
        for key, word in (("pick", "picked"), ("reject", "rejected"), ("pending", "queued"),
                          ("error", "unreadable"), ("missing", "missing")):
            if c.get(key):
                parts.append(f"{c[key]} {word}")
        if c.get("bursts"):
            parts.append(f"{c['bursts']} burst{'s' * (c['bursts'] != 1)} ({c['burst_frames']} frames)")
        if c.get("pairs"):
            parts.append(f"{c['pairs']} RAW+JPEG pair{'s' * (c['pairs'] != 1)}")
        self.summary_label.setText("  ·  ".join(parts))

    def _update_hint(self) -> None:
        if self._open_error is not None:
            hint = f"Cannot open the catalog\n{self.db_path}\n\n{self._open_error}"
        elif not self.model.loaded:
            hint = "Opening the catalog…"
        elif self.model.rowCount() == 0:
            hint = ("No photos in this catalog yet\n"
                    "Score a shoot that is on disk:\n"
                    "curator scan ~/Pictures/2024-06-01-wedding\n\n"
                    "or score a card dump while it lands, right here:\n"
                    "curator gallery --watch ~/Pictures/incoming\n\n"
                    f"catalog: {self.db_path}")
        else:
            what = dict(FILTERS).get(self.proxy.filter_name, self.proxy.filter_name)
            where = f" in {_short_folder(self.proxy.folder)}" if self.proxy.folder else ""
            hint = f"No photos match “{what}”{where}\nChoose “All photos” or another folder in the toolbar."
        self.view.hint = hint
        self.view.viewport().update()

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)

    def _on_watch_stopped(self, message: str) -> None:
        if message:
            self.watch_label.setText(message)
            self.watch_label.setStyleSheet(f"color: {theme.WEAK.name()};")
        else:
            self.watch_label.setText("Watcher stopped")

    # --- shutdown -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.poll_timer.stop()
        self._reflag_timer.stop()
        if self.watch_runner is not None:
            self.watch_label.setText("Stopping the watcher…")
            self.watch_runner.stop()
        self.loader.shutdown()
        self.worker.stop()


def _describe_decision(changes: dict[str, Any]) -> str:
    if "flag" in changes:
        return {"pick": "Picked", "reject": "Rejected", None: "Unflagged"}[changes["flag"]]
    if "rating" in changes:
        n = changes["rating"]
        return "Rating cleared" if n == 0 else f"Rated {'★' * n}"
    return "Saved"
