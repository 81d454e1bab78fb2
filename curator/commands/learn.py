"""`curator learn`: train the taste model on your own decisions, or show the stored one (--show)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any

from curator.commands.common import add_db_option, settings_from_args
from curator.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "learn", help="learn your taste from your picks, rejects and ratings",
        description="Train a small model on your own decisions (picks and ratings of [taste] keep_rating stars "
                    "or more are keeps; rejects and ratings of 1 to [taste] reject_rating stars are rejects; "
                    "auto flags never count), report its cross-validated AUC and balanced accuracy beside the "
                    "fused score's on the same decisions, store it in the catalog and give every scored photo "
                    "a taste value: the probability that you keep it.")
    p.add_argument("--folder", metavar="DIR", help="learn only from decisions on photos under this folder")
    p.add_argument("--include-xmp", action="store_true",
                   help="also learn from decisions imported from XMP sidecars (by default only yours count)")
    p.add_argument("--show", action="store_true", help="print the stored model instead of training one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog
    from curator.actions.taste_learning import learn, show, taste_options

    settings = settings_from_args(args)
    if args.show:
        with Catalog.open(settings.db_path, create=False, readonly=True) as catalog:
            summary = show(catalog)
        _print_show(summary, args.json)
        return EXIT_OK
    rule, options = taste_options(settings)
    under = os.path.realpath(os.path.expanduser(args.folder)) if args.folder else None
    with Catalog.open(settings.db_path, create=False) as catalog:
        report = learn(catalog, rule=rule, options=options, include_imported=args.include_xmp, under=under)
        if catalog.flag_basis() == "taste":  # the auto flags rank by taste: bring them in line with the new values
            from curator.actions.culling import CullingRules, flag_policy_for, recompute_flags

            recompute_flags(catalog, CullingRules.from_settings(settings, flag_policy_for(catalog, settings)))
    m, model = report.model.metrics, report.model
    if args.json:
        json.dump({"auc": _num(m.auc), "balanced_accuracy": _num(m.balanced_accuracy),
                   "baseline_auc": _num(m.baseline_auc),
                   "baseline_balanced_accuracy": _num(m.baseline_balanced_accuracy),
                   "n_positive": model.n_positive, "n_negative": model.n_negative, "folds": m.folds,
                   "model_id": report.model_id, "fingerprint": model.fingerprint, "applied": report.applied,
                   "leans_on": [{"column": c, "per_sd": w} for c, w in model.top_columns(5)]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"learned from {model.n_train} decisions: {model.n_positive} keeps, {model.n_negative} rejects")
    print(_metrics_lines(m))
    print(_leans_on(model))
    print(f"taste model {report.model_id} stored; {report.applied} photo(s) have a taste value "
          "(curator list --sort -taste, or the gallery's My taste sort)")
    return EXIT_OK


def _metrics_lines(m: Any) -> str:
    return (f"  your model ({m.folds}-fold cross-validated): AUC {m.auc:.3f}, balanced accuracy "
            f"{m.balanced_accuracy:.3f}\n"
            f"  the fused score alone, same folds:    AUC {m.baseline_auc:.3f}, balanced accuracy "
            f"{m.baseline_balanced_accuracy:.3f}")


def _leans_on(model: Any) -> str:
    groups = ", ".join(f"{g} {s:.2f}" for g, s in model.group_spreads())
    columns = ", ".join(f"{c} {w:+.2f}" for c, w in model.top_columns(4))
    return (f"  what moves it (log-odds per standard deviation): {groups}"
            + (f"\n  strongest columns: {columns}" if columns else ""))


def _print_show(summary: Any, as_json: bool) -> None:
    model = summary.model
    if as_json:
        record = json.loads(model.to_json())
        json.dump({"model_id": summary.model_id, "current_engine": summary.current_fingerprint,
                   "applicable": summary.applicable, "photos_with_taste": summary.photos_with_taste,
                   "record": record}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(model.trained_at))
    print(f"taste model {summary.model_id}, trained {when} on {model.n_train} decisions "
          f"({model.n_positive} keeps, {model.n_negative} rejects)")
    print(f"  engine: {model.fingerprint}"
          + ("" if summary.applicable else f"  (the catalog's latest scores are from {summary.current_fingerprint}: "
                                           "run `curator learn` to retrain)"))
    print(_metrics_lines(model.metrics))
    schema = "; ".join(f"{g.group} ({len(g.columns)} column{'s' if len(g.columns) != 1 else ''})"
                       for g in model.groups)
    print(f"  features: {schema}; embedding on {model.embedding_components} principal axes; "
          f"L2 C={model.regularisation_c:g}")
    print(_leans_on(model))
    print(f"  {summary.photos_with_taste} photo(s) have a taste value")


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None
