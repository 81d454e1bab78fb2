"""The culling policy: which shots are weak, which frames form a burst, which frame of a burst to keep.

Qt-free, and SQL-free: it reads and writes through the catalog's primitives,
each action inside one catalog transaction, so a decision made elsewhere (the
gallery, another process) can never slip between what it read and what it
wrote, and an action is either recorded whole or not at all.

  recompute_flags       the auto low-quality flags (curator.rules.flags), brackets protected (curator.rules.bursts)
  frames, bursts        a folder's shots as frames, grouped into bursts and brackets
  reject_all_but_best   "keep the best frame": in every burst of some folders, or in one burst
  is_weak               the one definition of a weak ("flagged") photo, for every view of the catalog
  duplicates            library-wide duplicate groups (curator.rules.duplicates), bursts kept apart
  reject_duplicates     "keep the best" in duplicate groups
  recompute_reasons     each shot's reasons (curator.rules.reasons) from its folder's quality values, brackets protected
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from curator.rules import flags
from curator.rules.bursts import DEFAULT_GAP_SECONDS, DEFAULT_SIMILARITY, Burst, Frame, bracketed_ids
from curator.rules.bursts import group_bursts as _group
from curator.rules.bursts import reject_all_but_best as _keep_best
from curator.rules.reasons import Evidence, ReasonRules, derive_reasons
from curator.rules.duplicates import DEFAULT_MAX_DISTANCE, Candidate, DuplicateGroup, group_duplicates
from curator.rules.duplicates import DEFAULT_SIMILARITY as DEFAULT_DUPLICATE_SIMILARITY

if TYPE_CHECKING:
    from curator.catalog import Catalog, FrameRow
    from curator.settings import Settings

# What "weak" means wherever it is shown or counted (gallery marks and counts, `list --flagged`):
WEAK_MEANING = "marked weak by the auto flag policy (below the score threshold, or in the bottom N% of its folder)"


class _WeakInput(Protocol):
    @property
    def low_quality(self) -> bool: ...


def is_weak(row: _WeakInput) -> bool:
    """A weak photo: the auto flag policy marked it low quality (a score below the threshold, or in the
    bottom N% of its folder). Whatever the user decided since does not change it. The catalog's
    `query_rows(weak=True)` (and so `curator list --flagged`) makes the same test in SQL."""
    return bool(row.low_quality)


FlagPolicy = tuple[float | None, float]  # (threshold or None, bottom percent)


@dataclass(frozen=True)
class CullingRules:
    """The culling policy as one value: which shots are weak (a score below `threshold`, or in the bottom
    `bottom_percent` of their folder), which frames form an exposure bracket (capture times within
    `burst_gap_seconds`; never auto-rejected, never called badly exposed; None turns that off), and
    the reasons' rules."""

    threshold: float | None = None
    bottom_percent: float = 15.0
    burst_gap_seconds: float | None = DEFAULT_GAP_SECONDS
    reasons: ReasonRules = field(default_factory=ReasonRules)

    @classmethod
    def from_settings(cls, settings: Settings, policy: FlagPolicy | None = None) -> CullingRules:
        """The settings' rules, with `policy` (a resolved flag policy: flag_policy_for) in place of theirs."""
        threshold, bottom = policy if policy is not None else (settings.threshold, settings.bottom_percent)
        return cls(threshold, bottom, settings.burst_gap_seconds, settings.reason_rules())

    @property
    def policy(self) -> FlagPolicy:
        return (self.threshold, self.bottom_percent)


def recompute_flags(catalog: Catalog, rules: CullingRules, folder: str | None = None,
                    folders: Sequence[str] | None = None, *, basis: str | None = None) -> int:
    """Apply the auto flag policy (curator.rules.flags) to one folder, some folders or all, in one transaction;
    returns how many auto flags changed. User decisions are never touched.

    Frames of an exposure bracket (capture times within `rules.burst_gap_seconds`, exposure bias changing at
    every frame: curator.rules.bursts.bracketed_ids) are never auto-rejected; None turns that protection off.

    `basis` ranks by the fused score ("score") or the user's taste ("taste", curator.actions.taste_learning); None
    uses the one stored in the catalog (`curator flag --by`), else the score.
    """
    basis = basis or catalog.flag_basis()
    scope = [folder] if folder is not None else (list(folders) if folders is not None else None)
    if scope is not None and not scope:
        return 0
    with catalog.transaction():  # read and write in one transaction: a user decision cannot slip between
        rows = catalog.flag_rows(scope)
        protected: frozenset[int] = frozenset()
        gap = rules.burst_gap_seconds
        if gap is not None:
            protected = frozenset(_id(i) for shots in catalog.frames_by_folder(scope, embeddings=False).values()
                                  for i in bracketed_ids(_frames(shots), gap))
        plan = flags.plan(rows, threshold=rules.threshold, bottom_percent=rules.bottom_percent, protected=protected,
                          basis=basis)
        if plan.changes:
            catalog.apply_flag_changes(plan.changes)
    return plan.flags_changed


