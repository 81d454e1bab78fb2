"""The session's undo history of gallery decisions. No Qt here: the catalog worker keeps it on its thread,
in the same order as the edits it runs, so Ctrl+Z always undoes the last edit that reached the catalog.

A step holds the decisions rows of the shots it touched, before and after, exactly as
stored (curator.catalog.DecisionState): undo writes `before` back, redo writes `after`,
each in one catalog transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curator.catalog import DecisionState


@dataclass(frozen=True)
class UndoStep:
    label: str  # what the status bar names: "reject 3 frames of the burst of IMG_2010.jpg"
    before: tuple[DecisionState, ...]
    after: tuple[DecisionState, ...]

    @property
    def photo_ids(self) -> tuple[int, ...]:
        return tuple(s.photo_id for s in self.before)


class UndoHistory:
    """Undo and redo stacks for the session. A new step clears what was undone (as every editor does)."""

    def __init__(self) -> None:
        self._done: list[UndoStep] = []
        self._undone: list[UndoStep] = []

    def push(self, step: UndoStep) -> bool:
        """Record a step; one that changed nothing is not worth an undo and is dropped (False)."""
        if step.before == step.after:
            return False
        self._done.append(step)
        self._undone.clear()
        return True

    def undo(self) -> UndoStep | None:
        if not self._done:
            return None
        step = self._done.pop()
        self._undone.append(step)
        return step

    def redo(self) -> UndoStep | None:
        if not self._undone:
            return None
        step = self._undone.pop()
        self._done.append(step)
        return step

    def __len__(self) -> int:
        return len(self._done)


def decision_label(changes: dict[str, Any], names: list[str]) -> str:
    """"pick IMG_0001.jpg", "3 stars on 4 photos", "label Red on IMG_0002.jpg"."""
    what = []
    if "flag" in changes:
        what.append({"pick": "pick", "reject": "reject"}.get(changes["flag"] or "", "unflag"))
    if "rating" in changes:
        n = int(changes["rating"] or 0)
        what.append("clear the rating" if n == 0 else f"{n} star{'s' if n != 1 else ''}")
    if "label" in changes:
        what.append(f"label {changes['label']}" if changes["label"] else "clear the label")
    action = ", ".join(what) or "decision"
    target = names[0] if len(names) == 1 else f"{len(names)} photos"
    joiner = " " if what and what[0] in ("pick", "reject", "unflag") else " on "
    return action + joiner + target
