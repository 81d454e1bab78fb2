"""Which folders' bursts to (re)group after a reload. No Qt here.

Grouping a folder reads its CLIP embeddings, so it is redone only for the
folders whose frames changed (capture times, scores, pairs) since their bursts
were last grouped. Used on the catalog worker's thread only, so it needs no lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

Frame = tuple[int, "str | None", "float | None"]  # photo id, capture time (ISO 8601), fused score


class BurstTracker:
    def __init__(self) -> None:
        self._rows: Sequence[GalleryRow] | None = None  # the latest rows, not yet looked at
        self._pending: dict[str, int] = {}  # folder -> signature of its frames, to regroup
        self._done: dict[str, int] = {}  # folder -> signature its bursts were grouped for

    def rows_loaded(self, rows: Sequence[GalleryRow]) -> None:
        self._rows = rows

    def due(self) -> bool:
        return bool(self._pending) or self._rows is not None

    def note_rows(self) -> list[str]:
        """Take in the latest rows; returns the folders whose bursts are gone (to clear in the window)."""
        rows, self._rows = self._rows, None
        if rows is None:
            return []
        frames: dict[str, list[Frame]] = {}
        for r in rows:
            if r.partner_of is None and r.status != "missing":
                frames.setdefault(r.folder, []).append((r.photo_id, r.capture_time, r.fused))
        cleared = [f for f in self._done if f not in frames]
        for folder in cleared:
            del self._done[folder]
        for folder in [f for f in self._pending if f not in frames]:
            del self._pending[folder]
        for folder, items in frames.items():
            # a frame joins a burst only with a capture time and a score (its embedding comes with it)
            if sum(1 for _pid, t, fused in items if t is not None and fused is not None) < 2:
                self._pending.pop(folder, None)
                if self._done.pop(folder, None) is not None:
                    cleared.append(folder)
                continue
            sig = hash(frozenset(items))
            if self._done.get(folder) != sig:
                self._pending[folder] = sig
        return cleared

    def next_folder(self) -> tuple[str, int] | None:
        """A folder to group now and its signature (call grouped() or failed() with both)."""
        if not self._pending:
            return None
        folder = next(iter(self._pending))
        return folder, self._pending.pop(folder)

    def grouped(self, folder: str, sig: int) -> None:
        self._done[folder] = sig

    def failed(self, folder: str, sig: int, *, retry: bool) -> None:
        """retry: the lock turned it away, so again after the pause; else not until its frames change."""
        if retry:
            self._pending.setdefault(folder, sig)
        else:
            self._done[folder] = sig
