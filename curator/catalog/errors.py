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


def read_only_error(p: Path) -> CatalogReadOnly:
    return CatalogReadOnly(f"the catalog {p} is read-only; choose another with --db or CURATOR_DB")


def open_error(p: Path, exc: sqlite3.Error) -> CatalogError:
    """The typed error for an SQLite failure while opening the catalog."""
    text = str(exc)
    if "not a database" in text or "malformed" in text or "encrypted" in text:
        return CatalogDamaged(f"{p} is not a readable curator catalog ({text})")
    if "readonly" in text or "read-only" in text:
        return read_only_error(p)
    if "locked" in text or "busy" in text:
        return busy_error(p, text)
    if "unable to open" in text:
        return CatalogError(f"cannot open the catalog {p} ({text})")
    return CatalogError(f"cannot open the catalog {p}: {text}")


def busy_error(p: Path, text: str) -> CatalogBusy:
    return CatalogBusy(f"the catalog {p} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000} s ({text})")


def use_error(p: Path, exc: sqlite3.Error) -> CatalogError:
    """The typed error for an SQLite failure on an open catalog (the only place that reads SQLite's text)."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return busy_error(p, text)
    if "readonly" in text or "read-only" in text:
        return read_only_error(p)
    if "malformed" in text or "not a database" in text:
        return CatalogDamaged(f"the catalog {p} is corrupt ({text}); restore it from its .bak copy or remove it")
    if "full" in text:
        return CatalogError(f"cannot write the catalog {p}: {text}")
    return CatalogError(f"catalog {p}: {text}")
