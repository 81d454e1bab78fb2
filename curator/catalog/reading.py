"""Reading photos for the gallery and the CLI: gallery rows, one photo's detail, lookups by path or id."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from curator.catalog.connection import CatalogBase
from curator.catalog.errors import CatalogError
from curator.catalog.paths import all_to_db, from_db, to_db
from curator.catalog.recording import decode_views
from curator.catalog.records import SORTS, GalleryRow, PhotoDetail
from curator.catalog.sql import GALLERY_SELECT, LATEST_SCORE, gallery_row, in_chunks, scope_clause

# Shots whose reasons (a comma-separated list in q.reasons) include one word.
REASON_SQL = "(',' || COALESCE(q.reasons, '') || ',') LIKE ?"

# A weak photo: the auto flag policy marked it low quality (curator.rules.flags). One test, for every reader.
WEAK_SQL = "COALESCE(d.low_quality, 0) = 1"


class ReadingMixin(CatalogBase):
    def gallery_rows(self, folder: str | None = None) -> list[GalleryRow]:
        """Every photo (of one folder, if given) with its latest score, decision and EXIF; one query."""
        return self.query_rows(folder=folder)

    def query_rows(self, *, folder: str | None = None, under: str | None = None, flagged: bool = False,
                   weak: bool = False, errors: bool = False, status: str | None = None, sort: str = "name",
                   limit: int | None = None, reason: str | None = None) -> list[GalleryRow]:
        """Gallery rows filtered and sorted in SQL (for `curator list`).

        flagged: any pick or reject flag; weak: marked weak by the auto flag policy (WEAK_SQL, the
        same test as curator.actions.culling.is_weak), whatever the user decided since; reason: only shots
        with this reason (curator.rules.reasons).
        """
        where: list[str] = []
        params: list[Any] = []
        if folder is not None:
            where.append("p.folder = ?")
            params.append(to_db(str(folder)))
        if under is not None:
            clause, extra = scope_clause([str(under)], "p.path")
            where.append(clause)
            params += extra
        if flagged:
            where.append("d.flag IS NOT NULL")
        if weak:
            where.append(WEAK_SQL)
        if errors:
            where.append("p.error IS NOT NULL")
        if status is not None:
            where.append("p.status = ?")
            params.append(status)
        if reason is not None:
            where.append(REASON_SQL)
            params.append(f"%,{reason},%")
        order = {
            "name": "p.folder, p.name",
            "score": "s.fused IS NULL, s.fused, p.folder, p.name",
            "-score": "s.fused IS NULL, s.fused DESC, p.folder, p.name",
            "taste": "t.value IS NULL, t.value, p.folder, p.name",
            "-taste": "t.value IS NULL, t.value DESC, p.folder, p.name",
            "time": "COALESCE(e.capture_time, strftime('%Y-%m-%dT%H:%M:%S', p.mtime_ns / 1e9, 'unixepoch')), "
                    "p.folder, p.name",
        }.get(sort)
        if order is None:
            raise CatalogError(f"unknown sort {sort!r}; choose one of: {', '.join(SORTS)}")
        sql = GALLERY_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY " + order
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self._read(sql, params)
        return [gallery_row(r) for r in rows]

    def photo_detail(self, photo_id: int) -> PhotoDetail | None:
        rows = self._read(GALLERY_SELECT + " WHERE p.id = ?", (int(photo_id),))
        if not rows:
            return None
        row = gallery_row(rows[0])
        extra = self._read(
            "SELECT p.content_hash, p.scored_count, e.exposure_bias, e.make, "
            "s.fingerprint, (SELECT v.views FROM score_views v WHERE v.score_id = s.id), "
            "s.scored_width, s.scored_height, s.scored_at, s.elapsed_ms, "
            "s.protocol, s.model, s.decode_source "
            "FROM photos p LEFT JOIN exif e ON e.photo_id = p.id "
            + LATEST_SCORE +
            "WHERE p.id = ?", (int(photo_id),))[0]
        (content_hash, scored_count, bias, make, fp, views_blob, sw, sh, scored_at, elapsed, protocol, model,
         decode_source) = extra
        return PhotoDetail(
            row=row, views=decode_views(views_blob), scored_size=(sw, sh) if sw is not None else None,
            fingerprint=fp, content_hash=content_hash, scored_at=scored_at, elapsed_ms=elapsed,
            protocol=protocol, model=model, decode_source=decode_source, exposure_bias=bias, make=make,
            scored_count=scored_count or 0)

    def photo_id_for_path(self, path: str | os.PathLike[str]) -> int | None:
        rows = self._read("SELECT id FROM photos WHERE path = ?", (to_db(str(path)),))
        return rows[0][0] if rows else None

    def photo_id_resolving_to(self, real: str, names: Iterable[str]) -> int | None:
        """The photo, named `names` in the catalog, whose stored path resolves to `real` (a resolved path).

        A photo walked through a symlinked folder is stored under the link's path; asked for by its real
        path, it is found here. Only rows of those names are resolved, so the cost stays small."""
        wanted = all_to_db(sorted(set(names)))
        if not wanted:
            return None
        marks = ", ".join("?" * len(wanted))
        for pid, path in self._read(f"SELECT id, path FROM photos WHERE name IN ({marks}) ORDER BY id", wanted):
            if os.path.realpath(from_db(path)) == real:
                return int(pid)
        return None

    def path_status(self, path: str | os.PathLike[str]) -> str | None:
        """The status of the photo at this path, or None when the catalog does not know it."""
        rows = self._read("SELECT status FROM photos WHERE path = ?", (to_db(str(path)),))
        return rows[0][0] if rows else None

    def folders(self, under: Sequence[str] | None = None) -> list[str]:
        """The catalog's folders, sorted; only those equal to or inside one of `under` when given (see is_under)."""
        where, params = scope_clause(under, "folder")
        return [from_db(r[0]) for r in self._read(f"SELECT DISTINCT folder FROM photos WHERE {where} ORDER BY folder",
                                                  params)]

    def embedding(self, photo_id: int, fingerprint: str | None = None) -> np.ndarray | None:
        sql = "SELECT vector FROM embeddings WHERE photo_id = ?"
        params: list[Any] = [int(photo_id)]
        if fingerprint is not None:
            sql += " AND fingerprint = ?"
            params.append(fingerprint)
        rows = self._read(sql + " ORDER BY id DESC LIMIT 1", params)
        return np.frombuffer(rows[0][0], dtype="<f4").copy() if rows else None

    def rows_by_id(self, photo_ids: Iterable[int]) -> list[GalleryRow]:
        """Gallery rows for these photo ids (unknown ids are left out), in folder and name order."""
        ids = sorted({int(i) for i in photo_ids})
        out: list[GalleryRow] = []
        for in_list, chunk in in_chunks(ids):
            out += [gallery_row(r) for r in self._read(GALLERY_SELECT + f" WHERE p.id {in_list}", chunk)]
        out.sort(key=lambda r: (r.folder, r.name))
        return out

