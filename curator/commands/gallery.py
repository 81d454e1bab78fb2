"""`curator gallery`: the PySide6 culling window over the catalog (the ui package, imported lazily)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from curator.commands.common import add_db_option, add_engine_options, settings_from_args
from curator.errors import UserError
from curator.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gallery", help="open the culling window: sort, review, pick and reject with the keyboard",
        description="Open a window on the catalog: thumbnails sorted by score, weak frames marked, "
                    "a detail pane that explains each score, and Lightroom-style keys "
                    "(P pick, X reject, U unflag, 0-5 rating). Decisions are saved at once.")
    add_db_option(p)
    p.add_argument("--folder", metavar="DIR", help="show only this folder (shoot) and its subfolders")
    p.add_argument("--watch", metavar="DIR", nargs="+", action="extend", default=[],
                   help="also watch these folders and score new photos in the background (loads the model)")
    add_screenshot_options(p)
    add_engine_options(p)  # used by --watch only
    p.set_defaults(run=run)


def add_screenshot_options(p: argparse.ArgumentParser) -> None:
    """--screenshot, --view, --size: the gallery's, and the demo's."""
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the window once (catalog loaded, thumbnails done, first photo's details open), "
                        "save it as a PNG and exit")
    p.add_argument("--view", choices=("grid", "loupe", "zoom", "compare", "survey"), default="grid",
                   help="with --screenshot: the view to render (zoom: the loupe at 100 %% on the sharpest window; "
                        "compare and survey: the first burst, when there is one)")
    p.add_argument("--size", metavar="WxH", type=_size,
                   help="with --screenshot: the window's size in pixels, e.g. 1366x768 (default 1440x900)")


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    watch_dirs = [str(Path(d).expanduser()) for d in args.watch]
    for d in watch_dirs:
        if not Path(d).is_dir():
            raise UserError(f"--watch: not a folder: {d}")
    folder = str(Path(args.folder).expanduser().resolve()) if args.folder else None
    return open_gallery(settings, args, folder=folder, watch_dirs=watch_dirs)


def open_gallery(settings: Settings, args: argparse.Namespace, *, folder: str | None = None,
                 watch_dirs: Sequence[str] = (), notice: str | None = None) -> int:
    """The window on settings' catalog (or, with args.screenshot, its picture): the one way into `ui`
    from the commands, so `curator demo` opens it here too. notice: a standing line in the window."""
    check_window_options(args)
    _check_catalog(settings.db_path)
    try:
        from ui.app import run_gallery
    except ImportError as exc:  # PySide6 missing or its Qt libraries not loadable
        raise UserError(f"the gallery needs PySide6 and a working Qt: {exc}") from None
    return run_gallery(settings, folder=folder, watch_dirs=watch_dirs, screenshot=args.screenshot,
                       screenshot_view=args.view, screenshot_size=args.size, notice=notice)


def check_window_options(args: argparse.Namespace) -> None:
    """--screenshot, --view and --size, and a display to show a window on: one-line errors (exit 2)
    before any work is done."""
    if args.screenshot is not None and Path(args.screenshot).suffix.lower() != ".png":
        raise UserError(f"--screenshot needs a .png file name, not {args.screenshot!r}")
    if args.screenshot is None and (args.view != "grid" or args.size is not None):
        raise UserError("--view and --size go with --screenshot FILE.png")
    _choose_qt_platform(screenshot=args.screenshot is not None)


def _size(text: str) -> tuple[int, int]:
    """"1366x768" -> (1366, 768); argparse turns the ValueError into a one-line usage error (exit 2)."""
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or not (320 <= int(w) <= 8192 and 240 <= int(h) <= 8192):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT between 320x240 and 8192x8192, not {text!r}")
    return int(w), int(h)


def _choose_qt_platform(screenshot: bool, environ: dict[str, str] | None = None) -> None:
    """Without a display, Qt aborts the process. A screenshot needs no screen, so it renders
    offscreen; an interactive window gets a one-line error instead of the abort."""
    env = os.environ if environ is None else environ
    if env.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    if screenshot:
        env["QT_QPA_PLATFORM"] = "offscreen"
        return
    raise UserError("no display to open the gallery on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
                    "run it in a desktop session, or use --screenshot FILE.png")


def _check_catalog(db_path: Path) -> None:
    """Fail with one line (exit 2) before any window opens if the catalog cannot be opened at all.

    It is opened as the window will open it: read-write (which creates a missing
    catalog and migrates an older one), else, for a read-only catalog that
    exists, read-only (the window then says decisions cannot be saved).
    """
    from curator.catalog import Catalog, CatalogReadOnly

    try:
        try:
            cat = Catalog.open(db_path)
        except CatalogReadOnly:
            if not db_path.exists():
                raise
            cat = Catalog.open(db_path, readonly=True)
    except UserError:
        raise
    except OSError as exc:  # e.g. permission denied on the file itself
        raise UserError(f"cannot open catalog {db_path}: {exc.strerror or exc}") from None
    cat.close()
