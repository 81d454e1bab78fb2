"""Which photos share a tile: bursts as the gallery holds them, and how a burst is laid out. No Qt here.

With bursts collapsed, each burst shows one tile among its frames that pass
the filter: the best frame if it does, else the best-scoring one that does. An
expanded burst shows all those frames together, the top one first and the
others after it in capture order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BurstGroup:
    """One burst as the gallery holds it (from curator.rules.bursts.Burst, without the embeddings)."""

    ids: tuple[int, ...]  # photo ids in capture order
    best: int | None  # the highest fused score; None while no frame is scored
    is_bracket: bool  # every frame is part of an exposure bracket
    bracketed: frozenset[int] = frozenset()  # frames in a bracket (never auto-rejected)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def top(self) -> int:
        """The frame shown on top of the collapsed burst: the best, or the first while none is scored."""
        return self.best if self.best is not None else self.ids[0]

    @classmethod
    def from_burst(cls, burst: Any) -> BurstGroup:
        """From a curator.rules.bursts.Burst (duck-typed: ids, best, and optionally is_bracket, bracketed)."""
        ids = tuple(int(i) for i in burst.ids)
        bracketed = frozenset(int(i) for i in getattr(burst, "bracketed", ()))
        best = burst.best
        return cls(ids, None if best is None else int(best), bool(getattr(burst, "is_bracket", False)), bracketed)


@dataclass(frozen=True)
class BurstTile:
    """What a tile shows of its burst."""

    size: int  # frames in the burst
    state: str  # "collapsed" (this tile stands for the burst) or "expanded" (one of its frames)
    position: int  # 1-based place in capture order
    is_best: bool
    is_bracket: bool  # the whole burst is an exposure bracket
    bracketed: bool  # this frame is part of a bracket


def consecutive_runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted indices -> [(first, last)] runs of consecutive values."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and i == out[-1][1] + 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def tile_bursts(order: list[int], groups: Sequence[BurstGroup], *, row_of: Callable[[int], int | None],
                fused_of: Callable[[int], float | None], expanded: Callable[[BurstGroup], bool],
                ) -> tuple[list[int], dict[int, BurstTile]]:
    """Lay bursts out in a sorted, filtered order of rows: one tile per collapsed burst, an expanded
    burst's frames together after its top frame. Returns the new order and, per photo id, its BurstTile.

    order: the rows shown (any row numbering); row_of: photo id -> its row (None if not there);
    fused_of: row -> its fused score; expanded: whether a burst is shown frame by frame.
    """
    shown = set(order)
    hide: set[int] = set()
    follow: dict[int, list[int]] = {}
    tiles: dict[int, BurstTile] = {}
    for g in groups:
        members = [(pid, s) for pid, s in ((pid, row_of(pid)) for pid in g.ids) if s is not None and s in shown]
        if not members:
            continue
        top = next((m for m in members if m[0] == g.best), None)
        if top is None:  # the best is filtered out: the best-scoring frame that is shown, else the first
            scored = [(fused, m) for m in members if (fused := fused_of(m[1])) is not None]
            top = max(scored, key=lambda fm: fm[0])[1] if scored else members[0]
        is_expanded = expanded(g)
        for pid, s in members:
            tiles[pid] = BurstTile(g.size, "expanded" if is_expanded else "collapsed", g.ids.index(pid) + 1,
                                   pid == g.best, g.is_bracket, pid in g.bracketed)
            if pid != top[0]:
                hide.add(s)
        if is_expanded and len(members) > 1:
            follow[top[1]] = [s for pid, s in members if pid != top[0]]
    if not hide:
        return order, tiles
    out: list[int] = []
    for s in order:
        if s in hide:
            continue
        out.append(s)
        out.extend(follow.get(s, ()))
    return out, tiles
