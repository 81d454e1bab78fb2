"""A watcher whose observer thread dies must notice: it restarts the observer (then polls), or exits.

Real watchdog observers on real folders; their threads are killed or faulted from the test."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from catalog_support import make_settings, running_watch, wait_for
from catalog_support import make_deep

from iqa_engine.testing import sample_photos, write_jpeg

from curator.catalog import Catalog
from curator.scanning.service import WatchService


@pytest.fixture()
def settings(tmp_path, tiny_model):
    return make_settings(tmp_path, tiny_model)


@pytest.fixture()
def inbox(tmp_path):
    d = tmp_path / "incoming"
    d.mkdir()
    return d


@pytest.fixture()
def photo(tmp_path):
    return write_jpeg(tmp_path / "staging" / "new.jpg", sample_photos()["rocket"], size=(128, 96))


def observers() -> list[threading.Thread]:
    """The running watchdog observers (found by type, so the test needs no handle into the service)."""
    from watchdog.observers.api import BaseObserver

    return [t for t in threading.enumerate() if isinstance(t, BaseObserver) and t.is_alive()]


def scored_names(cat: Catalog) -> set[str]:
    return {Path(r.path).name for r in cat.gallery_rows() if r.status == "scored"}


def test_a_killed_observer_is_noticed_and_the_watcher_hears_again(settings, inbox, photo, tiny_engine, caplog):
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        (observer,) = observers()
        observer.stop()  # the observer's thread ends; the process lives on
        observer.join(5)
        shutil.copy(photo, inbox / "new.jpg")
        wait_for(lambda: "new.jpg" in scored_names(cat), timeout=30, what="the photo dropped after the kill")
    assert any("file watching stopped" in r.getMessage() for r in caplog.records)


def test_a_faulted_emitter_thread_is_noticed_in_one_line(settings, inbox, photo, tiny_engine, caplog):
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        (observer,) = observers()
        (emitter,) = observer.emitters

        def fault(*_args: object, **_kw: object) -> None:
            raise RuntimeError("injected fault\nsecond line")

        emitter.queue_events = fault  # the emitter's thread raises on its next turn and ends
        (inbox / "wake.txt").write_text("an event ends the emitter's current turn")
        wait_for(lambda: not emitter.is_alive(), timeout=10, what="the emitter thread to end")
        shutil.copy(photo, inbox / "new.jpg")
        wait_for(lambda: "new.jpg" in scored_names(cat), timeout=30, what="the photo dropped after the fault")
    lines = [r.getMessage() for r in caplog.records if "file watching stopped" in r.getMessage()]
    assert lines and "RuntimeError: injected fault" in lines[0] and "\n" not in lines[0]


def test_a_very_deep_folder_moved_in_does_not_leave_the_watcher_deaf(settings, inbox, photo, tiny_engine,
                                                                      tmp_path, deep_roots):
    deep_roots.append(inbox)
    outside = tmp_path / "outside"
    outside.mkdir()
    make_deep(outside, 1000)
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        os.rename(outside / "d", inbox / "d")  # watchdog's inotify thread walks it recursively
        shutil.copy(photo, inbox / "new.jpg")
        wait_for(lambda: "new.jpg" in scored_names(cat), timeout=30, what="the photo dropped beside it")


def test_a_watcher_that_keeps_losing_its_observer_exits_with_one_line(settings, inbox, tiny_engine):
    stop = threading.Event()
    errors: list[BaseException] = []
    service = WatchService(settings, [inbox], engine=tiny_engine)

    def target() -> None:
        try:
            service.run(stop)
        except BaseException as exc:  # noqa: BLE001 - surfaced in the test thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        killed: list[threading.Thread] = []
        while thread.is_alive() and len(killed) < 8:  # the guard restarts three times, then gives up
            fresh = wait_for(lambda: [o for o in observers() if o not in killed] or not thread.is_alive(),
                             timeout=60, what="a fresh observer")
            for observer in fresh if isinstance(fresh, list) else []:
                observer.stop()
                killed.append(observer)
        thread.join(20)
        assert len(killed) == 4
    finally:
        stop.set()
        thread.join(20)
    from curator.cli import expected_error_message

    assert errors, "the watcher kept running without an observer"
    message = expected_error_message(errors[0])
    assert message is not None and "file watching stopped" in message and "\n" not in message


def test_watch_starts_on_a_tree_with_a_very_deep_folder_and_hears_new_photos(settings, inbox, photo, tiny_engine,
                                                                           deep_roots):
    deep_roots.append(inbox)
    make_deep(inbox, 1000)
    with Catalog.open(settings.db_path) as cat, running_watch(settings, [inbox], tiny_engine):
        shutil.copy(photo, inbox / "new.jpg")
        wait_for(lambda: "new.jpg" in scored_names(cat), timeout=30, what="the photo dropped beside it")