def recompute_reasons(catalog: Catalog, folders: Sequence[str] | None = None, rules: CullingRules | None = None) -> int:
    """Derive every shot's reasons (curator.rules.reasons) in these folders (None: all) from the quality values
    stored for its folder, in one transaction; returns how many shots' reasons changed.

    Frames of an exposure bracket (curator.rules.bursts.bracketed_ids within `rules.burst_gap_seconds`; None
    turns that off) are left alone on exposure, as the rule says.
    """
    if folders is not None and not folders:
        return 0
    rules = rules or CullingRules()
    gap = rules.burst_gap_seconds
    with catalog.transaction():
        by_folder = catalog.quality_rows(None if folders is None else list(folders))
        bracketed: set[int] = set()
        if gap is not None and by_folder:
            shots = catalog.frames_by_folder(list(by_folder), embeddings=False)
            bracketed = {_id(i) for rows in shots.values() for i in bracketed_ids(_frames(rows), gap)}
        rows = [r for folder_rows in by_folder.values() for r in folder_rows]
        derived = derive_reasons((Evidence(r.photo_id, r.folder, r.measures, r.dimensions, r.exposure_bias,
                                           r.photo_id in bracketed) for r in rows), rules.reasons)
        changes = [(r.photo_id, derived[r.photo_id]) for r in rows if derived[r.photo_id] != r.reasons]
        if changes:
            catalog.set_reasons(changes)
    return len(changes)


def frames(catalog: Catalog, folder: str) -> list[Frame]:
    """Every shot of one folder as burst grouping sees it (capture time, latest score, bias, embedding)."""
    return _frames(catalog.burst_frames(folder))


def bursts(catalog: Catalog, folder: str, *, gap_seconds: float = DEFAULT_GAP_SECONDS,
           similarity: float = DEFAULT_SIMILARITY) -> list[Burst]:
    """The folder's shots grouped into bursts (curator.rules.bursts.group_bursts): every shot in exactly one group,
    in capture order; Burst.best is the frame to show on top of a collapsed burst."""
    return _group(frames(catalog, folder), gap_seconds, similarity)


@dataclass(frozen=True)
class Reject:
    """One frame rejected by "keep the best": the best frame kept in its place, and its burst's size."""

    photo_id: int
    best_id: int
    burst_size: int


@dataclass(frozen=True)
class KeepBest:
    """What reject_all_but_best did (or, with dry_run, would do)."""

    decisions: tuple[Reject, ...]  # one per frame rejected
    dry_run: bool
    note: str = ""  # one burst asked for and nothing done: why

    @property
    def rejected(self) -> tuple[int, ...]:
        return tuple(d.photo_id for d in self.decisions)

    @property
    def bursts(self) -> int:
        return len({d.best_id for d in self.decisions})


def reject_all_but_best(catalog: Catalog, folders: Sequence[str] | None = None, *, photo_id: int | None = None,
                        gap_seconds: float = DEFAULT_GAP_SECONDS, similarity: float = DEFAULT_SIMILARITY,
                        dry_run: bool = False) -> KeepBest:
    """"Reject all but the best" in every burst of these folders (None: every folder), or, with
    `photo_id`, only in the burst of that photo; one transaction either way.

    The rejects are recorded as the user's (they asked for them), so the auto policy never undoes them.
    Never rejected: the best frame, bracketed frames, frames the user already decided on (a flag set or
    cleared, stars or a label), and any burst with a frame that is not scored yet.
    """
    with catalog.transaction():
        if photo_id is not None:
            groups, note = _burst_of(catalog, photo_id, gap_seconds, similarity)
        else:
            scope = None if folders is None else list(folders)
            groups = [b for rows in catalog.frames_by_folder(scope, embeddings=True).values()
                      for b in _group(_frames(rows), gap_seconds, similarity)]
            note = ""
        locked = catalog.decided_ids(_id(i) for b in groups if b.is_burst for i in b.ids)
        decisions = tuple(Reject(_id(d.photo_id), _id(d.best_id), d.burst_size) for d in _keep_best(groups, locked))
        if not dry_run and decisions:
            catalog.set_user_flags([(d.photo_id, "reject") for d in decisions])
    if photo_id is not None and not decisions and not note:
        note = "nothing to reject: the other frames are decided, bracketed or already rejected"
    return KeepBest(decisions, dry_run, note)


