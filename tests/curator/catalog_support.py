"""Helpers for the catalog / watch / worker tests (plain functions; fixtures stay in the test files)."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curator.settings import Settings


def make_settings(tmp_path: Path, tiny_model: Any, **changes: Any) -> Settings:
    values: dict[str, Any] = dict(db=str(tmp_path / "catalog" / "catalog.db"), model=str(tiny_model.config_path),
                                  weights=str(tiny_model.weights_path), pretrained=None, settle_seconds=0.3,
                                  poll_interval_seconds=0.05, scan_batch=8)
    values.update(changes)
    return Settings(**values)


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root (the originals' bytes, to check nothing touched them)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


@contextmanager
def running_watch(settings: Settings, dirs: list[Path], engine: Any, **kwargs: Any) -> Iterator[Any]:
    """A WatchService in a thread, ready (observer running, catch-up queued) when the block starts."""
    from curator.scanning.service import WatchService

    ready = threading.Event()
    statuses: list[Any] = []
    errors: list[BaseException] = []
    service = WatchService(settings, dirs, on_status=statuses.append, engine=engine, on_ready=ready.set, **kwargs)
    service.statuses = statuses  # type: ignore[attr-defined]  # the tests read what on_status saw
    stop = threading.Event()

    def target() -> None:
        try:
            service.run(stop)
        except BaseException as exc:  # noqa: BLE001 - surfaced in the test thread
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=target, name="watch-service", daemon=True)
    thread.start()
    assert ready.wait(60), "the watch service did not start"
    if errors:
        raise errors[0]
    try:
        yield service
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the watch service did not stop"
    if errors:
        raise errors[0]


def rows_by_name(catalog: Any) -> dict[str, Any]:
    return {Path(r.path).name: r for r in catalog.gallery_rows()}


# -- very deep folder chains (the walk's and the watcher's depth limits) --------------------


def make_deep(root: Path, levels: int) -> Path:
    """A chain of `levels` one-letter folders under root (built with relative paths: mkdir on a long
    absolute path is what would fail, not the walk); returns the deepest folder."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.chdir(cwd)
    return root.joinpath(*(["d"] * levels))


def remove_deep(top: Path) -> None:
    """Remove a chain made by make_deep, and whatever sits beside it on the way, without recursing
    (shutil.rmtree, and pytest's clean-up of old temp folders with it, recurse once per level)."""
    cwd = os.getcwd()
    os.chdir(top)
    levels = 0
    try:
        while os.path.isdir("d"):
            os.chdir("d")
            levels += 1
        for _ in range(levels + 1):
            for name in os.listdir("."):
                if name != "d":
                    shutil.rmtree(name) if os.path.isdir(name) else os.unlink(name)
                else:
                    os.rmdir(name)
            os.chdir("..")
    finally:
        os.chdir(cwd)


def scored_count(db: Path) -> int:
    """Photos the catalog file holds as scored, read by a separate read-only connection (0 before it exists)."""
    import sqlite3

    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM photos WHERE status = 'scored'").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
