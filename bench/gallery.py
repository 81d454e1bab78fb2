"""How fast the gallery opens and sorts a big catalog (targets: 10k photos < 1 s, 100k < 3 s).

    python bench/gallery.py                 # 10,000 and 100,000 photos
    python bench/gallery.py --sizes 20000   # other sizes
    python bench/gallery.py --keep DIR      # keep (and reuse) the generated catalogs there
    python bench/gallery.py --views         # only the loupe, 100 % zoom and compare on 24 MP JPEGs
                                            # (bench/gallery_views.py)

For each size it builds a catalog through the Catalog API (not timed): N
photos in 50-photo folders, N scores with KonIQ-style windows, then the auto
flags. It then opens a real GalleryWindow offscreen and prints:

- open: from creating the window to the first frame painted with the rows
  loaded, sorted worst-first and the first tile selected (catalog read on
  the worker thread included);
- the catalog read alone, and the GUI thread's share (model + proxy sort);
- each re-sort, and a filter change, as the toolbar does them;
- a keyboard decision (P) with its selection move.

Thumbnails are not part of this: they load lazily for visible tiles only,
off the GUI thread. The photo files do not exist; tiles show placeholders.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import numpy as np  # after the environment is set

FOLDER_SIZE = 50


def build_catalog(db: Path, n: int, seed: int = 0) -> float:
    from curator.actions import culling
    from curator.actions.culling import CullingRules
    from curator.catalog import Catalog, FileEntry, FileStat, Outcome
    from iqa_engine.results import PhotoScore, ViewScore

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    root = "/bench/photos"
    fp = "bench-engine"
    with Catalog.open(db) as cat:
        entries = []
        for i in range(n):
            folder = f"{root}/shoot-{i // FOLDER_SIZE:05d}"
            mtime = 1_700_000_000_000_000_000 + i * 1_000_000_000
            entries.append(FileEntry(f"{folder}/IMG_{i:06d}.jpg", FileStat(4_000_000 + i, mtime)))
        cat.sync_files([root], entries, fingerprint=fp, gone=lambda p: False)
        fused = rng.normal(0.62, 0.08, n)
        boxes = [(x, t, x + 224, t + 224) for t in (0, 128, 256, 384, 512) for x in (0, 128, 256, 384, 512, 640, 768)]
        emb = np.zeros(16, dtype=np.float32)
        done = 0
        while True:
            items = cat.pending_items(limit=2000)
            if not items:
                break
            outcomes = []
            for it in items:
                f = float(fused[(it.photo_id - 1) % n])
                views = tuple(ViewScore(b, f, f - 0.05, f + 0.08, 0.55, 0.45) for b in boxes) + (
                    ViewScore(None, f, f - 0.05, f + 0.08, 0.55, 0.45),)
                score = PhotoScore(score=f, fused=f, cosine=f - 0.05, magnitude=f + 0.08, w_cosine=0.55,
                                   w_magnitude=0.45, mode="fused", protocol="koniq", model="bench", fingerprint=fp,
                                   views=views, scored_size=(1024, 683), original_size=(6000, 4000), embedding=emb)
                outcomes.append(Outcome(it.photo_id, "scored", expected=it.stat, score=score))
            cat.record_outcomes(outcomes)
            done += len(items)
        culling.recompute_flags(cat, CullingRules(None, 15.0))
    return time.perf_counter() - t0


def measure(db: Path, cache_dir: Path) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from ui.app import get_app
    from curator.settings import Settings
    from ui.window import GalleryWindow

    app = get_app()
    out: dict[str, float] = {}

    gui_time = 0.0
    original = GalleryWindow._on_rows

    def timed_on_rows(self, rows):
        nonlocal gui_time
        t = time.perf_counter()
        original(self, rows)
        gui_time += time.perf_counter() - t

    GalleryWindow._on_rows = timed_on_rows  # type: ignore[method-assign]  # times the GUI thread; restored below
    t0 = time.perf_counter()
    window = GalleryWindow(Settings(db=str(db)), cache_dir=cache_dir, poll_ms=60_000)
    window.resize(1440, 900)
    window.show()
    while not window.model.loaded or window.proxy.rowCount() == 0:
        app.processEvents()
        time.sleep(0.001)
    window.view.viewport().repaint()
    app.processEvents()
    out["open"] = time.perf_counter() - t0
    out["gui_share"] = gui_time
    n = window.proxy.rowCount()
    assert n == window.model.rowCount(), "all photos shown"
    # the rest of the first layout runs in batches between events; wait for the full scroll range
    view = window.view
    per_row = max(1, view.viewport().width() // view.gridSize().width())
    full = -(-n // per_row) * view.gridSize().height() - view.viewport().height()
    while view.verticalScrollBar().maximum() < full - view.gridSize().height():
        app.processEvents()
    out["laid_out"] = time.perf_counter() - t0

    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        t = time.perf_counter()
        cat.gallery_rows()
        out["catalog_read"] = time.perf_counter() - t

    for kind in ("score_desc", "time", "name", "score_asc"):
        t = time.perf_counter()
        window.set_sort(kind)
        window.view.viewport().repaint()
        app.processEvents()
        out[f"sort_{kind}"] = time.perf_counter() - t

    t = time.perf_counter()
    window.set_filter("flagged")
    window.view.viewport().repaint()
    app.processEvents()
    out["filter_flagged"] = time.perf_counter() - t
    t = time.perf_counter()
    window.set_filter("all")
    window.view.viewport().repaint()
    app.processEvents()
    out["filter_all"] = time.perf_counter() - t

    window.select_row(0)
    t = time.perf_counter()
    window.decide({"flag": "pick"})
    window.view.viewport().repaint()
    app.processEvents()
    out["decision"] = time.perf_counter() - t

    window.shutdown()
    window.deleteLater()
    GalleryWindow._on_rows = original  # type: ignore[method-assign]  # restored
    app.processEvents()
    QApplication.processEvents()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the catalogs in this folder")
    ap.add_argument("--views", action="store_true", help="measure the loupe, zoom and compare instead")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="curator-bench-gallery-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} ({os.environ.get('QT_QPA_PLATFORM', 'default')} Qt platform)")
    targets = {10_000: 1.0, 100_000: 3.0}
    try:
        if args.views:
            from gallery_views import measure_views, print_views

            print_views(measure_views(work, work / "thumbs"))
            return 0
        for n in args.sizes:
            db = work / f"gallery-{n}.db"
            if not db.exists():
                built = build_catalog(db, n)
                print(f"\n{n:,} photos: catalog built in {built:.1f} s (not timed below)")
            else:
                print(f"\n{n:,} photos: reusing {db}")
            r = measure(db, work / "thumbs")
            target = targets.get(n)
            verdict = "" if target is None else (f"  (target < {target:g} s: {'met' if r['open'] < target else 'MISSED'})")
            print(f"  open + sort (worst first), first frame: {r['open']:.3f} s{verdict}")
            print(f"    whole grid laid out (scrollable):     {r['laid_out']:.3f} s")
            print(f"    catalog read (gallery_rows):          {r['catalog_read']:.3f} s")
            print(f"    GUI thread (model + proxy sort):      {r['gui_share']:.3f} s")
            for kind in ("score_desc", "time", "name", "score_asc"):
                print(f"  re-sort by {kind:<11}                 {r['sort_' + kind]:.3f} s")
            print(f"  filter: flagged weak                    {r['filter_flagged']:.3f} s")
            print(f"  filter: all again                       {r['filter_all']:.3f} s")
            print(f"  key P (pick + move to next)             {r['decision']:.3f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
