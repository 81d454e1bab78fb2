"""Filling in standard CLIP embeddings for photos scored before they existed (`scan --embeddings-only`,
and the end of every scan): the engine embeds the files, the catalog stores the vectors; scores are
never touched."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from curator.catalog import Catalog, ClipEmbedding
from iqa_engine.errors import ImageDecodeError

if TYPE_CHECKING:
    from iqa_engine import Engine


@dataclass
class FillSummary:
    missing: int = 0  # photos that had no embedding from this engine
    stored: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    interrupted: bool = False


def fill_embeddings(catalog: Catalog, engine: Engine, scope: Sequence[str] | None = None, *, batch: int = 32,
                    stop: threading.Event | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> FillSummary:
    """Embed every scored photo under scope that has no embedding from this engine; one catalog
    transaction per batch, so an interruption keeps what was done."""
    todo = catalog.photos_missing_clip_embedding(engine.clip_fingerprint, scope)
    summary = FillSummary(missing=len(todo))
    ids = {path: pid for pid, path in todo}
    for start in range(0, len(todo), batch):
        if stop is not None and stop.is_set():
            summary.interrupted = True
            break
        done: list[tuple[int, ClipEmbedding]] = []
        for path, result in engine.embed_paths([Path(p) for _, p in todo[start:start + batch]], batch=batch):
            if isinstance(result, ImageDecodeError):
                summary.errors.append((str(path), str(result)))
                continue
            clip = ClipEmbedding.from_result(result)
            if clip is not None:
                done.append((ids[str(path)], clip))
        summary.stored += catalog.record_clip_embeddings(done)
        if on_progress:
            on_progress(min(start + batch, len(todo)), len(todo))
    return summary
