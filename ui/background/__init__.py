"""Work off the GUI thread: the catalog worker, its jobs, undo, bursts and the in-process watcher."""
