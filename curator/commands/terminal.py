"""What a long-running command does on a terminal: a graceful stop on SIGINT/SIGTERM, warnings as
one `curator: …` line each, and whether stdout is a terminal."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def graceful_stop() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM set the event (finish or park the batch, then exit); a second SIGINT interrupts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        stop.set()
        print(f"curator: {signal.Signals(signum).name}: finishing the current batch, then stopping "
              "(Ctrl-C again to stop now)", file=sys.stderr, flush=True)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def log_warnings_to_stderr() -> None:
    """Warnings (a catalog busy for a while, a failed flag recompute) as `curator: …` lines, and
    only once, even when a library has configured the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("curator: %(message)s"))
    logger = logging.getLogger("curator")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    route_python_warnings()


def route_python_warnings() -> None:
    """Python warnings (Pillow's about malformed EXIF, say) as one `curator: …` line each, through the
    "curator.warnings" logger, instead of the two-line file:line + source form."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        text = str(message).strip().splitlines()
        origin = filename.replace(os.sep, "/").split("/site-packages/")[-1].split("/")[0]
        logging.getLogger("curator.warnings").warning("%s: %s", origin or category.__name__,
                                                      text[0] if text else category.__name__)

    warnings.showwarning = show


def is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
