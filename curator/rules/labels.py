"""Colour labels: the five Lightroom colours, and the one normaliser every reader of a label uses."""

from __future__ import annotations

from typing import Any

LABELS = ("Red", "Yellow", "Green", "Blue", "Purple")  # Lightroom's colour labels, in its order


def canonical_label(text: str | None) -> str | None:
    """The colour word spelled as LABELS spells it ('green ' -> 'Green'); None for an unknown word."""
    if not isinstance(text, str):
        return None
    word = text.strip().casefold()
    return next((known for known in LABELS if known.casefold() == word), None)


def normalise_label(label: Any) -> str | None:
    """A label as stored: a colour word from LABELS, or None for none / '' / 'none'.

    Raises ValueError (with a message a user can act on) for anything else.
    """
    if label is None or (isinstance(label, str) and label.strip().lower() in ("", "none")):
        return None
    if not isinstance(label, str):
        raise ValueError(f"label must be a colour word, not {label!r}")
    known = canonical_label(label)
    if known is None:
        raise ValueError(f"unknown label {label!r}; choose one of: {', '.join(LABELS)} or none")
    return known
