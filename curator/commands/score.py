"""`curator score PATH...`: score photos and print the result; touches no catalog."""

from __future__ import annotations

import argparse
import json
import sys

from curator.commands.common import add_engine_options, iter_photo_paths, require_existing, settings_from_args
from curator.display import json_ready, shown
from curator.errors import EXIT_OK, EXIT_SOME_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score photos or folders and print MA-CLIP scores",
                       description="Score photos (a folder means every photo under it) and print the "
                                   "MA-CLIP fused score with its cosine and magnitude cues.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    add_engine_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from iqa_engine import Engine

    settings = settings_from_args(args)
    require_existing(args.paths)  # a typo is a one-line usage error, before the model loads
    paths = list(iter_photo_paths(args.paths))
    if not paths:  # not an error, as for `scan`: there is nothing to score
        print("curator: no photos found in: " + ", ".join(map(shown, args.paths)), file=sys.stderr)
        if args.json:
            print("[]")
        return EXIT_OK
    engine = Engine(settings.engine_config())
    failures = 0
    rows: list[dict[str, object]] = []
    if not args.json:
        print(f"{'fused':>8} {'cosine':>8} {'magnitude':>9} {'w_cosine':>8}  path", flush=True)
    for path, result in engine.score_paths(paths):
        if isinstance(result, Exception):
            failures += 1
            print(f"{shown(str(path))}: {shown(str(result))}", file=sys.stderr, flush=True)
            continue
        if args.json:
            rows.append({"path": str(path), "fused": result.fused, "cosine": result.cosine,
                         "magnitude": result.magnitude, "w_cosine": result.w_cosine,
                         "w_magnitude": result.w_magnitude, "views": result.n_views,
                         "protocol": result.protocol, "model": result.model, "method": result.method})
        else:
            print(f"{result.fused:8.4f} {result.cosine:8.4f} {result.magnitude:9.4f} {result.w_cosine:8.4f}  "
                  f"{shown(str(path))}", flush=True)
    if args.json:
        json.dump(json_ready(rows), sys.stdout, indent=2)
        sys.stdout.write("\n")
    return EXIT_SOME_FAILED if failures else EXIT_OK

