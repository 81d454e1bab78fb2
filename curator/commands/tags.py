"""`curator tags [PATH|--folder DIR]`: each photo's keywords, with their confidence."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from curator.commands.common import (
    add_db_option,
    add_engine_options,
    settings_from_args,
)
from curator.display import json_ready, shown
from curator.errors import EXIT_OK, UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tags", help="list photos' keywords (zero-shot CLIP over a vocabulary) with their confidence",
        description="Each photo's keywords, from its stored CLIP embedding and the vocabulary ([tags] settings: "
                    "the built-in list of a few hundred subjects, scenes and events, or your own file, plus extra "
                    "terms). A keyword is kept when it is among the top_k most confident, its confidence is at "
                    "least threshold, and it beats a neutral prompt by margin. The vocabulary's text features are "
                    "computed once per vocabulary and engine (the model loads only then).")
    p.add_argument("path", nargs="?", metavar="PATH", help="one photo, or a folder (recursive)")
    p.add_argument("--folder", metavar="DIR", help="the photos under this folder (recursive)")
    p.add_argument("--json", action="store_true",
                   help='print a JSON array: [{"path":..., "keywords": [{"keyword":..., "confidence":..., '
                        '"margin":...}]}]')
    add_db_option(p)
    add_engine_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog
    from curator.actions.keyword_tagging import tagger

    settings = settings_from_args(args)
    if args.path and args.folder:
        raise UserError("give a PATH or --folder DIR, not both")
    target = args.path or args.folder
    scope = [os.path.realpath(os.path.expanduser(target))] if target else None
    with Catalog.open(settings.db_path, create=False) as catalog:
        tags = tagger(catalog, settings)
        rows = {r.photo_id: r for r in catalog.query_rows(under=scope[0] if scope else None)}
        if scope and not rows and os.path.isfile(scope[0]):
            raise UserError(f"{shown(target)} is not in the catalog: run `curator scan` on its folder")
        keywords = tags.for_photos(catalog, sorted(rows))
    out: list[dict[str, Any]] = [{"path": rows[pid].path, "keywords": [{"keyword": k.keyword, "confidence": round(k.confidence, 4),
                                                   "margin": round(k.margin, 4)} for k in kws]}
           for pid, kws in sorted(keywords.items(), key=lambda kv: rows[kv[0]].path)]
    if args.json:
        json.dump(json_ready(out), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for item in out:
        words = ", ".join(f"{k['keyword']} ({k['confidence']:.2f})" for k in item["keywords"]) or "-"
        print(f"{shown(item['path'])}: {words}")
    missing = len(rows) - len(keywords)
    if missing:
        print(f"curator: {missing} photo(s) have no CLIP embedding yet (curator scan --embeddings-only DIR)",
              file=sys.stderr)
    return EXIT_OK
