"""Errors a user can cause, and the exit codes the CLI maps them to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # some files could not be scored; the rest were
EXIT_USAGE = 2  # bad arguments, settings, weights or catalog
EXIT_INTERRUPTED = 130

# What each exit code means, for every command: the one table the docs show (docs/gen_reference.py
# writes it into docs/reference/cli.md). Markdown, since that is where it is read.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "everything asked for was done. Also: a folder with no photos in it (`score` and `scan` alike: one "
              "line on stderr, and the model is not loaded); `watch` stopped by Ctrl-C or SIGTERM; `scan` only "
              "queued the photos because a running watcher scores that catalog"),
    (EXIT_SOME_FAILED, "some of the work could not be done, and each failure was reported in one line: `score` "
                       "and `scan`: some files could not be scored (`path: reason`; the rest were scored, and "
                       "`curator list --errors` shows why later); `bench quality`: some images were missing or "
                       "unreadable; `flag PATH...`: some paths are not in the catalog"),
    (EXIT_USAGE, "a usage error, with one line `curator: error: …`: bad arguments or settings; a path that does "
                 "not exist (checked before the model loads); weights that cannot be had; a catalog that cannot "
                 "be created or opened (read-only path, damaged file, newer schema); no catalog yet for `list`, "
                 "`export`, `stats` or `flag`; another process already scoring into the catalog (`watch`)"),
    (EXIT_INTERRUPTED, "interrupted: `scan` stopped by Ctrl-C (what was not scored stays queued), a second "
                       "Ctrl-C, or Ctrl-C wherever that is not the normal way to stop"),
)


class UserError(Exception):
    """Printed as `curator: error: <message>` with exit code 2, never as a traceback."""
