"""Rebuild docs/gallery.png: a demo shoot scanned by the real `curator scan`, then `curator gallery --screenshot`.

    python docs/gallery_demo.py [--out docs/gallery.png] [--keep DIR] [--model CONFIG --weights FILE] [--views]

--views also writes docs/gallery-<view>.png for the grid, loupe, 100 % zoom,
compare and survey at 1366×768 (a laptop screen).

The shoot is curator.testing.demo_shoot's (the one `curator demo` opens).
Without --model/--weights it scores with the tests' tiny random open_clip
model, so the numbers in the picture exercise the plumbing and mean nothing
about quality; pass real weights for meaningful scores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from curator.testing.demo_shoot import cull_a_little, make_shoots
from iqa_engine.testing import build_tiny_model

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "gallery.png")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (photos, catalog, model)")
    ap.add_argument("--model", help="model config or name (default: the tests' tiny model)")
    ap.add_argument("--weights", help="weights file for --model")
    ap.add_argument("--views", action="store_true",
                    help="also render every view at 1366x768 as docs/gallery-<view>.png")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="curator-gallery-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    photos = make_shoots(work / "photos")
    if args.model:
        engine = ["--model", args.model] + (["--weights", args.weights] if args.weights else [])
    else:
        engine = build_tiny_model(work / "model").cli_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               XDG_CACHE_HOME=str(work / "cache"))
    db = work / "catalog.db"

    def run(*a: str) -> int:
        return subprocess.run([sys.executable, "-m", "curator", *a], cwd=REPO, env=env).returncode

    if run("scan", str(photos), "--db", str(db), "--settle", "0", "--bottom", "15", *engine) not in (0, 1):
        return 1  # 1: some files failed (the broken one, on purpose)
    cull_a_little(db)
    if run("gallery", "--db", str(db), "--screenshot", str(args.out)) != 0:
        return 1
    print(f"wrote {args.out}")
    for view in ("grid", "loupe", "zoom", "compare", "survey") if args.views else ():
        out = args.out.parent / f"gallery-{view}.png"
        # 100 % zoom on the test chart: the sample photos are smaller than the screen
        where = ["--folder", str(photos / "2024-06-03 chart")] if view == "zoom" else []
        if run("gallery", "--db", str(db), "--screenshot", str(out), "--view", view, "--size", "1366x768",
               *where) != 0:
            return 1
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
