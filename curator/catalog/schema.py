"""The catalog's layout: its version, and the ladder of migrations that builds it.

Schema versions live in `PRAGMA user_version`; `MIGRATIONS` is a ladder of
functions, each run in its own transaction. A catalog newer than the code is
refused (curator.catalog.connection). Before migrating an existing catalog, a
copy is written next to it (`catalog.db.v<N>.bak`).

Per-view values are stored (in score_views) as one little-endian float32 blob per score, one
row of 9 values per view: left, top, right, bottom (all -1 for the global
view), fused, cosine, magnitude, w_cosine, w_magnitude. Embeddings (MA-CLIP's
global view, for bursts) are little-endian float32 blobs; the standard CLIP
embeddings (clip_embeddings: search, keywords, duplicates) are little-endian
float16 blobs, L2-normalised, with the photo's 64-bit dHash as a signed integer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from curator.catalog.pairs import link_partners

SCHEMA_VERSION = 8
APPLICATION_ID = 0x63757261  # "cura", so a stranger's SQLite file is never mistaken for a catalog


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
    db.table("photos").create_index(["folder", "name"], index_name="photos_folder_name")
    db.table("photos").create_index(["status", "settle_since"], index_name="photos_queue")
    db.table("photos").create_index(["content_hash"], index_name="photos_hash")
    db.table("scores").create_index(["photo_id", "scored_at"], index_name="scores_latest")


def _migrate_v2(db: sqlite_utils.Database) -> None:
    """Exposure bias (for bracket detection), a per-photo count of recorded scores, the policy's
    low-quality mark (kept apart from the flag so a user's pick still shows it), and scan/watch runs."""
    db.table("exif").add_column("exposure_bias", float)
    db.execute("ALTER TABLE photos ADD COLUMN scored_count INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE photos SET scored_count = (SELECT COUNT(*) FROM scores s WHERE s.photo_id = photos.id)")
    db.execute("ALTER TABLE decisions ADD COLUMN low_quality INTEGER NOT NULL DEFAULT 0")
    db.table("runs").create({"id": int, "kind": str, "fingerprint": str, "started_at": float, "ended_at": float,
                       "photos": int, "scored": int, "errors": int, "busy_seconds": float}, pk="id",
                      not_null={"kind", "started_at", "ended_at", "photos", "scored", "errors", "busy_seconds"},
                      defaults={"photos": 0, "scored": 0, "errors": 0, "busy_seconds": 0.0})


def _migrate_v3(db: sqlite_utils.Database) -> None:
    """RAW+JPEG pairs as one shot (photos.partner_of: the other file of a pair points at the scored one,
    whose score and decision both files show), the sidecar mtime whose decisions were last imported
    (photos.sidecar_mtime_ns), and an index on decisions.decided_at (watch --xmp asks what changed).

    Pairs already in the catalog are linked here (the worker links new ones as it inspects them); a
    decision on either file becomes the shot's."""
    from curator.disk.raw_pairs import group_shots

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
                link_partners(conn, ids[shot.primary], [ids[f] for f in shot.partners])


def _migrate_v4(db: sqlite_utils.Database) -> None:
    """The taste model (curator.actions.taste_learning): every training as a versioned JSON record (taste_models; the
    record is curator.taste.model's, never a pickle), the current model's value for each shot (taste),
    and which decisions came from XMP sidecars (decisions.imported), so that only the user's own train
    it unless asked. Decisions imported before this step cannot be told apart: they count as the user's."""
    db.execute("""CREATE TABLE taste_models (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        trained_at REAL NOT NULL,
        n_positive INTEGER NOT NULL,
        n_negative INTEGER NOT NULL,
        auc REAL,
        baseline_auc REAL,
        record TEXT NOT NULL)""")
    db.execute("""CREATE TABLE taste (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES taste_models(id) ON DELETE CASCADE,
        value REAL NOT NULL)""")
    db.execute("ALTER TABLE decisions ADD COLUMN imported INTEGER NOT NULL DEFAULT 0")


def _migrate_v5(db: sqlite_utils.Database) -> None:
    """Quality: each shot's zero-shot dimensions and classic measurements, their per-window values, and the
    reasons derived from them (curator.rules.reasons). One row per shot, beside its scores; existing scores are
    kept, and the next scan fills these in without rescoring (see sync_files and the worker).

    dimensions / measures: JSON objects {name: value}. focus_windows: little-endian float32, row-major
    (focus_rows x focus_cols), boxes as iqa_engine.measures documents them, in measured_width x
    measured_height pixels. view_dimensions: little-endian float32, one row per view: left, top, right,
    bottom (all -1 for the global view) then one value per name in view_dimension_names (a JSON list).
    reasons: the vocabulary words, comma-separated, '' for none."""
    db.execute("""CREATE TABLE quality (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        dimensions_fingerprint TEXT NOT NULL,
        dimensions TEXT NOT NULL,
        measures TEXT NOT NULL,
        measured_width INTEGER, measured_height INTEGER,
        focus_rows INTEGER, focus_cols INTEGER, focus_windows BLOB,
        view_dimension_names TEXT, view_dimensions BLOB,
        reasons TEXT NOT NULL DEFAULT '',
        measured_at REAL NOT NULL)""")


def _migrate_v6(db: sqlite_utils.Database) -> None:
    """The standard CLIP embedding per photo and engine (clip_embeddings; its perceptual hash beside it),
    and each vocabulary's prompt-ensembled text features per engine (term_features), computed once.

    Photos scored before get their embedding from the next scan (or `scan --embeddings-only`);
    their scores are not touched."""
    db.execute("""CREATE TABLE clip_embeddings (
        id INTEGER PRIMARY KEY,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        perceptual_hash INTEGER,
        computed_at REAL NOT NULL,
        UNIQUE (photo_id, fingerprint))""")
    db.execute("CREATE INDEX clip_embeddings_fingerprint ON clip_embeddings(fingerprint, photo_id)")
    db.execute("""CREATE TABLE term_features (
        vocabulary TEXT NOT NULL,
        clip_fingerprint TEXT NOT NULL,
        keywords TEXT NOT NULL,
        dim INTEGER NOT NULL,
        matrix BLOB NOT NULL,
        neutral BLOB NOT NULL,
        logit_scale REAL NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (vocabulary, clip_fingerprint))""")


def _migrate_v7(db: sqlite_utils.Database) -> None:
    """Triage's provisional scores (scores.provisional): a quick first-pass score that a photo shows,
    marked, while it stays in the queue for its exact score. Every existing score is exact."""
    db.execute("ALTER TABLE scores ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0")


def _migrate_v8(db: sqlite_utils.Database) -> None:
    """The auto policy's verdict was reached on provisional scores (decisions.auto_provisional): the
    shot's own, or (bottom N%) another in its folder's ranking. Every existing verdict used exact scores."""
    db.execute("ALTER TABLE decisions ADD COLUMN auto_provisional INTEGER NOT NULL DEFAULT 0")


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _migrate_v1, 2: _migrate_v2, 3: _migrate_v3, 4: _migrate_v4, 5: _migrate_v5, 6: _migrate_v6,
    7: _migrate_v7, 8: _migrate_v8}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
