"""Errors a user can cause, and the exit codes the CLI maps them to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # some files could not be scored; the rest were
EXIT_USAGE = 2  # bad arguments, settings, weights or catalog
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """Printed as `curator: error: <message>` with exit code 2, never as a traceback."""
