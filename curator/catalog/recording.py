"""Recording what the worker found: scores (with their views and embedding), EXIF, errors, and runs."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from curator.catalog.connection import CatalogBase
from curator.catalog.embeddings import write_clip_embedding
from curator.catalog.errors import CatalogError
from curator.catalog.pairs import check_pairs, link_partners, primary_row
from curator.catalog.paths import all_to_db, from_db, to_db
from curator.catalog.quality import write_quality
from curator.catalog.records import (
    OUTCOME_KINDS,
    STATUSES,
    FileStat,
    Outcome,
    Recorded,
    RunRecord,
    ScoreRecord,
    ViewRecord,
)
from curator.catalog.sql import INSERT_PHOTO, finite, in_chunks, inserted_id, new_row, one_line

if TYPE_CHECKING:
    from curator.disk.exif import ExifData


class RecordingMixin(CatalogBase):
    def record_outcomes(self, outcomes: Sequence[Outcome], now: float | None = None, *, run_id: int | None = None,
                        busy_seconds: float = 0.0) -> list[Recorded]:
        """Record one batch atomically: either all of it is in the catalog, or none of it.

        With run_id, the run's counters (see start_run) are updated in the same transaction.
        """
        now = time.time() if now is None else now
        out: list[Recorded] = []
        with self.transaction() as conn:
            for o in outcomes:
                out.append(self._record_one(conn, o, now))
            if run_id is not None:
                done = [r for r in out if r.recorded and r.kind != "changed"]
                conn.execute("UPDATE runs SET photos = photos + ?, scored = scored + ?, errors = errors + ?, "
                             "busy_seconds = busy_seconds + ?, ended_at = ? WHERE id = ?",
                             (len(done), sum(r.kind == "scored" for r in done), sum(r.kind == "error" for r in done),
                              float(busy_seconds), now, run_id))
        return out

    def start_run(self, kind: str, fingerprint: str, now: float | None = None) -> int:
        """A scan or watch session, whose counters record_outcomes(run_id=...) keeps (for stats)."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            return inserted_id(conn.execute("INSERT INTO runs (kind, fingerprint, started_at, ended_at) "
                                            "VALUES (?,?,?,?)", (kind, fingerprint, now, now)))

    def runs(self, limit: int = 5) -> list[RunRecord]:
        """The latest runs that recorded something, newest first."""
        return [RunRecord(*r) for r in self._read(
            "SELECT id, kind, fingerprint, started_at, ended_at, photos, scored, errors, busy_seconds FROM runs "
            "WHERE photos > 0 ORDER BY id DESC LIMIT ?", (int(limit),))]

    def record_score(self, photo_id: int, score: ScoreRecord, *, stat: FileStat | None = None,
                     content_hash: str | None = None, exif: ExifData | None = None,
                     now: float | None = None) -> None:
        """Record a score for a photo directly (not through the queue)."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            row = conn.execute("SELECT size, mtime_ns FROM photos WHERE id = ?", (int(photo_id),)).fetchone()
            if row is None:
                raise CatalogError(f"no photo with id {photo_id}")
            self._write_score(conn, int(photo_id), score, stat or FileStat(row[0], row[1]), content_hash, exif, now)

    def record_error(self, photo_id: int, message: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.transaction() as conn:
            conn.execute("UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE id = ?",
                         (one_line(message), now, int(photo_id)))

    def upsert_photo(self, path: str, stat: FileStat, *, status: str = "pending", now: float | None = None) -> int:
        """Insert a photo row (or update its stat and status); returns its id."""
        if status not in STATUSES:
            raise CatalogError(f"unknown status {status!r}")
        now = time.time() if now is None else now
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM photos WHERE path = ?", (to_db(path),)).fetchone()
            if row is None:
                return inserted_id(conn.execute(INSERT_PHOTO, new_row(path, stat, now, status=status)))
            conn.execute("UPDATE photos SET size = ?, mtime_ns = ?, status = ?, updated_at = ? WHERE id = ?",
                         (stat.size, stat.mtime_ns, status, now, row[0]))
            return row[0]

    def _record_one(self, conn: sqlite3.Connection, o: Outcome, now: float) -> Recorded:
        row = conn.execute("SELECT status, size, mtime_ns, folder, path FROM photos WHERE id = ?",
                           (o.photo_id,)).fetchone()
        if row is not None:  # folder and path as the caller names them
            row = (*row[:3], from_db(row[3]), from_db(row[4]))
        if row is None or row[0] != "pending" or (row[1], row[2]) != (o.expected.size, o.expected.mtime_ns):
            return Recorded(o.photo_id, o.kind, False, row[3] if row else None)
        if o.path is not None and o.path != row[4] and o.kind in ("missing", "error"):
            return Recorded(o.photo_id, o.kind, False, row[3])  # renamed meanwhile: look again at the new path
        folder = row[3]
        st = o.stat or o.expected
        if o.kind in ("changed", "missing", "error"):
            _record_unscored(conn, o, st, now)
            return Recorded(o.photo_id, o.kind, True, folder)
        if o.kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome kind {o.kind!r}")
        pid = o.photo_id if o.twin_id is None else self._merge_into(conn, o.photo_id, o.twin_id, now)
        if o.kind == "scored":
            if o.score is None:
                raise ValueError("a 'scored' outcome needs a score")
            self._write_score(conn, pid, o.score, st, o.content_hash, o.exif, now)
        else:
            _record_kept_score(conn, pid, o, st, now)
        _link_shot(conn, pid, o, now)
        return Recorded(pid, o.kind, True, folder)

    def _merge_into(self, conn: sqlite3.Connection, pending_id: int, twin_id: int, now: float) -> int:
        """A pending row turned out to be a moved photo: the old photo takes the new path; the new row goes."""
        path, folder, name = conn.execute("SELECT path, folder, name FROM photos WHERE id = ?",
                                          (pending_id,)).fetchone()
        has_decision = conn.execute("SELECT 1 FROM decisions WHERE photo_id = ?", (twin_id,)).fetchone()
        if not has_decision:  # a decision made on the new row while it was pending carries over
            conn.execute("UPDATE decisions SET photo_id = ? WHERE photo_id = ?", (twin_id, pending_id))
        # the other file of its pair, linked to the new row meanwhile, follows it
        conn.execute("UPDATE photos SET partner_of = ? WHERE partner_of = ? AND id != ?",
                     (twin_id, pending_id, twin_id))
        conn.execute("DELETE FROM photos WHERE id = ?", (pending_id,))
        conn.execute("UPDATE photos SET path = ?, folder = ?, name = ?, updated_at = ? WHERE id = ?",
                     (path, folder, name, now, twin_id))
        return twin_id

    def _write_score(self, conn: sqlite3.Connection, pid: int, result: ScoreRecord, st: FileStat,
                     content_hash: str | None, exif: ExifData | None, now: float) -> None:
        # Callers outside the worker (tests, benchmarks) may hand the engine's result as it is.
        score = ScoreRecord.from_result(result)
        w, h = score.original_size
        conn.execute(
            "INSERT INTO scores (photo_id, fingerprint, score, fused, cosine, magnitude, w_cosine, w_magnitude, "
            "mode, protocol, model, scored_width, scored_height, n_views, decode_source, elapsed_ms, "
            "scored_at, provisional) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(photo_id, fingerprint) DO UPDATE SET score = excluded.score, fused = excluded.fused, "
            "cosine = excluded.cosine, magnitude = excluded.magnitude, w_cosine = excluded.w_cosine, "
            "w_magnitude = excluded.w_magnitude, mode = excluded.mode, protocol = excluded.protocol, "
            "model = excluded.model, scored_width = excluded.scored_width, "
            "scored_height = excluded.scored_height, n_views = excluded.n_views, "
            "decode_source = excluded.decode_source, elapsed_ms = excluded.elapsed_ms, "
            "scored_at = excluded.scored_at, provisional = excluded.provisional",
            (pid, score.fingerprint, finite(score.score), finite(score.fused), finite(score.cosine),
             finite(score.magnitude), finite(score.w_cosine), finite(score.w_magnitude), score.mode, score.protocol,
             score.model,
             score.scored_size[0], score.scored_size[1], len(score.views), score.decode_source,
             float(score.elapsed_ms), now, int(score.provisional)))
        score_id = conn.execute("SELECT id FROM scores WHERE photo_id = ? AND fingerprint = ?",
                                (pid, score.fingerprint)).fetchone()[0]
        conn.execute("INSERT INTO score_views (score_id, views) VALUES (?, ?) "
                     "ON CONFLICT(score_id) DO UPDATE SET views = excluded.views", (score_id, encode_views(score)))
        emb = np.asarray(score.embedding, dtype="<f4")
        conn.execute(
            "INSERT INTO embeddings (photo_id, fingerprint, dim, vector) VALUES (?,?,?,?) "
            "ON CONFLICT(photo_id, fingerprint) DO UPDATE SET dim = excluded.dim, vector = excluded.vector",
            (pid, score.fingerprint, int(emb.size), emb.tobytes()))
        # a provisional score leaves the photo in the queue: it still lacks its exact score
        status = "pending" if score.provisional else "scored"
        conn.execute(
            "UPDATE photos SET status = ?, error = NULL, size = ?, mtime_ns = ?, "
            "content_hash = COALESCE(?, content_hash), width = ?, height = ?, scored_count = scored_count + 1, "
            "updated_at = ? WHERE id = ?", (status, st.size, st.mtime_ns, content_hash, w, h, now, pid))
        if exif is not None:
            write_exif(conn, pid, exif)
        if score.quality is not None:
            write_quality(conn, pid, score.quality, now)
        if score.clip is not None:
            write_clip_embedding(conn, pid, score.clip, now)


def write_exif(conn: sqlite3.Connection, pid: int, exif: ExifData) -> None:
    conn.execute(
        "INSERT INTO exif (photo_id, make, model, camera, lens, iso, exposure_time, f_number, focal_length, "
        "capture_time, orientation, exposure_bias) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(photo_id) DO UPDATE SET make = excluded.make, model = excluded.model, "
        "camera = excluded.camera, lens = excluded.lens, iso = excluded.iso, "
        "exposure_time = excluded.exposure_time, f_number = excluded.f_number, "
        "focal_length = excluded.focal_length, capture_time = excluded.capture_time, "
        "orientation = excluded.orientation, exposure_bias = excluded.exposure_bias",
        (pid, exif.make, exif.model, exif.camera, exif.lens, exif.iso, exif.exposure_time, exif.f_number,
         exif.focal_length, exif.capture_time, exif.orientation, exif.exposure_bias))


def encode_views(score: ScoreRecord) -> bytes:
    arr = np.empty((len(score.views), 9), dtype="<f4")
    for i, v in enumerate(score.views):
        box = v.box if v.box is not None else (-1, -1, -1, -1)
        arr[i] = (*box, v.fused, v.cosine, v.magnitude, v.w_cosine, v.w_magnitude)
    return arr.tobytes()


def decode_views(blob: bytes | None) -> tuple[ViewRecord, ...]:
    if not blob:
        return ()
    arr = np.frombuffer(blob, dtype="<f4").reshape(-1, 9)
    out = []
    for r in arr.tolist():
        box = None if r[0] < 0 else (int(r[0]), int(r[1]), int(r[2]), int(r[3]))
        out.append(ViewRecord(box, r[4], r[5], r[6], r[7], r[8]))
    return tuple(out)


def _record_unscored(conn: sqlite3.Connection, o: Outcome, st: FileStat, now: float) -> None:
    """A photo that got no score: it changed while being read (pending again, its quiet period from now),
    went missing, or could not be scored."""
    pid = o.photo_id
    if o.kind == "changed":
        conn.execute("UPDATE photos SET size = ?, mtime_ns = ?, settle_since = ?, updated_at = ? WHERE id = ?",
                     (st.size, st.mtime_ns, now, now, pid))
    elif o.kind == "missing":
        conn.execute("UPDATE photos SET status = 'missing', error = ?, updated_at = ? WHERE id = ?",
                     (one_line(o.error or "vanished before it could be scored"), now, pid))
        check_pairs(conn, [pid], now)
    else:
        conn.execute("UPDATE photos SET status = 'error', error = ?, size = ?, mtime_ns = ?, "
                     "content_hash = COALESCE(?, content_hash), updated_at = ? WHERE id = ?",
                     (one_line(o.error or "could not be scored"), st.size, st.mtime_ns, o.content_hash, now, pid))
        check_pairs(conn, [pid], now)  # a RAW whose JPEG cannot be read is scored itself


def _record_kept_score(conn: sqlite3.Connection, pid: int, o: Outcome, st: FileStat, now: float) -> None:
    """A photo scored without a new score: measured (its quality values are new), unchanged, adopted (a
    moved photo) or the partner of a scored file."""
    if o.kind == "measured":  # the stored score stays; only the quality values are new
        quality = ScoreRecord.from_result(o.score).quality if o.score is not None else None
        if quality is None:
            raise ValueError("a 'measured' outcome needs a score with quality values")
        write_quality(conn, pid, quality, now)
    conn.execute("UPDATE photos SET status = 'scored', error = NULL, size = ?, mtime_ns = ?, "
                 "content_hash = COALESCE(?, content_hash), updated_at = ? WHERE id = ?",
                 (st.size, st.mtime_ns, o.content_hash, now, pid))
    if o.exif is not None:
        write_exif(conn, pid, o.exif)


def _link_shot(conn: sqlite3.Connection, pid: int, o: Outcome, now: float) -> None:
    """The RAW+JPEG pairing as the worker found it: a partner joins its shot's scored file, a scored file
    takes its partners, any other photo stands alone."""
    if o.kind == "partner":
        if not o.primary:
            raise ValueError("a 'partner' outcome needs the path of the shot's scored file")
        primary = primary_row(conn, o.primary, o.primary_stat, now)
        link_partners(conn, primary, [pid])
    elif o.partners:
        ids = [r[0] for in_list, chunk in in_chunks(all_to_db(o.partners))
               for r in conn.execute(f"SELECT id FROM photos WHERE path {in_list}", chunk)]
        link_partners(conn, pid, ids)
    else:
        conn.execute("UPDATE photos SET partner_of = NULL WHERE id = ? AND partner_of IS NOT NULL", (pid,))
