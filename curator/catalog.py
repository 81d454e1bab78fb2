"""The catalog: one SQLite file (WAL) holding photos, EXIF, scores, embeddings and decisions.

This is the only module that speaks SQL (through sqlite-utils over our own
sqlite3 connections). Everything else hands it plain dataclasses.

Threads: every thread gets its own connection (created on first use); writes
go through one write lock per Catalog and `BEGIN IMMEDIATE`, so a writer
never has to upgrade a read lock (as beets does). Other processes writing the
same file wait on SQLite's own lock (busy timeout). Readers never block in WAL
mode; `data_version()` changes when another connection commits, which is how
the gallery learns about new scores cheaply.

Schema versions live in `PRAGMA user_version`; `MIGRATIONS` is a ladder of
functions, each run in its own transaction. A catalog newer than the code is
refused. Before migrating an existing catalog, a copy is written next to it
(`catalog.db.v<N>.bak`).

A RAW+JPEG pair (curator.pairs) is one shot: both files have a row, the
second file's `partner_of` points at the scored file's row, and that row holds
the shot's score and decision, which reads of either file go through
(COALESCE(partner_of, id)). The worker makes the links as it inspects files;
`_check_pairs` undoes one that stops holding (the scored file gone or failed,
the files renamed apart), and the file left alone keeps the decision and is
queued to be scored itself.

Per-view values are stored (in score_views) as one little-endian float32 blob per score, one
row of 9 values per view: left, top, right, bottom (all -1 for the global
view), fused, cosine, magnitude, w_cosine, w_magnitude. Embeddings are
little-endian float32 blobs.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import sqlite_utils

from curator.bursts import DEFAULT_GAP_SECONDS as DEFAULT_BURST_GAP_SECONDS
from curator.bursts import DEFAULT_SIMILARITY as DEFAULT_BURST_SIMILARITY
from curator.errors import UserError
from iqa_engine.results import ViewScore

if TYPE_CHECKING:
    from iqa_engine.results import PhotoScore

    from curator.bursts import Burst, BurstDecision, Frame

    from curator.exif import ExifData

SCHEMA_VERSION = 3
APPLICATION_ID = 0x63757261  # "cura", so a stranger's SQLite file is never mistaken for a catalog
BUSY_TIMEOUT_MS = 15_000

STATUSES = ("pending", "scored", "error", "missing")
FLAGS = ("pick", "reject")
FLAG_SOURCES = ("auto", "user")
LABELS = ("Red", "Yellow", "Green", "Blue", "Purple")  # Lightroom's colour labels
SORTS = ("name", "score", "-score", "time")


class CatalogError(UserError):
    """The catalog cannot be opened or used; the message is one line a user can act on."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # set_decision's "leave this field as it is"


# -- rows handed out -------------------------------------------------------------


@dataclass(frozen=True)
class GalleryRow:
    photo_id: int
    path: str
    folder: str
    name: str
    status: str  # 'pending' | 'scored' | 'error' | 'missing'
    error: str | None
    width: int | None
    height: int | None
    mtime: float
    size: int
    capture_time: str | None  # ISO 8601
    camera: str | None
    lens: str | None
    iso: int | None
    exposure_time: float | None
    f_number: float | None
    focal_length: float | None
    orientation: int | None
    fused: float | None
    cosine: float | None
    magnitude: float | None
    w_cosine: float | None
    w_magnitude: float | None
    flag: str | None  # 'pick' | 'reject' | None
    flag_source: str | None  # 'auto' | 'user' | None
    rating: int  # 0..5
    label: str | None  # colour word, e.g. 'Red'
    low_quality: bool  # the auto policy finds it weak (shown even if the user picked it)
    # The scored file of this file's shot, when this file is the other half of a RAW+JPEG pair (then the
    # score and decision above are the shot's, read through that photo); None for a shot's own scored file.
    partner_of: int | None = None


_GALLERY_FIELDS = tuple(f.name for f in fields(GalleryRow))


# One view's cues as the engine reported them: box (l, t, r, b) in scored_size pixels, None = global view.
ViewRecord = ViewScore


@dataclass(frozen=True)
class PhotoDetail:
    row: GalleryRow
    views: tuple[ViewRecord, ...]
    scored_size: tuple[int, int] | None
    fingerprint: str | None
    content_hash: str | None = None
    scored_at: float | None = None
    elapsed_ms: float | None = None
    protocol: str | None = None
    model: str | None = None
    decode_source: str | None = None
    exposure_bias: float | None = None
    make: str | None = None
    scored_count: int = 0


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class FileEntry:
    """A file found on disk by a scan: its stat, or the reason it could not be stat'ed."""

    path: str
    stat: FileStat | None
    error: str | None = None


@dataclass(frozen=True)
class KnownFile:
    photo_id: int
    path: str
    stat: FileStat
    status: str
    has_current_score: bool


@dataclass(frozen=True)
class PendingItem:
    photo_id: int
    path: str
    folder: str
    stat: FileStat  # what the catalog last saw
    settle_since: float  # unchanged since (epoch seconds)
    content_hash: str | None


@dataclass(frozen=True)
class Twin:
    """Another photo with the same content, e.g. the old row of a renamed file."""

    photo_id: int
    path: str
    status: str
    has_current_score: bool


@dataclass(frozen=True)
class Outcome:
    """What the worker found for one pending photo; recorded by Catalog.record_outcomes.

    kind:
      scored    a new score (and EXIF, hash) for the photo
      partner   the photo is the other file of a RAW+JPEG pair (`primary` is scored for both): not scored
      unchanged the content is the same as when it was scored: only the stat is refreshed
      adopted   the file is a moved photo (twin_id) that already has a current score
      error     the file cannot be scored; `error` says why
      missing   the file vanished before it could be scored
      changed   the file changed while being read: it stays pending and settles again
    `expected` is the stat the worker decided on; if the row changed since (the
    watcher saw a newer write), the outcome is dropped and the row stays pending.
    """

    photo_id: int
    kind: str
    expected: FileStat
    stat: FileStat | None = None
    content_hash: str | None = None
    score: "PhotoScore | None" = None
    exif: "ExifData | None" = None
    error: str | None = None
    twin_id: int | None = None  # merge this pending row into that photo first
    path: str | None = None  # the path the worker read; a 'missing' or 'error' found at an old path is dropped
    partners: tuple[str, ...] = ()  # scored/unchanged/adopted: the other files of the shot (RAW+JPEG pair)
    primary: str | None = None  # partner: the path of the shot's scored file
    primary_stat: FileStat | None = None  # partner: that file's stat, to queue it if it is not in the catalog yet


@dataclass(frozen=True)
class Recorded:
    photo_id: int  # the photo the outcome ended on (the twin's id after a merge)
    kind: str
    recorded: bool  # False when the row had changed meanwhile
    folder: str | None


@dataclass(frozen=True)
class SyncCounts:
    new: int = 0
    changed: int = 0
    rescore: int = 0
    unchanged: int = 0
    errors: int = 0
    missing: int = 0
    reappeared: int = 0


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    kind: str  # 'scan' | 'watch'
    fingerprint: str
    started_at: float
    ended_at: float
    photos: int  # photos recorded (scored, kept, failed or found missing)
    scored: int
    errors: int
    busy_seconds: float  # time spent waiting for decodes, scoring and recording

    @property
    def rate(self) -> float | None:
        return self.photos / self.busy_seconds if self.busy_seconds > 0 else None


@dataclass(frozen=True)
class FlagRow:
    photo_id: int
    folder: str
    fused: float | None
    flag: str | None
    flag_source: str | None
    rating: int
    low_quality: bool


@dataclass(frozen=True)
class SidecarMark:
    """A photo whose XMP sidecar may hold decisions to import, and the sidecar mtime last imported."""

    photo_id: int
    path: str
    folder: str
    seen_mtime_ns: int | None  # None: no sidecar imported yet


@dataclass(frozen=True)
class SidecarImport:
    """What one sidecar says a person decided (curator.xmp.imported_decision), to record as the user's."""

    photo_id: int
    mtime_ns: int  # the sidecar's mtime, noted so an unchanged sidecar is not read again
    flag: str | None = None  # 'reject' or None (leave the flag)
    rating: int | None = None  # 1-5, or None (leave the rating)
    label: str | None = None  # a colour word, or None (leave the label)


