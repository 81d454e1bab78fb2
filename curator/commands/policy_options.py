"""The flag policy on the command line: the values given, what they resolve to, and how a policy reads."""

from __future__ import annotations

import argparse
from typing import Any

from curator.commands.common import _OFF
from curator.settings import Settings


def policy_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The flag policy values given on the command line ({} when none)."""
    out: dict[str, Any] = {}
    threshold = getattr(args, "threshold", None)
    if threshold is not None:
        out["threshold"] = None if threshold == _OFF else threshold
    if getattr(args, "bottom_percent", None) is not None:
        out["bottom_percent"] = args.bottom_percent
    return out


def resolve_policy(catalog: Any, settings: Settings, args: argparse.Namespace) -> tuple[float | None, float]:
    from curator.actions.culling import flag_policy_for

    threshold, bottom = flag_policy_for(catalog, settings)
    given = policy_overrides(args)
    return (given.get("threshold", threshold), given.get("bottom_percent", bottom))


def describe_policy(policy: tuple[float | None, float], basis: str = "score") -> str:
    threshold, bottom = policy
    value = "fused" if basis == "score" else "taste"
    parts = [f"bottom {bottom:g}% of each folder" + (" by taste" if basis == "taste" else "")]
    parts.append(f"{value} < {threshold:g}" if threshold is not None else "no absolute threshold")
    return ", ".join(parts)
