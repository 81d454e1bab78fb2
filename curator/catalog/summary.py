"""Summaries: counts, score distributions, engines, and the flat export of every photo."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from curator.catalog.connection import CatalogBase
from curator.catalog.errors import use_error
from curator.catalog.paths import from_db
from curator.catalog.records import STATUSES
from curator.catalog.sql import HAS_A_SCORE, LATEST_SCORE, LIVE_SHOTS, QUALITY_JOIN, SHOT, scope_clause


class SummaryMixin(CatalogBase):
    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in STATUSES}
        for status, n in self._read("SELECT status, COUNT(*) FROM photos GROUP BY status"):
            counts[status] = n
        return counts

    def queue_length(self, scope: Sequence[str] | None = None, scored_only: bool = False) -> int:
        """Pending photos (with scored_only, only those that have a score already)."""
        clause, params = scope_clause(scope, "path")
        if scored_only:
            clause += f" AND {HAS_A_SCORE}"
        return self._read(f"SELECT COUNT(*) FROM photos WHERE status = 'pending' AND {clause}", params)[0][0]

    def error_paths(self, scope: Sequence[str] | None = None) -> set[str]:
        """The photos (under scope) that could not be scored: what `list --errors` shows."""
        clause, params = scope_clause(scope, "path")
        return {from_db(r[0]) for r in self._read(f"SELECT path FROM photos WHERE status = 'error' AND {clause}",
                                                  params)}

    def score_count(self, photo_id: int | None = None) -> int:
        """Score rows in total (or of one photo)."""
        if photo_id is None:
            return self._read("SELECT COUNT(*) FROM scores")[0][0]
        return self._read("SELECT COUNT(*) FROM scores WHERE photo_id = ?", (int(photo_id),))[0][0]

    def export_records(self, under: str | None = None) -> Iterator[dict[str, Any]]:
        """One dict per photo: path, status, scores, decision, EXIF, reasons (comma-separated), and
        dimensions and measures ({name: value}; empty when not measured), for `curator export`."""
        clause, params = scope_clause([under] if under else None, "p.path")
        sql = (
            "SELECT p.id AS photo_id, p.path, p.folder, p.name, p.status, p.error, p.width, p.height, p.size, "
            "p.mtime_ns / 1e9 AS mtime, p.content_hash, "
            "e.capture_time, e.make, e.model AS camera_model, e.camera, e.lens, e.iso, e.exposure_time, "
            "e.f_number, e.focal_length, e.orientation, e.exposure_bias, "
            "s.score, s.fused, s.cosine, s.magnitude, s.w_cosine, s.w_magnitude, s.mode, s.protocol, "
            "s.model AS engine_model, s.fingerprint, s.n_views AS views, s.scored_at, s.elapsed_ms, "
            "d.flag, d.flag_source, COALESCE(d.rating, 0) AS rating, d.label, "
            "COALESCE(d.low_quality, 0) AS low_quality, COALESCE(s.provisional, 0) AS provisional, "
            "COALESCE(d.auto_provisional, 0) AS verdict_provisional, "
            f"(SELECT t.value FROM taste t WHERE t.photo_id = {SHOT}) AS taste, "
            "(SELECT o.path FROM photos o WHERE o.id = p.partner_of) AS partner_of, "
            "q.reasons, q.dimensions, q.measures "
            "FROM photos p LEFT JOIN exif e ON e.photo_id = p.id "
            + LATEST_SCORE + QUALITY_JOIN +
            f"LEFT JOIN decisions d ON d.photo_id = {SHOT} WHERE {clause} ORDER BY p.folder, p.name")
        try:
            cur = self._conn().execute(sql, params)
            names = [c[0] for c in cur.description]
            for r in cur:
                rec = dict(zip(names, r, strict=True))
                for key in ("path", "folder", "name", "partner_of"):
                    if rec[key] is not None:
                        rec[key] = from_db(rec[key])
                for key in ("low_quality", "provisional", "verdict_provisional"):
                    rec[key] = bool(rec[key])
                rec["reasons"] = rec["reasons"] or ""  # comma-separated vocabulary words
                rec["dimensions"] = json.loads(rec["dimensions"]) if rec["dimensions"] else {}
                rec["measures"] = json.loads(rec["measures"]) if rec["measures"] else {}
                yield rec
        except sqlite3.Error as exc:
            raise use_error(self.path, exc) from None

    def latest_fused(self) -> list[float]:
        """The latest fused score of every shot that is not missing (for stats; a RAW+JPEG pair counts once)."""
        return [r[0] for r in self._read(
            f"SELECT s.fused FROM photos p {LATEST_SCORE} WHERE {LIVE_SHOTS} AND s.id IS NOT NULL")]

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