# -- the catalog -----------------------------------------------------------------


_MIGRATION_MARK = "migrations"


class Catalog:
    """A catalog file. Open with Catalog.open(path); close() or use as a context manager."""

    def __init__(self, path: Path, readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False, create: bool = True) -> "Catalog":
        """Open (creating directories and file unless readonly or create=False), in WAL mode, migrated.

        Raises CatalogError for a missing catalog (when it may not be
        created), a read-only path, a file that is not a catalog or is
        corrupt, or a catalog written by a newer curator.
        """
        p = Path(path).expanduser().absolute()
        if p.is_dir():
            raise CatalogError(f"catalog path {p} is a directory; give a file such as {p / 'catalog.db'}")
        exists = p.exists()
        if not exists and (readonly or not create):
            raise CatalogError(f"no catalog at {p} yet; run `curator scan DIR` first")
        if not readonly:
            _check_writable(p, exists)
        catalog = cls(p, readonly)
        try:
            catalog._initialise(existed=exists)
        except CatalogError:
            catalog.close()
            raise
        except sqlite3.Error as exc:
            catalog.close()
            raise CatalogError(_describe_open_error(p, exc)) from None
        return catalog

    def _initialise(self, existed: bool) -> None:
        conn = self._conn()
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables and "photos" not in tables):
            raise CatalogError(f"{self.path} is an SQLite file but not a curator catalog")
        if version > SCHEMA_VERSION:
            raise CatalogError(f"catalog {self.path} has schema version {version}, newer than this curator "
                               f"understands ({SCHEMA_VERSION}); upgrade curator")
        if self.readonly:
            if version < SCHEMA_VERSION:
                raise CatalogError(f"catalog {self.path} has schema version {version} and needs migrating; "
                                   "open it once read-write (any curator scan/watch/flag)")
            return
        if _journal_mode(conn) != "wal":
            sqlite_utils.Database(conn).enable_wal()
        if version < SCHEMA_VERSION:
            if existed and version > 0:
                self._backup(version)
            self._migrate(version, SCHEMA_VERSION)

    def _backup(self, version: int) -> None:
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        dest = sqlite3.connect(str(target))
        try:
            self._conn().backup(dest)
        finally:
            dest.close()

    def _migrate(self, current: int, target: int) -> None:
        for version in range(current + 1, target + 1):
            with self._tx() as conn:
                MIGRATIONS[version](sqlite_utils.Database(conn))
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    # -- connections ---------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise CatalogError("the catalog is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                if self.readonly:
                    conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True,
                                           isolation_level=None, check_same_thread=False)
                else:
                    conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
                if not self.readonly:
                    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable against process crashes
            except sqlite3.Error as exc:
                raise CatalogError(_describe_open_error(self.path, exc)) from None
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, []
            self._closed = True
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) under the write lock."""
        if self.readonly:
            raise CatalogError(f"catalog {self.path} is open read-only")
        conn = self._conn()
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise CatalogError(_describe_error(self.path, exc)) from None
            try:
                yield conn
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise CatalogError(_describe_error(self.path, exc)) from None
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise CatalogError(_describe_error(self.path, exc)) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise CatalogError(_describe_error(self.path, exc)) from None

    def data_version(self) -> int:
        """Changes whenever another connection (thread or process) commits to this catalog."""
        return self._read("PRAGMA data_version")[0][0]

    def integrity_check(self) -> str:
        return "; ".join(r[0] for r in self._read("PRAGMA integrity_check"))

    # -- meta ----------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        with self._tx() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                _put_meta(conn, key, value)

    def flag_policy(self) -> tuple[float | None, float] | None:
        """(threshold, bottom_percent) last set by `curator flag`, or None."""
        bottom = self.get_meta("flag_bottom_percent")
        if bottom is None:
            return None
        threshold = self.get_meta("flag_threshold")
        return (float(threshold) if threshold not in (None, "") else None, float(bottom))

    def set_flag_policy(self, threshold: float | None, bottom_percent: float) -> None:
        with self._tx() as conn:
            for key, value in (("flag_threshold", "" if threshold is None else repr(float(threshold))),
                               ("flag_bottom_percent", repr(float(bottom_percent)))):
                _put_meta(conn, key, value)

    # -- reading for the gallery and the CLI ---------------------------------

    def gallery_rows(self, folder: str | None = None) -> list[GalleryRow]:
        """Every photo (of one folder, if given) with its latest score, decision and EXIF; one query."""
        return self.query_rows(folder=folder)

    def query_rows(self, *, folder: str | None = None, under: str | None = None, flagged: bool = False,
                   weak: bool = False, errors: bool = False, status: str | None = None, sort: str = "name",
                   limit: int | None = None) -> list[GalleryRow]:
        """Gallery rows filtered and sorted in SQL (for `curator list`).

        flagged: any pick or reject flag; weak: marked low quality by the auto policy, or rejected.
        """
        where, params = [], []
        if folder is not None:
            where.append("p.folder = ?")
            params.append(str(folder))
        if under is not None:
            clause, extra = scope_clause([str(under)], "p.path")
            where.append(clause)
            params += extra
        if flagged:
            where.append("d.flag IS NOT NULL")
        if weak:
            where.append("(COALESCE(d.low_quality, 0) = 1 OR d.flag = 'reject')")
        if errors:
            where.append("p.error IS NOT NULL")
        if status is not None:
            where.append("p.status = ?")
            params.append(status)
        order = {
            "name": "p.folder, p.name",
            "score": "s.fused IS NULL, s.fused, p.folder, p.name",
            "-score": "s.fused IS NULL, s.fused DESC, p.folder, p.name",
            "time": "COALESCE(e.capture_time, strftime('%Y-%m-%dT%H:%M:%S', p.mtime_ns / 1e9, 'unixepoch')), "
                    "p.folder, p.name",
        }.get(sort)
        if order is None:
            raise CatalogError(f"unknown sort {sort!r}; choose one of: {', '.join(SORTS)}")
        sql = _GALLERY_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY " + order
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self._read(sql, params)
        return [_gallery_row(r) for r in rows]

    def photo_detail(self, photo_id: int) -> PhotoDetail | None:
        rows = self._read(_GALLERY_SELECT + " WHERE p.id = ?", (int(photo_id),))
        if not rows:
            return None
        row = _gallery_row(rows[0])
        extra = self._read(
            "SELECT p.content_hash, p.scored_count, e.exposure_bias, e.make, "
            "s.fingerprint, (SELECT v.views FROM score_views v WHERE v.score_id = s.id), "
            "s.scored_width, s.scored_height, s.scored_at, s.elapsed_ms, "
            "s.protocol, s.model, s.decode_source "
            "FROM photos p LEFT JOIN exif e ON e.photo_id = p.id "
            + _LATEST_SCORE +
            "WHERE p.id = ?", (int(photo_id),))[0]
        (content_hash, scored_count, bias, make, fp, views_blob, sw, sh, scored_at, elapsed, protocol, model,
         decode_source) = extra
        return PhotoDetail(
            row=row, views=_decode_views(views_blob), scored_size=(sw, sh) if sw is not None else None,
            fingerprint=fp, content_hash=content_hash, scored_at=scored_at, elapsed_ms=elapsed,
            protocol=protocol, model=model, decode_source=decode_source, exposure_bias=bias, make=make,
            scored_count=scored_count or 0)

    def photo_id_for_path(self, path: str | os.PathLike[str]) -> int | None:
        rows = self._read("SELECT id FROM photos WHERE path = ?", (str(path),))
        return rows[0][0] if rows else None

    def path_status(self, path: str | os.PathLike[str]) -> str | None:
        """The status of the photo at this path, or None when the catalog does not know it."""
        rows = self._read("SELECT status FROM photos WHERE path = ?", (str(path),))
        return rows[0][0] if rows else None

    def folders(self, under: Sequence[str] | None = None) -> list[str]:
        """The catalog's folders, sorted; only those equal to or inside one of `under` when given (see is_under)."""
        where, params = scope_clause(under, "folder")
        return [r[0] for r in self._read(f"SELECT DISTINCT folder FROM photos WHERE {where} ORDER BY folder", params)]

    def embedding(self, photo_id: int, fingerprint: str | None = None) -> np.ndarray | None:
        sql = "SELECT vector FROM embeddings WHERE photo_id = ?"
        params: list[Any] = [int(photo_id)]
        if fingerprint is not None:
            sql += " AND fingerprint = ?"
            params.append(fingerprint)
        rows = self._read(sql + " ORDER BY id DESC LIMIT 1", params)
        return np.frombuffer(rows[0][0], dtype="<f4").copy() if rows else None

    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in STATUSES}
        for status, n in self._read("SELECT status, COUNT(*) FROM photos GROUP BY status"):
            counts[status] = n
        return counts

    def queue_length(self, scope: Sequence[str] | None = None) -> int:
        clause, params = scope_clause(scope, "path")
        return self._read(f"SELECT COUNT(*) FROM photos WHERE status = 'pending' AND {clause}", params)[0][0]

    def score_count(self, photo_id: int | None = None) -> int:
        """Score rows in total (or of one photo)."""
        if photo_id is None:
            return self._read("SELECT COUNT(*) FROM scores")[0][0]
        return self._read("SELECT COUNT(*) FROM scores WHERE photo_id = ?", (int(photo_id),))[0][0]

    def export_records(self, under: str | None = None) -> Iterator[dict[str, Any]]:
        """One flat dict per photo: path, status, scores, decision and EXIF (for `curator export`)."""
        clause, params = scope_clause([under] if under else None, "p.path")
        sql = (
            "SELECT p.id AS photo_id, p.path, p.folder, p.name, p.status, p.error, p.width, p.height, p.size, "
            "p.mtime_ns / 1e9 AS mtime, p.content_hash, "
            "e.capture_time, e.make, e.model AS camera_model, e.camera, e.lens, e.iso, e.exposure_time, "
            "e.f_number, e.focal_length, e.orientation, e.exposure_bias, "
            "s.score, s.fused, s.cosine, s.magnitude, s.w_cosine, s.w_magnitude, s.mode, s.protocol, "
            "s.model AS engine_model, s.fingerprint, s.n_views AS views, s.scored_at, s.elapsed_ms, "
            "d.flag, d.flag_source, COALESCE(d.rating, 0) AS rating, d.label, "
            "COALESCE(d.low_quality, 0) AS low_quality, "
            "(SELECT q.path FROM photos q WHERE q.id = p.partner_of) AS partner_of "
            "FROM photos p LEFT JOIN exif e ON e.photo_id = p.id "
            + _LATEST_SCORE +
            f"LEFT JOIN decisions d ON d.photo_id = {_SHOT} WHERE {clause} ORDER BY p.folder, p.name")
        try:
            cur = self._conn().execute(sql, params)
            names = [c[0] for c in cur.description]
            for r in cur:
                rec = dict(zip(names, r))
                rec["low_quality"] = bool(rec["low_quality"])
                yield rec
        except sqlite3.Error as exc:
            raise CatalogError(_describe_error(self.path, exc)) from None

    def latest_fused(self) -> list[float]:
        """The latest fused score of every shot that is not missing (for stats; a RAW+JPEG pair counts once)."""
        return [r[0] for r in self._read(
            "SELECT s.fused FROM photos p JOIN scores s ON s.id = (SELECT s2.id FROM scores s2 "
            "WHERE s2.photo_id = p.id ORDER BY s2.scored_at DESC, s2.id DESC LIMIT 1) "
            "WHERE p.status != 'missing' AND p.partner_of IS NULL")]

    def scoring_times(self) -> list[tuple[float, float]]:
        """(scored_at, elapsed_ms) of every score row, oldest first (for throughput)."""
        return [(a, b or 0.0) for a, b in self._read("SELECT scored_at, elapsed_ms FROM scores ORDER BY scored_at")]

    def fingerprints(self) -> list[tuple[str, str | None, str | None, int]]:
        """(fingerprint, model, protocol, photos) for every engine that scored something."""
        return [tuple(r) for r in self._read(
            "SELECT fingerprint, MAX(model), MAX(protocol), COUNT(*) FROM scores GROUP BY fingerprint "
            "ORDER BY MAX(scored_at) DESC")]

    def decision_counts(self) -> dict[str, int]:
        out = {"reject_auto": 0, "reject_user": 0, "pick": 0, "low_quality": 0, "rated": 0}
        for flag, source, n in self._read(
                "SELECT flag, flag_source, COUNT(*) FROM decisions WHERE flag IS NOT NULL GROUP BY 1, 2"):
            if flag == "pick":
                out["pick"] += n
            else:
                out["reject_user" if source == "user" else "reject_auto"] += n
        out["low_quality"] = self._read("SELECT COUNT(*) FROM decisions WHERE low_quality")[0][0]
        out["rated"] = self._read("SELECT COUNT(*) FROM decisions WHERE rating > 0")[0][0]
        return out

    # -- the queue -----------------------------------------------------------

    def known_files(self, scope: Sequence[str], fingerprint: str) -> dict[str, KnownFile]:
        """Every photo under the given roots, with whether it (or, for the second file of a RAW+JPEG pair,
        its shot) has a score from `fingerprint`."""
        clause, params = scope_clause(scope, "p.path")
        return self._known_where(clause, params, fingerprint)

    def _known_paths(self, paths: Sequence[str], fingerprint: str) -> dict[str, KnownFile]:
        """Rows for these exact paths (files found outside the scope's path range, e.g. through a symlink)."""
        out: dict[str, KnownFile] = {}
        for i in range(0, len(paths), 500):
            chunk = list(paths[i:i + 500])
            out.update(self._known_where(f"p.path IN ({','.join('?' * len(chunk))})", chunk, fingerprint))
        return out

    def _known_where(self, clause: str, params: list[Any], fingerprint: str) -> dict[str, KnownFile]:
        """known_files' rows for one WHERE clause on photos p, keyed by path."""
        rows = self._read(
            "SELECT p.id, p.path, p.size, p.mtime_ns, p.status, "
            f"EXISTS(SELECT 1 FROM scores s WHERE s.photo_id = {_SHOT} AND s.fingerprint = ?) "
            f"FROM photos p WHERE {clause}", [fingerprint] + params)
        return {r[1]: KnownFile(r[0], r[1], FileStat(r[2], r[3]), r[4], bool(r[5])) for r in rows}

    def sync_files(self, scope: Sequence[str], found: Iterable[FileEntry], *, fingerprint: str,
                   gone: Callable[[str], bool] = lambda p: not os.path.lexists(p),
                   retry_errors: bool = False, now: float | None = None) -> SyncCounts:
        """Bring the catalog in line with a walk of `scope`: enqueue new, changed and stale photos,
        record files that could not be stat'ed, and mark photos that are gone as missing.

        A file is unchanged when its size and mtime match; it is then skipped
        unless its score is from another engine (rescored) or, with
        retry_errors, it failed before.
        """
        now = time.time() if now is None else now
        found = list(found)
        known = self.known_files(scope, fingerprint)
        known.update(self._known_paths([e.path for e in found if e.path not in known], fingerprint))
        inserts: list[tuple] = []
        requeue: list[tuple] = []
        errors: list[tuple] = []
        new_errors: list[tuple] = []
        counts = dict(new=0, changed=0, rescore=0, unchanged=0, errors=0, missing=0, reappeared=0)
        seen: set[str] = set()
        for entry in found:
            seen.add(entry.path)
            k = known.get(entry.path)
            if entry.stat is None:
                counts["errors"] += 1
                if k is None:
                    new_errors.append(_new_row(entry.path, FileStat(0, 0), now, status="error",
                                               error=entry.error))
                else:
                    errors.append((entry.error, now, k.photo_id))
                continue
            st = entry.stat
            since = min(st.mtime_ns / 1e9, now)  # a file already quiet since its mtime need not wait again
            if k is None:
                counts["new"] += 1
                inserts.append(_new_row(entry.path, st, since, status="pending"))
            elif k.stat != st:
                counts["changed"] += 1
                requeue.append((st.size, st.mtime_ns, now, now, k.photo_id))
            elif k.status == "missing":
                counts["reappeared"] += 1
                requeue.append((st.size, st.mtime_ns, since, now, k.photo_id))
            elif k.status == "scored" and not k.has_current_score:
                counts["rescore"] += 1
                requeue.append((st.size, st.mtime_ns, since, now, k.photo_id))
            elif k.status == "error" and retry_errors:
                counts["changed"] += 1
                requeue.append((st.size, st.mtime_ns, since, now, k.photo_id))
            else:
                counts["unchanged"] += 1
        missing_ids = [k.photo_id for path, k in known.items()
                       if path not in seen and k.status != "missing" and gone(path)]
        counts["missing"] = len(missing_ids)
        with self._tx() as conn:
            conn.executemany(_INSERT_PHOTO, inserts + new_errors)
            conn.executemany(_REQUEUE_PHOTO, requeue)
            conn.executemany("UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE id = ?", errors)
            conn.executemany("UPDATE photos SET status = 'missing', error = NULL, updated_at = ? WHERE id = ?",
                             [(now, i) for i in missing_ids])
            _check_pairs(conn, missing_ids, now)
        return SyncCounts(**counts)

    def enqueue_path(self, path: str, stat: FileStat, now: float | None = None) -> bool:
        """The watcher saw `path` created or written: make it pending unless its stat is what we have.

        Returns True when the row was inserted or changed.
        """
        now = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute("SELECT id, size, mtime_ns, status FROM photos WHERE path = ?", (path,)).fetchone()
            if row is None:
                conn.execute(_INSERT_PHOTO, _new_row(path, stat, now, status="pending"))
                return True
            pid, size, mtime_ns, status = row
            if (size, mtime_ns) == (stat.size, stat.mtime_ns) and status != "missing":
                return False
            conn.execute(_REQUEUE_PHOTO, (stat.size, stat.mtime_ns, now, now, pid))
            return True

    def record_path_error(self, path: str, message: str, now: float | None = None) -> None:
        """A photo path that cannot even be stat'ed (a symlink loop, a broken link)."""
        now = time.time() if now is None else now
        with self._tx() as conn:
            cur = conn.execute("UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE path = ?",
                               (message, now, path))
            if cur.rowcount == 0:
                conn.execute(_INSERT_PHOTO, _new_row(path, FileStat(0, 0), now, status="error", error=message))

    def pending_items(self, scope: Sequence[str] | None = None, limit: int = 64,
                      exclude: Iterable[int] = ()) -> list[PendingItem]:
        """Pending photos, longest-quiet first, for the worker's settle check."""
        clause, params = scope_clause(scope, "path")
        excluded = list(exclude)
        if excluded:
            clause += f" AND id NOT IN ({','.join('?' * len(excluded))})"
            params += excluded
        rows = self._read(
            "SELECT id, path, folder, size, mtime_ns, settle_since, content_hash FROM photos "
            f"WHERE status = 'pending' AND {clause} ORDER BY settle_since, id LIMIT ?", params + [int(limit)])
        return [PendingItem(r[0], r[1], r[2], FileStat(r[3], r[4]), r[5], r[6]) for r in rows]

    def note_unsettled(self, photo_id: int, stat: FileStat, since: float) -> None:
        """The worker saw a pending file change: restart its quiet period."""
        with self._tx() as conn:
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
        return [Twin(r[0], r[1], r[2], bool(r[3])) for r in rows]

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
        with self._tx() as conn:
            for src, dest in moves:
                src, dest = str(src), str(dest)
                folder, name = os.path.split(dest)
                row = conn.execute("SELECT id FROM photos WHERE path = ?", (src,)).fetchone()
                if row is None:
                    continue
                conn.execute("DELETE FROM photos WHERE path = ? AND id != ?", (dest, row[0]))  # replaced by the move
                conn.execute("UPDATE photos SET path = ?, folder = ?, name = ?, updated_at = ? WHERE id = ?",
                             (dest, folder, name, now, row[0]))
                moved.append(row[0])
            _check_pairs(conn, moved, now)  # one file of a pair renamed alone: two shots again
        return len(moved)

    def move_tree(self, src: str, dest: str, now: float | None = None) -> int:
        """A folder was renamed or moved: every photo under it follows. Returns how many moved."""
        now = time.time() if now is None else now
        src_clause, src_params = scope_clause([src], "path")
        dest_clause, dest_params = scope_clause([dest], "path")
        n = len(src)
        with self._tx() as conn:
            conn.execute(f"DELETE FROM photos WHERE {dest_clause} AND NOT ({src_clause})", dest_params + src_params)
            cur = conn.execute(
                f"UPDATE photos SET path = ? || substr(path, ?), folder = ? || substr(folder, ?), updated_at = ? "
                f"WHERE {src_clause}", [dest, n + 1, dest, n + 1, now] + src_params)
            return cur.rowcount

    def mark_missing(self, path: str, now: float | None = None) -> int:
        """A file (or every photo under a folder) was deleted: keep the rows, mark them missing."""
        now = time.time() if now is None else now
        clause, params = scope_clause([path], "path")
        with self._tx() as conn:
            ids = [r[0] for r in conn.execute(f"SELECT id FROM photos WHERE {clause} AND status != 'missing'",
                                              params)]
            if not ids:
                return 0
            conn.execute(f"UPDATE photos SET status = 'missing', error = NULL, updated_at = ? "
                         f"WHERE {clause} AND status != 'missing'", [now] + params)
            _check_pairs(conn, ids, now)  # the JPEG of a pair deleted: its RAW is scored itself
            return len(ids)

    # -- recording results ---------------------------------------------------

    def record_outcomes(self, outcomes: Sequence[Outcome], now: float | None = None, *, run_id: int | None = None,
                        busy_seconds: float = 0.0) -> list[Recorded]:
        """Record one batch atomically: either all of it is in the catalog, or none of it.

        With run_id, the run's counters (see start_run) are updated in the same transaction.
        """
        now = time.time() if now is None else now
        out: list[Recorded] = []
        with self._tx() as conn:
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
        with self._tx() as conn:
            return conn.execute("INSERT INTO runs (kind, fingerprint, started_at, ended_at) VALUES (?,?,?,?)",
                                (kind, fingerprint, now, now)).lastrowid

    def runs(self, limit: int = 5) -> list[RunRecord]:
        """The latest runs that recorded something, newest first."""
        return [RunRecord(*r) for r in self._read(
            "SELECT id, kind, fingerprint, started_at, ended_at, photos, scored, errors, busy_seconds FROM runs "
            "WHERE photos > 0 ORDER BY id DESC LIMIT ?", (int(limit),))]

    def record_score(self, photo_id: int, score: "PhotoScore", *, stat: FileStat | None = None,
                     content_hash: str | None = None, exif: "ExifData | None" = None,
                     now: float | None = None) -> None:
        """Record a score for a photo directly (not through the queue)."""
        now = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute("SELECT size, mtime_ns FROM photos WHERE id = ?", (int(photo_id),)).fetchone()
            if row is None:
                raise CatalogError(f"no photo with id {photo_id}")
            self._write_score(conn, int(photo_id), score, stat or FileStat(row[0], row[1]), content_hash, exif, now)

    def record_error(self, photo_id: int, message: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._tx() as conn:
            conn.execute("UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE id = ?",
                         (_one_line(message), now, int(photo_id)))

    def upsert_photo(self, path: str, stat: FileStat, *, status: str = "pending", now: float | None = None) -> int:
        """Insert a photo row (or update its stat and status); returns its id."""
        if status not in STATUSES:
            raise CatalogError(f"unknown status {status!r}")
        now = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute("SELECT id FROM photos WHERE path = ?", (path,)).fetchone()
            if row is None:
                return conn.execute(_INSERT_PHOTO, _new_row(path, stat, now, status=status)).lastrowid
            conn.execute("UPDATE photos SET size = ?, mtime_ns = ?, status = ?, updated_at = ? WHERE id = ?",
                         (stat.size, stat.mtime_ns, status, now, row[0]))
            return row[0]

    def _record_one(self, conn: sqlite3.Connection, o: Outcome, now: float) -> Recorded:
        row = conn.execute("SELECT status, size, mtime_ns, folder, path FROM photos WHERE id = ?",
                           (o.photo_id,)).fetchone()
        if row is None or row[0] != "pending" or (row[1], row[2]) != (o.expected.size, o.expected.mtime_ns):
            return Recorded(o.photo_id, o.kind, False, row[3] if row else None)
        if o.path is not None and o.path != row[4] and o.kind in ("missing", "error"):
            return Recorded(o.photo_id, o.kind, False, row[3])  # renamed meanwhile: look again at the new path
        folder = row[3]
        pid = o.photo_id
        st = o.stat or o.expected
        if o.kind == "changed":
            conn.execute("UPDATE photos SET size = ?, mtime_ns = ?, settle_since = ?, updated_at = ? WHERE id = ?",
                         (st.size, st.mtime_ns, now, now, pid))
            return Recorded(pid, o.kind, True, folder)
        if o.kind == "missing":
            conn.execute("UPDATE photos SET status = 'missing', error = ?, updated_at = ? WHERE id = ?",
                         (_one_line(o.error or "vanished before it could be scored"), now, pid))
            _check_pairs(conn, [pid], now)
            return Recorded(pid, o.kind, True, folder)
        if o.kind == "error":
            conn.execute("UPDATE photos SET status = 'error', error = ?, size = ?, mtime_ns = ?, "
                         "content_hash = COALESCE(?, content_hash), updated_at = ? WHERE id = ?",
                         (_one_line(o.error or "could not be scored"), st.size, st.mtime_ns, o.content_hash,
                          now, pid))
            _check_pairs(conn, [pid], now)  # a RAW whose JPEG cannot be read is scored itself
            return Recorded(pid, o.kind, True, folder)
        if o.kind not in ("scored", "unchanged", "adopted", "partner"):
            raise ValueError(f"unknown outcome kind {o.kind!r}")
        if o.twin_id is not None:
            pid = self._merge_into(conn, pid, o.twin_id, now)
        if o.kind == "scored":
            if o.score is None:
                raise ValueError("a 'scored' outcome needs a score")
            self._write_score(conn, pid, o.score, st, o.content_hash, o.exif, now)
        else:
            conn.execute("UPDATE photos SET status = 'scored', error = NULL, size = ?, mtime_ns = ?, "
                         "content_hash = COALESCE(?, content_hash), updated_at = ? WHERE id = ?",
                         (st.size, st.mtime_ns, o.content_hash, now, pid))
            if o.exif is not None:
                _write_exif(conn, pid, o.exif)
        if o.kind == "partner":
            if not o.primary:
                raise ValueError("a 'partner' outcome needs the path of the shot's scored file")
            primary = _primary_row(conn, o.primary, o.primary_stat, now)
            _link_partners(conn, primary, [pid])
        elif o.partners:
            rows = conn.execute(f"SELECT id FROM photos WHERE path IN ({','.join('?' * len(o.partners))})",
                                list(o.partners)).fetchall()
            _link_partners(conn, pid, [r[0] for r in rows])
        else:
            conn.execute("UPDATE photos SET partner_of = NULL WHERE id = ? AND partner_of IS NOT NULL", (pid,))
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

    def _write_score(self, conn: sqlite3.Connection, pid: int, score: "PhotoScore", st: FileStat,
                     content_hash: str | None, exif: "ExifData | None", now: float) -> None:
        w, h = score.original_size
        conn.execute(
            "INSERT INTO scores (photo_id, fingerprint, score, fused, cosine, magnitude, w_cosine, w_magnitude, "
            "mode, protocol, model, scored_width, scored_height, n_views, decode_source, elapsed_ms, "
            "scored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(photo_id, fingerprint) DO UPDATE SET score = excluded.score, fused = excluded.fused, "
            "cosine = excluded.cosine, magnitude = excluded.magnitude, w_cosine = excluded.w_cosine, "
            "w_magnitude = excluded.w_magnitude, mode = excluded.mode, protocol = excluded.protocol, "
            "model = excluded.model, scored_width = excluded.scored_width, "
            "scored_height = excluded.scored_height, n_views = excluded.n_views, "
            "decode_source = excluded.decode_source, elapsed_ms = excluded.elapsed_ms, "
            "scored_at = excluded.scored_at",
            (pid, score.fingerprint, _f(score.score), _f(score.fused), _f(score.cosine), _f(score.magnitude),
             _f(score.w_cosine), _f(score.w_magnitude), score.mode, score.protocol, score.model,
             score.scored_size[0], score.scored_size[1], len(score.views), score.decode_source,
             float(score.elapsed_ms), now))
        score_id = conn.execute("SELECT id FROM scores WHERE photo_id = ? AND fingerprint = ?",
                                (pid, score.fingerprint)).fetchone()[0]
        conn.execute("INSERT INTO score_views (score_id, views) VALUES (?, ?) "
                     "ON CONFLICT(score_id) DO UPDATE SET views = excluded.views", (score_id, _encode_views(score)))
        emb = np.asarray(score.embedding, dtype="<f4")
        conn.execute(
            "INSERT INTO embeddings (photo_id, fingerprint, dim, vector) VALUES (?,?,?,?) "
            "ON CONFLICT(photo_id, fingerprint) DO UPDATE SET dim = excluded.dim, vector = excluded.vector",
            (pid, score.fingerprint, int(emb.size), emb.tobytes()))
        conn.execute(
            "UPDATE photos SET status = 'scored', error = NULL, size = ?, mtime_ns = ?, "
            "content_hash = COALESCE(?, content_hash), width = ?, height = ?, scored_count = scored_count + 1, "
            "updated_at = ? WHERE id = ?", (st.size, st.mtime_ns, content_hash, w, h, now, pid))
        if exif is not None:
            _write_exif(conn, pid, exif)

    # -- decisions -----------------------------------------------------------

    def set_decision(self, photo_id: int, *, flag: Any = UNCHANGED, rating: Any = UNCHANGED,
                     label: Any = UNCHANGED, source: str = "user") -> None:
        """Change a photo's flag, rating or colour label; UNCHANGED (the default) leaves a field alone.

        flag: 'pick', 'reject', or None / 'none' to clear. A user's change
        (source='user'), clearing included, is final: the auto policy never
        overrides it. source='auto' never changes a flag the user set.

        A decision belongs to the shot: on either file of a RAW+JPEG pair it
        is stored once, on the scored file, and both files show it.
        """
        updates = _decision_updates(flag, rating, label, source)
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM photos WHERE id = ?", (int(photo_id),)).fetchone() is None:
                raise CatalogError(f"no photo with id {photo_id}")
            _apply_decision(conn, int(photo_id), updates, source, time.time())

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
        where = "p.status != 'missing' AND p.partner_of IS NULL"
        params: list[Any] = []
        if folders is not None:
            where += f" AND p.folder IN ({','.join('?' * len(folders))})"
            params += list(folders)
        rows = self._read(
            "SELECT p.id, p.folder, s.fused, d.flag, d.flag_source, COALESCE(d.rating, 0), "
            "COALESCE(d.low_quality, 0) FROM photos p "
            "LEFT JOIN scores s ON s.id = (SELECT s2.id FROM scores s2 WHERE s2.photo_id = p.id "
            "  ORDER BY s2.scored_at DESC, s2.id DESC LIMIT 1) "
            f"LEFT JOIN decisions d ON d.photo_id = p.id WHERE {where}", params)
        return [FlagRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    def recompute_flags(self, threshold: float | None, bottom_percent: float, folder: str | None = None,
                        folders: Sequence[str] | None = None, *,
                        burst_gap_seconds: float | None = DEFAULT_BURST_GAP_SECONDS) -> int:
        """Apply the auto flag policy (curator.flags) to one folder, some folders or all; returns
        how many auto flags changed. User decisions are never touched.

        Frames of an exposure bracket (capture times within `burst_gap_seconds`,
        exposure bias changing at every frame: curator.bursts.bracketed_ids) are
        never auto-rejected; None turns that protection off.
        """
        from curator import bursts
        from curator import flags as flag_policy

        scope = [folder] if folder is not None else (list(folders) if folders is not None else None)
        if scope is not None and not scope:
            return 0
        now = time.time()
        with self._tx() as conn:  # read and write in one transaction: a user decision cannot slip between
            rows = self.flag_rows(scope)
            protected: frozenset[int] = frozenset()
            if burst_gap_seconds is not None:
                protected = frozenset().union(*(
                    bursts.bracketed_ids(frames, burst_gap_seconds)
                    for frames in self._frames_by_folder(scope, embeddings=False).values()))
            plan = flag_policy.plan(rows, threshold=threshold, bottom_percent=bottom_percent, protected=protected)
            if not plan.changes:
                return 0
            conn.executemany("INSERT OR IGNORE INTO decisions (photo_id) VALUES (?)",
                             [(c.photo_id,) for c in plan.changes])
            conn.executemany(
                "UPDATE decisions SET low_quality = ?, "
                "flag = CASE WHEN flag_source = 'user' THEN flag ELSE ? END, "
                "flag_source = CASE WHEN flag_source = 'user' THEN flag_source ELSE ? END, "
                "decided_at = CASE WHEN ? THEN ? ELSE decided_at END "
                "WHERE photo_id = ?",
                [(int(c.low_quality), c.flag, "auto" if c.flag else None, int(c.flag_changed), now, c.photo_id)
                 for c in plan.changes])
        return plan.flags_changed

    # -- bursts ----------------------------------------------------------------

    def burst_frames(self, folder: str, *, embeddings: bool = True) -> list["Frame"]:
        """What burst grouping needs for every shot in one folder, in one query (curator.bursts.Frame):
        capture time, latest fused score, exposure bias, and the CLIP embedding stored with that score
        (same engine fingerprint; None when there is none or embeddings=False).

        Missing photos and the second file of a RAW+JPEG pair are left out (a pair is one frame).
        """
        return self._frames_by_folder([str(folder)], embeddings=embeddings).get(str(folder), [])

    def _frames_by_folder(self, folders: Sequence[str] | None, *, embeddings: bool) -> dict[str, list["Frame"]]:
        from curator.bursts import Frame

        where = "p.status != 'missing' AND p.partner_of IS NULL"
        params: list[Any] = []
        if folders is not None:
            where += f" AND p.folder IN ({','.join('?' * len(folders))})"
            params += list(folders)
        vector = ("(SELECT v.vector FROM embeddings v WHERE v.photo_id = p.id AND v.fingerprint = s.fingerprint)"
                  if embeddings else "NULL")
        rows = self._read(
            f"SELECT p.id, p.folder, e.capture_time, s.fused, e.exposure_bias, {vector} FROM photos p "
            "LEFT JOIN exif e ON e.photo_id = p.id "
            "LEFT JOIN scores s ON s.id = (SELECT s2.id FROM scores s2 WHERE s2.photo_id = p.id "
            "  ORDER BY s2.scored_at DESC, s2.id DESC LIMIT 1) "
            f"WHERE {where} ORDER BY p.folder, p.name", params)
        out: dict[str, list[Frame]] = {}
        for pid, folder, capture, fused, bias, blob in rows:
            emb = np.frombuffer(blob, dtype="<f4") if blob else None
            out.setdefault(folder, []).append(Frame(pid, capture, emb, fused, bias))
        return out

    def bursts(self, folder: str, *, gap_seconds: float = DEFAULT_BURST_GAP_SECONDS,
               similarity: float = DEFAULT_BURST_SIMILARITY) -> list["Burst"]:
        """The folder's shots grouped into bursts (curator.bursts.group_bursts): every shot in exactly one
        group, in capture order; Burst.best is the frame to show on top of a collapsed burst."""
        from curator.bursts import group_bursts

        return group_bursts(self.burst_frames(folder), gap_seconds, similarity)

    def reject_burst_others(self, folder: str | None = None, *, gap_seconds: float = DEFAULT_BURST_GAP_SECONDS,
                            similarity: float = DEFAULT_BURST_SIMILARITY,
                            dry_run: bool = False) -> list["BurstDecision"]:
        """"Reject all but the best" in every burst of one folder (or every folder), in one transaction.

        The rejects are recorded as the user's (they asked for them), so the auto
        policy never undoes them. Never rejected: the best frame, bracketed frames,
        frames the user already decided on (a flag set or cleared, stars or a
        label), and any burst with a frame that is not scored yet. Returns the
        rejects made (or, with dry_run, that would be made).
        """
        from curator.bursts import group_bursts, reject_all_but_best

        with self._tx() as conn:
            decisions: list[BurstDecision] = []
            for frames in self._frames_by_folder([folder] if folder is not None else None,
                                                 embeddings=True).values():
                ids = [f.photo_id for f in frames]
                locked = {r[0] for i in range(0, len(ids), 500) for r in conn.execute(
                    "SELECT photo_id FROM decisions WHERE (flag_source = 'user' OR rating > 0 OR label IS NOT NULL) "
                    f"AND photo_id IN ({','.join('?' * len(ids[i:i + 500]))})", ids[i:i + 500])}
                decisions += reject_all_but_best(group_bursts(frames, gap_seconds, similarity), locked)
            if not dry_run:
                now = time.time()
                for d in decisions:
                    _apply_decision(conn, int(d.photo_id), {"flag": d.verdict, "flag_source": "user"}, "user", now)
        return decisions

    # -- XMP sidecars -------------------------------------------------------------

    def sidecar_seen(self, photo_id: int) -> int | None:
        """The mtime (ns) of the photo's sidecar when its decisions were last imported; None if never."""
        rows = self._read("SELECT sidecar_mtime_ns FROM photos WHERE id = ?", (int(photo_id),))
        return rows[0][0] if rows else None

    def note_sidecar(self, photo_id: int, mtime_ns: int | None) -> None:
        """Remember the sidecar mtime just imported (or written), so it is not read again until it changes."""
        with self._tx() as conn:
            conn.execute("UPDATE photos SET sidecar_mtime_ns = ? WHERE id = ?", (mtime_ns, int(photo_id)))

    def sidecar_marks(self, scope: Sequence[str] | None = None,
                      photo_ids: Iterable[int] | None = None) -> list[SidecarMark]:
        """Photos (under the roots in `scope`, or these ids, or all) that are not missing, each with the
        sidecar mtime last imported: what the import at scan time compares against."""
        if photo_ids is not None:
            ids = [int(i) for i in photo_ids]
            out: list[SidecarMark] = []
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                out += [SidecarMark(*r) for r in self._read(
                    "SELECT id, path, folder, sidecar_mtime_ns FROM photos WHERE status != 'missing' "
                    f"AND id IN ({','.join('?' * len(chunk))})", chunk)]
            return out
        clause, params = scope_clause(scope, "path")
        return [SidecarMark(*r) for r in self._read(
            "SELECT id, path, folder, sidecar_mtime_ns FROM photos WHERE status != 'missing' "
            f"AND {clause} ORDER BY folder, name", params)]

    def import_sidecar_decisions(self, imports: Sequence[SidecarImport]) -> list[str]:
        """Record what sidecars say a person decided (Lightroom, darktable...) as user decisions, and note
        each sidecar's mtime; one transaction. A field the sidecar does not set is left as it is.
        Returns the folders whose decisions changed (their auto flags need recomputing)."""
        now = time.time()
        folders: set[str] = set()
        with self._tx() as conn:
            for item in imports:
                row = conn.execute("SELECT folder FROM photos WHERE id = ?", (int(item.photo_id),)).fetchone()
                if row is None:
                    continue
                conn.execute("UPDATE photos SET sidecar_mtime_ns = ? WHERE id = ?",
                             (int(item.mtime_ns), int(item.photo_id)))
                updates = _decision_updates(item.flag if item.flag is not None else UNCHANGED,
                                            item.rating if item.rating is not None else UNCHANGED,
                                            item.label if item.label is not None else UNCHANGED, "user")
                shot = _shot_of(conn, int(item.photo_id))
                current = conn.execute("SELECT flag, flag_source, rating, label FROM decisions WHERE photo_id = ?",
                                       (shot,)).fetchone()
                if current is not None:  # already so: no new decided_at (watch --xmp would rewrite for nothing)
                    have = dict(zip(("flag", "flag_source", "rating", "label"), current))
                    updates = {k: v for k, v in updates.items() if have[k] != v}
                if updates and _apply_decision(conn, int(item.photo_id), updates, "user", now):
                    folders.add(row[0])
        return sorted(folders)

    def decided_since(self, since: float) -> list[tuple[int, float]]:
        """(photo id, decided_at) of every decision made or changed at or after `since` (epoch seconds),
        by anyone: the user, the auto policy, an import (what `watch --xmp` writes to sidecars)."""
        return [(r[0], r[1]) for r in self._read(
            "SELECT photo_id, decided_at FROM decisions WHERE decided_at >= ? ORDER BY decided_at", (float(since),))]

    def rows_by_id(self, photo_ids: Iterable[int]) -> list[GalleryRow]:
        """Gallery rows for these photo ids (unknown ids are left out), in folder and name order."""
        ids = sorted({int(i) for i in photo_ids})
        out: list[GalleryRow] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            out += [_gallery_row(r) for r in self._read(
                _GALLERY_SELECT + f" WHERE p.id IN ({','.join('?' * len(chunk))})", chunk)]
        out.sort(key=lambda r: (r.folder, r.name))
        return out


# -- SQL pieces -------------------------------------------------------------------

# A photo's shot: the scored file of a RAW+JPEG pair holds the score and the decision for both files.
_SHOT = "COALESCE(p.partner_of, p.id)"
_LATEST_SCORE = ("LEFT JOIN scores s ON s.id = (SELECT s2.id FROM scores s2 WHERE s2.photo_id = " + _SHOT +
                 "  ORDER BY s2.scored_at DESC, s2.id DESC LIMIT 1) ")

_GALLERY_SELECT = (
    "SELECT p.id, p.path, p.folder, p.name, p.status, p.error, p.width, p.height, p.mtime_ns / 1e9, p.size, "
    "e.capture_time, e.camera, e.lens, e.iso, e.exposure_time, e.f_number, e.focal_length, e.orientation, "
    "s.fused, s.cosine, s.magnitude, s.w_cosine, s.w_magnitude, "
    "d.flag, d.flag_source, COALESCE(d.rating, 0), d.label, COALESCE(d.low_quality, 0), p.partner_of "
    "FROM photos p "
    "LEFT JOIN exif e ON e.photo_id = p.id "
    + _LATEST_SCORE +
    "LEFT JOIN decisions d ON d.photo_id = " + _SHOT
)

_INSERT_PHOTO = ("INSERT INTO photos (path, folder, name, size, mtime_ns, status, error, settle_since, added_at, "
                 "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)")
# A known photo back in the queue with its new stat: (size, mtime_ns, settle_since, updated_at, id).
_REQUEUE_PHOTO = ("UPDATE photos SET status = 'pending', error = NULL, size = ?, mtime_ns = ?, settle_since = ?, "
                  "updated_at = ? WHERE id = ?")

_new_object = object.__new__


def _gallery_row(r: tuple) -> GalleryRow:
    # Built without the frozen dataclass's per-field __setattr__: 100k rows load twice as fast.
    row = _new_object(GalleryRow)
    values = row.__dict__
    values.update(zip(_GALLERY_FIELDS, r))
    values["low_quality"] = bool(values["low_quality"])
    return row


def _new_row(path: str, stat: FileStat, since: float, *, status: str, error: str | None = None) -> tuple:
    folder, name = os.path.split(path)
    now = time.time()
    return (path, folder, name, stat.size, stat.mtime_ns, status, _one_line(error) if error else None, since,
            now, now)


def scope_clause(scope: Sequence[str] | None, column: str) -> tuple[str, list[Any]]:
    """SQL matching paths equal to, or under, any of the roots (an index range per root)."""
    if not scope:
        return "1", []
    parts, params = [], []
    sep = os.sep
    after_sep = chr(ord(sep) + 1)
    for root in scope:
        root = str(root)
        prefix = root if root.endswith(sep) else root + sep
        parts.append(f"({column} = ? OR ({column} >= ? AND {column} < ?))")
        params += [root, prefix, prefix[:-1] + after_sep]
    return "(" + " OR ".join(parts) + ")", params


def is_under(path: str, root: str) -> bool:
    """Whether `path` is `root` or inside it: the test scope_clause makes in SQL, on one string."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path == root or path.startswith(prefix)


def normalise_label(label: Any) -> str | None:
    if label in (None, "", "none"):
        return None
    if not isinstance(label, str):
        raise CatalogError(f"label must be a colour word, not {label!r}")
    for known in LABELS:
        if label.strip().lower() == known.lower():
            return known
    raise CatalogError(f"unknown label {label!r}; choose one of: {', '.join(LABELS)} or none")


def _decision_updates(flag: Any, rating: Any, label: Any, source: str) -> dict[str, Any]:
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
        updates["label"] = normalise_label(label)
    return updates


def _shot_of(conn: sqlite3.Connection, photo_id: int) -> int:
    """The photo that holds the shot's score and decision (itself, unless it is the second file of a pair)."""
    row = conn.execute("SELECT COALESCE(partner_of, id) FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return row[0] if row else photo_id


def _apply_decision(conn: sqlite3.Connection, photo_id: int, updates: dict[str, Any], source: str,
                    now: float) -> bool:
    """Write validated decision columns on the photo's shot; an auto flag never replaces a user's.
    Returns whether anything was written."""
    shot = _shot_of(conn, photo_id)
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


# -- RAW+JPEG pairs ---------------------------------------------------------------------
# A pair (curator.pairs) is one shot: its scored file (the "primary") holds the score and the decision;
# the other file's row points at it with partner_of and is never scored. Links are made by the worker
# (and the scan's pairing pass) and undone here when they stop holding.


def _primary_row(conn: sqlite3.Connection, path: str, stat: FileStat | None, now: float) -> int:
    """The id of the shot's scored file; a row is queued for it if the catalog does not know it yet."""
    row = conn.execute("SELECT id, status, size, mtime_ns FROM photos WHERE path = ?", (path,)).fetchone()
    st = stat or FileStat(0, 0)
    if row is None:
        return conn.execute(_INSERT_PHOTO, _new_row(path, st, now, status="pending")).lastrowid
    if row[1] == "missing":  # it is back
        conn.execute(_REQUEUE_PHOTO, (st.size, st.mtime_ns, now, now, row[0]))
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


def _link_partners(conn: sqlite3.Connection, primary: int, partners: Sequence[int]) -> None:
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
    from curator.pairs import stem_key

    if stem_key(Path(primary_path)) != stem_key(Path(partner_path)):
        return False  # renamed or moved apart
    # The scored file is gone or unreadable while the other file is here: that file is a shot of its own.
    return not (primary_status in ("missing", "error") and partner_status != "missing")


def _check_pairs(conn: sqlite3.Connection, photo_ids: Sequence[int], now: float) -> None:
    """Undo the pair links of these photos that no longer hold. The file left on its own keeps the
    shot's decision and is queued to be scored itself (unless it is missing too)."""
    ids = [int(i) for i in photo_ids]
    for i in range(0, len(ids), 400):
        chunk = ids[i:i + 400]
        marks = ",".join("?" * len(chunk))
        links = conn.execute(
            "SELECT s.id, s.path, s.status, s.mtime_ns, p.id, p.path, p.status FROM photos s "
            f"JOIN photos p ON p.id = s.partner_of WHERE s.id IN ({marks}) OR p.id IN ({marks})",
            chunk + chunk).fetchall()
        for sid, spath, sstatus, smtime, pid, ppath, pstatus in links:
            if _pair_holds(ppath, pstatus, spath, sstatus):
                continue
            decision = conn.execute("SELECT flag, flag_source, rating, label, decided_at, low_quality "
                                    "FROM decisions WHERE photo_id = ?", (pid,)).fetchone()
            if decision is not None:
                conn.execute("INSERT OR REPLACE INTO decisions (photo_id, flag, flag_source, rating, label, "
                             "decided_at, low_quality) VALUES (?,?,?,?,?,?,?)", (sid, *decision))
            if sstatus == "missing":
                conn.execute("UPDATE photos SET partner_of = NULL, updated_at = ? WHERE id = ?", (now, sid))
            else:
                conn.execute("UPDATE photos SET partner_of = NULL, status = 'pending', error = NULL, "
                             "settle_since = ?, updated_at = ? WHERE id = ?", (min(smtime / 1e9, now), now, sid))


def _write_exif(conn: sqlite3.Connection, pid: int, exif: "ExifData") -> None:
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


def _encode_views(score: "PhotoScore") -> bytes:
    arr = np.empty((len(score.views), 9), dtype="<f4")
    for i, v in enumerate(score.views):
        box = v.box if v.box is not None else (-1, -1, -1, -1)
        arr[i] = (*box, v.fused, v.cosine, v.magnitude, v.w_cosine, v.w_magnitude)
    return arr.tobytes()


def _decode_views(blob: bytes | None) -> tuple[ViewRecord, ...]:
    if not blob:
        return ()
    arr = np.frombuffer(blob, dtype="<f4").reshape(-1, 9)
    out = []
    for r in arr.tolist():
        box = None if r[0] < 0 else (int(r[0]), int(r[1]), int(r[2]), int(r[3]))
        out.append(ViewRecord(box, r[4], r[5], r[6], r[7], r[8]))
    return tuple(out)


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _one_line(message: str | None) -> str | None:
    if message is None:
        return None
    text = " ".join(str(message).split())
    return text[:300] if text else "unknown error"


def _put_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, value))


def _journal_mode(conn: sqlite3.Connection) -> str:
    return conn.execute("PRAGMA journal_mode").fetchone()[0].lower()


def _read_only(p: Path) -> str:
    return f"the catalog {p} is read-only; choose another with --db or CURATOR_DB"


def _check_writable(p: Path, exists: bool) -> None:
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CatalogError(f"cannot create the catalog folder {p.parent}: {exc.strerror or exc}") from None
    if not os.access(p.parent, os.W_OK):
        raise CatalogError(f"the catalog folder {p.parent} is read-only; choose another with --db or CURATOR_DB")
    if exists and not os.access(p, os.W_OK):
        raise CatalogError(_read_only(p))


def _describe_open_error(p: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text or "encrypted" in text:
        return f"{p} is not a readable curator catalog ({text})"
    if "readonly" in text or "read-only" in text:
        return _read_only(p)
    if "unable to open" in text:
        return f"cannot open the catalog {p} ({text})"
    return f"cannot open the catalog {p}: {text}"


def _describe_error(p: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the catalog {p} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000} s ({text})"
    if "readonly" in text or "read-only" in text:
        return _read_only(p)
    if "malformed" in text or "not a database" in text:
        return f"the catalog {p} is corrupt ({text}); restore it from its .bak copy or remove it"
    if "full" in text:
        return f"cannot write the catalog {p}: {text}"
    return f"catalog {p}: {text}"


# -- migrations -----------------------------------------------------------------
# Each step runs in its own transaction. Never edit a released step: add one.


def _migrate_v1(db: sqlite_utils.Database) -> None:
    """The first layout: photos (the queue lives in their status), EXIF, scores and their views,
    embeddings, decisions."""
    # db.execute, not executescript (which would commit): every statement runs in the migration's transaction.
    statements = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
        """CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            folder TEXT NOT NULL,
            name TEXT NOT NULL,
            size INTEGER NOT NULL DEFAULT 0,
            mtime_ns INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT,
            width INTEGER,
            height INTEGER,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'scored', 'error', 'missing')),
            error TEXT,
            settle_since REAL NOT NULL DEFAULT 0,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL)""",
        """CREATE TABLE exif (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            make TEXT, model TEXT, camera TEXT, lens TEXT, iso INTEGER, exposure_time REAL,
            f_number REAL, focal_length REAL, capture_time TEXT, orientation INTEGER)""",
        """CREATE TABLE scores (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            score REAL, fused REAL, cosine REAL, magnitude REAL, w_cosine REAL, w_magnitude REAL,
            mode TEXT, protocol TEXT, model TEXT,
            scored_width INTEGER, scored_height INTEGER, n_views INTEGER,
            decode_source TEXT, elapsed_ms REAL,
            scored_at REAL NOT NULL,
            UNIQUE (photo_id, fingerprint))""",
        # Per-view values live apart from the scores, so reading every photo's latest score
        # (the gallery's one query) never pages through the blobs.
        """CREATE TABLE score_views (
            score_id INTEGER PRIMARY KEY REFERENCES scores(id) ON DELETE CASCADE,
            views BLOB NOT NULL)""",
        """CREATE TABLE embeddings (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            UNIQUE (photo_id, fingerprint))""",
        """CREATE TABLE decisions (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            flag TEXT CHECK (flag IN ('pick', 'reject')),
            flag_source TEXT CHECK (flag_source IN ('auto', 'user')),
            rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
            label TEXT,
            decided_at REAL)""",
    ]
    for sql in statements:
        db.execute(sql)
    db["photos"].create_index(["folder", "name"], index_name="photos_folder_name")
    db["photos"].create_index(["status", "settle_since"], index_name="photos_queue")
    db["photos"].create_index(["content_hash"], index_name="photos_hash")
    db["scores"].create_index(["photo_id", "scored_at"], index_name="scores_latest")


def _migrate_v2(db: sqlite_utils.Database) -> None:
    """Exposure bias (for bracket detection), a per-photo count of recorded scores, the policy's
    low-quality mark (kept apart from the flag so a user's pick still shows it), and scan/watch runs."""
    db["exif"].add_column("exposure_bias", float)
    db.execute("ALTER TABLE photos ADD COLUMN scored_count INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE photos SET scored_count = (SELECT COUNT(*) FROM scores s WHERE s.photo_id = photos.id)")
    db.execute("ALTER TABLE decisions ADD COLUMN low_quality INTEGER NOT NULL DEFAULT 0")
    db["runs"].create({"id": int, "kind": str, "fingerprint": str, "started_at": float, "ended_at": float,
                       "photos": int, "scored": int, "errors": int, "busy_seconds": float}, pk="id",
                      not_null={"kind", "started_at", "ended_at", "photos", "scored", "errors", "busy_seconds"},
                      defaults={"photos": 0, "scored": 0, "errors": 0, "busy_seconds": 0.0})


def _migrate_v3(db: sqlite_utils.Database) -> None:
    """RAW+JPEG pairs as one shot (photos.partner_of: the other file of a pair points at the scored one,
    whose score and decision both files show), the sidecar mtime whose decisions were last imported
    (photos.sidecar_mtime_ns), and an index on decisions.decided_at (watch --xmp asks what changed).

    Pairs already in the catalog are linked here (the worker links new ones as it inspects them); a
    decision on either file becomes the shot's."""
    from curator.pairs import group_shots

    db.execute("ALTER TABLE photos ADD COLUMN partner_of INTEGER REFERENCES photos(id) ON DELETE SET NULL")
    db.execute("ALTER TABLE photos ADD COLUMN sidecar_mtime_ns INTEGER")
    db.execute("CREATE INDEX photos_partner ON photos(partner_of) WHERE partner_of IS NOT NULL")
    db.execute("CREATE INDEX decisions_decided_at ON decisions(decided_at)")
    conn = db.conn
    ids: dict[Path, int] = {}
    by_folder: dict[str, list[Path]] = {}
    for pid, path, folder in conn.execute("SELECT id, path, folder FROM photos WHERE status != 'missing'"):
        ids[Path(path)] = pid
        by_folder.setdefault(folder, []).append(Path(path))
    for paths in by_folder.values():
        for shot in group_shots(paths):
            if shot.is_pair:
                _link_partners(conn, ids[shot.primary], [ids[f] for f in shot.partners])


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {1: _migrate_v1, 2: _migrate_v2, 3: _migrate_v3}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
