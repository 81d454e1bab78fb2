"""The window's two toolbars.

Top (what the grid shows): sort, filter, folder, the flag policy's controls and the weak count.
Bottom (as Lightroom's toolbar under the grid): bursts, "reject all but the best", Write XMP, the keys.
Each toolbar only shows state and emits what the user chose; the window acts on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from curator.actions.culling import WEAK_MEANING
from curator.rules.explain import REASON_HINTS
from curator.rules.reasons import VOCABULARY
from ui.grid.grid_view import KEYS_HINT
from ui.rules.ordering import FILTERS, SORTS, GalleryCounts, short_folder
from ui.policy_controls import PolicyControls


def weak_count_text(c: GalleryCounts, filtered: bool) -> str:
    return f"{c.weak} of {c.total} weak" + (f"  ·  {c.shown} shown" if filtered else "")


def _sync_combo(box: QComboBox, value: Any) -> None:
    """Show this value in a box without its currentIndexChanged (the caller has applied it)."""
    i = box.findData(value)
    if i >= 0 and i != box.currentIndex():
        blocked = box.blockSignals(True)
        box.setCurrentIndex(i)
        box.blockSignals(blocked)


def _spacer() -> QWidget:
    w = QWidget()
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return w


class ViewBar(QToolBar):
    """Sort, filter, folder, the flag policy and the weak count."""

    sortChosen = Signal(str)
    filterChosen = Signal(str)
    reasonChosen = Signal(object)  # a curator.rules.reasons word, or None for every photo
    folderChosen = Signal(object)  # str, or None for every folder
    done = Signal()  # a choice was made: the keys go back to the grid

    def __init__(self, policy: PolicyControls, folder: str | None, parent: QWidget | None = None) -> None:
        super().__init__("Gallery", parent)
        self.setMovable(False)
        self.setFloatable(False)
        self.sort_box = QComboBox()
        for key, text in SORTS:
            self.sort_box.addItem(text, key)
        self.filter_box = QComboBox()
        for key, text in FILTERS:
            self.filter_box.addItem(text, key)
        self.reason_box = QComboBox()
        self.reason_box.addItem("any reason", None)
        for word in VOCABULARY:
            self.reason_box.addItem(word, word)
            self.reason_box.setItemData(self.reason_box.count() - 1, REASON_HINTS[word], Qt.ItemDataRole.ToolTipRole)
        self.reason_box.setToolTip("only the photos with this reason: why curator finds them weak")
        self.folder_box = QComboBox()
        self.folder_box.setMinimumContentsLength(18)
        self.folder_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.folder_box.addItem("All folders", None)
        if folder:
            self.folder_box.addItem(short_folder(folder), folder)
            self.folder_box.setCurrentIndex(1)
        self.sort_box.currentIndexChanged.connect(lambda _i: self.sortChosen.emit(self.sort_box.currentData()))
        self.filter_box.currentIndexChanged.connect(lambda _i: self.filterChosen.emit(self.filter_box.currentData()))
        self.reason_box.currentIndexChanged.connect(lambda _i: self.reasonChosen.emit(self.reason_box.currentData()))
        self.folder_box.currentIndexChanged.connect(lambda _i: self.folderChosen.emit(self.folder_box.currentData()))
        for box in (self.sort_box, self.filter_box, self.reason_box, self.folder_box):
            box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            box.activated.connect(lambda _i: self.done.emit())
        self.count_label = QLabel("")
        self.count_label.setObjectName("countLabel")
        self.count_label.setToolTip(f"weak: {WEAK_MEANING}, whatever you decided since "
                                    "(what `curator list --flagged` lists)")
        slider, threshold, spin = policy.widgets()
        for item in ("Sort", self.sort_box, None, "Show", self.filter_box, "Reason", self.reason_box, "in",
                     self.folder_box, None,
                     "Weak below", slider, threshold, "or bottom", spin, "per folder", _spacer(), self.count_label):
            if item is None:
                self.addSeparator()
            else:
                self.addWidget(QLabel(item) if isinstance(item, str) else item)

    def show_sort(self, kind: str) -> None:
        _sync_combo(self.sort_box, kind)

    def show_filter(self, name: str) -> None:
        _sync_combo(self.filter_box, name)

    def show_reason(self, reason: str | None) -> None:
        _sync_combo(self.reason_box, reason)

    def show_folder(self, folder: str | None) -> None:
        if folder and self.folder_box.findData(folder) < 0:
            self.folder_box.addItem(short_folder(folder), folder)
        _sync_combo(self.folder_box, folder)

    def set_folders(self, folders: Sequence[str]) -> None:
        """The catalog's folders, keeping the chosen one."""
        box = self.folder_box
        current = box.currentData()
        blocked = box.blockSignals(True)
        box.clear()
        box.addItem("All folders", None)
        for f in folders:
            box.addItem(short_folder(f), f)
            box.setItemData(box.count() - 1, f, Qt.ItemDataRole.ToolTipRole)
        if current and box.findData(current) < 0:
            box.addItem(short_folder(current), current)
        box.setCurrentIndex(max(0, box.findData(current)) if current else 0)
        box.blockSignals(blocked)

    def show_counts(self, counts: GalleryCounts, filtered: bool) -> None:
        self.count_label.setText(weak_count_text(counts, filtered))


