"""Standard CLIP embeddings (search, keywords, duplicates) and each vocabulary's text features.

One row per photo and engine in clip_embeddings: the L2-normalised vector as little-endian
float16 (half the space of float32; search renormalises after the rounding), and the photo's
64-bit dHash as a signed integer (SQLite's INTEGER). term_features caches a vocabulary's
prompt-ensembled text embeddings per engine, so keywords need no model once computed.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np

from curator.catalog.connection import CatalogBase
from curator.catalog.paths import from_db
from curator.catalog.records import (
    ClipEmbedding,
    DuplicateRow,
    EmbeddingMatrix,
    TermFeaturesRecord,
)
from curator.catalog.sql import LATEST_SCORE, LIVE_SHOTS, in_chunks, scope_clause

_F16 = "<f2"
_F32 = "<f4"


def _signed(h: int | None) -> int | None:
    return None if h is None else (h - (1 << 64) if h >= 1 << 63 else int(h))


def _unsigned(h: int | None) -> int | None:
    return None if h is None else (h + (1 << 64) if h < 0 else int(h))


def write_clip_embedding(conn: sqlite3.Connection, photo_id: int, clip: ClipEmbedding, now: float) -> None:
    vector = np.asarray(clip.vector, dtype=_F16).ravel()
    conn.execute(
        "INSERT INTO clip_embeddings (photo_id, fingerprint, dim, vector, perceptual_hash, computed_at) "
        "VALUES (?,?,?,?,?,?) ON CONFLICT(photo_id, fingerprint) DO UPDATE SET dim = excluded.dim, "
        "vector = excluded.vector, perceptual_hash = excluded.perceptual_hash, computed_at = excluded.computed_at",
        (photo_id, clip.fingerprint, int(vector.size), vector.tobytes(), _signed(clip.perceptual_hash), now))


class EmbeddingsMixin(CatalogBase):
    def record_clip_embeddings(self, items: Sequence[tuple[int, ClipEmbedding]], now: float | None = None) -> int:
        """Store embeddings computed apart from a score (scan --embeddings-only), in one transaction.
        Photos deleted meanwhile are skipped; returns how many were stored."""
        now = time.time() if now is None else now
        stored = 0
        with self.transaction() as conn:
            for pid, clip in items:
                if conn.execute("SELECT 1 FROM photos WHERE id = ?", (int(pid),)).fetchone():
                    write_clip_embedding(conn, int(pid), clip, now)
                    stored += 1
        return stored

    def photos_missing_clip_embedding(self, fingerprint: str,
                                      scope: Sequence[str] | None = None) -> list[tuple[int, str]]:
        """(id, path) of every scored live shot under scope without an embedding from this engine."""
        where, params = scope_clause(scope, "p.path")
        return [(r[0], from_db(r[1])) for r in self._read(
            f"SELECT p.id, p.path FROM photos p WHERE {LIVE_SHOTS} AND p.status = 'scored' AND {where} "
            "AND NOT EXISTS (SELECT 1 FROM clip_embeddings c WHERE c.photo_id = p.id AND c.fingerprint = ?) "
            "ORDER BY p.folder, p.name", [*params, fingerprint])]

    def clip_fingerprints(self) -> list[tuple[str, int]]:
        """(fingerprint, embeddings stored) for every engine that stored any, the most used first."""
        return [(r[0], r[1]) for r in self._read(
            "SELECT fingerprint, COUNT(*) FROM clip_embeddings GROUP BY fingerprint "
            "ORDER BY COUNT(*) DESC, MAX(computed_at) DESC")]

    def clip_embedding(self, photo_id: int, fingerprint: str) -> np.ndarray | None:
        rows = self._read("SELECT vector FROM clip_embeddings WHERE photo_id = ? AND fingerprint = ?",
                          (int(photo_id), fingerprint))
        return np.frombuffer(rows[0][0], dtype=_F16) if rows else None

    def clip_embedding_matrix(self, fingerprint: str, scope: Sequence[str] | None = None,
                              photo_ids: Sequence[int] | None = None) -> EmbeddingMatrix:
        """Every live shot's embedding from this engine (under scope, or of these photos), in id order."""
        base = ("SELECT c.photo_id, c.vector FROM clip_embeddings c JOIN photos p ON p.id = c.photo_id "
                f"WHERE c.fingerprint = ? AND {LIVE_SHOTS}")
        if photo_ids is not None:
            rows = [r for in_list, chunk in in_chunks(photo_ids)
                    for r in self._read(base + f" AND c.photo_id {in_list}", [fingerprint, *chunk])]
            rows.sort()
        else:
            where, params = scope_clause(scope, "p.path")
            rows = self._read(base + f" AND {where} ORDER BY c.photo_id", [fingerprint, *params])
        return _matrix(fingerprint, rows)

    def duplicate_rows(self, fingerprint: str, scope: Sequence[str] | None = None) -> list[DuplicateRow]:
        """Every live shot under scope with what duplicate grouping needs (its embedding from this engine,
        NULL when it has none), in folder and name order."""
        where, params = scope_clause(scope, "p.path")
        rows = self._read(
            "SELECT p.id, p.path, p.folder, p.content_hash, e.capture_time, s.fused, c.perceptual_hash, c.vector "
            "FROM photos p LEFT JOIN exif e ON e.photo_id = p.id " + LATEST_SCORE +
            "LEFT JOIN clip_embeddings c ON c.photo_id = p.id AND c.fingerprint = ? "
            f"WHERE {LIVE_SHOTS} AND p.status = 'scored' AND {where} ORDER BY p.folder, p.name",
            [fingerprint, *params])
        return [DuplicateRow(pid, from_db(path), from_db(folder), digest, capture, fused, _unsigned(ph),
                             np.frombuffer(blob, dtype=_F16) if blob else None)
                for pid, path, folder, digest, capture, fused, ph, blob in rows]

    def term_features(self, vocabulary: str, clip_fingerprint: str) -> TermFeaturesRecord | None:
        rows = self._read("SELECT keywords, dim, matrix, neutral, logit_scale FROM term_features "
                          "WHERE vocabulary = ? AND clip_fingerprint = ?", (vocabulary, clip_fingerprint))
        if not rows:
            return None
        keywords, dim, matrix, neutral, scale = rows[0]
        return TermFeaturesRecord(vocabulary, clip_fingerprint, tuple(json.loads(keywords)),
                                  np.frombuffer(matrix, dtype=_F32).reshape(-1, dim),
                                  np.frombuffer(neutral, dtype=_F32), float(scale))

    def put_term_features(self, record: TermFeaturesRecord, now: float | None = None) -> None:
        now = time.time() if now is None else now
        matrix = np.asarray(record.matrix, dtype=_F32)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO term_features (vocabulary, clip_fingerprint, keywords, dim, matrix, neutral, "
                "logit_scale, created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(vocabulary, clip_fingerprint) "
                "DO UPDATE SET keywords = excluded.keywords, dim = excluded.dim, matrix = excluded.matrix, "
                "neutral = excluded.neutral, logit_scale = excluded.logit_scale, created_at = excluded.created_at",
                (record.vocabulary, record.clip_fingerprint, json.dumps(list(record.keywords)), int(matrix.shape[1]),
                 matrix.tobytes(), np.asarray(record.neutral, dtype=_F32).tobytes(), float(record.logit_scale), now))


def _matrix(fingerprint: str, rows: Sequence[tuple]) -> EmbeddingMatrix:
    if not rows:
        return EmbeddingMatrix(fingerprint, (), np.zeros((0, 0), dtype=np.float16))
    dims = Counter(len(r[1]) for r in rows)
    size = dims.most_common(1)[0][0]
    rows = [r for r in rows if len(r[1]) == size]  # one engine has one width; anything else is damage
    # one join of the blobs and one frombuffer: 100k rows in a fraction of a second
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=_F16).reshape(len(rows), -1)
    return EmbeddingMatrix(fingerprint, tuple(r[0] for r in rows), vectors)
