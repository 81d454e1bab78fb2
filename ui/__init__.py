"""ui: the `curator gallery` window (PySide6).

A list model of catalog rows, a sort/filter proxy, a tile delegate, a
thumbnail loader on a thread pool with a disk cache, a detail pane with the
score's cues and a per-window heatmap, and a catalog worker thread so that a
locked catalog never freezes the window. Importing this package is cheap; Qt
loads with its submodules, and torch only if the in-process watcher runs.

The layers, top to bottom (docs/development/architecture.md; kept by the
import contracts in pyproject.toml): app and window, actions/, the toolbars
and status bar, detail/, viewers/, grid/, background/ (the catalog worker and
its Qt-free jobs), heatmap/, and rules/ (sorts, filters, counts, burst tiles,
zoom geometry, EXIF wording: plain code, no Qt). The demo catalogs the tests
and the docs use live in curator.testing.
"""
