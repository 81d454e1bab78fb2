"""Catalog and watcher figures: settle -> score latency with an idle queue, and insert/query rates at 100k rows.

    python bench/catalog.py                      # 100,000 rows, 10 latency samples, the tiny test model
    python bench/catalog.py --rows 20000 --samples 5
    python bench/catalog.py --model RN50 --pretrained openai   # latency with a real model (weights cached)
    python bench/catalog.py --skip-latency / --skip-rows

Latency: a `WatchService` (real watchdog observer, real catalog file) runs
with an idle queue; one photo at a time is written into the watched folder.
The file is settled `--settle` seconds after its last write; the figure is
the time from then until its score row is committed (as the gallery sees it,
by polling data_version). It covers the settle poll, the read, decode,
scoring and the catalog transaction, so it depends on the model; the tiny
model (random weights, for tests) makes it mostly the pipeline's own cost.

Rows: N photos in 50-photo folders are inserted as a scan does (one
sync_files call), then recorded in the worker's batches of 8 with
KonIQ-sized scores (36 windows + the global view, a 1024-d RN50 embedding),
then queried as the gallery and the CLI do. Each figure is printed as it
is measured; where the machine is shared, the CPU time of this process is
given too.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

FOLDER_SIZE = 50


def say(text: str) -> None:
    print(text, flush=True)


# -- latency ---------------------------------------------------------------------------


def tiny_model(directory: Path) -> tuple[str, str]:
    """The tiny open_clip model of iqa_engine.testing (seeded random weights), as --model CONFIG --weights FILE."""
    from iqa_engine.testing import build_tiny_model

    tm = build_tiny_model(directory)
    return str(tm.config_path), str(tm.weights_path)


def _photo(i: int) -> bytes:
    """A real photo (scikit-image's coffee) at 1024x683, slightly different each time."""
    import io

    from PIL import Image
    from skimage import data

    im = Image.fromarray(data.coffee()).resize((1024 - i, 683))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def latency(args: argparse.Namespace, work: Path) -> None:
    from curator.catalog import Catalog
    from curator.scanning.service import WatchService
    from curator.settings import Settings
    from iqa_engine import Engine

    if args.model:
        model, weights, pretrained = args.model, args.weights, (None if args.weights else args.pretrained)
    else:
        model, weights = tiny_model(work / "model")
        pretrained = None
    settings = Settings(db=str(work / "latency.db"), model=model, weights=weights, pretrained=pretrained,
                        settle_seconds=args.settle, device=args.device)
    engine = Engine(settings.engine_config())
    inbox = work / "inbox"
    inbox.mkdir()
    photos = [_photo(i) for i in range(args.samples + 1)]
    ready = threading.Event()
    stop = threading.Event()
    service = WatchService(settings, [inbox], engine=engine, on_ready=ready.set)
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    ready.wait(60)
    say(f"latency: {engine.model_name} ({settings.protocol}) on {engine.backbone.device}, settle {args.settle:.1f} s, "
        f"poll {settings.poll_interval_seconds * 1000:.0f} ms, one 1024x683 JPEG at a time, idle queue")
    samples, totals = [], []
    with Catalog.open(settings.db_path) as cat:
        for i, blob in enumerate(photos):
            path = inbox / f"IMG_{i:04d}.jpg"
            with open(path, "wb") as f:
                f.write(blob)
            written = time.time()
            settled = max(written, os.stat(path).st_mtime) + args.settle
            version = cat.data_version()
            while True:
                if cat.data_version() != version:
                    version = cat.data_version()
                    pid = cat.photo_id_for_path(str(path.resolve()))
                    if pid is not None and cat.photo_detail(pid).row.status == "scored":
                        break
                if time.time() - written > 60:
                    raise SystemExit("no score row after 60 s")
                time.sleep(0.002)
            landed = time.time()
            if i > 0:  # the first photo warms the model up
                samples.append(landed - settled)
                totals.append(landed - written)
            time.sleep(0.3)
    stop.set()
    thread.join(30)
    ms = sorted(s * 1000 for s in samples)
    say(f"  settled file -> score row: median {statistics.median(ms):.0f} ms, p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms, "
        f"max {ms[-1]:.0f} ms over {len(ms)} photos")
    say(f"  last write -> score row:   median {statistics.median(totals) * 1000:.0f} ms "
        f"(= settle {args.settle * 1000:.0f} ms + the above)")


# -- rows --------------------------------------------------------------------------------


def _score(f: float, fp: str, emb: np.ndarray):
    from iqa_engine.results import PhotoScore, ViewScore

    boxes = [(x, y, x + 224, y + 224) for y in range(0, 5 * 128, 128) for x in range(0, 7 * 128 + 1, 128)][:36]
    views = tuple(ViewScore(b, f, f - 0.05, f + 0.08, 0.55, 0.45) for b in boxes) + (
        ViewScore(None, f, f - 0.05, f + 0.08, 0.55, 0.45),)
    return PhotoScore(score=f, fused=f, cosine=f - 0.05, magnitude=f + 0.08, w_cosine=0.55, w_magnitude=0.45,
                      mode="fused", protocol="koniq", model="RN50", fingerprint=fp, views=views,
                      scored_size=(1024, 683), original_size=(6000, 4000), embedding=emb, elapsed_ms=250.0)


CPU: dict[str, float] = {}


def timed(label: str, fn, repeat: int = 1):
    """(result, wall seconds per call); the CPU seconds per call go to CPU[label] (this machine may be shared)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        out = fn()
    dt = (time.perf_counter() - t0) / repeat
    CPU[label] = (time.process_time() - c0) / repeat
    return out, dt


def _quick_check(db: Path, pragma: str = "quick_check") -> None:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        assert conn.execute(f"PRAGMA {pragma}").fetchall() == [("ok",)]
    finally:
        conn.close()


def rows(args: argparse.Namespace, work: Path) -> None:
    from curator.actions import culling
    from curator.actions.culling import CullingRules
    from curator.catalog import Catalog, FileEntry, FileStat, Outcome
    from curator.disk.exif import ExifData

    n = args.rows
    db = work / "rows.db"
    fp = "maclip-bench"
    rng = np.random.default_rng(0)
    fused = rng.normal(0.62, 0.08, n)
    emb = rng.normal(size=args.embedding_dim).astype(np.float32)
    emb /= np.linalg.norm(emb)
    root = "/bench/photos"
    say(f"rows: {n:,} photos in {FOLDER_SIZE}-photo folders; KonIQ scores (37 views) with a "
        f"{args.embedding_dim}-d embedding; batches of {args.batch}")
    entries = [FileEntry(f"{root}/shoot-{i // FOLDER_SIZE:05d}/IMG_{i:06d}.jpg",
                         FileStat(4_000_000 + i, 1_700_000_000_000_000_000 + i * 10**9)) for i in range(n)]
    with Catalog.open(db) as cat:
        counts, dt = timed("sync", lambda: cat.sync_files([root], entries, fingerprint=fp, gone=lambda p: False))
        say(f"  insert (scan queues {counts.new:,} new photos, one transaction): {dt:.2f} s = {n / dt:,.0f} rows/s")
        exif = ExifData(make="Canon", model="Canon EOS R5", lens="RF24-70mm F2.8 L IS USM", iso=400,
                        exposure_time=1 / 250, f_number=2.8, focal_length=50.0,
                        capture_time="2024-05-01T10:20:30", orientation=1, exposure_bias=0.0)
        items = cat.pending_items(limit=n + 1)
        t0 = time.perf_counter()
        for start in range(0, n, args.batch):
            chunk = items[start:start + args.batch]
            cat.record_outcomes([Outcome(it.photo_id, "scored", expected=it.stat, stat=it.stat,
                                         content_hash=f"{it.photo_id:064x}", exif=exif,
                                         score=_score(float(fused[it.photo_id - 1]), fp, emb)) for it in chunk],
                                busy_seconds=0.0)
        dt = time.perf_counter() - t0
        say(f"  record scores (score + views + embedding + EXIF, {n // args.batch:,} transactions): {dt:.1f} s "
            f"= {n / dt:,.0f} photos/s")
        _, dt = timed("flags", lambda: culling.recompute_flags(cat, CullingRules(None, 15.0)))
        say(f"  culling.recompute_flags, whole catalog: {dt:.2f} s")
        one_folder = f"{root}/shoot-{(n // FOLDER_SIZE) // 2:05d}"
        _, dt = timed("flags1", lambda: culling.recompute_flags(cat, CullingRules(None, 15.0), folder=one_folder), repeat=20)
        say(f"  culling.recompute_flags, one folder (after each batch): {dt * 1000:.1f} ms")
    size = sum(p.stat().st_size for p in work.glob("rows.db*"))
    say(f"  catalog size: {size / 1e6:,.0f} MB ({size / n / 1000:.1f} kB/photo)")

    # Every command that writes runs PRAGMA quick_check when it opens the catalog (a damaged one is refused).
    _, dt = timed("open", lambda: Catalog.open(db).close(), repeat=3)
    say(f"  open for writing, PRAGMA quick_check included: {dt:.2f} s (CPU {CPU['open']:.2f} s)")
    _, dt = timed("open_ro", lambda: Catalog.open(db, readonly=True).close(), repeat=3)
    say(f"  open read-only (no check): {dt * 1000:.1f} ms")
    _, dt = timed("quick_check", lambda: _quick_check(db), repeat=3)
    say(f"  PRAGMA quick_check alone: {dt:.2f} s (CPU {CPU['quick_check']:.2f} s); "
        f"integrity_check: {timed('integrity', lambda: _quick_check(db, 'integrity_check'))[1]:.2f} s")

    with Catalog.open(db) as cat:  # a fresh connection, as the gallery opens one
        got, dt = timed("gallery", cat.gallery_rows)
        say(f"  gallery_rows(), all {len(got):,} rows (cold connection): {dt:.2f} s (CPU {CPU['gallery']:.2f} s)")
        got, dt = timed("gallery", cat.gallery_rows, repeat=3)
        say(f"  gallery_rows(), all rows (warm): {dt:.2f} s (CPU {CPU['gallery']:.2f} s)")
        _, dt = timed("folder", lambda: cat.gallery_rows(one_folder), repeat=50)
        say(f"  gallery_rows(folder) ({FOLDER_SIZE} rows): {dt * 1000:.2f} ms")
        _, dt = timed("list", lambda: cat.query_rows(sort="score", limit=50), repeat=5)
        say(f"  list --sort score --limit 50: {dt * 1000:.0f} ms")
        _, dt = timed("flagged", lambda: cat.query_rows(flagged=True), repeat=3)
        say(f"  list --flagged ({len(cat.query_rows(flagged=True)):,} rows): {dt * 1000:.0f} ms")
        ids = random.Random(0).sample(range(1, n + 1), min(1000, n))
        _, dt = timed("detail", lambda: [cat.photo_detail(i) for i in ids])
        say(f"  photo_detail (with 37 views): {dt / len(ids) * 1000:.2f} ms each")
        _, dt = timed("dv", lambda: [cat.data_version() for _ in range(10_000)])
        say(f"  data_version poll: {dt / 10_000 * 1e6:.1f} us each")
        _, dt = timed("decide", lambda: [cat.set_decision(i, rating=3) for i in ids[:500]])
        say(f"  set_decision (one transaction each, checkpointed after it): {dt / 500 * 1000:.2f} ms each")
        _, dt = timed("folders", cat.folders, repeat=5)
        say(f"  folders() ({n // FOLDER_SIZE:,}): {dt * 1000:.0f} ms")
        counts, dt = timed("rescan", lambda: cat.sync_files([root], entries, fingerprint=fp, gone=lambda p: False))
        say(f"  re-sync of {n:,} unchanged files (a rescan's catalog side): {dt:.2f} s "
            f"({counts.unchanged:,} unchanged)")
        _, dt = timed("stats", lambda: sorted(cat.latest_fused()))
        say(f"  score distribution for stats: {dt:.2f} s")
        _, dt = timed("export", lambda: sum(1 for _ in cat.export_records()))
        say(f"  export records, all rows: {dt:.2f} s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=8, help="photos per record transaction (the worker's default)")
    p.add_argument("--embedding-dim", type=int, default=1024, help="1024 for RN50, 512 for ViT-B/32")
    p.add_argument("--samples", type=int, default=10, help="photos for the latency figure")
    p.add_argument("--settle", type=float, default=2.0, help="quiet period (default 2 s, as curator watch)")
    p.add_argument("--model", help="open_clip model or config JSON (default: the tiny test model)")
    p.add_argument("--weights")
    p.add_argument("--pretrained", default="openai")
    p.add_argument("--device", default="auto")
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--skip-rows", action="store_true")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = p.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    say(f"bench/catalog.py on {platform.node()}: {os.cpu_count()} CPUs (load {load:.1f}), Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="curator-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not args.skip_latency:
            latency(args, work)
        if not args.skip_rows:
            rows(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
