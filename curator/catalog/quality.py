"""Quality values: each shot's zero-shot dimensions, classic measurements, per-window detail and reasons.

One row per shot in `quality` (see schema v4). The values are written with a
score, or alone (a 'measured' outcome: the stored score is kept); the reasons
are written by the reasons policy (curator.actions.culling.recompute_reasons), which
reads every shot of a folder at once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
import numpy as np

from curator.catalog.connection import CatalogBase
from curator.catalog.paths import all_to_db, from_db
from curator.catalog.records import QualityDetail, QualityRecord, QualityRow
from curator.catalog.sql import LIVE_SHOTS, SHOT, in_chunks

_ROW_SELECT = ("SELECT p.id, p.folder, q.dimensions, q.measures, q.reasons, e.exposure_bias, e.capture_time, "
               "q.dimensions_fingerprint FROM photos p JOIN quality q ON q.photo_id = p.id "
               "LEFT JOIN exif e ON e.photo_id = p.id ")


def split_reasons(text: str | None) -> tuple[str, ...]:
    return tuple(w for w in (text or "").split(",") if w)


def write_quality(conn: sqlite3.Connection, pid: int, q: QualityRecord, now: float) -> None:
    """Insert or replace a shot's quality values; its reasons stay until the policy recomputes them."""
    names = list(dict.fromkeys(name for view in q.view_dimensions for name in view))  # the engine's order
    views = np.full((len(q.view_boxes), 4 + len(names)), np.nan, dtype="<f4")
    for i, (box, values) in enumerate(zip(q.view_boxes, q.view_dimensions, strict=False)):
        views[i, :4] = box if box is not None else (-1, -1, -1, -1)
        views[i, 4:] = [values.get(n, np.nan) for n in names]
    width, height = q.measured_size
    rows, cols = q.focus_grid
    conn.execute(
        "INSERT INTO quality (photo_id, dimensions_fingerprint, dimensions, measures, measured_width, "
        "measured_height, focus_rows, focus_cols, focus_windows, view_dimension_names, view_dimensions, "
        "measured_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(photo_id) DO UPDATE SET dimensions_fingerprint = excluded.dimensions_fingerprint, "
        "dimensions = excluded.dimensions, measures = excluded.measures, "
        "measured_width = excluded.measured_width, measured_height = excluded.measured_height, "
        "focus_rows = excluded.focus_rows, focus_cols = excluded.focus_cols, "
        "focus_windows = excluded.focus_windows, view_dimension_names = excluded.view_dimension_names, "
        "view_dimensions = excluded.view_dimensions, measured_at = excluded.measured_at",
        (pid, q.dimensions_fingerprint, _json(q.dimensions), _json(q.measures), int(width), int(height),
         int(rows), int(cols), np.asarray(q.focus_windows, dtype="<f4").tobytes(), json.dumps(names),
         views.tobytes(), now))


def _json(values: Mapping[str, float]) -> str:
    # NaN and infinities are not JSON: a value that is not finite is left out
    return json.dumps({k: float(v) for k, v in values.items() if np.isfinite(v)})  # in the engine's order


def _values(text: str | None) -> dict[str, float]:
    return {str(k): float(v) for k, v in json.loads(text).items()} if text else {}


def _row(r: tuple) -> QualityRow:
    return QualityRow(r[0], from_db(r[1]), _values(r[2]), _values(r[3]), split_reasons(r[4]), r[5], r[6], r[7])


