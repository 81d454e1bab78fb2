"""Opening a catalog file, one connection per thread, and transactions.

Threads: every thread gets its own connection (created on first use); writes
go through one write lock per Catalog and `BEGIN IMMEDIATE`, so a writer
never has to upgrade a read lock (as beets does). Other processes writing the
same file wait on SQLite's own lock (busy timeout). Readers never block in WAL
mode; `data_version()` changes when another connection commits, which is how
the gallery learns about new scores cheaply.

`transaction()` is re-entrant on one thread: a caller (curator.actions.culling) can
read and write through several catalog methods in one transaction.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from curator.catalog.errors import (
    BUSY_TIMEOUT_MS,
    CatalogDamaged,
    CatalogError,
    CatalogMissing,
    CatalogReadOnly,
    damaged_error,
    open_error,
    read_only_error,
    use_error,
)
from curator.catalog.durability import (
    bump_change_seq,
    change_seq,
    checkpoint,
    lost_changes_message,
    read_marker,
    write_marker,
)
from curator.catalog.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from curator.catalog.sql import put_meta

_C = TypeVar("_C", bound="CatalogBase")
log = logging.getLogger("curator.catalog")

# Catalog files (device, inode, size, mtime) this process found sound, and when: a check is not repeated within a minute.
_RECHECK_AFTER_S = 60.0
_CHECKED: dict[tuple[int, int, int, int], float] = {}
_CHECKED_LOCK = threading.Lock()


class CatalogBase:
    """A catalog file. Open with Catalog.open(path); close() or use as a context manager."""

    def __init__(self, path: Path, readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls: type[_C], path: str | os.PathLike[str], *, readonly: bool = False, create: bool = True) -> _C:
        """Open (creating directories and file unless readonly or create=False), in WAL mode, migrated.

        Raises CatalogMissing (no catalog, and it may not be created), CatalogReadOnly (the path
        cannot be written), CatalogDamaged (not a catalog, or corrupt), or CatalogError (e.g. a
        catalog written by a newer curator).
        """
        p = Path(path).expanduser().absolute()
        if p.is_dir():
            raise CatalogError(f"catalog path {p} is a directory; give a file such as {p / 'catalog.db'}")
        exists = p.exists()
        if not exists and (readonly or not create):
            raise CatalogMissing(f"no catalog at {p} yet; run `curator scan DIR` first")
        if not readonly:
            _check_writable(p, exists)
        catalog = cls(p, readonly)
        marked = read_marker(p)  # before any migration of ours counts as a change
        try:
            catalog._initialise(existed=exists)
            catalog._check_marker(marked)
        except CatalogError:
            catalog.close()
            raise
        except sqlite3.Error as exc:
            catalog.close()
            raise open_error(p, exc) from None
        return catalog

    def _initialise(self, existed: bool) -> None:
        conn = self._conn()
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables and "photos" not in tables):
            raise CatalogDamaged(f"{self.path} is an SQLite file but not a curator catalog")
        if version > SCHEMA_VERSION:
            raise CatalogError(f"catalog {self.path} has schema version {version}, newer than this curator "
                               f"understands ({SCHEMA_VERSION}); upgrade curator")
        if existed and not self.readonly:
            self._quick_check()
        if self.readonly:
            if version < SCHEMA_VERSION:
                raise CatalogError(f"catalog {self.path} has schema version {version} and needs migrating; "
                                   "open it once read-write (any curator scan/watch/flag)")
            return
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            sqlite_utils.Database(conn).enable_wal()
        if version < SCHEMA_VERSION:
            if existed and version > 0:
                self._backup(version)
            self._migrate(version, SCHEMA_VERSION)

    def _check_marker(self, marked: int | None) -> None:
        """Say in one line when the catalog lost committed changes (curator.catalog.durability); a
        writer then takes it as it is, so it is said once."""
        have = change_seq(self._conn())
        if marked is not None and marked > have:
            log.warning("%s", lost_changes_message(self.path, have, marked))
        if not self.readonly and marked != have:
            write_marker(self.path, have)

    def note_user_decision(self) -> None:
        """Inside a transaction: it records a person's decision, so checkpoint once it commits."""
        self._local.decided = True

    def _quick_check(self) -> None:
        """Refuse to write into a damaged catalog (a writer would add to the damage and hide it).

        PRAGMA quick_check verifies the b-trees' structure (page order, rowid order, free pages) but
        not that indexes match their tables, which is what makes it fast enough for every writer's
        open (docs: guide/workflow.md, Reliability, has its cost on a 100k-photo catalog)."""
        st = os.stat(self.path)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)  # the same file, unchanged since
        with _CHECKED_LOCK:
            if time.monotonic() - _CHECKED.get(key, -_RECHECK_AFTER_S) < _RECHECK_AFTER_S:
                return  # `scan` and `watch` open the catalog twice in a row: read 100k photos' worth once
        rows = self._conn().execute("PRAGMA quick_check").fetchall()
        if [r[0] for r in rows] == ["ok"]:
            with _CHECKED_LOCK:
                _CHECKED[key] = time.monotonic()
        else:
            # Its report is lines like "*** in database main ***\nOn tree page 4 cell 0: Rowid 2 out of order".
            found = [line for r in rows for line in str(r[0]).splitlines() if line and not line.startswith("***")]
            more = f" and {len(found) - 1} more problem(s)" if len(found) > 1 else ""
            raise damaged_error(self.path, (found[0] if found else "quick_check failed") + more)

    def _backup(self, version: int) -> None:
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        dest = sqlite3.connect(str(target))
        try:
            self._conn().backup(dest)
        finally:
            dest.close()

    def _migrate(self, current: int, target: int) -> None:
        for version in range(current + 1, target + 1):
            with self.transaction() as conn:
                MIGRATIONS[version](sqlite_utils.Database(conn))
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    # -- connections ---------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise CatalogError("the catalog is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                if self.readonly:
                    conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True,
                                           isolation_level=None, check_same_thread=False)
                else:
                    conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
                if not self.readonly:
                    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable against process crashes
            except sqlite3.Error as exc:
                raise open_error(self.path, exc) from None
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, []
            self._closed = True
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) under the write lock; nested calls on the same
        thread join the outer one, so it commits (or rolls back) once, at the end."""
        if self.readonly:
            raise CatalogReadOnly(f"catalog {self.path} is open read-only")
        conn = self._conn()
        with self._write_lock:
            depth = getattr(self._local, "depth", 0)
            if depth:
                self._local.depth = depth + 1
                try:
                    yield conn
                finally:
                    self._local.depth = depth
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise use_error(self.path, exc) from None
            self._local.depth = 1
            try:
                yield conn
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise use_error(self.path, exc) from None
                raise
            else:
                try:
                    seq = bump_change_seq(conn)
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise use_error(self.path, exc) from None
                if seq is not None:
                    write_marker(self.path, seq)
                if getattr(self._local, "decided", False):
                    checkpoint(conn)  # a person's decisions should never live only in the -wal
            finally:
                self._local.depth = 0
                self._local.decided = False

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise use_error(self.path, exc) from None

    def data_version(self) -> int:
        """Changes whenever another connection (thread or process) commits to this catalog."""
        return self._read("PRAGMA data_version")[0][0]

    def integrity_check(self) -> str:
        return "; ".join(r[0] for r in self._read("PRAGMA integrity_check"))

    # -- meta: the flag policy last set by `curator flag` ----------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def flag_policy(self) -> tuple[float | None, float] | None:
        """(threshold, bottom_percent) last set by `curator flag`, or None."""
        bottom = self.get_meta("flag_bottom_percent")
        if bottom is None:
            return None
        threshold = self.get_meta("flag_threshold")
        return (float(threshold) if threshold not in (None, "") else None, float(bottom))

    def flag_basis(self) -> str:
        """What the flag policy ranks by, as `curator flag --by` stored it: "score" (the default) or "taste"."""
        return self.get_meta("flag_basis") or "score"

    def set_flag_basis(self, basis: str) -> None:
        with self.transaction() as conn:
            put_meta(conn, "flag_basis", basis)

    def set_flag_policy(self, threshold: float | None, bottom_percent: float) -> None:
        with self.transaction() as conn:
            self.note_user_decision()
            for key, value in (("flag_threshold", "" if threshold is None else repr(float(threshold))),
                               ("flag_bottom_percent", repr(float(bottom_percent)))):
                put_meta(conn, key, value)


def _check_writable(p: Path, exists: bool) -> None:
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CatalogError(f"cannot create the catalog folder {p.parent}: {exc.strerror or exc}") from None
    if not os.access(p.parent, os.W_OK):
        raise CatalogReadOnly(f"the catalog folder {p.parent} is read-only; choose another with --db or CURATOR_DB")
    if exists and not os.access(p, os.W_OK):
        raise read_only_error(p)
