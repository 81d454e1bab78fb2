"""`curator dupes`: near-identical photos across folders, each group best first."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import cast

from curator.commands.common import add_db_option, settings_from_args
from curator.display import json_ready, shown
from curator.errors import EXIT_OK, UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dupes", help="find duplicates across the library (copies, exports, re-saved JPEGs), best first",
        description="Group near-identical photos: the same file content, or CLIP embeddings at least --threshold "
                    "alike AND perceptual hashes at most [duplicates] max_distance bits apart AND capture times "
                    "(when both are known) within a second. Frames of one burst are never duplicates of each "
                    "other (bursts stay bursts). Each group lists the best-scored photo first.")
    p.add_argument("--folder", metavar="DIR", help="only photos under this folder")
    p.add_argument("--threshold", type=float, metavar="T",
                   help="cosine similarity of the CLIP embeddings, at least (default: [duplicates] similarity, 0.95)")
    p.add_argument("--json", action="store_true", help="print a JSON array of groups, each a list of paths, best first")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.actions import culling
    from curator.catalog import Catalog
    from curator.actions.keyword_tagging import NO_EMBEDDINGS, main_clip_fingerprint

    settings = settings_from_args(args)
    similarity = settings.dupes_similarity if args.threshold is None else args.threshold
    if not -1.0 <= similarity <= 1.0:
        raise UserError("--threshold is a cosine similarity: between -1 and 1 (e.g. 0.95)")
    scope = [os.path.realpath(os.path.expanduser(args.folder))] if args.folder else None
    with Catalog.open(settings.db_path, create=False) as catalog:
        fingerprint = main_clip_fingerprint(catalog)
        if fingerprint is None:
            raise UserError(NO_EMBEDDINGS)
        groups = culling.duplicates(catalog, fingerprint, scope, similarity=similarity,
                                    max_distance=settings.dupes_max_distance,
                                    burst_gap_seconds=settings.burst_gap_seconds,
                                    burst_similarity=settings.burst_similarity)
        ids = [[cast(int, i) for i in g.ids] for g in groups]  # the candidates carry the catalog's ids
        rows = {r.photo_id: r for r in catalog.rows_by_id(i for g in ids for i in g)}
    paths = [[rows[i].path for i in g] for g in ids]
    if args.json:
        json.dump(json_ready(paths), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for g, group_ids in zip(groups, ids, strict=True):
        print(f"{len(group_ids)} {'identical files' if g.identical else 'near-identical photos'}:")
        for n, pid in enumerate(group_ids):
            fused, path = rows[pid].fused, rows[pid].path
            score = f"{fused:8.4f}" if fused is not None else f"{'-':>8}"
            print(f"  {score}  {'best ' if n == 0 else '     '}{shown(path)}")
    print(f"{len(groups)} group(s) of {sum(len(p) for p in paths)} photo(s)")
    return EXIT_OK
