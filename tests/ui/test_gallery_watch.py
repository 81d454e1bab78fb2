"""`--watch DIR`: the watch service runs in-process on a thread; scores and status reach the window."""

from __future__ import annotations


from iqa_engine.testing import sample_photos, write_jpeg


def test_watch_in_process_fills_the_grid_and_the_status_bar(tiny_model, tmp_path, open_window, qtbot):
    from curator.settings import load_settings
    from ui.background.watch_runner import WatchRunner

    db = tmp_path / "live.db"
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    settings = load_settings(path=tmp_path / "none.toml", environ={}).with_overrides(
        "test", db=str(db), model=str(tiny_model.config_path), weights=str(tiny_model.weights_path),
        settle_seconds=0.2, scan_batch=4, device="cpu")
    w = open_window(db)
    assert "curator scan" in w.view.hint  # empty so far
    runner = WatchRunner(settings, [incoming])
    w.set_watch_runner(runner)
    runner.start()
    try:
        for name, arr in list(sample_photos().items())[:3]:
            write_jpeg(incoming / f"{name}.jpg", arr, size=(320, 213))
        qtbot.waitUntil(lambda: sum(r.fused is not None for r in w.model.rows()) == 3, timeout=90_000)
        qtbot.waitUntil(lambda: "3 scored" in w.status.watch_label.text(), timeout=10_000)
        assert "Watching 1 folder" in w.status.watch_label.text() and "queued" in w.status.watch_label.text()
        assert "photos/s" in w.status.watch_label.text()
    finally:
        w.shutdown()  # stops the watcher: it finishes or parks its batch
    assert runner.stop(timeout=1)


def test_a_watcher_that_fails_says_so_and_the_window_stays(tmp_path, open_window, qtbot, monkeypatch):
    import sys
    import types

    from ui.background.watch_runner import WatchRunner

    fake = types.ModuleType("curator.scanning.service")

    class WatchService:  # fails the way the real one does when another process is scoring
        def __init__(self, settings, dirs, on_status=None):
            self.on_status = on_status

        def run(self, stop):
            self.on_status(types.SimpleNamespace(queue_length=4, scored=1, errors=0, rate=0.5))
            raise RuntimeError("another curator process (pid 42) is already scoring into x.db; stop it first")

    fake.WatchService = WatchService
    monkeypatch.setitem(sys.modules, "curator.scanning.service", fake)
    from curator.catalog import Catalog

    db = tmp_path / "c.db"
    Catalog.open(db).close()
    w = open_window(db)
    runner = WatchRunner(types.SimpleNamespace(db_path=db), [tmp_path])
    w.set_watch_runner(runner)
    runner.start()
    qtbot.waitUntil(lambda: "watcher stopped: another curator process" in w.status.watch_label.text(), timeout=5000)
    assert w.isVisible()
