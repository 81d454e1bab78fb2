"""curator: photo culling with the MA-CLIP quality score (catalog, watcher, worker, CLI)."""

__version__ = "0.1.0"
