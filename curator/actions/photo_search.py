"""Search the catalog by text or by photo: cosine similarity over the stored standard CLIP embeddings
(iqa_engine.search), like rclip. The gallery keeps a Searcher for its session, so only its first
query pays for loading the embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curator.catalog import Catalog
from curator.errors import UserError
from iqa_engine.search import EmbeddingIndex, Hit

if TYPE_CHECKING:
    from iqa_engine import Engine


@dataclass(frozen=True)
class Searcher:
    """One engine's stored embeddings under a scope, ready to rank."""

    fingerprint: str
    index: EmbeddingIndex

    @classmethod
    def load(cls, catalog: Catalog, fingerprint: str, scope: Sequence[str] | None = None) -> Searcher:
        stored = catalog.clip_embedding_matrix(fingerprint, scope)
        return cls(fingerprint, EmbeddingIndex.build(stored.photo_ids, stored.vectors))

    def by_text(self, engine: Engine, text: str, limit: int | None = None) -> list[Hit]:
        if engine.clip_fingerprint != self.fingerprint:
            raise UserError("the embeddings were made by another engine than the one configured; "
                            "run `curator scan --embeddings-only DIR` with this engine")
        return self.index.search(engine.encode_query(text), limit)

    def like(self, catalog: Catalog, photo_id: int, limit: int | None = None) -> list[Hit]:
        """The photos nearest to this one (itself left out)."""
        vector = catalog.clip_embedding(photo_id, self.fingerprint)
        if vector is None:
            raise UserError("that photo has no CLIP embedding yet: run `curator scan --embeddings-only` on its folder")
        return self.index.search(vector, limit, exclude=photo_id)
