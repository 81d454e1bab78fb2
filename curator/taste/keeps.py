"""Which of a user's decisions say "keep" and which say "reject": the taste model's training targets.

A user's pick is a keep and a user's reject is a reject; without a flag, a
rating of `keep_rating` stars or more is a keep and a rating from 1 to
`reject_rating` stars is a reject. The flag wins over the rating (it is the
cull decision; a rating may grade a keep). Automatic flags are the score's
opinion, not the user's, so they never count: the model would only learn the
score back. Which decisions are the user's (and whether imported ones count)
is the caller's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

KEEP = 1
REJECT = 0


@dataclass(frozen=True)
class KeepRule:
    keep_rating: int = 3  # this many stars or more is a keep
    reject_rating: int = 1  # from 1 to this many stars is a reject (0 stars: not rated)

    def __post_init__(self) -> None:
        if not 1 <= self.reject_rating < self.keep_rating <= 5:
            raise ValueError(f"need 1 <= reject_rating < keep_rating <= 5, got reject_rating "
                             f"{self.reject_rating} and keep_rating {self.keep_rating}")


def keep_or_reject(flag: str | None, flag_source: str | None, rating: int, rule: KeepRule = KeepRule()) -> int | None:
    """KEEP, REJECT, or None when the decision says neither (no user flag, and a middle or no rating)."""
    if flag_source == "user" and flag == "pick":
        return KEEP
    if flag_source == "user" and flag == "reject":
        return REJECT
    if rating >= rule.keep_rating:
        return KEEP
    if 1 <= rating <= rule.reject_rating:
        return REJECT
    return None
