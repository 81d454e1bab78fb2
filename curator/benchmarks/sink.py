"""Where `bench speed` writes scores: a fresh curator catalog, as a scan-then-score run does.

Each photo gets its row first, as `curator scan` would have made it (untimed:
that is the scan's work, not the scorer's). The timed write is the worker's:
one `record_outcomes` transaction per photo with a "scored" outcome (the
score, its per-view blob and the embedding).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curator.catalog import FileStat

CATALOG = "curator catalog, record_outcomes, one transaction per photo"


class CatalogSink:
    kind = CATALOG

    def __init__(self, path: Path, photos: Sequence[os.PathLike[str] | str]) -> None:
        from curator.catalog import Catalog, FileStat

        self._catalog = Catalog.open(path)
        self._ids: dict[str, tuple[int, FileStat]] = {}
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
        from curator.catalog import Outcome, ScoreRecord

        photo_id, stat = self._ids[str(Path(path).absolute())]
        # converted as the worker converts the engine's result: part of the timed write
        self._catalog.record_outcomes([Outcome(photo_id, "scored", expected=stat, stat=stat,
                                               score=ScoreRecord.from_result(score))])

    def close(self) -> None:
        self._catalog.close()


def open_sink(path: Path, photos: Sequence[os.PathLike[str] | str]) -> CatalogSink:
    return CatalogSink(path, photos)
