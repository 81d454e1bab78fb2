"""RAW+JPEG pairs as one shot, in SQL: linking the files of a pair, and undoing links that stop holding.

A pair (curator.disk.raw_pairs) is one shot: both files have a row, the second file's
`partner_of` points at the scored file's row, and that row holds the shot's
score and decision, which reads of either file go through (COALESCE(partner_of,
id)). The worker makes the links as it inspects files; `check_pairs` undoes one
that stops holding (the scored file gone or failed, the files renamed apart),
and the file left alone keeps the decision and is queued to be scored itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curator.catalog.paths import from_db, to_db
from curator.catalog.records import FileStat
from curator.catalog.sql import INSERT_PHOTO, REQUEUE_PHOTO, in_chunks, inserted_id, new_row


def primary_row(conn: sqlite3.Connection, path: str, stat: FileStat | None, now: float) -> int:
    """The id of the shot's scored file; a row is queued for it if the catalog does not know it yet."""
    row = conn.execute("SELECT id, status, size, mtime_ns FROM photos WHERE path = ?", (to_db(path),)).fetchone()
    st = stat or FileStat(0, 0)
    if row is None:
        return inserted_id(conn.execute(INSERT_PHOTO, new_row(path, st, now, status="pending")))
    if row[1] == "missing":  # it is back
        conn.execute(REQUEUE_PHOTO, (st.size, st.mtime_ns, now, now, row[0]))
    return row[0]


def _merge_decision(conn: sqlite3.Connection, from_id: int, into_id: int) -> None:
    """Fold one file's decision into its shot's: the shot keeps what it has, and takes the file's
    user flag, stars and label where the shot has none. The file's own row goes."""
    source = conn.execute("SELECT flag, flag_source, rating, label, decided_at FROM decisions WHERE photo_id = ?",
                          (from_id,)).fetchone()
    if source is None:
        return
    target = conn.execute("SELECT flag, flag_source, rating, label FROM decisions WHERE photo_id = ?",
                          (into_id,)).fetchone()
    if target is None:
        conn.execute("UPDATE decisions SET photo_id = ? WHERE photo_id = ?", (into_id, from_id))
        return
    flag, flag_source, rating, label, decided_at = source
    updates: dict[str, Any] = {}
    if flag_source == "user" and target[1] != "user":
        updates.update(flag=flag, flag_source="user")
    if rating and not target[2]:
        updates["rating"] = rating
    if label and not target[3]:
        updates["label"] = label
    if updates:
        sets = ", ".join(f"{k} = ?" for k in updates)
        conn.execute(f"UPDATE decisions SET {sets}, decided_at = MAX(COALESCE(decided_at, 0), ?) WHERE photo_id = ?",
                     list(updates.values()) + [decided_at or 0, into_id])
    conn.execute("DELETE FROM decisions WHERE photo_id = ?", (from_id,))


def link_partners(conn: sqlite3.Connection, primary: int, partners: Sequence[int]) -> None:
    """Make `partners` the other files of `primary`'s shot: their decisions fold into the shot's.

    A partner that failed when it was scored alone (a RAW that does not decode) is queued again: as a
    partner it needs no decoding, and the worker records it so."""
    conn.execute("UPDATE photos SET partner_of = NULL WHERE id = ? AND partner_of IS NOT NULL", (primary,))
    for pid in partners:
        if pid == primary:
            continue
        conn.execute("UPDATE photos SET partner_of = NULL WHERE partner_of = ?", (pid,))  # never a chain
        _merge_decision(conn, pid, primary)
        conn.execute("UPDATE photos SET partner_of = ?, error = CASE WHEN status = 'error' THEN NULL ELSE error END, "
                     "status = CASE WHEN status = 'error' THEN 'pending' ELSE status END WHERE id = ?",
                     (primary, pid))


def _pair_holds(primary_path: str, primary_status: str, partner_path: str, partner_status: str) -> bool:
    from curator.disk.raw_pairs import stem_key

    if stem_key(Path(from_db(primary_path))) != stem_key(Path(from_db(partner_path))):
        return False  # renamed or moved apart
    # The scored file is gone or unreadable while the other file is here: that file is a shot of its own.
    return not (primary_status in ("missing", "error") and partner_status != "missing")


def check_pairs(conn: sqlite3.Connection, photo_ids: Sequence[int], now: float) -> None:
    """Undo the pair links of these photos that no longer hold. The file left on its own keeps the
    shot's decision and is queued to be scored itself (unless it is missing too)."""
    ids = [int(i) for i in photo_ids]
    for in_list, chunk in in_chunks(ids, 400):  # each id appears twice in the statement
        links = conn.execute(
            "SELECT s.id, s.path, s.status, s.mtime_ns, p.id, p.path, p.status FROM photos s "
            f"JOIN photos p ON p.id = s.partner_of WHERE s.id {in_list} OR p.id {in_list}",
            chunk + chunk).fetchall()
        for sid, spath, sstatus, smtime, pid, ppath, pstatus in links:
            if _pair_holds(ppath, pstatus, spath, sstatus):
                continue
            decision = conn.execute("SELECT flag, flag_source, rating, label, decided_at, low_quality, "
                                    "auto_provisional FROM decisions WHERE photo_id = ?", (pid,)).fetchone()
            if decision is not None:
                conn.execute("INSERT OR REPLACE INTO decisions (photo_id, flag, flag_source, rating, label, "
                             "decided_at, low_quality, auto_provisional) VALUES (?,?,?,?,?,?,?,?)",
                             (sid, *decision))
            if sstatus == "missing":
                conn.execute("UPDATE photos SET partner_of = NULL, updated_at = ? WHERE id = ?", (now, sid))
            else:
                conn.execute("UPDATE photos SET partner_of = NULL, status = 'pending', error = NULL, "
                             "settle_since = ?, updated_at = ? WHERE id = ?", (min(smtime / 1e9, now), now, sid))