class WorkflowBar(QToolBar):
    """Under the grid: bursts and sidecars, and the keys."""

    collapseToggled = Signal(bool)
    tasteBadgeToggled = Signal(bool)
    rejectBurst = Signal()  # in the burst under the selection
    rejectInFolder = Signal()  # in every burst of the chosen folder
    writeXmp = Signal(str)  # "folder" or "all"
    findDuplicates = Signal()  # open the Duplicates view

    def __init__(self, collapsed: bool, parent: QWidget | None = None) -> None:
        super().__init__("Workflow", parent)
        self.setObjectName("workflowBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.collapse_action = QAction("Collapse bursts", self)
        self.collapse_action.setCheckable(True)
        self.collapse_action.setChecked(collapsed)
        self.collapse_action.setToolTip("Show each burst as one tile, its best frame on top with the number of "
                                        "frames (S or B expands or collapses the burst under the selection)")
        self.collapse_action.toggled.connect(self.collapseToggled)
        self.addAction(self.collapse_action)
        self.taste_action = QAction("Taste badge", self)
        self.taste_action.setCheckable(True)
        self.taste_action.setToolTip("Show on each tile how likely you are to keep it, by the model `curator learn` "
                                     "trained on your picks, rejects and ratings")
        self.taste_action.toggled.connect(self.tasteBadgeToggled)
        self.addAction(self.taste_action)

        self.reject_burst_action = QAction("Reject all but the best in this burst", self)
        self.reject_burst_action.setShortcut("Shift+X")
        self.reject_burst_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the grid's key does it
        self.reject_burst_action.triggered.connect(self.rejectBurst)
        self.reject_folder_action = QAction("Reject all but the best in every burst here…", self)
        self.reject_folder_action.triggered.connect(self.rejectInFolder)
        self.keep_best_button = self._menu_button(
            "Reject all but the best", "Reject all but the best frame of the selected burst (Shift+X), or of every "
            "burst in the folder. Frames you decided on and bracketed exposures are never rejected.",
            (self.reject_burst_action, self.reject_folder_action))
        self.keep_best_button.clicked.connect(self.rejectBurst)
        self.addWidget(self.keep_best_button)
        self.addSeparator()

        self.xmp_folder_action = QAction("Write XMP for this folder", self)
        self.xmp_folder_action.triggered.connect(lambda: self.writeXmp.emit("folder"))
        self.xmp_all_action = QAction("Write XMP for every folder", self)
        self.xmp_all_action.triggered.connect(lambda: self.writeXmp.emit("all"))
        self.xmp_button = self._menu_button(
            "Write XMP", "Write your decisions (rating, label, reject) to XMP sidecars that darktable, digiKam and "
            "Capture One read (Lightroom: for RAW files only); a photo only the machine found weak gets the "
            "keyword curator|weak, not a rating ([xmp] machine): the chosen folder, or every folder",
            (self.xmp_folder_action, self.xmp_all_action))
        self.xmp_button.clicked.connect(lambda: self.writeXmp.emit("folder"))
        self.addWidget(self.xmp_button)
        self.addSeparator()
        self.duplicates_action = QAction("Duplicates…", self)
        self.duplicates_action.setToolTip("Near-identical photos across folders (copies, exports, re-saved JPEGs), "
                                          "each group best first, with “reject all but the best”")
        self.duplicates_action.triggered.connect(self.findDuplicates)
        self.addAction(self.duplicates_action)
        for w in (self.keep_best_button, self.xmp_button, self.widgetForAction(self.collapse_action),
                  self.widgetForAction(self.duplicates_action)):
            if w is not None:
                w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the grid
        self.addWidget(_spacer())
        self.keys_label = QLabel(KEYS_HINT)
        self.keys_label.setObjectName("keysLabel")
        self.addWidget(self.keys_label)

    def _menu_button(self, text: str, tip: str, actions: Sequence[QAction]) -> QToolButton:
        menu = QMenu(self)
        for action in actions:
            menu.addAction(action)
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        return button

    def show_scope(self, folder: str | None) -> None:
        """The menu entries that act on "this folder" say which folder that is."""
        where = f"“{short_folder(folder)}”" if folder else "every folder"
        self.reject_folder_action.setText(f"Reject all but the best in every burst of {where}…")
        self.xmp_folder_action.setText(f"Write XMP for {where}")
        self.xmp_folder_action.setVisible(folder is not None)
