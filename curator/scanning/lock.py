"""One scorer per catalog: an exclusive lock file beside it, released by the OS when the process dies."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from curator.catalog import CatalogError


class ScoringLock:
    """An exclusive lock file next to the catalog: one process scores into a catalog at a time.

    The OS releases it when the process dies (kill -9 included), so a crash
    never leaves a stale lock. Other processes may still read the catalog and
    enqueue photos; the lock holder scores them.
    """

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".scoring.lock")
        self._file: Any = None

    def acquire(self) -> bool:
        try:
            f = open(self.path, "a+")
        except OSError as exc:
            raise CatalogError(f"cannot create the lock file {self.path}: {exc.strerror or exc}") from None
        try:
            _lock_file(f)
        except OSError:
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return True

    def holder(self) -> str | None:
        """The pid written by the holder, if readable."""
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._file is not None:
            try:
                _unlock_file(self._file)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> ScoringLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_file(f: Any) -> None:
    if sys.platform == "win32":
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        return
    import fcntl

    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock_file(f: Any) -> None:
    if sys.platform == "win32":
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
