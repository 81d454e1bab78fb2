"""`curator list`: the catalog's photos with their scores, flags and errors."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from curator.commands.common import add_db_option, settings_from_args
from curator.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list photos in the catalog with their scores and flags",
                       description="List the catalog's photos: fused score, flag, rating, colour label, status "
                                   "and path (and the reason, for errors).")
    p.add_argument("--sort", choices=("name", "score", "-score", "time"), default="name",
                   help="name (folder, then file; default), score (worst first), -score (best first; write --sort=-score), "
                        "time (capture time, else mtime)")
    p.add_argument("--flagged", action="store_true", help="only photos with a flag (reject or pick)")
    p.add_argument("--errors", action="store_true", help="only photos that could not be scored, and why")
    p.add_argument("--folder", metavar="DIR", help="only photos under this folder")
    p.add_argument("--limit", type=int, metavar="N", help="at most N photos")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog

    settings = settings_from_args(args)
    under = os.path.realpath(os.path.expanduser(args.folder)) if args.folder else None
    with Catalog.open(settings.db_path, create=False) as catalog:
        rows = catalog.query_rows(under=under, flagged=args.flagged, errors=args.errors, sort=args.sort,
                                  limit=args.limit)
    if args.json:
        json.dump([dataclasses.asdict(r) for r in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"{'fused':>8}  {'flag':<12} {'rating':>6}  {'label':<7} {'status':<8} path")
    for r in rows:
        fused = f"{r.fused:8.4f}" if r.fused is not None else f"{'-':>8}"
        flag = f"{r.flag}({r.flag_source})" if r.flag else ("none(user)" if r.flag_source == "user" else "-")
        if r.low_quality and r.flag != "reject":
            flag += "!"  # weak by the policy, though the user decided otherwise
        line = f"{fused}  {flag:<12} {r.rating:>6}  {r.label or '-':<7} {r.status:<8} {r.path}"
        if r.error:
            line += f"  ({r.error})"
        print(line)
    return EXIT_OK
