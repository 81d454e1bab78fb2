"""`curator scan DIR...`: score every new, changed or stale photo under the folders into the catalog, once."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any

from curator.commands.common import (
    add_db_option,
    add_engine_options,
    add_policy_options,
    add_queue_options,
    command_settings,
    require_existing,
)
from curator.commands.policy_options import resolve_policy
from curator.commands.terminal import graceful_stop, is_tty, log_warnings_to_stderr
from curator.display import shown
from curator.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED
from curator.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scan", help="score the photos under folders into the catalog (one-shot)",
        description="Walk the folders recursively and score every photo that is new, changed (size or mtime), "
                    "or scored by another engine, into the catalog. Unchanged photos are skipped; a renamed or "
                    "moved photo keeps its score; deleted ones are marked missing.")
    p.add_argument("paths", nargs="+", metavar="DIR", help="folders (recursive) or photo files")
    add_db_option(p)
    add_queue_options(p)
    add_policy_options(p)
    p.add_argument("--retry-errors", action="store_true", help="try again photos that failed before")
    p.add_argument("--reasons-only", action="store_true", dest="reasons_only",
                   help="only compute what the reasons need (quality dimensions and measurements) for photos "
                        "already scored, keeping their stored scores; new or changed photos are left for a scan")
    p.add_argument("--embeddings-only", action="store_true", dest="embeddings_only",
                   help="only compute the CLIP embeddings (search, keywords, duplicates) of scored photos that "
                        "have none from this model; scores are not touched (every scan also does this at its end)")
    p.add_argument("--triage", action="store_true",
                   help="provisional scores first (one quick view per photo), then the exact scores, whatever the "
                        "queue's length (without it: only past [watch] triage_over photos, default 50)")
    add_engine_options(p)
    from curator.scanning.ray_scan import add_ray_options

    add_ray_options(p)
    p.set_defaults(run=run)


# -- scan -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from curator.scanning import service
    from curator.catalog import Catalog

    settings = command_settings(args)
    require_existing(args.paths)  # a typo is a usage error before a catalog is made or a model loads
    with Catalog.open(settings.db_path) as catalog:  # a bad catalog is a usage error before any work
        policy = resolve_policy(catalog, settings, args)
    if args.embeddings_only:
        return run_embeddings_only(settings, args.paths)
    log_warnings_to_stderr()
    progress = _Progress() if is_tty() else None
    from curator.scanning.ray_scan import options_from

    ray = options_from(settings, args, on_cluster=progress.cluster if progress else None)
    t0 = time.monotonic()
    with graceful_stop() as stop:
        try:
            summary = service.scan(settings, args.paths, flag_policy=policy, retry_errors=args.retry_errors,
                                   triage=args.triage,
                                   stop=stop, on_start=progress.start if progress else None,
                                   on_progress=progress.update if progress else None,
                                   reasons_only=args.reasons_only, ray=ray)
        finally:
            if progress:
                progress.close()
    filled = summary.embeddings
    elapsed = time.monotonic() - t0
    for path in summary.not_photos:
        print(f"curator: skipping {shown(path)}: not a photo (by extension)", file=sys.stderr)
    for path, reason in summary.errors:
        print(f"{shown(path)}: {shown(reason)}", file=sys.stderr)
    for _sidecar, reason in summary.sidecar_failures:
        print(f"curator: {shown(reason)}; its ratings were not imported", file=sys.stderr)
    s, t = summary.sync, summary.totals
    if not summary.found and not t.done and not summary.other_scorer:  # the one empty-folder rule (score's): exit 0
        gone = f" ({s.missing} catalogued photo(s) there marked missing)" if s.missing else ""
        print("curator: no photos found in: " + ", ".join(map(shown, args.paths)) + gone, file=sys.stderr)
        return EXIT_OK
    print(describe_sync(summary.found, s))
    if summary.other_scorer:
        print(f"queued {s.to_score} photo(s): curator (pid {summary.other_scorer}) is scoring this catalog and "
              "will score them")
        return EXIT_OK
    # Errors: what this run saw (the walk's and the scorer's), and those left from earlier runs apart.
    earlier = f" ({summary.earlier_errors} more under these folders from earlier runs: `curator list --errors`)" \
        if summary.earlier_errors else ""
    measured = f"measured {t.measured} (stored scores kept), " if t.measured or s.remeasure else ""
    quick = f" (after {t.provisional} provisional score(s) first)" if t.provisional else ""
    print(f"scored {t.scored}{quick}, {measured}kept {t.adopted + t.unchanged} unchanged or moved, "
          f"{len(summary.errors)} error(s) this run{earlier}; {summary.flags_changed} auto flag(s) changed, "
          f"{summary.reasons_changed} photo(s) with new reasons")
    if s.skipped:
        print(f"{s.skipped} photo(s) not scored yet left for a scan (--reasons-only scores nothing)")
    print(describe_time(elapsed, t.done, t.busy_seconds))
    if t.paired:
        print(f"{t.paired} RAW+JPEG partner file(s) share their shot's score and decision")
    if summary.sidecars_imported:
        print(f"imported the decisions of {summary.sidecars_imported} XMP sidecar(s) set in another application")
    if filled is not None and filled.missing:
        print(f"added the CLIP embedding of {filled.stored} photo(s) scored before; scores unchanged")
        for path, reason in filled.errors:
            print(f"{shown(path)}: {shown(reason)}", file=sys.stderr)
    if summary.interrupted:
        print("curator: interrupted; the rest stays queued for the next scan or watch", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if summary.errors else EXIT_OK


def _fill(settings: Settings, engine: Any, paths: list[str], stop: threading.Event) -> Any:
    from curator.catalog import Catalog
    from curator.actions.embedding_backfill import fill_embeddings
    from curator.disk.identity import normalize_path

    # the scope as scan's walk names it: a folder by its real path, a file with its folder's links resolved
    roots = [os.path.realpath(p) if os.path.isdir(p) else normalize_path(p)
             for p in (os.path.expanduser(raw) for raw in paths)]
    with Catalog.open(settings.db_path) as catalog:
        return fill_embeddings(catalog, engine, roots, stop=stop)


def run_embeddings_only(settings: Settings, paths: list[str]) -> int:
    """`scan --embeddings-only`: the CLIP embeddings of scored photos that lack one; no scoring."""
    from curator.actions.engine_loading import load_engine

    t0 = time.monotonic()
    engine = load_engine(settings)
    with graceful_stop() as stop:
        filled = _fill(settings, engine, paths, stop)
    for path, reason in filled.errors:
        print(f"{shown(path)}: {shown(reason)}", file=sys.stderr)
    print(f"{filled.missing} scored photo(s) had no CLIP embedding from {engine.model_name}: "
          f"{filled.stored} added, {len(filled.errors)} error(s); scores unchanged "
          f"({time.monotonic() - t0:.1f} s, loading the model included)")
    if filled.interrupted:
        print("curator: interrupted; run it again for the rest", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if filled.errors else EXIT_OK


def describe_sync(found: int, s: Any) -> str:
    """What the walk found, each photo counted once (a SyncCounts)."""
    queued = f", {s.queued} already queued" if s.queued else ""
    back = f", {s.reappeared} back" if s.reappeared else ""
    back += f", {s.remeasure} to measure" if getattr(s, "remeasure", 0) else ""
    return (f"{found} photo(s) found: {s.new} new, {s.changed} changed, {s.rescore} to rescore{queued}{back}, "
            f"{s.unchanged} unchanged, {s.missing} missing")


def describe_time(elapsed: float, done: int, busy_seconds: float) -> str:
    """The run's wall time, and the part of it spent on photos, with the rate over that part only."""
    line = f"time: {elapsed:.1f} s in all (walking the folders and loading the model included)"
    if done and busy_seconds > 0:
        line += (f"; {busy_seconds:.1f} s decoding, scoring and recording {done} photo(s) "
                 f"({done / busy_seconds:.1f} photos/s)")
    return line


class _Progress:
    """done/total, rate and ETA with rich, on a terminal only."""

    def __init__(self) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self._progress = Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[rate]:.1f} photos/s"), TimeElapsedColumn(),
                                  TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[cluster]}"),
                                  transient=False)
        self._task: Any = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("scan", total=total, rate=0.0, cluster="")

    def update(self, done: int, total: int, rate: float) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=done, total=total, rate=rate)

    def cluster(self, status: Any) -> None:
        """With --ray: live actors and photos/s per node (a ray_scan.ClusterStatus)."""
        if self._task is not None:
            self._progress.update(self._task, cluster=status.describe())

    def close(self) -> None:
        self._progress.stop()

