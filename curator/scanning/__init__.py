"""Scanning: the composition root, the scoring worker, the watcher, Ray."""
