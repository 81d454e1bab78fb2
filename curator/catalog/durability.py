"""What a deleted -wal file can take, kept small, and said when it happens.

In WAL mode a commit lands in `catalog.db-wal` first and reaches `catalog.db` at
the next checkpoint. If a process is killed and the -wal is then deleted (a
backup or sync tool that copies only `catalog.db`), SQLite reopens the catalog as
it was at its last checkpoint, without a word. It cannot prevent that; curator
narrows it and reports it:

- After every transaction that records a person's decision (a flag, stars, a
  label, an imported sidecar, a move), the catalog is checkpointed
  (PRAGMA wal_checkpoint(PASSIVE): it never waits for readers), so decisions
  are almost never only in the -wal.
- Every write transaction counts itself in the catalog (meta `change_seq`) and,
  once committed, writes that count into a marker file beside the catalog
  (`catalog.db.last-change`). A catalog whose count is below its marker's has
  lost committed changes; the next open says so in one line, and a writer then
  takes the catalog as it is (the marker follows it), so it is said once.

The marker is written in place, 21 bytes, without fsync: it guards against a
lost -wal after a process crash, not against power loss (which synchronous =
NORMAL does not cover either).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

CHANGE_SEQ_KEY = "change_seq"
MARKER_SUFFIX = ".last-change"


def marker_path(db: Path) -> Path:
    return db.with_name(db.name + MARKER_SUFFIX)


def read_marker(db: Path) -> int | None:
    """The change count last committed to this catalog, as its marker says (None: no marker, or unreadable)."""
    try:
        return int(marker_path(db).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def write_marker(db: Path, seq: int) -> None:
    """Best effort: a catalog folder that cannot be written keeps no marker (and loses no data for it)."""
    with contextlib.suppress(OSError):
        fd = os.open(marker_path(db), os.O_WRONLY | os.O_CREAT, 0o666)
        try:
            os.pwrite(fd, f"{seq:020d}\n".encode("ascii"), 0)  # fixed width: one small write, no truncation
        finally:
            os.close(fd)


def change_seq(conn: sqlite3.Connection) -> int:
    """The count of write transactions committed to this catalog (0 for a catalog without one yet)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (CHANGE_SEQ_KEY,)).fetchone()
    except sqlite3.OperationalError:  # no meta table: an empty file, before its first migration
        return 0
    return int(row[0]) if row and str(row[0]).isdigit() else 0


def bump_change_seq(conn: sqlite3.Connection) -> int | None:
    """Count one more write transaction (inside it); None before the meta table exists."""
    try:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE "
                     "SET value = CAST(value AS INTEGER) + 1", (CHANGE_SEQ_KEY,))
    except sqlite3.OperationalError:
        return None
    return change_seq(conn)


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy what the -wal holds into the catalog file, as far as readers allow, without waiting."""
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def lost_changes_message(db: Path, have: int, marked: int) -> str:
    return (f"the catalog {db} is older than its last recorded change ({marked - have} committed change(s) "
            f"missing): its -wal file was probably deleted after a crash; scores will be redone, but "
            f"decisions made since its last checkpoint are lost (the docs, Workflow and XMP › Reliability, say how to recover)")
