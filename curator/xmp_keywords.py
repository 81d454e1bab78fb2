"""Reasons as XMP keywords: which dc:subject and lr:hierarchicalSubject entries curator adds and removes.

A reason ``blurry`` becomes the keyword ``blurry`` in ``dc:subject`` (the
Dublin Core keyword bag every application reads) and ``curator|reason|blurry``
in ``lr:hierarchicalSubject`` (Lightroom's keyword tree, also read by
darktable, digiKam and Capture One), so the reasons sit under one
``curator > reason`` branch of the keyword list.

Keywords curator did not write are never removed:

- ``curator:Keywords`` (curator's namespace) lists the ``dc:subject`` words
  curator itself added. Only those are taken back when the reasons change; a
  word that was already there (a person's own ``blurry``) is left alone and
  never listed as ours.
- In ``lr:hierarchicalSubject`` only entries under ``curator|reason|`` are
  curator's.

Pure functions over the values exiv2 read (pyexiv2's read_xmp: a bag is a
list of strings); curator.xmp applies the changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

KEY_SUBJECT = "Xmp.dc.subject"
KEY_HIERARCHY = "Xmp.lr.hierarchicalSubject"
KEY_OUR_KEYWORDS = "Xmp.curator.Keywords"  # comma-separated dc:subject words curator added
HIERARCHY_PREFIX = "curator|reason|"

# A change is a string (a simple property), None (remove the property) or a
# tuple of strings (the items of a bag, in order).
Change = str | tuple[str, ...] | None


def _bag(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # a lone keyword written as a simple property by some tool
        return [value] if value and not value.startswith("type=") else []
    return [str(v) for v in value]


def keyword_changes(values: Mapping[str, Any], reasons: Sequence[str]) -> dict[str, Change]:
    """The changes that make a sidecar's keywords carry exactly `reasons` as curator's own."""
    changes: dict[str, Change] = {}
    subjects = _bag(values.get(KEY_SUBJECT))
    ours_before = [w for w in str(values.get(KEY_OUR_KEYWORDS) or "").split(",") if w]
    wanted = list(dict.fromkeys(reasons))
    # drop our words that are no longer reasons; add reasons not there yet (those become ours)
    kept = [w for w in subjects if not (w in ours_before and w not in wanted)]
    added = [w for w in wanted if w not in kept]
    new_subjects = kept + added
    ours_after = [w for w in wanted if w in added or (w in ours_before and w in subjects)]
    if new_subjects != subjects:
        changes[KEY_SUBJECT] = tuple(new_subjects)
    ours_text = ",".join(ours_after) or None
    if ours_text != (",".join(ours_before) or None):
        changes[KEY_OUR_KEYWORDS] = ours_text
    hierarchy = _bag(values.get(KEY_HIERARCHY))
    foreign = [h for h in hierarchy if not h.startswith(HIERARCHY_PREFIX)]
    new_hierarchy = foreign + [HIERARCHY_PREFIX + w for w in wanted]
    if new_hierarchy != hierarchy:
        changes[KEY_HIERARCHY] = tuple(new_hierarchy) if new_hierarchy else None
    return changes


def reasons_in(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The reasons a sidecar carries under curator|reason| (as written by keyword_changes)."""
    return tuple(h[len(HIERARCHY_PREFIX):] for h in _bag(values.get(KEY_HIERARCHY))
                 if h.startswith(HIERARCHY_PREFIX))
