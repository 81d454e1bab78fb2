"""`curator bench tags`: precision and recall at k of the keywords against a labelled set.

The labels file is a CSV with a header naming a path column and a label column (`path,label`);
a photo with several labels has one row per label (or labels joined by ";" in one cell). Paths
are relative to the file's folder unless --root says otherwise.

For each photo the vocabulary's terms are ranked by confidence (iqa_engine.keywords), and:

- precision@k = |top k terms ∩ labels| / k, recall@k = |top k terms ∩ labels| / |labels|,
  averaged over the photos, for each k asked for;
- the rule's own choice (threshold, top-k, margin from the settings) gets the same two figures
  with its chosen set in place of the top k (precision is 0 for a photo given no keyword, and
  is averaged over the photos given at least one; "tagged" says how many).

Labels are compared case-insensitively with the vocabulary's keywords; labels the vocabulary
does not contain are listed, since no ranking can find them (pass them as extra terms).
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from iqa_engine.keywords import KeywordRule, TermFeatures, pick_keywords, term_scores

PATH_COLUMNS = ("path", "image", "file", "filename", "img_path")
LABEL_COLUMNS = ("label", "labels", "tag", "tags", "keyword", "class")


class LabelsError(ValueError):
    """A labels file that cannot be read; the message is one line."""


def read_labels(path: Path, root: Path | None = None) -> OrderedDict[Path, frozenset[str]]:
    """{photo path: its labels, case-folded}, in the file's order."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"cannot read labels file {path}: {exc.__class__.__name__}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise LabelsError(f"labels file {path} is empty")
    header = [h.strip().lower() for h in rows[0]]
    try:
        pcol = next(header.index(c) for c in PATH_COLUMNS if c in header)
        lcol = next(header.index(c) for c in LABEL_COLUMNS if c in header)
    except StopIteration:
        raise LabelsError(f"labels file {path} needs a header with a path and a label column "
                          f"(e.g. path,label)") from None
    base = root or path.parent
    out: OrderedDict[Path, set[str]] = OrderedDict()
    for row in rows[1:]:
        if len(row) <= max(pcol, lcol) or not row[pcol].strip():
            continue
        labels = {p.strip().casefold() for p in row[lcol].split(";") if p.strip()}
        out.setdefault(base / row[pcol].strip(), set()).update(labels)
    if not out:
        raise LabelsError(f"labels file {path} has no rows")
    return OrderedDict((p, frozenset(v)) for p, v in out.items())


@dataclass(frozen=True)
class AtK:
    k: int
    precision: float
    recall: float


@dataclass(frozen=True)
class TagsReport:
    photos: int
    ranked: tuple[AtK, ...]  # the top k of the ranking
    rule_precision: float  # over photos given at least one keyword
    rule_recall: float  # over all photos
    tagged: int  # photos the rule gave at least one keyword
    unknown_labels: tuple[str, ...]  # labels the vocabulary does not contain


def evaluate(embeddings: np.ndarray, labels: Sequence[frozenset[str]], features: TermFeatures,
             rule: KeywordRule, ks: Sequence[int] = (1, 3, 5)) -> TagsReport:
    """The figures for photos whose (L2-normalised) embeddings are the rows, labels in the same order."""
    if len(labels) == 0:
        raise ValueError("no photos to evaluate")
    keywords = [k.casefold() for k in features.keywords]
    conf, _ = term_scores(embeddings, features)
    order = np.argsort(-conf, axis=1, kind="stable")
    ranked = []
    for k in ks:
        hits = [len({keywords[j] for j in order[i, :k]} & labels[i]) for i in range(len(labels))]
        ranked.append(AtK(k, float(np.mean([h / k for h in hits])),
                          float(np.mean([h / len(lab) for h, lab in zip(hits, labels, strict=True)]))))
    chosen = [{kw.keyword.casefold() for kw in row} for row in pick_keywords(embeddings, features, rule)]
    tagged = [i for i, c in enumerate(chosen) if c]
    rule_precision = float(np.mean([len(chosen[i] & labels[i]) / len(chosen[i]) for i in tagged])) if tagged else 0.0
    rule_recall = float(np.mean([len(c & lab) / len(lab) for c, lab in zip(chosen, labels, strict=True)]))
    vocab = set(keywords)
    unknown = tuple(sorted({lab for labs in labels for lab in labs} - vocab))
    return TagsReport(len(labels), tuple(ranked), rule_precision, rule_recall, len(tagged), unknown)


def format_report(r: TagsReport, rule: KeywordRule, failed: int = 0) -> str:
    lines = [f"curator bench tags: {r.photos} labelled photos" + (f" ({failed} could not be read)" if failed else "")]
    lines += [f"  top {a.k:<2} precision {a.precision:.3f}  recall {a.recall:.3f}" for a in r.ranked]
    lines.append(f"  rule (top {rule.top_k}, threshold {rule.threshold:g}, margin {rule.margin:g}): "
                 f"precision {r.rule_precision:.3f}  recall {r.rule_recall:.3f}  ({r.tagged} of {r.photos} tagged)")
    if r.unknown_labels:
        shown = ", ".join(r.unknown_labels[:10]) + (" ..." if len(r.unknown_labels) > 10 else "")
        lines.append(f"  {len(r.unknown_labels)} labels are not in the vocabulary (add them as terms): {shown}")
    return "\n".join(lines)