def _burst_of(catalog: Catalog, photo_id: int, gap_seconds: float,
              similarity: float) -> tuple[list[Burst], str]:
    """([the burst of this photo's shot], '') or ([], why there is nothing to do)."""
    rows = catalog.rows_by_id([photo_id])
    if not rows:
        return [], "the photo is no longer in the catalog"
    row = rows[0]
    shot = row.partner_of if row.partner_of is not None else row.photo_id
    burst = next((b for b in _group(frames(catalog, row.folder), gap_seconds, similarity)
                  if shot in b.ids), None)
    if burst is None or not burst.is_burst:
        return [], "not part of a burst"
    if not burst.complete:
        return [], "not every frame of this burst is scored yet, so its best is not known"
    return [burst], ""


def _id(photo_id: Hashable) -> int:
    return cast(int, photo_id)  # curator.rules.bursts takes any id; the frames built here carry the catalog's ints


def _frames(rows: Iterable[FrameRow]) -> list[Frame]:
    return [Frame(r.photo_id, r.capture_time, r.embedding, r.fused, r.exposure_bias, r.reasons) for r in rows]


def duplicates(catalog: Catalog, fingerprint: str, scope: Sequence[str] | None = None, *,
               similarity: float = DEFAULT_DUPLICATE_SIMILARITY, max_distance: int = DEFAULT_MAX_DISTANCE,
               burst_gap_seconds: float = DEFAULT_GAP_SECONDS,
               burst_similarity: float = DEFAULT_SIMILARITY) -> list[DuplicateGroup]:
    """Duplicate groups among the live shots under scope (curator.rules.duplicates.group_duplicates), each best
    first. The frames of one burst (curator.rules.bursts, per folder) are never duplicates of each other by look."""
    rows = catalog.duplicate_rows(fingerprint, scope)
    folders = sorted({r.folder for r in rows})
    burst_of: dict[int, tuple[str, int]] = {}
    for folder, shots in catalog.frames_by_folder(folders, embeddings=True).items():
        for n, burst in enumerate(_group(_frames(shots), burst_gap_seconds, burst_similarity)):
            if burst.is_burst:
                burst_of.update({_id(i): (folder, n) for i in burst.ids})
    candidates = [Candidate(r.photo_id, r.content_hash, r.vector, r.perceptual_hash,
                            Frame(r.photo_id, r.capture_time).seconds, r.fused, burst_of.get(r.photo_id))
                  for r in rows]
    return group_duplicates(candidates, similarity, max_distance)


def reject_duplicates(catalog: Catalog, groups: Iterable[Sequence[int]], *, dry_run: bool = False) -> KeepBest:
    """In each group (photo ids, best first), reject every photo but the first, in one transaction.
    Photos the user already decided on are left alone; the rejects are recorded as the user's."""
    groups = [list(g) for g in groups if len(g) > 1]
    with catalog.transaction():
        locked = catalog.decided_ids(i for g in groups for i in g)
        decisions = tuple(Reject(i, g[0], len(g)) for g in groups for i in g[1:] if i not in locked)
        if not dry_run and decisions:
            catalog.set_user_flags([(d.photo_id, "reject") for d in decisions])
    return KeepBest(decisions, dry_run, "" if decisions else "nothing to reject: the others are already decided")


def flag_policy_for(catalog: Catalog, settings: Settings, explicit: FlagPolicy | None = None) -> FlagPolicy:
    """Command-line values, else what `curator flag` last stored in the catalog, else the settings."""
    if explicit is not None:
        return explicit
    stored = catalog.flag_policy()
    if stored is not None:
        return stored
    return (settings.threshold, settings.bottom_percent)
