"""`curator flag`: recompute the auto low-quality flags, or set a decision on photos by hand."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from curator.commands.common import add_db_option, add_policy_options, settings_from_args
from curator.commands.policy_options import describe_policy, policy_overrides, resolve_policy
from curator.display import shown
from curator.errors import EXIT_OK, UserError

if TYPE_CHECKING:
    from curator.catalog import Catalog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flag", help="recompute the auto low-quality flags (or set flags by hand)",
        description="Without PATHs: recompute the auto 'reject' flags with the policy given (and remember it in "
                    "the catalog for scan and watch). A photo is auto-rejected when its fused score is below "
                    "--threshold or it is in the bottom --bottom percent of its folder. Flags you set, photos "
                    "you rated and bracketed frames are never changed. With PATHs: set a decision on those "
                    "photos as you. With --bursts: reject all but the best frame of each burst.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="photos to set a decision on (with --set/--rating/--label)")
    add_policy_options(p)
    p.add_argument("--by", choices=("score", "taste"),
                   help="rank and threshold by the fused score (the default) or by your taste (the probability "
                        "that you keep a photo, from `curator learn`; --threshold is then between 0 and 1); "
                        "remembered in the catalog for scan, watch and the gallery")
    p.add_argument("--folder", metavar="DIR", help="recompute only this folder (with --bursts: only photos under it)")
    p.add_argument("--bursts", action="store_true",
                   help="reject all but the best frame of each burst, as your decision; frames you decided on, "
                        "bracketed frames and bursts with an unscored frame are left alone")
    p.add_argument("--dry-run", action="store_true", help="with --bursts: list the frames it would reject")
    p.add_argument("--set", dest="set_flag", choices=("pick", "reject", "none"), help="flag PATHs as you")
    p.add_argument("--rating", type=int, choices=range(0, 6), metavar="0-5", help="rate PATHs")
    p.add_argument("--label", metavar="COLOUR", help="colour-label PATHs (Red, Yellow, Green, Blue, Purple, none)")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.actions import culling
    from curator.catalog import UNCHANGED, Catalog

    settings = settings_from_args(args)
    if args.bursts:
        if args.paths or args.set_flag is not None or args.rating is not None or args.label is not None:
            raise UserError("--bursts works on whole folders; it does not combine with PATHs, --set, --rating or "
                            "--label")
        return run_bursts(settings, args.folder, args.dry_run)
    if args.dry_run:
        raise UserError("--dry-run goes with --bursts")
    with Catalog.open(settings.db_path, create=False) as catalog:
        if args.paths:
            if args.set_flag is None and args.rating is None and args.label is None:
                raise UserError("with PATHs, say what to set: --set pick|reject|none, --rating N or --label COLOUR")
            unknown = []
            for raw in args.paths:
                pid = photo_id_for_argument(catalog, raw)
                if pid is None:
                    unknown.append(raw)
                    continue
                catalog.set_decision(pid, flag=args.set_flag if args.set_flag is not None else UNCHANGED,
                                     rating=args.rating if args.rating is not None else UNCHANGED,
                                     label=args.label if args.label is not None else UNCHANGED, source="user")

            for raw in unknown:
                print(f"curator: {shown(raw)}: not in the catalog", file=sys.stderr)
            print(f"set a decision on {len(args.paths) - len(unknown)} photo(s)")
            return EXIT_OK if not unknown else 1
        policy = resolve_policy(catalog, settings, args)
        folder = os.path.realpath(os.path.expanduser(args.folder)) if args.folder else None
        basis = args.by or catalog.flag_basis()
        if basis == "taste":
            from curator.actions.taste_learning import check_taste_basis

            check_taste_basis(catalog)  # a model exists and fits the catalog's engine, or a one-line refusal
        if folder is None:
            if policy_overrides(args):
                catalog.set_flag_policy(*policy)
            if args.by:
                catalog.set_flag_basis(args.by)
        changed = culling.recompute_flags(catalog, culling.CullingRules.from_settings(settings, policy), folder=folder,
                                          basis=basis)
        d = catalog.decision_counts()
    print(f"policy: {describe_policy(policy, basis)}")
    print(f"{changed} auto flag(s) changed; now {d['reject_auto']} auto reject(s), {d['reject_user']} your "
          f"reject(s), {d['pick']} pick(s); {d['low_quality']} low quality")
    return EXIT_OK


def photo_id_for_argument(catalog: Catalog, raw: str) -> int | None:
    """The photo a PATH argument names, by whichever path reaches it.

    A photo walked through a symlinked folder is stored under the link's path, a file scanned by itself
    with its folder's links resolved; so the argument is tried as given, absolute, with its folder's links
    resolved, fully resolved, and last against the resolved paths of the catalog's photos of that name."""
    from curator.disk.identity import normalize_path

    given = os.path.expanduser(raw)
    real = os.path.realpath(given)
    for path in dict.fromkeys((given, os.path.abspath(given), normalize_path(given), real)):
        pid = catalog.photo_id_for_path(path)
        if pid is not None:
            return pid
    return catalog.photo_id_resolving_to(real, (os.path.basename(given), os.path.basename(real)))


def run_bursts(settings: Any, folder_arg: str | None, dry_run: bool) -> int:
    """`curator flag --bursts`: "reject all but the best" in every burst under --folder (or everywhere)."""
    from curator.actions import culling
    from curator.catalog import Catalog

    under = os.path.realpath(os.path.expanduser(folder_arg)) if folder_arg else None
    if under is not None and not os.path.isdir(under):
        raise UserError(f"{shown(folder_arg or '')}: not a folder")
    with Catalog.open(settings.db_path, create=False) as catalog:
        folders = catalog.folders(under=[under]) if under is not None else None
        decisions = culling.reject_all_but_best(catalog, folders, gap_seconds=settings.burst_gap_seconds,
                                                similarity=settings.burst_similarity, dry_run=dry_run).decisions
        rows = {r.photo_id: r for r in catalog.rows_by_id(
            [d.photo_id for d in decisions] + [d.best_id for d in decisions])}

    verb = "would reject" if dry_run else "rejected"
    for d in decisions:
        print(f"{verb} {shown(rows[d.photo_id].path)} (best of its burst of {d.burst_size}: "
              f"{shown(rows[d.best_id].name)})")
    bursts = len({d.best_id for d in decisions})
    print(f"{len(decisions)} frame(s) {verb} in {bursts} burst(s)" + ("" if dry_run else " (as your decision)"))
    return EXIT_OK
