"""Ctrl+F: a search box over the grid. Enter orders the grid by CLIP similarity to the text (the
score stays on each tile); Esc closes the box and goes back to the previous order."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QToolBar, QWidget

from ui.background.catalog_worker import CatalogWorker
from ui.grid.grid_view import GalleryView
from ui.grid.proxy import GalleryProxy


class SearchBox(QLineEdit):
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class SearchBar(QToolBar):
    """The search box, shown by Ctrl+F."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Search", parent)
        self.setObjectName("searchBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.box = SearchBox()
        self.box.setObjectName("searchBox")
        self.box.setPlaceholderText("Find photos by what they show, e.g. “the first dance” — Enter to search, "
                                    "Esc to go back")
        self.box.setClearButtonEnabled(True)
        self.addWidget(self.box)
        self.hide()


class SearchActions(QObject):
    """Between the search bar, the worker and the grid's order."""

    def __init__(self, bar: SearchBar, view: GalleryView, proxy: GalleryProxy, worker: CatalogWorker, *,
                 say: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bar, self.view, self.proxy, self.worker, self.say = bar, view, proxy, worker, say
        self.last_text: str | None = None  # the text of the order shown (tests read it)
        bar.box.returnPressed.connect(self.run)
        bar.box.escaped.connect(self.close)
        worker.searchDone.connect(self.on_done)

    def open(self) -> None:
        self.bar.show()
        self.bar.box.setFocus()
        self.bar.box.selectAll()

    def run(self) -> None:
        text = self.bar.box.text().strip()
        if not text:
            return
        self.say(f"Searching for “{text}”… (the first search loads the model)")
        self.worker.search(text)

    def on_done(self, text: str, scores: dict[int, float]) -> None:
        if not self.bar.isVisible():  # closed while it ran: keep the previous order
            return
        self.last_text = text
        self.proxy.set_similarity(scores)
        if self.proxy.rowCount():
            self.view.select_row(0)
        self.say(f"Ordered by similarity to “{text}” ({len(scores)} photos with an embedding); Esc goes back")

    def close(self) -> None:
        current = self.view.current_photo_id()
        self.bar.hide()
        if self.proxy.searching:
            self.proxy.set_similarity(None)
            self.say("Back to the chosen order")
        self.last_text = None
        self.view.setFocus()
        if current is not None:
            self.view.select_photo(current)
