"""The catalog's errors, typed by what a caller does about them (retry, fall back to reading, give up).

Callers decide by type, never by the message text; the messages stay one line a user can act on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from curator.errors import UserError

BUSY_TIMEOUT_MS = 15_000


class CatalogError(UserError):
    """The catalog cannot be opened or used; the message is one line a user can act on."""


class CatalogBusy(CatalogError):
    """Another process held the catalog's write lock for longer than the busy timeout: try again later."""


class CatalogReadOnly(CatalogError):
    """The catalog (its file or folder) cannot be written, or it was opened read-only: reading still works."""


class CatalogDamaged(CatalogError):
    """The file is not a curator catalog, or it is corrupt."""


class CatalogMissing(CatalogError):
    """There is no catalog at the path yet (and this command does not create one)."""


def damaged_error(p: Path, detail: str) -> CatalogDamaged:
    """The one wording for a damaged catalog, from readers and writers alike: what SQLite found, and a
    way back that exists (SQLite's own .recover, and the newest .bak copy if there is one)."""
    recovered = p.with_name(f"{p.stem}-recovered{p.suffix or '.db'}")
    way_back = f"recover what it holds with `sqlite3 {p} .recover | sqlite3 {recovered}` and use that file"
    backups = sorted(p.parent.glob(f"{p.name}.v*.bak"), key=lambda b: b.stat().st_mtime)
    if backups:
        way_back += f", or restore the copy made before its last upgrade, {backups[-1]}"
    return CatalogDamaged(f"the catalog {p} is damaged ({detail}); nothing was written to it; {way_back}")


def read_only_error(p: Path) -> CatalogReadOnly:
    return CatalogReadOnly(f"the catalog {p} is read-only; choose another with --db or CURATOR_DB")


def busy_error(p: Path, text: str) -> CatalogBusy:
    return CatalogBusy(f"the catalog {p} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000} s ({text})")


# SQLite's primary result codes (the low byte of an extended code), read from the exception, not its text.
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def open_error(p: Path, exc: sqlite3.Error) -> CatalogError:
    """The typed error for an SQLite failure while opening the catalog."""
    code, text = _code(exc), str(exc)
    if code in _DAMAGED:
        return damaged_error(p, text)
    if code == sqlite3.SQLITE_READONLY:
        return read_only_error(p)
    if code in _BUSY:
        return busy_error(p, text)
    if code == sqlite3.SQLITE_CANTOPEN:
        return CatalogError(f"cannot open the catalog {p} ({text})")
    return CatalogError(f"cannot open the catalog {p}: {text}")


def use_error(p: Path, exc: sqlite3.Error) -> CatalogError:
    """The typed error for an SQLite failure on an open catalog."""
    code, text = _code(exc), str(exc)
    if code in _BUSY:
        return busy_error(p, text)
    if code == sqlite3.SQLITE_READONLY:
        return read_only_error(p)
    if code in _DAMAGED:
        return damaged_error(p, text)
    if code == sqlite3.SQLITE_FULL:
        return CatalogError(f"cannot write the catalog {p}: {text}")
    return CatalogError(f"catalog {p}: {text}")
