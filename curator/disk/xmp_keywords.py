"""Reasons and subjects as XMP keywords: which dc:subject and lr:hierarchicalSubject entries curator adds
and removes.

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
- In ``lr:hierarchicalSubject`` only entries under ``curator|reason|`` and
  ``curator|subject|`` and the one entry ``curator|weak`` are curator's.

Subjects (``xmp write --keywords``: curator tags' keywords) go the same way:
the word in ``dc:subject``, ``curator|subject|WORD`` in the tree (a ``|`` in
a keyword becomes ``/`` there, since ``|`` separates levels).

A photo the auto flag policy found weak (a machine verdict, not the user's)
gets the keyword ``weak`` in ``dc:subject`` and ``curator|weak`` in
``lr:hierarchicalSubject`` (curator.disk.xmp's default ``machine = "keyword"``), so
it can be filtered on without looking like the photographer's own reject.

Pure functions over the values exiv2 read (pyexiv2's read_xmp: a bag is a
list of strings); curator.disk.xmp applies the changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

KEY_SUBJECT = "Xmp.dc.subject"
KEY_HIERARCHY = "Xmp.lr.hierarchicalSubject"
KEY_OUR_KEYWORDS = "Xmp.curator.Keywords"  # comma-separated dc:subject words curator added
HIERARCHY_PREFIX = "curator|reason|"
SUBJECT_PREFIX = "curator|subject|"
WEAK_WORD = "weak"
WEAK_HIERARCHY = "curator|weak"

# A change is a string (a simple property), None (remove the property) or a
# tuple of strings (the items of a bag, in order).
Change = str | tuple[str, ...] | None


def _bag(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # a lone keyword written as a simple property by some tool
        return [value] if value and not value.startswith("type=") else []
    return [str(v) for v in value]


def _ours_in_hierarchy(entry: str) -> bool:
    return entry.startswith((HIERARCHY_PREFIX, SUBJECT_PREFIX)) or entry == WEAK_HIERARCHY


def _ours_listed(value: Any) -> list[str]:
    """curator:Keywords as written: comma-separated text (or, from older writes, a list)."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [w for w in str(value or "").split(",") if w]


def keyword_changes(values: Mapping[str, Any], reasons: Sequence[str] | None,
                    weak: bool | None = None, subjects: Sequence[str] | None = None) -> dict[str, Change]:
    """The changes that make a sidecar's keywords carry exactly `reasons`, `subjects` (and the weak
    keyword when `weak`) as curator's own. None leaves that part as the sidecar has it; all None: no
    change."""
    if reasons is None and weak is None and subjects is None:
        return {}
    changes: dict[str, Change] = {}
    present = _bag(values.get(KEY_SUBJECT))
    ours_before = _ours_listed(values.get(KEY_OUR_KEYWORDS))
    hierarchy = _bag(values.get(KEY_HIERARCHY))
    reasons_now = list(reasons) if reasons is not None else list(reasons_in(values))
    subjects_now = list(subjects) if subjects is not None else list(subjects_in(values))
    weak_now = weak if weak is not None else WEAK_HIERARCHY in hierarchy
    wanted_reasons = list(dict.fromkeys(reasons_now))
    wanted_subjects = list(dict.fromkeys(k.strip() for k in subjects_now if k.strip()))
    wanted = list(dict.fromkeys(wanted_reasons + wanted_subjects + ([WEAK_WORD] if weak_now else [])))
    # drop our words that are no longer wanted; add wanted words not there yet (those become ours)
    kept = [w for w in present if not (w in ours_before and w not in wanted)]
    added = [w for w in wanted if w not in kept]
    new_subjects = kept + added
    ours_after = [w for w in wanted if w in added or (w in ours_before and w in present)]
    if new_subjects != present:
        changes[KEY_SUBJECT] = tuple(new_subjects)
    ours_text = ",".join(ours_after) or None
    if ours_text != (",".join(ours_before) or None):
        changes[KEY_OUR_KEYWORDS] = ours_text
    foreign = [h for h in hierarchy if not _ours_in_hierarchy(h)]
    new_hierarchy = (foreign + [HIERARCHY_PREFIX + w for w in wanted_reasons]
                     + [SUBJECT_PREFIX + k.replace("|", "/") for k in wanted_subjects]
                     + ([WEAK_HIERARCHY] if weak_now else []))
    if new_hierarchy != hierarchy:
        changes[KEY_HIERARCHY] = tuple(new_hierarchy) if new_hierarchy else None
    return changes


def is_marked_weak(values: Mapping[str, Any]) -> bool:
    """Whether a sidecar carries curator's weak keyword (curator|weak)."""
    return WEAK_HIERARCHY in _bag(values.get(KEY_HIERARCHY))


def reasons_in(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The reasons a sidecar carries under curator|reason| (as written by keyword_changes)."""
    return tuple(h[len(HIERARCHY_PREFIX):] for h in _bag(values.get(KEY_HIERARCHY))
                 if h.startswith(HIERARCHY_PREFIX))


def subjects_in(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The subjects (curator tags' keywords) a sidecar carries under curator|subject|."""
    return tuple(h[len(SUBJECT_PREFIX):] for h in _bag(values.get(KEY_HIERARCHY))
                 if h.startswith(SUBJECT_PREFIX))


def subject_words_changed(values: Mapping[str, Any], changes: Mapping[str, Change]
                          ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(dc:subject words added, words removed) by `changes`: what a dry run lists per file."""
    if KEY_SUBJECT not in changes:
        return (), ()
    before = _bag(values.get(KEY_SUBJECT))
    after = list(changes[KEY_SUBJECT] or ())
    return tuple(w for w in after if w not in before), tuple(w for w in before if w not in after)
