"""Triage: for a long backlog, a provisional score for every photo first, the exact score after.

A pure rule, with no catalog and no engine, so it can be tested with plain
numbers. The worker asks it, before every batch, which pass to run next:

- "provisional": score photos that have no score at all with the provisional
  engine (the `global` protocol: one view per photo, many photos a second);
- "exact": score photos that lack the exact score with the exact engine,
  replacing their provisional score in every view of the catalog.

Triage switches on when more than `triage_over` photos have no score at all
(or when the scan asked for it), and stays on until every photo has its exact
score, so a backlog is never left half-ranked. While it is on, the exact pass
runs in small batches and the planner is asked again before each one: a photo
that lands during the exact pass gets its provisional score after at most one
small exact batch, not after the backlog.

Because the state is read from the catalog before every batch (which photos
have no score, which have only a provisional one), a kill -9 in either pass
loses at most the batch in flight, and the next start resumes the same pass.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVISIONAL_PROTOCOL = "global"
# Photos per provisional batch: one view each, so a batch is quick and a pass of many batches
# shows the gallery a ranking that grows in big steps.
PROVISIONAL_BATCH = 32
# Photos per exact batch while triage is on: small, so a new photo waits at most this many exact
# photos before its provisional score (one exact koniq photo is a few seconds on a laptop CPU).
EXACT_BATCH_DURING_TRIAGE = 2


@dataclass(frozen=True)
class Backlog:
    """What the catalog says about the queue, read before each batch."""

    unscored: int  # pending photos with no score at all (neither provisional nor exact)
    awaiting_exact: int  # pending photos with a provisional score but no exact one


@dataclass(frozen=True)
class Step:
    """The next batch the worker runs."""

    kind: str  # "provisional", "exact" or "idle"
    batch: int  # photos at most
    triage: bool  # whether triage is on after this decision (carry it into the next call)


def next_step(backlog: Backlog, *, triage_on: bool, triage_over: int, forced: bool, batch_size: int) -> Step:
    """Which pass runs next, and how many photos it takes.

    triage_on is the previous Step's `triage` (False at start); triage_over is
    the `[watch] triage_over` setting; forced is `scan --triage`; batch_size is
    the usual exact batch (`[watch] scan_batch`).
    """
    if triage_over < 0 or batch_size < 1:
        raise ValueError("triage_over must be >= 0 and batch_size >= 1")
    waiting = backlog.unscored + backlog.awaiting_exact
    if waiting == 0:
        return Step("idle", 0, False)
    # on for a long backlog (or when asked), and on while any photo still lacks its exact score
    on = forced or backlog.unscored > triage_over or (triage_on and waiting > 0) or backlog.awaiting_exact > 0
    if not on:
        return Step("exact", batch_size, False)
    if backlog.unscored > 0:
        return Step("provisional", PROVISIONAL_BATCH, True)
    return Step("exact", min(batch_size, EXACT_BATCH_DURING_TRIAGE), True)


def is_provisional(has_exact: bool, has_provisional: bool) -> bool:
    """A photo shows its provisional score (marked as such) only until its exact score lands."""
    return has_provisional and not has_exact
