"""`curator demo`: a sample shoot scored offline by a tiny model with random weights, in the gallery.

Everything lives in <user cache dir>/demo: the photos (scikit-image's, in several takes), the model and
the catalog. The user's own catalog and settings file are never read or written. The scores come from
random weights: they show how curator works, never what a photo is worth, and the window and the
terminal both say so.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

from curator.commands.gallery import add_screenshot_options, check_window_options, open_gallery
from curator.errors import UserError
from curator.settings import Settings

NOTICE = "DEMO: scores from random weights, they mean nothing about quality"
_READY = "ready"  # written last: a demo folder without it was interrupted while being built


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="try curator offline: a sample shoot, scored by a tiny random-weight model, in the gallery",
        description="Build a sample shoot and a tiny open_clip model with seeded random weights in the user "
                    "cache folder (once; no network, no download), score the shoot into a catalog of its own "
                    "and open the gallery on it. The scores come from random weights: they show how curator "
                    "works and mean nothing about quality. Your own catalog is never touched.")
    add_screenshot_options(p)
    p.add_argument("--rebuild", action="store_true", help="delete the demo folder and build it again")
    p.set_defaults(run=run)


def demo_dir() -> Path:
    """<user cache dir>/demo, beside the thumbnails and compiled models (deleting it is always safe)."""
    from iqa_engine.start_cache import user_cache_dir

    return user_cache_dir() / "demo"


def run(args: argparse.Namespace) -> int:
    check_window_options(args)  # a mistake or a missing display is said before the demo is built
    folder = demo_dir()
    print("curator demo: the scores come from a tiny model with random weights: they show how curator works "
          "and mean nothing about quality.", file=sys.stderr)
    if args.rebuild or not (folder / _READY).is_file():
        build(folder)
    settings = demo_settings(folder)
    print(f"curator demo: photos in {folder / 'photos'}, catalog {settings.db_path} "
          f"(`curator list --db {settings.db_path} --flagged` lists its weak frames)", file=sys.stderr)
    return open_gallery(settings, args, notice=NOTICE)


def demo_settings(folder: Path) -> Settings:
    """The shipped defaults (not the user's settings file) with the demo's catalog and tiny model."""
    model = folder / "model"
    return Settings().with_overrides("demo", db=str(folder / "catalog.db"), model=str(model / "tiny-rn.json"),
                                     weights=str(model / "tiny-rn.pt"), backend="torch",
                                     settle_seconds=0.0)


def build(folder: Path) -> None:
    """Photos, model and catalog from scratch: what a photographer's first scan would give."""
    from curator.scanning import service
    from curator.testing.demo_shoot import cull_a_little, make_shoots
    from iqa_engine.testing import build_tiny_model

    print(f"curator demo: building the sample shoot and the tiny model in {folder} (once)…", file=sys.stderr)
    t0 = time.monotonic()
    if folder.exists():
        shutil.rmtree(folder)
    try:
        photos = make_shoots(folder / "photos")
    except ImportError as exc:  # scikit-image, whose sample photos the shoot is made of
        raise UserError(f"the demo needs scikit-image's sample photos: {exc}") from None
    logging.disable(logging.WARNING)  # open_clip's "initialized randomly": said above, in plain words
    try:
        build_tiny_model(folder / "model")
    finally:
        logging.disable(logging.NOTSET)
    summary = service.scan(demo_settings(folder), [str(photos)])
    cull_a_little(folder / "catalog.db")
    (folder / _READY).write_text("built by curator demo\n")
    print(f"curator demo: scored {summary.totals.scored} photos in {time.monotonic() - t0:.0f} s "
          f"({len(summary.errors)} unreadable on purpose)", file=sys.stderr)
