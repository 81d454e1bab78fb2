"""The `curator` command: a thin layer that parses arguments, runs one command
and maps expected failures to one-line errors and exit codes (curator.errors.EXIT_CODES)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from curator import __version__
from curator.errors import EXIT_INTERRUPTED, EXIT_USAGE, UserError

# Each module in curator.commands registers its subcommands with register(subparsers).
COMMAND_MODULES = (
    "score",
    "model",
    "bench",
    "workflow",
    "config",
    "gallery",
    "demo",
    "scan",
    "watch",
    "listing",
    "export",
    "stats",
    "flag",
    "learn",
    "tags",
    "search",
    "dupes",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        print(f"curator: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="curator", description="Score, catalog and cull photos with MA-CLIP.")
    parser.add_argument("--version", action="version", version=f"curator {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"curator.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _readable_output()
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("curator: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `curator list | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # only expected, user-caused failures are mapped; others re-raise
        message = expected_error_message(exc)
        if message is None:
            raise
        from curator.display import shown

        print(f"curator: error: {shown(message)}", file=sys.stderr)  # a path in it may not be UTF-8
        return EXIT_USAGE


def _readable_output() -> None:
    """A name that is not valid UTF-8, printed without curator.display.shown, still never stops a command: the
    streams write it readable (U+FFFD) instead of raising UnicodeEncodeError."""
    from curator.display import UNENCODABLE

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError):  # a closed stream: nothing will be printed on it
                stream.reconfigure(errors=UNENCODABLE)


def _join_dash_values(argv: list[str]) -> list[str]:
    """`--sort -score` as the docs write it: argparse would read -score as an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--sort" and i + 1 < len(argv) and argv[i + 1] in ("-score", "-taste"):
            out.append(f"--sort={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def expected_error_message(exc: BaseException) -> str | None:
    """The one-line message for an error a user can cause, or None for a bug."""
    from iqa_engine.errors import EngineError
    from curator.settings import SettingsError

    if isinstance(exc, (UserError, EngineError, SettingsError)):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


if __name__ == "__main__":
    raise SystemExit(main())
