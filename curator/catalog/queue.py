"""The queue: which files are photos to score. Walk results in, pending photos out, moves and deletions.

A photo's status is its place in the queue: 'pending' until the worker records
an outcome; 'missing' when its file is gone (the row, scores and decision are
kept, so a file that comes back, or turns up elsewhere, keeps them).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from curator.catalog.connection import CatalogBase
from curator.catalog.pairs import check_pairs
from curator.catalog.paths import all_to_db, from_db, to_db
from curator.catalog.records import FileEntry, FileStat, KnownFile, PendingItem, SyncCounts, Twin
from curator.catalog.sql import (
    HAS_A_SCORE,
    INSERT_PHOTO,
    REQUEUE_PHOTO,
    SHOT,
    in_chunks,
    new_row,
    one_line,
    scope_clause,
)
from curator.rules.queueing import INSERT, REQUEUE, classify, quiet_since


# A photo (row of `photos`) holds a provisional score: triage scored it quickly, its exact score is due.
_HAS_PROVISIONAL = "EXISTS(SELECT 1 FROM scores s WHERE s.photo_id = photos.id AND s.provisional = 1)"
# Triage's first pass is for photos that show no score at all: one already scored (a changed file, one
# queued for its quality values, a moved one) keeps showing that score until its exact one lands.
_NO_SCORE_YET = f"NOT {HAS_A_SCORE}"


class QueueMixin(CatalogBase):
    def known_files(self, scope: Sequence[str], fingerprint: str,
                    dimensions_fingerprint: str | None = None) -> dict[str, KnownFile]:
        """Every photo under the given roots, with whether it (or, for the second file of a RAW+JPEG pair,
        its shot) has a score from `fingerprint` and quality values from `dimensions_fingerprint`."""
        clause, params = scope_clause(scope, "p.path")
        return self._known_where(clause, params, fingerprint, dimensions_fingerprint)

    def _known_paths(self, paths: Sequence[str], fingerprint: str,
                     dimensions_fingerprint: str | None = None) -> dict[str, KnownFile]:
        """Rows for these exact paths (files found outside the scope's path range, e.g. through a symlink)."""
        out: dict[str, KnownFile] = {}
        for in_list, chunk in in_chunks(all_to_db(paths)):
            out.update(self._known_where(f"p.path {in_list}", chunk, fingerprint, dimensions_fingerprint))
        return out

    def _known_where(self, clause: str, params: list[Any], fingerprint: str,
                     dimensions_fingerprint: str | None = None) -> dict[str, KnownFile]:
        """known_files' rows for one WHERE clause on photos p, keyed by path."""
        quality = ("1" if dimensions_fingerprint is None else
                   f"EXISTS(SELECT 1 FROM quality q WHERE q.photo_id = {SHOT} AND q.dimensions_fingerprint = ?)")
        rows = self._read(
            "SELECT p.id, p.path, p.size, p.mtime_ns, p.status, "
            f"EXISTS(SELECT 1 FROM scores s WHERE s.photo_id = {SHOT} AND s.fingerprint = ?), {quality} "
            f"FROM photos p WHERE {clause}",
            [fingerprint] + ([] if dimensions_fingerprint is None else [dimensions_fingerprint]) + params)
        known = (KnownFile(r[0], from_db(r[1]), FileStat(r[2], r[3]), r[4], bool(r[5]), bool(r[6])) for r in rows)
        return {k.path: k for k in known}

    def sync_files(self, scope: Sequence[str], found: Iterable[FileEntry], *, fingerprint: str,
                   gone: Callable[[str], bool] = lambda p: not os.path.lexists(p),
                   retry_errors: bool = False, now: float | None = None,
                   dimensions_fingerprint: str | None = None, reasons_only: bool = False) -> SyncCounts:
        """Bring the catalog in line with a walk of `scope`: enqueue new, changed and stale photos,
        record files that could not be stat'ed, and mark photos that are gone as missing.

        A file is unchanged when its size and mtime match; it is then skipped
        unless its score is from another engine (rescored), its quality values
        are not from `dimensions_fingerprint` (remeasured: the worker keeps the
        stored score) or, with retry_errors, it failed before. With
        reasons_only, only photos to remeasure are queued: the others are
        counted as skipped and left for a scan.
        """
        now = time.time() if now is None else now
        found = list(found)
        known = self.known_files(scope, fingerprint, dimensions_fingerprint)
        known.update(self._known_paths([e.path for e in found if e.path not in known], fingerprint,
                                       dimensions_fingerprint))
        inserts: list[tuple] = []
        requeue: list[tuple] = []
        errors: list[tuple] = []
        new_errors: list[tuple] = []
        counts = dict(new=0, changed=0, rescore=0, queued=0, unchanged=0, errors=0, missing=0, reappeared=0,
                      remeasure=0, skipped=0)
        seen: set[str] = set()
        for entry in found:  # which class each file is in: curator.rules.queueing
            seen.add(entry.path)
            k, st = known.get(entry.path), entry.stat
            c = classify(st, k, retry_errors=retry_errors, reasons_only=reasons_only)
            counts[c.count] += 1
            if st is None:  # unreadable: its row says why
                if k is None:
                    new_errors.append(new_row(entry.path, FileStat(0, 0), now, status="error", error=entry.error))
                else:
                    errors.append((one_line(entry.error), now, k.photo_id))
            elif c.action == INSERT:
                inserts.append(new_row(entry.path, st, quiet_since(st, now), status="pending"))
            elif c.action == REQUEUE and k is not None:
                since = now if c.settle_from_now else quiet_since(st, now)
                requeue.append((st.size, st.mtime_ns, since, now, k.photo_id))
        missing_ids = [k.photo_id for path, k in known.items()
                       if path not in seen and k.status != "missing" and gone(path)]
        counts["missing"] = len(missing_ids)
        with self.transaction() as conn:
            conn.executemany(INSERT_PHOTO, inserts + new_errors)
            conn.executemany(REQUEUE_PHOTO, requeue)
            conn.executemany("UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE id = ?", errors)
            conn.executemany("UPDATE photos SET status = 'missing', error = NULL, updated_at = ? WHERE id = ?",
                             [(now, i) for i in missing_ids])
            check_pairs(conn, missing_ids, now)
        return SyncCounts(**counts)

    def enqueue_path(self, path: str, stat: FileStat, now: float | None = None) -> bool:
        """The watcher saw `path` created or written: make it pending unless its stat is what we have.

        Returns True when the row was inserted or changed.
        """
        now = time.time() if now is None else now
        with self.transaction() as conn:
            row = conn.execute("SELECT id, size, mtime_ns, status FROM photos WHERE path = ?",
                               (to_db(path),)).fetchone()
            if row is None:
                conn.execute(INSERT_PHOTO, new_row(path, stat, now, status="pending"))
                return True
            pid, size, mtime_ns, status = row
            if (size, mtime_ns) == (stat.size, stat.mtime_ns) and status != "missing":
                return False
            conn.execute(REQUEUE_PHOTO, (stat.size, stat.mtime_ns, now, now, pid))
            return True

    def record_path_error(self, path: str, message: str, now: float | None = None) -> None:
        """A photo path that cannot even be stat'ed (a symlink loop, a broken link)."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            cur = conn.execute("UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE path = ?",
                               (one_line(message), now, to_db(path)))
            if cur.rowcount == 0:
                conn.execute(INSERT_PHOTO, new_row(path, FileStat(0, 0), now, status="error", error=message))

    def pending_items(self, scope: Sequence[str] | None = None, limit: int = 64,
                      exclude: Iterable[int] = (), scored_only: bool = False, *,
                      provisional: bool | None = None) -> list[PendingItem]:
        """Pending photos, longest-quiet first, for the worker's settle check.

        scored_only: only those that have a score already (`scan --reasons-only`).
        provisional=False: only those whose shot has no score at all yet (triage's first pass);
        True: only those with a provisional score (its second pass); None: all of them.
        """
        clause, params = scope_clause(scope, "path")
        if scored_only:
            clause += f" AND {HAS_A_SCORE}"
        if provisional is not None:
            clause += f" AND {_HAS_PROVISIONAL if provisional else _NO_SCORE_YET}"
        for in_list, chunk in in_chunks(int(i) for i in exclude):  # the worker's photos in flight
            clause += f" AND id NOT {in_list}"
            params += chunk
        rows = self._read(
            "SELECT id, path, folder, size, mtime_ns, settle_since, content_hash FROM photos "
            f"WHERE status = 'pending' AND {clause} ORDER BY settle_since, id LIMIT ?", params + [int(limit)])
        return [PendingItem(r[0], from_db(r[1]), from_db(r[2]), FileStat(r[3], r[4]), r[5], r[6]) for r in rows]

    def backlog(self, scope: Sequence[str] | None = None) -> tuple[int, int]:
        """(pending photos with no score at all, pending photos with a provisional score): triage's counts.
        Pending photos that already show an exact score are in neither: triage leaves them to the exact pass."""
        clause, params = scope_clause(scope, "path")
        row = self._read(
            f"SELECT COALESCE(SUM({_NO_SCORE_YET}), 0), COALESCE(SUM({_HAS_PROVISIONAL}), 0) "
            f"FROM photos WHERE status = 'pending' AND {clause}", params)[0]
        return int(row[0]), int(row[1])

    def note_unsettled(self, photo_id: int, stat: FileStat, since: float) -> None:
        """The worker saw a pending file change: restart its quiet period."""
        with self.transaction() as conn:
            conn.execute("UPDATE photos SET size = ?, mtime_ns = ?, settle_since = ?, updated_at = ? "
                         "WHERE id = ? AND status = 'pending'", (stat.size, stat.mtime_ns, since, since, photo_id))

    def has_score(self, photo_id: int, fingerprint: str) -> bool:
        return bool(self._read("SELECT 1 FROM scores WHERE photo_id = ? AND fingerprint = ?",
                               (int(photo_id), fingerprint)))

    def find_twins(self, content_hash: str, fingerprint: str, exclude: int) -> list[Twin]:
        """Other photos with the same content (candidates for a rename or move)."""
        rows = self._read(
            "SELECT p.id, p.path, p.status, "
            "EXISTS(SELECT 1 FROM scores s WHERE s.photo_id = p.id AND s.fingerprint = ?) "
            "FROM photos p WHERE p.content_hash = ? AND p.id != ? ORDER BY p.status = 'missing' DESC, p.id",
            (fingerprint, content_hash, int(exclude)))
        return [Twin(r[0], from_db(r[1]), r[2], bool(r[3])) for r in rows]

    def move_path(self, src: str, dest: str, now: float | None = None) -> bool:
        """A file was renamed or moved: the photo keeps its id, scores and decisions.

        Returns False when `src` is not in the catalog (the caller enqueues `dest`).
        """
        return self.move_paths([(src, dest)], now) == 1

    def move_paths(self, moves: Sequence[tuple[str, str]], now: float | None = None) -> int:
        """Several files moved together (move-rejects, undo), in one transaction: each photo keeps its id,
        scores and decisions, and a RAW+JPEG pair that moved together stays one shot. Returns how many
        photos the catalog knew."""
        now = time.time() if now is None else now
        moved: list[int] = []
        with self.transaction() as conn:
            self.note_user_decision()  # move-rejects and undo: where a person put their files
            for src, dest in moves:
                src, dest = to_db(str(src)), to_db(str(dest))
                folder, name = os.path.split(dest)
                row = conn.execute("SELECT id FROM photos WHERE path = ?", (src,)).fetchone()
                if row is None:
                    continue
                conn.execute("DELETE FROM photos WHERE path = ? AND id != ?", (dest, row[0]))  # replaced by the move
                conn.execute("UPDATE photos SET path = ?, folder = ?, name = ?, updated_at = ? WHERE id = ?",
                             (dest, folder, name, now, row[0]))
                moved.append(row[0])
            check_pairs(conn, moved, now)  # one file of a pair renamed alone: two shots again
        return len(moved)

    def move_tree(self, src: str, dest: str, now: float | None = None) -> int:
        """A folder was renamed or moved: every photo under it follows. Returns how many moved."""
        now = time.time() if now is None else now
        src_clause, src_params = scope_clause([src], "path")
        dest_clause, dest_params = scope_clause([dest], "path")
        src, dest = to_db(str(src)), to_db(str(dest))
        n = len(src)
        # substr() stops at the NUL of an escaped name (curator.catalog.paths): SQL renames the paths that
        # hold none, in one statement; Python renames the others.
        has_nul = "instr(CAST(path AS BLOB), x'00') > 0"
        with self.transaction() as conn:
            conn.execute(f"DELETE FROM photos WHERE {dest_clause} AND NOT ({src_clause})", dest_params + src_params)
            odd = conn.execute(f"SELECT id, path, folder FROM photos WHERE {src_clause} AND {has_nul}",
                               src_params).fetchall()
            cur = conn.execute(
                f"UPDATE photos SET path = ? || substr(path, ?), folder = ? || substr(folder, ?), updated_at = ? "
                f"WHERE {src_clause} AND NOT {has_nul}", [dest, n + 1, dest, n + 1, now] + src_params)
            conn.executemany("UPDATE photos SET path = ?, folder = ?, updated_at = ? WHERE id = ?",
                             [(dest + path[n:], dest + folder[n:], now, pid) for pid, path, folder in odd])
            return cur.rowcount + len(odd)

    def mark_missing(self, path: str, now: float | None = None) -> int:
        """A file (or every photo under a folder) was deleted: keep the rows, mark them missing."""
        now = time.time() if now is None else now
        clause, params = scope_clause([path], "path")
        with self.transaction() as conn:
            ids = [r[0] for r in conn.execute(f"SELECT id FROM photos WHERE {clause} AND status != 'missing'",
                                              params)]
            if not ids:
                return 0
            conn.execute(f"UPDATE photos SET status = 'missing', error = NULL, updated_at = ? "
                         f"WHERE {clause} AND status != 'missing'", [now] + params)
            check_pairs(conn, ids, now)  # the JPEG of a pair deleted: its RAW is scored itself
            return len(ids)

