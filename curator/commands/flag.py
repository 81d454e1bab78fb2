"""`curator flag`: recompute the auto low-quality flags, or set a decision on photos by hand."""

from __future__ import annotations

import argparse
import os
import sys

from curator.commands.common import add_db_option, settings_from_args
from curator.commands.scan import add_policy_options, describe_policy, policy_overrides, resolve_policy
from curator.errors import EXIT_OK, UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flag", help="recompute the auto low-quality flags (or set flags by hand)",
        description="Without PATHs: recompute the auto 'reject' flags with the policy given (and remember it in "
                    "the catalog for scan and watch). A photo is auto-rejected when its fused score is below "
                    "--threshold or it is in the bottom --bottom percent of its folder. Flags you set, and photos "
                    "you rated, are never changed. With PATHs: set a decision on those photos as you.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="photos to set a decision on (with --set/--rating/--label)")
    add_policy_options(p)
    p.add_argument("--folder", metavar="DIR", help="recompute only this folder")
    p.add_argument("--set", dest="set_flag", choices=("pick", "reject", "none"), help="flag PATHs as you")
    p.add_argument("--rating", type=int, choices=range(0, 6), metavar="0-5", help="rate PATHs")
    p.add_argument("--label", metavar="COLOUR", help="colour-label PATHs (Red, Yellow, Green, Blue, Purple, none)")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import UNCHANGED, Catalog
    from curator.worker import normalize_path

    settings = settings_from_args(args)
    with Catalog.open(settings.db_path, create=False) as catalog:
        if args.paths:
            if args.set_flag is None and args.rating is None and args.label is None:
                raise UserError("with PATHs, say what to set: --set pick|reject|none, --rating N or --label COLOUR")
            unknown = []
            for raw in args.paths:
                pid = catalog.photo_id_for_path(normalize_path(os.path.expanduser(raw)))
                if pid is None:
                    unknown.append(raw)
                    continue
                catalog.set_decision(pid, flag=args.set_flag if args.set_flag is not None else UNCHANGED,
                                     rating=args.rating if args.rating is not None else UNCHANGED,
                                     label=args.label if args.label is not None else UNCHANGED, source="user")
            for raw in unknown:
                print(f"curator: {raw}: not in the catalog", file=sys.stderr)
            print(f"set a decision on {len(args.paths) - len(unknown)} photo(s)")
            return EXIT_OK if not unknown else 1
        policy = resolve_policy(catalog, settings, args)
        folder = os.path.realpath(os.path.expanduser(args.folder)) if args.folder else None
        if policy_overrides(args) and folder is None:
            catalog.set_flag_policy(*policy)
        changed = catalog.recompute_flags(policy[0], policy[1], folder=folder)
        d = catalog.decision_counts()
    print(f"policy: {describe_policy(policy)}")
    print(f"{changed} auto flag(s) changed; now {d['reject_auto']} auto reject(s), {d['reject_user']} your "
          f"reject(s), {d['pick']} pick(s); {d['low_quality']} low quality")
    return EXIT_OK
