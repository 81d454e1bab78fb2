"""`curator list`: the catalog's photos with their scores, flags and errors."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Hashable
from typing import Any, cast

from curator.commands.common import add_db_option, settings_from_args
from curator.display import shown
from curator.errors import EXIT_OK, UserError
from curator.rules.reasons import VOCABULARY


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list photos in the catalog with their scores and flags",
                       description="List the catalog's photos: fused score, flag, rating, colour label, status, "
                                   "why the photo is weak (its reasons) and path (and the error, for errors). "
                                   "A ~ before a score marks a provisional score (triage's quick first pass); "
                                   "before a flag, a verdict of the auto policy reached on provisional scores. "
                                   "--json rows also carry each quality dimension and measurement.")
    p.add_argument("--sort", choices=("name", "score", "-score", "time", "taste", "-taste"), default="name",
                   help="name (folder, then file; default), score (worst first), -score (best first), "
                        "time (capture time, else mtime), taste (least likely keeps first) or -taste (most "
                        "likely first), by the model `curator learn` trained")
    p.add_argument("--flagged", action="store_true",
                   help="only the weak photos: marked weak by the auto flag policy (below --threshold, or in the "
                        "bottom N%% of their folder), whatever you decided since; the gallery's 'flagged'")
    p.add_argument("--errors", action="store_true", help="only photos that could not be scored, and why")
    p.add_argument("--reason", choices=VOCABULARY, metavar="WORD",
                   help=f"only photos with this reason: {', '.join(VOCABULARY)}")
    p.add_argument("--folder", metavar="DIR", help="only photos under this folder")
    p.add_argument("--limit", type=int, metavar="N", help="at most N photos")
    p.add_argument("--bursts", action="store_true",
                   help="show bursts and brackets instead: each group of frames, best first, with its size "
                        "(gap and similarity from the [bursts] settings)")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog

    settings = settings_from_args(args)
    under = os.path.realpath(os.path.expanduser(args.folder)) if args.folder else None
    if args.bursts:
        if args.flagged or args.errors:
            raise UserError("--bursts shows groups of frames; it does not combine with --flagged or --errors")
        return run_bursts(settings, under, args.json, args.limit)
    with Catalog.open(settings.db_path, create=False) as catalog:
        rows = catalog.query_rows(under=under, weak=args.flagged, errors=args.errors, sort=args.sort,
                                  limit=args.limit, reason=args.reason)
        quality = catalog.quality_by_id(r.photo_id for r in rows) if args.json else {}
        if args.json:
            from curator.actions.keyword_tagging import keyword_dicts, keywords_or_note

            keywords, note = keywords_or_note(catalog, settings, [r.partner_of or r.photo_id for r in rows])
            if note:
                print(f"curator: {note}", file=sys.stderr)
    if args.json:
        from curator.display import json_ready  # names that are not UTF-8: readable, with their bytes

        out = []
        for r in rows:
            q = quality.get(r.photo_id)
            # a RAW+JPEG pair is one shot: both files show the keywords of the one that was scored
            out.append({**dataclasses.asdict(r), "reasons": list(r.reasons),
                        "dimensions": dict(q.dimensions) if q else {}, "measures": dict(q.measures) if q else {},
                        "keywords": keyword_dicts(keywords.get(r.partner_of or r.photo_id, ()))})
        json.dump(json_ready(out), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    tasted = any(r.taste is not None for r in rows)  # a taste column once a model has rated photos
    print(f"{'fused':>8}  " + (f"{'taste':>5}  " if tasted else "")
          + f"{'flag':<14} {'rating':>6}  {'label':<7} {'status':<8} {'reasons':<22} path")
    for r in rows:
        # "~": a provisional score (triage's quick first pass); the exact one replaces it
        fused = (f"{'~' if r.provisional else ''}{r.fused:.4f}".rjust(8) if r.fused is not None
                 else f"{'-':>8}")
        if tasted:
            fused += f"  {r.taste:5.3f}" if r.taste is not None else f"  {'-':>5}"
        flag = f"{r.flag}({r.flag_source})" if r.flag else ("none(user)" if r.flag_source == "user" else "-")
        if r.low_quality and r.flag != "reject":
            flag += "!"  # weak by the policy, though the user decided otherwise
        if r.verdict_provisional and (r.low_quality or r.flag_source == "auto"):
            flag = "~" + flag  # the policy's verdict rests on provisional scores
        reasons = ",".join(r.reasons) or "-"
        # names, labels and errors may come from files: escaped, so one photo is always one line
        line = (f"{fused}  {flag:<14} {r.rating:>6}  {shown(r.label or '-'):<7} {r.status:<8} {reasons:<22} "
                f"{shown(r.path)}")
        if r.error:
            line += f"  ({shown(r.error)})"
        print(line)
    return EXIT_OK


def run_bursts(settings: Any, under: str | None, as_json: bool, limit: int | None) -> int:
    """`curator list --bursts`: every burst and bracket (groups of two or more frames), folder by folder."""
    from curator.actions import culling
    from curator.catalog import Catalog

    groups: list[dict[str, Any]] = []
    singles = 0
    with Catalog.open(settings.db_path, create=False) as catalog:
        for folder in catalog.folders(under=[under] if under is not None else None):
            bursts = culling.bursts(catalog, folder, gap_seconds=settings.burst_gap_seconds,
                                    similarity=settings.burst_similarity)
            multi = [b for b in bursts if b.is_burst]
            singles += len(bursts) - len(multi)
            if not multi:
                continue
            # burst ids are the catalog's photo ids (curator.rules.bursts itself takes any hashable id)
            rows: dict[Hashable, Any] = {r.photo_id: r for r in catalog.rows_by_id(
                cast(int, i) for b in multi for i in b.ids)}
            for b in multi:
                best = b.best
                order = ([best] if best is not None else []) + [i for i in b.ids if i != best]
                groups.append({
                    "folder": folder, "kind": "bracket" if b.is_bracket else "burst", "size": b.size,
                    "best": rows[best].path if best is not None else None,
                    "frames": [_frame(rows[i], next(f for f in b.frames if f.photo_id == i), i == best,
                                      i in b.bracketed) for i in order]})
            if limit is not None and len(groups) >= limit:
                groups = groups[:limit]
                break
    if as_json:
        from curator.display import json_ready

        json.dump(json_ready(groups), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for g in groups:
        marker = " (bracket: never auto-rejected)" if g["kind"] == "bracket" else ""
        print(f"{g['kind']} of {g['size']}{marker} in {shown(g['folder'])}")
        for f in g["frames"]:
            fused = f"{f['fused']:8.4f}" if f["fused"] is not None else f"{'-':>8}"
            flag = f"{f['flag']}({f['flag_source']})" if f["flag"] else "-"
            notes = []
            if f["best"]:
                notes.append("best")
            if f["bracketed"] and g["kind"] != "bracket":
                notes.append("bracketed")
            if f["bracketed"] and f["exposure_bias"] is not None:
                notes.append(f"{f['exposure_bias']:+.1f} EV")
            print(f"  {fused}  {flag:<14} {', '.join(notes):<20} {shown(f['name'])}")
    frames = sum(g["size"] for g in groups)
    print(f"{len(groups)} group(s) of {frames} frame(s); {singles} frame(s) in no burst")
    return EXIT_OK


def _frame(row: Any, frame: Any, best: bool, bracketed: bool) -> dict[str, Any]:
    return {"photo_id": row.photo_id, "path": row.path, "name": row.name, "fused": row.fused,
            "capture_time": row.capture_time, "exposure_bias": frame.exposure_bias, "flag": row.flag,
            "flag_source": row.flag_source, "rating": row.rating, "best": best, "bracketed": bracketed}
