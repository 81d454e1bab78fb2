"""Library-wide duplicates: a pure rule over simple photo records.

Two photos are **duplicates** when

- their files have the same content hash (the same photo imported twice), or
- all of these hold (an export beside its original, a re-saved or downscaled JPEG):
  - their standard CLIP embeddings have a cosine similarity of at least ``similarity``
    (default 0.95);
  - their perceptual hashes (64-bit dHash, iqa_engine.perceptual) differ in at most
    ``max_distance`` bits (default 6);
  - their capture times, when both are known, are at most ``time_tolerance`` seconds apart
    (default 1 s): a copy keeps the original's EXIF time, a second shot of the scene does not;
  - they are not frames of one burst (the caller's burst key): bursts stay bursts.

Why both the embedding and the perceptual hash: CLIP puts two different shots of one scene
close together (that is what it is for), and the hash tells "the same pixels" from "the same
subject"; the hash alone would join two dark frames or two blank skies, which CLIP keeps apart.

Duplicates are grouped transitively (connected components). Each group lists its best photo
first: the highest fused score, then the lowest id; unscored photos come last.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from iqa_engine.perceptual import hamming_distance
from iqa_engine.search import EmbeddingIndex

DEFAULT_SIMILARITY = 0.95
DEFAULT_MAX_DISTANCE = 6
DEFAULT_TIME_TOLERANCE = 1.0


@dataclass(frozen=True)
class Candidate:
    """One photo, as duplicate grouping needs it (the catalog builds these)."""

    photo_id: Hashable
    content_hash: str | None = None
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)  # standard CLIP, any float
    perceptual_hash: int | None = None
    capture_time: float | None = None  # seconds, any epoch; None: unknown
    fused: float | None = None
    burst: Hashable | None = None  # photos with the same burst key are never duplicates by look


@dataclass(frozen=True)
class DuplicateGroup:
    ids: tuple[Hashable, ...]  # best first
    identical: bool  # every file has the same content hash

    @property
    def best(self) -> Hashable:
        return self.ids[0]

    @property
    def others(self) -> tuple[Hashable, ...]:
        return self.ids[1:]


def alike(a: Candidate, b: Candidate, similarity: float, max_distance: int, time_tolerance: float,
          cosine: float) -> bool:
    """The look half of the rule, for two photos whose embeddings have the given cosine."""
    if cosine < similarity or a.perceptual_hash is None or b.perceptual_hash is None:
        return False
    if hamming_distance(a.perceptual_hash, b.perceptual_hash) > max_distance:
        return False
    if a.capture_time is not None and b.capture_time is not None and abs(a.capture_time - b.capture_time) > time_tolerance:
        return False
    return a.burst is None or a.burst != b.burst


def group_duplicates(candidates: Iterable[Candidate], similarity: float = DEFAULT_SIMILARITY,
                     max_distance: int = DEFAULT_MAX_DISTANCE,
                     time_tolerance: float = DEFAULT_TIME_TOLERANCE) -> list[DuplicateGroup]:
    """Groups of two or more duplicates, the largest first (then by their best photo's score)."""
    items = list(candidates)
    if len({c.photo_id for c in items}) != len(items):
        raise ValueError("a photo id appears twice")
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    by_hash: dict[str, int] = {}
    for i, c in enumerate(items):
        if c.content_hash:
            join(i, by_hash.setdefault(c.content_hash, i))
    vectors = {i: c.embedding for i, c in enumerate(items) if c.embedding is not None and c.perceptual_hash is not None}
    with_embedding = list(vectors)
    if len(with_embedding) > 1:
        index = EmbeddingIndex.build(with_embedding, list(vectors.values()))
        for a, b, cos in index.similar_pairs(similarity):
            i, j = with_embedding[a], with_embedding[b]
            if alike(items[i], items[j], similarity, max_distance, time_tolerance, cos):
                join(i, j)
    members: dict[int, list[Candidate]] = {}
    for i, c in enumerate(items):
        members.setdefault(root(i), []).append(c)
    groups = [_group(g) for g in members.values() if len(g) > 1]
    groups.sort(key=lambda g: (-len(g.ids), _sortable(g.best)))
    return groups


def _group(members: Sequence[Candidate]) -> DuplicateGroup:
    ranked = sorted(members, key=lambda c: (c.fused is None, -(c.fused or 0.0), _sortable(c.photo_id)))
    hashes = {c.content_hash for c in members}
    return DuplicateGroup(tuple(c.photo_id for c in ranked), len(hashes) == 1 and None not in hashes)


def _sortable(key: Hashable) -> tuple[int, str | float]:
    return (0, key) if isinstance(key, (int, float)) else (1, str(key))
