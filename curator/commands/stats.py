"""`curator stats`: counts by status, flags, the score distribution and scoring throughput."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from curator.commands.common import add_db_option, settings_from_args
from curator.errors import EXIT_OK

QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="summarise the catalog: statuses, flags, score quantiles, throughput")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_db_option(p)
    p.set_defaults(run=run)


def quantiles(values: Sequence[float], qs: Sequence[float] = QUANTILES) -> dict[str, float]:
    """Linear-interpolated quantiles (numpy's default), keyed 'min', 'p10', ..., 'max'."""
    import numpy as np

    if not values:
        return {}
    out = np.quantile(np.asarray(values, dtype=np.float64), qs)
    names = ["min" if q == 0 else "max" if q == 1 else "median" if q == 0.5 else f"p{round(q * 100)}" for q in qs]
    return dict(zip(names, (float(v) for v in out), strict=True))


def throughput(catalog: Any) -> dict[str, Any]:
    """Engine time per photo (decode + its share of the forward pass), and the latest runs' rates."""
    times = [ms for _, ms in catalog.scoring_times() if ms > 0]
    runs = [{"kind": r.kind, "started_at": r.started_at, "ended_at": r.ended_at, "photos": r.photos,
             "scored": r.scored, "errors": r.errors, "busy_seconds": r.busy_seconds, "photos_per_s": r.rate}
            for r in catalog.runs(limit=3)]
    return {"scores": catalog.score_count(),
            "engine_ms_per_photo": sum(times) / len(times) if times else None,
            "runs": runs}


def gather(catalog: Any) -> dict[str, Any]:
    counts = catalog.counts()
    return {
        "catalog": str(catalog.path),
        "schema_version": catalog.schema_version(),
        "photos": sum(counts.values()),
        "status": counts,
        "decisions": catalog.decision_counts(),
        "fused": quantiles(catalog.latest_fused()),
        "throughput": throughput(catalog),
        "engines": [{"fingerprint": fp, "model": model, "protocol": protocol, "scores": n}
                    for fp, model, protocol, n in catalog.fingerprints()],
        "flag_policy": catalog.flag_policy(),
    }


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog

    settings = settings_from_args(args)
    with Catalog.open(settings.db_path, create=False) as catalog:
        data = gather(catalog)
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    st, d, q, t = data["status"], data["decisions"], data["fused"], data["throughput"]
    print(f"catalog:    {data['catalog']} (schema {data['schema_version']})")
    print(f"photos:     {data['photos']}: " + ", ".join(f"{st[k]} {k}" for k in ("scored", "pending", "error", "missing")))
    print(f"flags:      {d['reject_auto']} auto reject(s), {d['reject_user']} your reject(s), {d['pick']} pick(s); "
          f"{d['low_quality']} low quality; {d['rated']} rated")
    if q:
        print("fused:      " + "  ".join(f"{k} {v:.4f}" for k, v in q.items()))
    else:
        print("fused:      no scores yet")
    if t["scores"]:
        engine = f"{t['engine_ms_per_photo']:.0f} ms/photo of engine time" if t["engine_ms_per_photo"] else ""
        print(f"throughput: {t['scores']} score(s)" + (f"; {engine}" if engine else ""))
    for r in t["runs"]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["started_at"]))
        rate = f" ({r['photos_per_s']:.1f} photos/s while busy)" if r["photos_per_s"] else ""
        span = max(0.0, r["ended_at"] - r["started_at"])
        print(f"run:        {r['kind']} at {when}: {r['photos']} photo(s) recorded ({r['scored']} scored, "
              f"{r['errors']} error(s)) in {r['busy_seconds']:.1f} s busy{rate}; {span:.1f} s from start to end")
    for e in data["engines"]:
        print(f"engine:     {e['fingerprint']} ({e['model']}, {e['protocol']}): {e['scores']} score(s)")
    return EXIT_OK
