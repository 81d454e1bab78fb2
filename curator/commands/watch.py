"""`curator watch DIR...`: catch up as scan does, then score photos as they land, until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from curator.commands.common import (
    add_db_option,
    add_engine_options,
    add_policy_options,
    add_queue_options,
    command_settings,
)
from curator.commands.policy_options import describe_policy, resolve_policy
from curator.commands.terminal import graceful_stop, is_tty, route_python_warnings
from curator.display import shown
from curator.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch", help="score photos as they land in folders (runs until Ctrl-C)",
        description="Catch up as `curator scan` does, then watch the folders: a new or rewritten photo is "
                    "scored once it has settled (size and mtime unchanged for --settle seconds) and decodes; "
                    "renamed and moved photos keep their scores; deleted ones are marked missing. The queue "
                    "lives in the catalog, so a crash loses nothing. SIGINT/SIGTERM finish or park the current "
                    "batch and exit 0.")
    p.add_argument("paths", nargs="+", metavar="DIR", help="folders to watch (recursively)")
    add_db_option(p)
    add_queue_options(p)
    add_policy_options(p)
    p.add_argument("--polling", action="store_true",
                   help="poll the folders instead of native events (network shares)")
    p.add_argument("--rescan", type=float, default=600.0, metavar="SECONDS",
                   help="re-sync the folders this often while idle, in case events were lost (default 600; 0: never)")
    p.add_argument("--xmp", action="store_true",
                   help="keep XMP sidecars in step: write every photo's decision at start, then each new score "
                        "and every changed decision (naming, mapping and score from the [xmp] settings)")
    add_engine_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog
    from curator.errors import UserError
    from curator.scanning.service import WatchService, WatchStatus

    settings = command_settings(args)
    dirs = [Path(d) for d in args.paths]
    for d in dirs:
        if not d.expanduser().is_dir():
            raise UserError(f"not a folder: {d}")
    with Catalog.open(settings.db_path) as catalog:
        policy = resolve_policy(catalog, settings, args)
        basis = catalog.flag_basis()  # score, or taste (`curator flag --by`)
    tty = is_tty()
    console: Any = None
    live: Any = None
    if tty:
        from rich.console import Console
        from rich.logging import RichHandler

        console = Console()
        handler: logging.Handler = RichHandler(console=console, show_time=False, show_path=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s curator: %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("curator")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    propagate, logger.propagate = logger.propagate, False  # not twice, if a library configured the root logger
    route_python_warnings()
    log = logging.getLogger("curator.watch")
    folders = ", ".join(shown(str(d)) for d in dirs)

    def on_status(status: WatchStatus) -> None:
        text = (f"watching {folders} · queue {status.queue_length} · scored {status.scored} · "
                f"errors {status.errors} · {status.rate:.1f} photos/s")
        if live is not None:
            live.update(text)

    def on_batch(report: Any) -> None:
        if not tty:
            done = sum(1 for r in report.recorded if r.recorded and r.kind != "changed")
            if done:
                log.info("recorded %d photo(s) (%d scored, %d error(s) in all; %.1f photos/s)", done,
                         report.totals.scored, report.totals.errors, report.rate)

    def on_ready() -> None:
        log.info("watching %s into %s (%s; settle %.1f s%s); Ctrl-C to stop", folders, settings.db_path,
                 describe_policy(policy, basis), settings.settle_seconds,
                 f"; XMP sidecars kept in step ({settings.xmp_naming} naming)" if args.xmp else "")

    service = WatchService(settings, dirs, on_status=on_status, flag_policy=policy, polling=args.polling,
                           rescan_seconds=args.rescan, on_batch=on_batch, on_ready=on_ready, xmp=args.xmp)
    try:
        with graceful_stop() as stop:
            if tty:
                from rich.live import Live

                with Live("starting…", console=console, refresh_per_second=4, transient=True) as live_:
                    live = live_
                    service.run(stop)
            else:
                service.run(stop)
        t = service.totals
        log.info("stopped: %d scored, %d kept after a move, %d error(s) this session", t.scored, t.adopted,
                 t.errors)
        if service.writer is not None:
            log.info("%d XMP sidecar(s) written", service.writer.sidecars_written)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    return EXIT_OK
