"""XMP sidecars, catalog side: which sidecar mtime was imported last, and decisions imported from them.

Reading and writing the sidecar files is curator.disk.xmp's and curator.actions.sidecar_sync' work.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from curator.catalog.connection import CatalogBase
from curator.catalog.decisions import apply_decision, decision_updates
from curator.catalog.paths import from_db
from curator.catalog.records import UNCHANGED, SidecarImport, SidecarMark
from curator.catalog.sql import in_chunks, scope_clause, shot_of


class SidecarsMixin(CatalogBase):
    def sidecar_seen(self, photo_id: int) -> int | None:
        """The mtime (ns) of the photo's sidecar when its decisions were last imported; None if never."""
        rows = self._read("SELECT sidecar_mtime_ns FROM photos WHERE id = ?", (int(photo_id),))
        return rows[0][0] if rows else None

    def note_sidecar(self, photo_id: int, mtime_ns: int | None) -> None:
        """Remember the sidecar mtime just imported (or written), so it is not read again until it changes."""
        with self.transaction() as conn:
            conn.execute("UPDATE photos SET sidecar_mtime_ns = ? WHERE id = ?", (mtime_ns, int(photo_id)))

    def sidecar_marks(self, scope: Sequence[str] | None = None,
                      photo_ids: Iterable[int] | None = None) -> list[SidecarMark]:
        """Photos (under the roots in `scope`, or these ids, or all) that are not missing, each with the
        sidecar mtime last imported: what the import at scan time compares against."""
        if photo_ids is not None:
            return [_mark(r) for in_list, chunk in in_chunks(int(i) for i in photo_ids)
                    for r in self._read("SELECT id, path, folder, sidecar_mtime_ns FROM photos "
                                        f"WHERE status != 'missing' AND id {in_list}", chunk)]
        clause, params = scope_clause(scope, "path")
        return [_mark(r) for r in self._read(
            "SELECT id, path, folder, sidecar_mtime_ns FROM photos WHERE status != 'missing' "
            f"AND {clause} ORDER BY folder, name", params)]

    def import_sidecar_decisions(self, imports: Sequence[SidecarImport]) -> list[str]:
        """Record what sidecars say a person decided (Lightroom, darktable...) as user decisions, and note
        each sidecar's mtime; one transaction. A field the sidecar does not set is left as it is.
        Returns the folders whose decisions changed (their auto flags need recomputing)."""
        now = time.time()
        folders: set[str] = set()
        with self.transaction() as conn:
            self.note_user_decision()
            for item in imports:
                row = conn.execute("SELECT folder FROM photos WHERE id = ?", (int(item.photo_id),)).fetchone()
                if row is None:
                    continue
                conn.execute("UPDATE photos SET sidecar_mtime_ns = ? WHERE id = ?",
                             (int(item.mtime_ns), int(item.photo_id)))
                shot = shot_of(conn, int(item.photo_id))
                current = conn.execute("SELECT flag, flag_source, rating, label FROM decisions WHERE photo_id = ?",
                                       (shot,)).fetchone()
                flag: Any = item.flag if item.flag is not None else UNCHANGED
                if item.unreject and flag is UNCHANGED and current is not None and current[0] == "reject":
                    flag = None  # stars over a reject: the person took the reject back (curator.disk.xmp)
                updates = decision_updates(flag, item.rating if item.rating is not None else UNCHANGED,
                                           item.label if item.label is not None else UNCHANGED, "user")
                if current is not None:  # already so: no new decided_at (watch --xmp would rewrite for nothing)
                    have = dict(zip(("flag", "flag_source", "rating", "label"), current, strict=True))
                    updates = {k: v for k, v in updates.items() if have[k] != v}
                if updates:
                    updates["imported"] = 1  # learnt from only with `curator learn --include-xmp`
                if updates and apply_decision(conn, int(item.photo_id), updates, "user", now):
                    folders.add(from_db(row[0]))
        return sorted(folders)

    def decided_since(self, since: float) -> list[tuple[int, float]]:
        """(photo id, decided_at) of every decision made or changed at or after `since` (epoch seconds),
        by anyone: the user, the auto policy, an import (what `watch --xmp` writes to sidecars)."""
        return [(r[0], r[1]) for r in self._read(
            "SELECT photo_id, decided_at FROM decisions WHERE decided_at >= ? ORDER BY decided_at", (float(since),))]



def _mark(r: tuple) -> SidecarMark:
    """A SidecarMark from (id, path, folder, sidecar_mtime_ns)."""
    return SidecarMark(r[0], from_db(r[1]), from_db(r[2]), r[3])
