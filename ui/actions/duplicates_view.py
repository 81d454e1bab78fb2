"""The Duplicates view: library-wide duplicate groups (curator.rules.duplicates), each best first, and
"reject all but the best" over all of them in one catalog transaction."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.background.catalog_worker import CatalogWorker
from ui.grid.gallery_model import GalleryModel
from curator.display import shown

Group = tuple[tuple[int, ...], bool]  # (photo ids best first, identical files?)


class DuplicatesDialog(QDialog):
    """Each group as a branch: its photos best first, with their scores and paths."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Duplicates")
        self.resize(900, 560)
        self.summary = QLabel("Looking for duplicates…")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Photo", "Score", "Path"])
        self.tree.setColumnWidth(0, 260)
        self.reject_button = QPushButton("Reject all but the best")
        self.reject_button.setToolTip("In every group, reject every photo but the first (the best scored); photos "
                                      "you already decided on are left alone. One step, undone by unflagging.")
        self.reject_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.reject_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    def show_groups(self, groups: list[Group], model: GalleryModel) -> None:
        self.tree.clear()
        photos = sum(len(ids) for ids, _ in groups)
        self.summary.setText(f"{len(groups)} group(s) of {photos} photos: the same file imported twice, exports "
                             "and re-saved copies. Frames of one burst are not listed (they stay bursts)."
                             if groups else "No duplicates found.")
        for n, (ids, identical) in enumerate(groups, 1):
            branch = QTreeWidgetItem([f"Group {n}: {len(ids)} {'identical files' if identical else 'near-identical'}"])
            for i, pid in enumerate(ids):
                row = model.photo(pid)
                score = "" if row is None or row.fused is None else f"{row.fused:.3f}"
                name = (shown(row.name) if row is not None else str(pid)) + ("  (best)" if i == 0 else "")
                leaf = QTreeWidgetItem([name, score, shown(row.path) if row is not None else ""])
                leaf.setData(0, Qt.ItemDataRole.UserRole, pid)
                branch.addChild(leaf)
            self.tree.addTopLevelItem(branch)
            branch.setExpanded(True)
        self.reject_button.setEnabled(bool(groups))


class DuplicatesActions(QObject):
    """Opens the view, asks the worker for the groups, and rejects the others on request."""

    def __init__(self, worker: CatalogWorker, model: GalleryModel, *, folder: Callable[[], str | None],
                 say: Callable[[str], None], confirm: Callable[[str, str], bool], can_write: Callable[[], bool],
                 window: QWidget) -> None:
        super().__init__(window)
        self.worker, self.model, self.folder, self.say = worker, model, folder, say
        self.confirm, self.can_write = confirm, can_write
        self.dialog = DuplicatesDialog(window)
        self.groups: list[Group] = []
        self.dialog.reject_button.clicked.connect(self.reject_others)
        worker.duplicatesFound.connect(self.on_found)
        worker.duplicatesRejected.connect(self.on_rejected)

    def open(self) -> None:
        folder = self.folder()
        self.dialog.summary.setText("Looking for duplicates…")
        self.dialog.reject_button.setEnabled(False)
        self.dialog.show()
        self.worker.find_duplicates(None if folder is None else [folder])

    def on_found(self, groups: list[Group]) -> None:
        self.groups = list(groups)
        self.dialog.show_groups(self.groups, self.model)

    def reject_others(self) -> None:
        if not self.groups or not self.can_write():
            return
        others = sum(len(ids) - 1 for ids, _ in self.groups)
        if not self.confirm("Reject all but the best",
                            f"Reject {others} photo(s), keeping the best of each of {len(self.groups)} group(s)?"):
            return
        self.worker.reject_duplicates([ids for ids, _ in self.groups])

    def on_rejected(self, result: object) -> None:
        rejected = getattr(result, "rejected", ())
        self.say(f"Rejected {len(rejected)} duplicate(s); the best of each group kept" if rejected
                 else "Nothing rejected: the others are already decided")
        self.open()  # show what is left
