"""SQL written once: the shot of a photo, its latest score, the gallery's SELECT, scope and IN (...) clauses."""

from __future__ import annotations

import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from curator.catalog.paths import ESCAPE, from_db, to_db
from curator.catalog.records import GALLERY_FIELDS, FileStat, GalleryRow
from curator.display import readable

# A photo's shot: the scored file of a RAW+JPEG pair holds the score and the decision for both files.
SHOT = "COALESCE(p.partner_of, p.id)"

# The latest score of photo p's shot, as `s` (LEFT JOIN: photos without a score keep a row of NULLs). An exact
# score wins over a provisional one (triage's), whenever it landed: a photo whose exact score is kept (unchanged,
# moved, measured) after triage scored it provisionally shows the exact score.
LATEST_SCORE = ("LEFT JOIN scores s ON s.id = (SELECT s2.id FROM scores s2 WHERE s2.photo_id = " + SHOT +
                "  ORDER BY s2.provisional, s2.scored_at DESC, s2.id DESC LIMIT 1) ")

# The shots the policies look at: not missing, and the second file of a RAW+JPEG pair left out (a pair is one).
LIVE_SHOTS = "p.status != 'missing' AND p.partner_of IS NULL"

# A row of photos (unaliased) whose shot has a score from any engine: what `scan --reasons-only` works on.
HAS_A_SCORE = "EXISTS(SELECT 1 FROM scores sc WHERE sc.photo_id = COALESCE(photos.partner_of, photos.id))"

# The quality row of photo p's shot, as `q` (dimensions, measurements, reasons; NULLs when not measured).
QUALITY_JOIN = "LEFT JOIN quality q ON q.photo_id = " + SHOT + " "

GALLERY_SELECT = (
    "SELECT p.id, p.path, p.folder, p.name, p.status, p.error, p.width, p.height, p.mtime_ns / 1e9, p.size, "
    "e.capture_time, e.camera, e.lens, e.iso, e.exposure_time, e.f_number, e.focal_length, e.orientation, "
    "s.fused, s.cosine, s.magnitude, s.w_cosine, s.w_magnitude, "
    "d.flag, d.flag_source, COALESCE(d.rating, 0), d.label, COALESCE(d.low_quality, 0), p.partner_of, t.value, "
    "COALESCE(q.reasons, ''), COALESCE(s.provisional, 0), COALESCE(d.auto_provisional, 0) "
    "FROM photos p "
    "LEFT JOIN exif e ON e.photo_id = p.id "
    + LATEST_SCORE + QUALITY_JOIN +
    "LEFT JOIN decisions d ON d.photo_id = " + SHOT + " "
    "LEFT JOIN taste t ON t.photo_id = " + SHOT
)

INSERT_PHOTO = ("INSERT INTO photos (path, folder, name, size, mtime_ns, status, error, settle_since, added_at, "
                "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)")
# A known photo back in the queue with its new stat: (size, mtime_ns, settle_since, updated_at, id).
REQUEUE_PHOTO = ("UPDATE photos SET status = 'pending', error = NULL, size = ?, mtime_ns = ?, settle_since = ?, "
                 "updated_at = ? WHERE id = ?")

CHUNK = 500  # values per IN (...): well under SQLite's variable limit


def in_chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[tuple[str, list[Any]]]:
    """("IN (?,?,...)", values) for each chunk of `values`: long lists in several statements."""
    items = list(values)
    for i in range(0, len(items), size):
        chunk = items[i:i + size]
        yield f"IN ({','.join('?' * len(chunk))})", chunk


def scope_clause(scope: Sequence[str] | None, column: str) -> tuple[str, list[Any]]:
    """SQL matching paths equal to, or under, any of the roots (an index range per root; see curator.disk.files.is_under)."""
    if not scope:
        return "1", []
    parts, params = [], []
    sep = os.sep
    after_sep = chr(ord(sep) + 1)
    for root in scope:
        root = to_db(str(root))
        prefix = root if root.endswith(sep) else root + sep
        parts.append(f"({column} = ? OR ({column} >= ? AND {column} < ?))")
        params += [root, prefix, prefix[:-1] + after_sep]
    return "(" + " OR ".join(parts) + ")", params


_new_object = object.__new__


def gallery_row(r: tuple) -> GalleryRow:
    # Built without the frozen dataclass's per-field __setattr__: 100k rows load twice as fast.
    row = _new_object(GalleryRow)
    values = row.__dict__
    values.update(zip(GALLERY_FIELDS, r, strict=True))
    values["low_quality"] = bool(values["low_quality"])
    reasons = values["reasons"]
    values["reasons"] = tuple(reasons.split(",")) if reasons else ()
    values["provisional"] = bool(values["provisional"])
    values["verdict_provisional"] = bool(values["verdict_provisional"])
    if ESCAPE in values["path"]:  # a name that is not UTF-8 (curator.catalog.paths); folder and name are in path
        values["path"], values["folder"], values["name"] = map(from_db, (values["path"], values["folder"],
                                                                          values["name"]))
    return row


def new_row(path: str, stat: FileStat, since: float, *, status: str, error: str | None = None) -> tuple:
    """INSERT_PHOTO's parameters for a new photo row."""
    path = to_db(path)
    folder, name = os.path.split(path)
    now = time.time()
    return (path, folder, name, stat.size, stat.mtime_ns, status, one_line(error) if error else None, since,
            now, now)


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just made."""
    assert cur.lastrowid is not None, "not an INSERT"
    return cur.lastrowid


def shot_of(conn: sqlite3.Connection, photo_id: int) -> int:
    """The photo that holds the shot's score and decision (itself, unless it is the second file of a pair)."""
    row = conn.execute("SELECT COALESCE(partner_of, id) FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return row[0] if row else photo_id


def put_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, value))


def finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def one_line(message: str | None) -> str | None:
    if message is None:
        return None
    # a message may quote a name that is not UTF-8: shown with U+FFFD, as SQLite cannot store it as it is
    text = " ".join(readable(str(message)).split())
    return text[:300] if text else "unknown error"
