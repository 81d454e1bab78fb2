"""Where `bench speed` writes scores: a fresh curator catalog, as a scan-then-score run does.

Each photo gets its row first, as `curator scan` would have made it (untimed:
that is the scan's work, not the scorer's). The timed write is the worker's:
one `record_outcomes` transaction per photo with a "scored" outcome (the
score, its per-view blob and the embedding). When curator.catalog cannot be
imported, a plain sqlite3 insert of an equivalent row stands in and the report
says so.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Sequence

CATALOG = "curator catalog, record_outcomes, one transaction per photo"
STAND_IN = "sqlite3 stand-in (curator.catalog not importable)"


class CatalogSink:
    kind = CATALOG

    def __init__(self, path: Path, photos: Sequence[os.PathLike[str] | str]) -> None:
        from curator.catalog import Catalog, FileStat

        self._FileStat = FileStat
        self._catalog = Catalog.open(path)
        self._ids: dict[str, tuple[int, object]] = {}
        for p in photos:
            key = str(Path(p).absolute())
            if key in self._ids:
                continue
            try:
                st = os.stat(p)
            except OSError:  # a file that cannot be read is never recorded either
                continue
            stat = FileStat(st.st_size, st.st_mtime_ns)
            self._ids[key] = (self._catalog.upsert_photo(key, stat, status="pending"), stat)

    def record(self, path: os.PathLike[str] | str, score: object) -> None:
        from curator.catalog import Outcome

        photo_id, stat = self._ids[str(Path(path).absolute())]
        self._catalog.record_outcomes([Outcome(photo_id, "scored", expected=stat, stat=stat,  # type: ignore[arg-type]
                                               score=score)])  # type: ignore[arg-type]

    def close(self) -> None:
        self._catalog.close()


class StandInSink:
    """A plain sqlite3 insert of an equivalent row (WAL, one commit per photo)."""

    kind = STAND_IN

    def __init__(self, path: Path, photos: Sequence[os.PathLike[str] | str] = ()) -> None:
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE scores (path TEXT PRIMARY KEY, mtime REAL, size INTEGER, fingerprint TEXT, "
            "score REAL, fused REAL, cosine REAL, magnitude REAL, w_cosine REAL, w_magnitude REAL, "
            "protocol TEXT, model TEXT, n_views INTEGER, width INTEGER, height INTEGER, "
            "views TEXT, embedding BLOB)")

    def record(self, path: os.PathLike[str] | str, score: object) -> None:
        st = os.stat(path)
        s = score  # an iqa_engine PhotoScore
        views = json.dumps([[v.box, v.fused, v.cosine, v.magnitude] for v in s.views])  # type: ignore[attr-defined]
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (str(path), st.st_mtime, st.st_size, s.fingerprint, s.score, s.fused, s.cosine,  # type: ignore
                 s.magnitude, s.w_cosine, s.w_magnitude, s.protocol, s.model, s.n_views,  # type: ignore
                 s.original_size[0], s.original_size[1], views, s.embedding.tobytes()))  # type: ignore

    def close(self) -> None:
        self._db.close()


def open_sink(path: Path, photos: Sequence[os.PathLike[str] | str]) -> CatalogSink | StandInSink:
    try:
        import curator.catalog  # noqa: F401
    except ImportError:
        return StandInSink(path, photos)
    return CatalogSink(path, photos)
