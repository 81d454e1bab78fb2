"""ui: the `curator gallery` window (PySide6).

A list model of catalog rows, a sort/filter proxy, a tile delegate, a
thumbnail loader on a thread pool with a disk cache, a detail pane with the
score's cues and a per-window heatmap, and a catalog worker thread so that a
locked catalog never freezes the window. Importing this package is cheap; Qt
loads with its submodules, and torch only if the in-process watcher runs.

The window's parts are listed in ui.window. Without Qt, and tested as plain
code: ordering (sorts, filters, counts), tiling (bursts as tiles),
catalog_jobs (the worker's typed jobs and their queue), burst_tracker,
catalog_actions (burst rejects and Write XMP on the catalog) and demo_catalog
(demo photos, scores and catalogs for the tests, the docs and a first look).
"""
