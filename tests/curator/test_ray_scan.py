"""`scan --ray` on a real local Ray cluster (one per module), with the tiny model loaded through the
product's own loading path in every actor. Scores from random weights test plumbing and exact math only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from catalog_support import make_settings, rows_by_name, wait_for

ray = pytest.importorskip("ray")

from curator.scanning import service  # noqa: E402 - after importorskip: Ray is optional
from curator.catalog import Catalog  # noqa: E402 - likewise
from curator.scanning.ray_scan import ACTOR_NAME_PREFIX, RayOptions, RemotePhoto, ScoringActor  # noqa: E402 - likewise
from iqa_engine.testing import sample_photos, write_jpeg  # noqa: E402 - likewise


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def many_photos(folder: Path, copies: int) -> Path:
    """`copies` JPEGs per sample photo, each a little different (distinct hashes, so none is a moved twin)."""
    for n in range(copies):
        for name, arr in sample_photos().items():
            arr = arr.copy()
            arr[0, 0, 0] = (int(arr[0, 0, 0]) + n) % 256
            write_jpeg(folder / f"{name}-{n}.jpg", arr)
    return folder


def scores(settings) -> dict[str, tuple[str, float | None, str | None, int]]:
    with Catalog.open(settings.db_path) as cat:
        assert cat.integrity_check() == "ok"
        out = {}
        for name, row in rows_by_name(cat).items():
            detail = cat.photo_detail(row.photo_id)
            out[name] = (row.status, row.fused, detail.fingerprint, detail.scored_count)
        return out


def test_ray_scores_equal_a_local_scan_with_the_same_fingerprint(cluster, tmp_path, tiny_model, tiny_engine,
                                                                  photo_dir):
    local = make_settings(tmp_path / "local", tiny_model)
    remote = make_settings(tmp_path / "ray", tiny_model)
    service.scan(local, [str(photo_dir)], engine=tiny_engine)
    summary = service.scan(remote, [str(photo_dir)], engine=tiny_engine, ray=RayOptions(actors=2))
    assert (summary.totals.scored, summary.totals.errors) == (5, 0)
    a, b = scores(local), scores(remote)
    assert a.keys() == b.keys() and len(a) == 5
    for name in a:
        assert b[name][0] == "scored" and b[name][2] == a[name][2] == tiny_engine.fingerprint
        assert b[name][1] == pytest.approx(a[name][1], abs=1e-6)
        assert b[name][3] == 1


def test_ship_bytes_scores_a_path_the_workers_cannot_see(cluster, tmp_path, tiny_model, tiny_engine, photo_dir):
    # The actor is given a path that exists nowhere (as on a node without the mount) plus the bytes.
    actor = ray.remote(ScoringActor).remote(tiny_model.engine_config())
    photo = photo_dir / "coffee.jpg"
    unseen = "/no/such/mount/coffee.jpg"
    _, node, shipped, _ = ray.get(actor.score.remote(1, [RemotePhoto(unseen, photo.read_bytes())]))
    _, _, by_path, _ = ray.get(actor.score.remote(2, [RemotePhoto(unseen)]))
    ray.kill(actor)
    assert shipped[0].error is None
    assert shipped[0].score.fused == pytest.approx(tiny_engine.score_path(photo).fused, abs=1e-6)
    assert by_path[0].score is None and f"not found on node {node}" in by_path[0].error
    # End to end, with the bytes shipped by the driver:
    settings = make_settings(tmp_path, tiny_model)
    summary = service.scan(settings, [str(photo_dir)], engine=tiny_engine,
                           ray=RayOptions(actors=1, ship_bytes=True, ship_weights=True))
    assert (summary.totals.scored, summary.totals.errors) == (5, 0)


def test_a_photo_failing_on_a_worker_is_an_error_row(cluster, tmp_path, tiny_model, tiny_engine, photo_dir):
    (photo_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    settings = make_settings(tmp_path, tiny_model)
    summary = service.scan(settings, [str(photo_dir)], engine=tiny_engine, ray=RayOptions(actors=1))
    assert (summary.totals.scored, summary.totals.errors) == (5, 1)
    got = scores(settings)
    assert got["broken.jpg"][0] == "error"
    assert [p for p, _ in summary.errors] == [str(photo_dir / "broken.jpg")]


def test_a_worker_that_cannot_load_the_weights_fails_the_run_naming_the_node(cluster, tmp_path, tiny_model,
                                                                             tiny_engine, photo_dir):
    from curator.errors import UserError
    from curator.scanning.ray_scan import start_actors

    config = tiny_model.engine_config().replace(weights=str(tmp_path / "not-on-this-node.pt"))
    with pytest.raises(UserError, match=r"^node \S+ cannot load the model: .*--ray-ship-weights$"):
        start_actors(ray, config, tiny_engine.fingerprint, actors=1, cpus_per_actor=1, gpus_per_actor=0,
                     ship_weights=False)


def test_killing_an_actor_mid_run_scores_every_photo_exactly_once(cluster, tmp_path, tiny_model, tiny_engine):
    folder = many_photos(tmp_path / "shoot", 4)  # 20 photos
    settings = make_settings(tmp_path, tiny_model, scan_batch=2)
    killed = []

    def kill_one(done, total, rate):  # after the first recorded batch, while the other actor is busy
        if not killed:
            name = next(a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
                        if a["name"].startswith(ACTOR_NAME_PREFIX))
            ray.kill(ray.get_actor(name), no_restart=False)  # Ray restarts it and retries its batch
            killed.append(name)

    summary = service.scan(settings, [str(folder)], engine=tiny_engine, ray=RayOptions(actors=2),
                           on_progress=kill_one)
    assert killed
    assert (summary.totals.scored, summary.totals.errors) == (20, 0)
    got = scores(settings)
    assert len(got) == 20 and {v[0] for v in got.values()} == {"scored"} and {v[3] for v in got.values()} == {1}


@pytest.mark.slow
def test_driver_killed_mid_run_then_a_local_scan_finishes_with_none_twice(cluster, tmp_path, tiny_model,
                                                                           tiny_engine):
    folder = many_photos(tmp_path / "shoot", 8)  # 40 photos
    settings = make_settings(tmp_path, tiny_model, scan_batch=2)
    address = ray.get_runtime_context().gcs_address
    Catalog.open(settings.db_path).close()  # made here, so that polling it never races its creation
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                       os.environ.get("PYTHONPATH", "")]))
    driver = subprocess.Popen([sys.executable, "-m", "curator", "scan", str(folder), "--db", str(settings.db_path),
                               *tiny_model.cli_args(), "--settle", "0.3", "--batch", "2", "--ray", address,
                               "--ray-actors", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def some_scored():
            if driver.poll() is not None:
                raise AssertionError(driver.stderr.read().decode())
            with Catalog.open(settings.db_path) as cat:
                return cat.score_count() >= 2
        wait_for(some_scored, timeout=180, interval=0.2, what="the Ray driver to record a batch")
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    finally:
        if driver.poll() is None:
            driver.kill()
    with Catalog.open(settings.db_path) as cat:
        assert 2 <= cat.score_count() < 40 and cat.queue_length() > 0
        before = cat.score_count()
    summary = service.scan(settings, [str(folder)], engine=tiny_engine)
    assert summary.totals.scored == 40 - before
    got = scores(settings)
    assert len(got) == 40 and {v[0] for v in got.values()} == {"scored"} and {v[3] for v in got.values()} == {1}
