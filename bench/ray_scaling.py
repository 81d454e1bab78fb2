#!/usr/bin/env python3
"""Photos/s of `curator scan --ray` with 1 and 2 actors, and the overhead against a local scan.

    python bench/ray_scaling.py                      # RN50 with seeded random weights, 8 photos of 3000x2000
    python bench/ray_scaling.py --n 16 --size 6000x4000 --actors 1,2,4 --address auto

A local Ray cluster is started in this process unless --address names one. Each actor gets
--threads CPUs (and as many torch threads); the local scan compared runs with the same number of
torch threads. Random weights: the figures hold for any weights of this architecture.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from curator.benchmarks.machine import describe, machine_info
    from curator.benchmarks.random_weights import RANDOM_WEIGHTS_NOTE, build_random_weights
    from curator.benchmarks.ray_scaling import format_scaling, measure_scaling
    from curator.benchmarks.synth import synth_photos
    from curator.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="photos (default 8)")
    parser.add_argument("--size", default="3000x2000", help="synthesised photo size WxH (default 3000x2000)")
    parser.add_argument("--model", default="RN50", help="open_clip architecture (default RN50)")
    parser.add_argument("--actors", default="1,2", help="actor counts (default 1,2)")
    parser.add_argument("--threads", type=int, default=1, help="CPUs per actor and local torch threads (default 1)")
    parser.add_argument("--address", default="local", help="local (default), auto or HOST:PORT")
    parser.add_argument("--batch", type=int, default=2, help="photos per batch (default 2)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(RANDOM_WEIGHTS_NOTE, file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="curator-ray-bench-") as tmp:
        work = Path(tmp)
        weights = build_random_weights(args.model, work / "weights")
        photos = synth_photos(work / "photos", args.n, size=(width, height))
        settings = Settings(model=args.model, weights=str(weights), pretrained=None, scan_batch=args.batch,
                            decode_workers=args.threads)
        figures = measure_scaling(settings, [str(work / "photos")], work,
                                  actor_counts=[int(n) for n in args.actors.split(",")], address=args.address,
                                  threads=args.threads)
    print(f"{len(photos)} synthetic {width}x{height} JPEGs, {args.model}, koniq views, exact (fp32), "
          f"batch {args.batch}")
    print(format_scaling(figures, args.threads))
    print(describe(machine_info()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