class QualityMixin(CatalogBase):
    def has_quality(self, photo_id: int, dimensions_fingerprint: str) -> bool:
        """The shot of this photo has quality values from this dimensions fingerprint."""
        return bool(self._read(
            f"SELECT 1 FROM photos p JOIN quality q ON q.photo_id = {SHOT} "
            "WHERE p.id = ? AND q.dimensions_fingerprint = ?", (int(photo_id), dimensions_fingerprint)))

    def quality_rows(self, folders: Sequence[str] | None = None) -> dict[str, list[QualityRow]]:
        """Every live shot with quality values, in these folders (None: all), keyed by folder."""
        sql = _ROW_SELECT + f"WHERE {LIVE_SHOTS}"
        if folders is None:
            rows = self._read(sql + " ORDER BY p.folder, p.name")
        else:
            rows = [r for in_list, chunk in in_chunks(all_to_db(folders))
                    for r in self._read(sql + f" AND p.folder {in_list} ORDER BY p.folder, p.name", chunk)]
        out: dict[str, list[QualityRow]] = {}
        for r in rows:
            row = _row(r)
            out.setdefault(row.folder, []).append(row)
        return out

    def quality_by_id(self, photo_ids: Iterable[int]) -> dict[int, QualityRow]:
        """Each photo's shot's quality values (a pair's second file reads its shot's), keyed by the ids asked."""
        ids = sorted({int(i) for i in photo_ids})
        out: dict[int, QualityRow] = {}
        for in_list, chunk in in_chunks(ids):
            for r in self._read(
                    "SELECT p.id, p.folder, q.dimensions, q.measures, q.reasons, e.exposure_bias, e.capture_time, "
                    f"q.dimensions_fingerprint FROM photos p JOIN quality q ON q.photo_id = {SHOT} "
                    f"LEFT JOIN exif e ON e.photo_id = p.id WHERE p.id {in_list}", chunk):
                out[r[0]] = _row(r)
        return out

    def quality_detail(self, photo_id: int) -> QualityDetail | None:
        """One photo's shot's quality values with the per-window focus and per-view dimensions; None if none."""
        rows = self._read(
            "SELECT p.id, p.folder, q.dimensions, q.measures, q.reasons, e.exposure_bias, e.capture_time, "
            "q.dimensions_fingerprint, q.measured_width, q.measured_height, q.focus_rows, q.focus_cols, "
            "q.focus_windows, q.view_dimension_names, q.view_dimensions "
            f"FROM photos p JOIN quality q ON q.photo_id = {SHOT} LEFT JOIN exif e ON e.photo_id = p.id "
            "WHERE p.id = ?", (int(photo_id),))
        if not rows:
            return None
        r = rows[0]
        width, height, grid_rows, grid_cols, windows_blob, names_text, views_blob = r[8:15]
        windows = tuple(float(v) for v in np.frombuffer(windows_blob or b"", dtype="<f4"))
        names = json.loads(names_text) if names_text else []
        boxes: list[tuple[int, int, int, int] | None] = []
        dims: list[dict[str, float]] = []
        if views_blob:
            for v in np.frombuffer(views_blob, dtype="<f4").reshape(-1, 4 + len(names)).tolist():
                boxes.append(None if v[0] < 0 else (int(v[0]), int(v[1]), int(v[2]), int(v[3])))
                dims.append({n: x for n, x in zip(names, v[4:], strict=True) if np.isfinite(x)})
        return QualityDetail(
            _row(r[:8]), (width, height) if width is not None else None,
            (grid_rows, grid_cols) if grid_rows is not None else None, windows, tuple(boxes), tuple(dims))

    def set_reasons(self, changes: Sequence[tuple[int, tuple[str, ...]]]) -> int:
        """Store each shot's reasons ((photo id, words)); returns how many rows changed."""
        changed = 0
        with self.transaction() as conn:
            for pid, words in changes:
                cur = conn.execute("UPDATE quality SET reasons = ? WHERE photo_id = ? AND reasons != ?",
                                   (",".join(words), int(pid), ",".join(words)))
                changed += cur.rowcount
        return changed

    def dimension_names(self) -> list[str]:
        """Every dimension name stored in the catalog, sorted (for export columns)."""
        return [r[0] for r in self._read("SELECT DISTINCT j.key FROM quality, json_each(quality.dimensions) j "
                                         "ORDER BY j.key")]


