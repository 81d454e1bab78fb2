"""ui: the `curator gallery` window (PySide6).

A list model of catalog rows, a sort/filter proxy, a tile delegate, a
thumbnail loader on a thread pool with a disk cache, a detail pane with the
score's cues and a per-window heatmap, and a catalog worker thread so that a
locked catalog never freezes the window. Importing this package is cheap; Qt
loads with its submodules, and torch only if the in-process watcher runs.
"""
