"""The taste model's storage: its versioned records, every photo's taste value, and what training reads.

A model is stored as the JSON record curator.taste.model writes (numbers and
names, never a pickle), one row per training in `taste_models`; the newest
row is the current model, and the last KEEP_MODELS are kept. `taste` holds the
current model's value for each shot: a new model replaces them all in the
transaction that stores it, so values and model always agree.
"""

from __future__ import annotations

import json

from collections.abc import Sequence
from typing import Any

import numpy as np

from curator.catalog.connection import CatalogBase
from curator.catalog.records import StoredTasteModel, TasteDecision, TasteModelRow
from curator.catalog.sql import LIVE_SHOTS, finite, in_chunks, inserted_id, scope_clause
from curator.taste.features import CUE_COLUMNS, FeatureInputs

KEEP_MODELS = 10  # older trainings are deleted; a record is ~80 KB with a 1024-d embedding

# A decision the taste model may learn from: a flag the user set, or a rating.
_USER_DECISION = "(d.flag_source = 'user' AND d.flag IS NOT NULL OR d.rating > 0)"


class TasteMixin(CatalogBase):
    def taste_decisions(self, *, include_imported: bool = False, under: str | None = None) -> list[TasteDecision]:
        """Every live shot with a decision of the user's (a flag they set, or a rating); decisions
        imported from XMP sidecars only with include_imported."""
        where = [LIVE_SHOTS, _USER_DECISION]
        params: list[Any] = []
        if not include_imported:
            where.append("d.imported = 0")
        if under is not None:
            clause, extra = scope_clause([under], "p.path")
            where.append(clause)
            params += extra
        return [TasteDecision(*r) for r in self._read(
            "SELECT p.id, d.flag, d.flag_source, d.rating FROM photos p JOIN decisions d ON d.photo_id = p.id "
            f"WHERE {' AND '.join(where)} ORDER BY p.id", params)]

    def taste_decisions_since(self, since: float, *, include_imported: bool = False) -> int:
        """How many such decisions were made or changed after `since` (epoch seconds)."""
        extra = "" if include_imported else " AND d.imported = 0"
        return int(self._read(
            f"SELECT COUNT(*) FROM photos p JOIN decisions d ON d.photo_id = p.id WHERE {LIVE_SHOTS} AND "
            f"{_USER_DECISION}{extra} AND d.decided_at > ?", (float(since),))[0][0])

    def taste_features(self, fingerprint: str, photo_ids: Sequence[int] | None = None
                       ) -> tuple[np.ndarray, FeatureInputs]:
        """(photo ids, their features) for the live shots scored by engine `fingerprint` (of these
        ids, if given), in id order: the embedding and cues of that engine's score, EXIF, and the quality
        dimensions and classic measurements where the shot has them (curator.catalog.quality)."""
        sql = ("SELECT p.id, s.fused, s.cosine, s.magnitude, s.w_cosine, s.w_magnitude, "
               "e.iso, e.exposure_time, e.focal_length, v.vector, q.dimensions, q.measures "
               "FROM photos p JOIN scores s ON s.photo_id = p.id AND s.fingerprint = ? "
               "JOIN embeddings v ON v.photo_id = p.id AND v.fingerprint = s.fingerprint "
               "LEFT JOIN quality q ON q.photo_id = p.id "
               f"LEFT JOIN exif e ON e.photo_id = p.id WHERE {LIVE_SHOTS}")
        if photo_ids is None:
            rows = self._read(sql + " ORDER BY p.id", (fingerprint,))
        else:
            rows = [r for in_list, chunk in in_chunks(sorted({int(i) for i in photo_ids}))
                    for r in self._read(sql + f" AND p.id {in_list}", [fingerprint, *chunk])]
            rows.sort(key=lambda r: r[0])
        return _feature_columns(rows)

    def save_taste_model(self, row: TasteModelRow, values: Sequence[tuple[int, float]]) -> int:
        """Store a newly trained model and its taste value for each photo; one transaction. Returns its id."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO taste_models (fingerprint, trained_at, n_positive, n_negative, auc, baseline_auc, "
                "record) VALUES (?,?,?,?,?,?,?)",
                (row.fingerprint, row.trained_at, row.n_positive, row.n_negative, finite(row.auc),
                 finite(row.baseline_auc), row.record))
            model_id = inserted_id(cur)
            conn.execute("DELETE FROM taste")
            conn.executemany("INSERT INTO taste (photo_id, model_id, value) VALUES (?,?,?)",
                             [(int(pid), model_id, float(v)) for pid, v in values])
            conn.execute("DELETE FROM taste_models WHERE id NOT IN "
                         "(SELECT id FROM taste_models ORDER BY id DESC LIMIT ?)", (KEEP_MODELS,))
        return model_id

    def write_taste_values(self, model_id: int, values: Sequence[tuple[int, float]]) -> int:
        """Add or replace taste values of the model `model_id`, if it is still the current one (a model
        trained meanwhile wrote its own); returns how many were written."""
        with self.transaction() as conn:
            latest = conn.execute("SELECT MAX(id) FROM taste_models").fetchone()[0]
            if latest != model_id:
                return 0
            conn.executemany("INSERT INTO taste (photo_id, model_id, value) VALUES (?,?,?) "
                             "ON CONFLICT(photo_id) DO UPDATE SET model_id = excluded.model_id, "
                             "value = excluded.value", [(int(pid), model_id, float(v)) for pid, v in values])
        return len(values)

    def taste_model(self) -> StoredTasteModel | None:
        """The current (newest) model's record, or None when none was trained."""
        rows = self._read("SELECT id, fingerprint, trained_at, record FROM taste_models ORDER BY id DESC LIMIT 1")
        return StoredTasteModel(*rows[0]) if rows else None

    def taste_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM taste")[0][0])


def _feature_columns(rows: list[tuple]) -> tuple[np.ndarray, FeatureInputs]:
    n = len(rows)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not n:
        return ids, FeatureInputs(0)
    numbers = np.array([r[1:9] for r in rows], dtype=np.float64)  # None -> nan
    embedding = np.frombuffer(b"".join(r[9] for r in rows), dtype="<f4").reshape(n, -1)
    cues = {name: numbers[:, j] for j, name in enumerate(CUE_COLUMNS)}
    exif = {name: numbers[:, 5 + j] for j, name in enumerate(("iso", "exposure_time", "focal_length"))}
    return ids, FeatureInputs(n, embedding=embedding, cues=cues, exif=exif, dimensions=_json_columns(rows, 10),
                              measures=_json_columns(rows, 11))


def _json_columns(rows: list[tuple], at: int) -> dict[str, np.ndarray]:
    """{name: (n,) float64} from each row's JSON object {name: number} in column `at`; NaN where a row
    has no value (no quality row yet, or a name it lacks)."""
    parsed = [json.loads(r[at]) if r[at] else {} for r in rows]
    names = sorted({k for d in parsed for k, v in d.items() if isinstance(v, (int, float))})
    return {name: np.array([float(d.get(name, np.nan)) if isinstance(d.get(name), (int, float)) else np.nan
                            for d in parsed], dtype=np.float64) for name in names}
