#!/usr/bin/env python3
"""Photos/s for each protocol (koniq, spaq, global) on this machine: `curator bench speed` three times.

(bench/speed.py prints the targets table; this script is the per-protocol view.)

    python bench/speed_protocols.py --random-weights               # RN50, seeded random weights (speed only)
    python bench/speed_protocols.py --precision bf16 --trunk shared --n 6
    python bench/speed_protocols.py --weights RN50.pt --images ~/Pictures/shoot --json bench/out/speed.json

The photos (synthesised 24-MP JPEGs unless --images is given) and the weights
are made once and shared by the three runs. Each run prints its full report
(stages, end to end, machine); a summary table comes last.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from curator.commands.common import add_engine_options, iter_photo_paths, settings_from_args

PROTOCOLS = ("koniq", "spaq", "global")


def main(argv: list[str] | None = None) -> int:
    from curator.benchmarks import speed as S
    from curator.benchmarks.machine import describe
    from curator.benchmarks.random_weights import RANDOM_WEIGHTS_NOTE, build_random_weights
    from curator.benchmarks.synth import CAMERA_SIZE, synth_photos
    from curator.benchmarks.report_json import finite_json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", metavar="DIR", help="photos to time (default: synthesised 24-MP JPEGs)")
    parser.add_argument("--n", type=int, default=6, help="photos per protocol (default 6)")
    parser.add_argument("--protocols", default=",".join(PROTOCOLS), help="comma-separated (default: all three)")
    parser.add_argument("--random-weights", action="store_true", dest="random_weights",
                        help="seeded random weights for the --model architecture (speed only)")
    parser.add_argument("--baseline", action="store_true", help="also time the reference-style loop per protocol")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="report the fastest of K end-to-end runs")
    parser.add_argument("--json", metavar="OUT", dest="json_out", help="write every report to this JSON file")
    add_engine_options(parser)
    args = parser.parse_args(argv)
    protocols = [p.strip() for p in args.protocols.split(",") if p.strip()]
    if any(p not in PROTOCOLS for p in protocols):
        parser.error(f"--protocols: choose from {', '.join(PROTOCOLS)}")
    if args.random_weights and (args.weights or args.pretrained):
        parser.error("--random-weights builds its own weights; leave out --weights and --pretrained")

    reports = {}
    with tempfile.TemporaryDirectory(prefix="curator-bench-") as tmp:
        work = Path(tmp)
        if args.random_weights:
            print(RANDOM_WEIGHTS_NOTE, file=sys.stderr)
            args.model = args.model or "RN50"
            args.weights = str(build_random_weights(args.model, work / "weights"))
        if args.images:
            paths = list(iter_photo_paths([args.images]))[: args.n]
            source = args.images
        else:
            print(f"synthesising {args.n} JPEGs of {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]}", file=sys.stderr)
            paths = synth_photos(work / "photos", args.n)
            source = f"synthetic {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} JPEGs"
        if not paths:
            parser.error("no photos to time")
        for protocol in protocols:
            args.protocol = protocol
            config = settings_from_args(args).engine_config()
            run_dir = work / protocol
            run_dir.mkdir()
            report = S.measure_speed(config, paths, run_dir, baseline=args.baseline, repeat=max(1, args.repeat),
                                     random_weights=args.random_weights, image_source=source)
            print(S.format_speed(report), flush=True)
            print(flush=True)
            reports[protocol] = report.to_dict()

    first = next(iter(reports.values()))
    print(f"summary ({first['engine']['model']}, {first['engine']['precision']}, trunk {first['engine']['trunk']}, "
          f"{len(paths)} photos, {source}{'; RANDOM WEIGHTS' if args.random_weights else ''}):")
    print(f"{'protocol':<10}{'views':>7}{'forward ms':>12}{'end to end':>12}{'reference':>11}{'speed-up':>10}")
    for protocol, r in reports.items():
        base = r.get("baseline") or {}
        print(f"{protocol:<10}{r['stages']['views']['views_per_photo']:>7.0f}"
              f"{r['stages']['forward']['ms_per_photo']:>12.1f}"
              f"{r['end_to_end']['photos_per_s']:>10.2f}/s"
              + (f"{base['photos_per_s']:>9.2f}/s{base['end_to_end_speedup']:>9.2f}x" if base else ""))
    print(f"machine: {describe(first['machine'])}")
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(finite_json(reports), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
