"""Running the `curator` command in-process, as the CLI tests do (plain functions; the fixture is in conftest)."""

from __future__ import annotations

from typing import Any

from curator.cli import main


def run_cli(capsys: Any, *argv: object) -> tuple[int, str, str]:
    """`curator ARGV...` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
