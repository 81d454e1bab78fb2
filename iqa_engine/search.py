"""Nearest embeddings by cosine similarity: a numpy matrix product and a partial sort.

As rclip does it: every stored embedding is a row of one matrix, a query is one product with
it. Rows are L2-normalised, so the dot product is the cosine. The matrix is kept in float32:
numpy has no BLAS for float16, and its own float16 product is several times slower than the
memory it saves is worth (bench/search.py measures both).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

_BLOCK_ROWS = 4096  # rows per block when comparing the index with itself


@dataclass(frozen=True)
class Hit:
    key: Hashable  # what the caller stored with the row (a photo id)
    similarity: float


@dataclass(frozen=True)
class EmbeddingIndex:
    """Rows of L2-normalised embeddings, each with the caller's key."""

    keys: tuple[Hashable, ...]
    matrix: np.ndarray = field(repr=False, compare=False)  # (N, D) float32, C-contiguous

    @classmethod
    def build(cls, keys: Sequence[Hashable], vectors: np.ndarray | Sequence[np.ndarray]) -> EmbeddingIndex:
        """Vectors of any float dtype; they are renormalised (float16 storage rounds the norm)."""
        if not len(keys):
            return cls((), np.zeros((0, 0), np.float32))
        m = np.array(vectors, dtype=np.float32).reshape(len(keys), -1)  # a float32 copy of the caller's rows
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m /= np.where(norms > 0, norms, np.float32(1.0))
        return cls(tuple(keys), np.ascontiguousarray(m))

    def __len__(self) -> int:
        return len(self.keys)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """(N,) cosine of every row with the query."""
        q = np.asarray(query, dtype=np.float32).ravel()
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        return self.matrix @ q

    def search(self, query: np.ndarray, limit: int | None = None,
               exclude: Hashable | None = None) -> list[Hit]:
        """The `limit` rows most similar to the query, best first (ties in row order);
        all rows when limit is None. `exclude` leaves one key out (the query photo itself)."""
        n = len(self.keys)
        if n == 0:
            return []
        sims = self.similarities(query)
        if exclude is not None:
            sims = sims.copy()
            sims[[i for i, k in enumerate(self.keys) if k == exclude]] = -np.inf
        k = n if limit is None else max(0, min(limit, n))
        if k == 0:
            return []
        # argpartition finds the top k in O(N); only those k are then sorted
        top = np.arange(n) if k == n else np.argpartition(-sims, k - 1)[:k]
        order = top[np.lexsort((top, -sims[top]))]
        return [Hit(self.keys[i], float(sims[i])) for i in order if np.isfinite(sims[i])]

    def similar_pairs(self, threshold: float) -> Iterator[tuple[int, int, float]]:
        """Every pair of rows (i < j) with cosine >= threshold, block by block (O(N^2 D) work,
        O(block x N) memory)."""
        m = self.matrix
        for start in range(0, len(self.keys), _BLOCK_ROWS):
            block = m[start:start + _BLOCK_ROWS] @ m[start:].T
            rows, cols = np.nonzero(block >= threshold)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                i, j = start + r, start + c
                if i < j:
                    yield i, j, float(block[r, c])
