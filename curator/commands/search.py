"""`curator search "TEXT"` and `curator search --like PHOTO`: photos ranked by CLIP similarity."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import cast

from curator.commands.common import (
    add_db_option,
    add_engine_options,
    settings_from_args,
)
from curator.display import json_ready, shown
from curator.errors import EXIT_OK, UserError

DEFAULT_LIMIT = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search", help="find photos by text, or photos like a photo (CLIP similarity)",
        description="Rank the catalog's photos by the cosine similarity of their stored CLIP embeddings to a "
                    "text (encoded by the configured model) or, with --like, to a photo's own embedding.")
    p.add_argument("text", nargs="?", metavar="TEXT", help='what to look for, e.g. "the first dance"')
    p.add_argument("--like", metavar="PHOTO", help="find the photos nearest to this photo instead")
    p.add_argument("--folder", metavar="DIR", help="only photos under this folder")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                   help=f"at most N photos (default {DEFAULT_LIMIT})")
    p.add_argument("--json", action="store_true",
                   help='print a JSON array: [{"path":..., "similarity":..., "fused":...}], best first')
    add_db_option(p)
    add_engine_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog
    from curator.actions.keyword_tagging import NO_EMBEDDINGS, main_clip_fingerprint
    from curator.actions.photo_search import Searcher

    settings = settings_from_args(args)
    if bool(args.text) == bool(args.like):
        raise UserError('give a TEXT to search for, or --like PHOTO (one of them)')
    if args.limit < 1:
        raise UserError("--limit must be at least 1")
    scope = [os.path.realpath(os.path.expanduser(args.folder))] if args.folder else None
    with Catalog.open(settings.db_path, create=False) as catalog:
        if args.like:
            photo = os.path.realpath(os.path.expanduser(args.like))
            photo_id = catalog.photo_id_for_path(photo)
            if photo_id is None:
                raise UserError(f"{args.like} is not in the catalog: run `curator scan` on its folder")
            fingerprint = next((fp for fp, _ in catalog.clip_fingerprints()
                                if catalog.clip_embedding(photo_id, fp) is not None), None)
            if fingerprint is None:
                raise UserError(f"{args.like} has no CLIP embedding yet: run `curator scan --embeddings-only` "
                                "on its folder")
            hits = Searcher.load(catalog, fingerprint, scope).like(catalog, photo_id, args.limit)
        else:
            from curator.actions.engine_loading import load_engine

            if main_clip_fingerprint(catalog) is None:
                raise UserError(NO_EMBEDDINGS)
            engine = load_engine(settings)
            hits = Searcher.load(catalog, engine.clip_fingerprint, scope).by_text(engine, args.text, args.limit)
        ranked = [(cast(int, h.key), h.similarity) for h in hits]  # the index's keys are the catalog's ids
        rows = {r.photo_id: r for r in catalog.rows_by_id(pid for pid, _ in ranked)}
    out = [{"path": rows[pid].path, "similarity": round(sim, 4), "fused": rows[pid].fused}
           for pid, sim in ranked if pid in rows]
    if args.json:
        json.dump(json_ready(out), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"{'similarity':>10}  {'fused':>8}  path")
    for o in out:
        fused = f"{o['fused']:8.4f}" if o["fused"] is not None else f"{'-':>8}"
        print(f"{o['similarity']:>10.4f}  {fused}  {shown(str(o['path']))}")
    return EXIT_OK
