"""Decisions: a person's flag, stars and colour label, and the primitives the culling policy writes with.

A decision belongs to the shot: on either file of a RAW+JPEG pair it is stored
once, on the scored file. A user's decision is final: nothing automatic
overrides it. What to decide (flags, bursts, keep-best) is curator.actions.culling's.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from curator.catalog.connection import CatalogBase
from curator.catalog.errors import CatalogError
from curator.catalog.paths import all_to_db, from_db
from curator.catalog.records import FLAG_SOURCES, FLAGS, UNCHANGED, DecisionState, FlagChange, FlagRow, FrameRow
from curator.catalog.sql import LATEST_SCORE, LIVE_SHOTS, QUALITY_JOIN, in_chunks, shot_of
from curator.rules.labels import normalise_label


class DecisionsMixin(CatalogBase):
    def set_decision(self, photo_id: int, *, flag: Any = UNCHANGED, rating: Any = UNCHANGED,
                     label: Any = UNCHANGED, source: str = "user") -> None:
        """Change a photo's flag, rating or colour label; UNCHANGED (the default) leaves a field alone.

        flag: 'pick', 'reject', or None / 'none' to clear. A user's change
        (source='user'), clearing included, is final: the auto policy never
        overrides it. source='auto' never changes a flag the user set.

        A decision belongs to the shot: on either file of a RAW+JPEG pair it
        is stored once, on the scored file, and both files show it.
        """
        updates = decision_updates(flag, rating, label, source)
        if source == "user" and updates:
            updates["imported"] = 0  # decided here: the user's own, even if a sidecar set it first
        with self.transaction() as conn:
            if source == "user":
                self.note_user_decision()
            if conn.execute("SELECT 1 FROM photos WHERE id = ?", (int(photo_id),)).fetchone() is None:
                raise CatalogError(f"no photo with id {photo_id}")
            apply_decision(conn, int(photo_id), updates, source, time.time())

    def decision_states(self, photo_ids: Iterable[int]) -> list[DecisionState]:
        """The decisions rows of these photos' shots exactly as stored (what undo puts back), one per shot,
        in the order first asked. Inside a transaction this reads that transaction's state."""
        shots: dict[int, None] = {}
        for pid in photo_ids:
            got = self._read("SELECT COALESCE(partner_of, id) FROM photos WHERE id = ?", (int(pid),))
            if got:
                shots[int(got[0][0])] = None
        found: dict[int, DecisionState] = {}
        for in_list, chunk in in_chunks(shots):
            for pid, flag, source, rating, label, low, at in self._read(
                    "SELECT photo_id, flag, flag_source, rating, label, low_quality, decided_at FROM decisions "
                    f"WHERE photo_id {in_list}", chunk):
                found[pid] = DecisionState(pid, True, flag, source, int(rating), label, bool(low), at)
        return [found.get(pid, DecisionState(pid, False)) for pid in shots]

    def restore_decisions(self, states: Iterable[DecisionState]) -> None:
        """Put these decisions rows back exactly (undo, redo), in one transaction: a state that was not
        stored deletes the row."""
        states = list(states)
        with self.transaction() as conn:
            for st in states:
                if not st.stored:
                    conn.execute("DELETE FROM decisions WHERE photo_id = ?", (int(st.photo_id),))
                    continue
                conn.execute(
                    "INSERT INTO decisions (photo_id, flag, flag_source, rating, label, low_quality, decided_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(photo_id) DO UPDATE SET flag = excluded.flag, "
                    "flag_source = excluded.flag_source, rating = excluded.rating, label = excluded.label, "
                    "low_quality = excluded.low_quality, decided_at = excluded.decided_at",
                    (int(st.photo_id), st.flag, st.flag_source, int(st.rating), st.label, int(st.low_quality),
                     st.decided_at))

    def set_decisions(self, photo_ids: Sequence[int], *, flag: Any = UNCHANGED, rating: Any = UNCHANGED,
                      label: Any = UNCHANGED, source: str = "user") -> None:
        """set_decision on several photos (a multi-selection), in one transaction."""
        updates = decision_updates(flag, rating, label, source)
        now = time.time()
        with self.transaction() as conn:
            for pid in photo_ids:
                if conn.execute("SELECT 1 FROM photos WHERE id = ?", (int(pid),)).fetchone() is None:
                    raise CatalogError(f"no photo with id {pid}")
                apply_decision(conn, int(pid), updates, source, now)

    def shot_ids(self, photo_id: int) -> tuple[int, ...]:
        """The photo ids of this photo's shot, the scored file first: (id,) for a single file, or the
        two files of a RAW+JPEG pair (what a view refreshes after a decision on either)."""
        rows = self._read(
            "SELECT q.id FROM photos p JOIN photos q ON q.id = COALESCE(p.partner_of, p.id) "
            "OR q.partner_of = COALESCE(p.partner_of, p.id) WHERE p.id = ? "
            "ORDER BY q.partner_of IS NOT NULL, q.id", (int(photo_id),))
        return tuple(r[0] for r in rows)


    def flag_rows(self, folders: Sequence[str] | None = None) -> list[FlagRow]:
        """What the flag policy needs: every shot that is not missing, with its latest fused score.

        The second file of a RAW+JPEG pair is left out: the pair is one shot, ranked once.
        """
        sql = ("SELECT p.id, p.folder, s.fused, d.flag, d.flag_source, COALESCE(d.rating, 0), "
               "COALESCE(d.low_quality, 0), t.value, COALESCE(s.provisional, 0), "
               "COALESCE(d.auto_provisional, 0) FROM photos p " + LATEST_SCORE +
               "LEFT JOIN decisions d ON d.photo_id = p.id LEFT JOIN taste t ON t.photo_id = p.id "
               f"WHERE {LIVE_SHOTS}")
        rows = self._in_folders(sql, folders)
        return [FlagRow(r[0], from_db(r[1]), r[2], r[3], r[4], r[5], bool(r[6]), r[7], bool(r[8]), bool(r[9]))
                for r in rows]

    def apply_flag_changes(self, changes: Iterable[FlagChange], now: float | None = None) -> None:
        """Write the auto policy's verdicts (curator.rules.flags.Change); a flag the user set is never touched."""
        now = time.time() if now is None else now
        changes = list(changes)
        with self.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO decisions (photo_id) VALUES (?)",
                             [(c.photo_id,) for c in changes])
            conn.executemany(
                "UPDATE decisions SET low_quality = ?, auto_provisional = ?, "
                "flag = CASE WHEN flag_source = 'user' THEN flag ELSE ? END, "
                "flag_source = CASE WHEN flag_source = 'user' THEN flag_source ELSE ? END, "
                "decided_at = CASE WHEN ? THEN ? ELSE decided_at END "
                "WHERE photo_id = ?",
                [(int(c.low_quality), int(c.provisional), c.flag, "auto" if c.flag else None, int(c.flag_changed),
                  now, c.photo_id) for c in changes])

    def decided_ids(self, photo_ids: Iterable[int]) -> set[int]:
        """Those of these shots a person decided on: a flag set or cleared, stars or a colour label."""
        return {r[0] for in_list, chunk in in_chunks(int(i) for i in photo_ids) for r in self._read(
            "SELECT photo_id FROM decisions WHERE (flag_source = 'user' OR rating > 0 OR label IS NOT NULL) "
            f"AND photo_id {in_list}", chunk)}

    def set_user_flags(self, verdicts: Sequence[tuple[int, str]], now: float | None = None) -> None:
        """Flag each (photo id, 'pick' | 'reject') as the user's decision, all in one transaction."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            self.note_user_decision()
            for pid, verdict in verdicts:
                apply_decision(conn, int(pid), decision_updates(verdict, UNCHANGED, UNCHANGED, "user"), "user", now)

    def burst_frames(self, folder: str, *, embeddings: bool = True) -> list[FrameRow]:
        """What burst grouping needs for every shot in one folder, in one query: capture time, latest
        fused score, exposure bias, and the CLIP embedding stored with that score (same engine
        fingerprint; None when there is none or embeddings=False).

        Missing photos and the second file of a RAW+JPEG pair are left out (a pair is one frame).
        """
        return self.frames_by_folder([str(folder)], embeddings=embeddings).get(str(folder), [])

    def frames_by_folder(self, folders: Sequence[str] | None, *, embeddings: bool) -> dict[str, list[FrameRow]]:
        """burst_frames for several folders (None: every folder) at once, keyed by folder."""
        vector = ("(SELECT v.vector FROM embeddings v WHERE v.photo_id = p.id AND v.fingerprint = s.fingerprint)"
                  if embeddings else "NULL")
        sql = (f"SELECT p.id, p.folder, e.capture_time, s.fused, e.exposure_bias, {vector}, q.reasons "
               "FROM photos p LEFT JOIN exif e ON e.photo_id = p.id " + LATEST_SCORE + QUALITY_JOIN +
               f"WHERE {LIVE_SHOTS}")
        out: dict[str, list[FrameRow]] = {}
        for pid, folder, capture, fused, bias, blob, reasons in sorted(self._in_folders(sql, folders),
                                                                        key=lambda r: r[1]):
            folder = from_db(folder)
            emb = np.frombuffer(blob, dtype="<f4") if blob else None
            out.setdefault(folder, []).append(FrameRow(pid, folder, capture, fused, bias, emb,
                                                       tuple(w for w in (reasons or "").split(",") if w)))
        return out

    def _in_folders(self, sql: str, folders: Sequence[str] | None) -> list[tuple]:
        """Rows of `sql` (photos p, a WHERE already) limited to these folders (None: all), in folder, name order."""
        if folders is None:
            return self._read(sql + " ORDER BY p.folder, p.name")
        return [r for in_list, chunk in in_chunks(all_to_db(folders))
                for r in self._read(sql + f" AND p.folder {in_list} ORDER BY p.folder, p.name", chunk)]


def decision_updates(flag: Any, rating: Any, label: Any, source: str) -> dict[str, Any]:
    """The decisions columns to set, validated (CatalogError for a bad value)."""
    if source not in FLAG_SOURCES:
        raise CatalogError(f"unknown decision source {source!r}; choose auto or user")
    updates: dict[str, Any] = {}
    if flag is not UNCHANGED:
        if flag in (None, "none", ""):
            flag = None
        if flag is not None and flag not in FLAGS:
            raise CatalogError(f"unknown flag {flag!r}; choose pick, reject or none")
        updates["flag"] = flag
        updates["flag_source"] = source if (flag is not None or source == "user") else None
    if rating is not UNCHANGED:
        rating = 0 if rating is None else rating
        if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 5:
            raise CatalogError(f"rating must be a whole number from 0 to 5, not {rating!r}")
        updates["rating"] = rating
    if label is not UNCHANGED:
        try:
            updates["label"] = normalise_label(label)
        except ValueError as exc:
            raise CatalogError(str(exc)) from None
    return updates


def apply_decision(conn: sqlite3.Connection, photo_id: int, updates: dict[str, Any], source: str,
                    now: float) -> bool:
    """Write validated decision columns on the photo's shot; an auto flag never replaces a user's.
    Returns whether anything was written."""
    shot = shot_of(conn, photo_id)
    updates = dict(updates)
    current = conn.execute("SELECT flag_source FROM decisions WHERE photo_id = ?", (shot,)).fetchone()
    if source == "auto" and current is not None and current[0] == "user":
        updates.pop("flag", None)
        updates.pop("flag_source", None)
    if not updates:
        return False
    conn.execute("INSERT OR IGNORE INTO decisions (photo_id) VALUES (?)", (shot,))
    sets = ", ".join(f"{k} = ?" for k in updates)
    conn.execute(f"UPDATE decisions SET {sets}, decided_at = ? WHERE photo_id = ?",
                 list(updates.values()) + [now, shot])
    return True
