"""Zero-shot keywords: a vocabulary as data, its prompt-ensembled text features, and the rule
that picks a photo's keywords from its standard CLIP embedding.

Prompt ensembling as in Radford et al., "Learning Transferable Visual Models From Natural
Language Supervision" (ICML 2021, section 3.1.4): each term's phrase is put into several
templates, each prompt is embedded and L2-normalised, the mean is L2-normalised again.

The rule (documented in docs/guide/keywords.md, thresholds are settings). For a photo's embedding e and
each term t, with s_t = cos(e, term t) and s_0 = cos(e, the neutral prompt, "a photo of
something" through the same templates):

- confidence_t = softmax over the vocabulary's terms of logit_scale * s_t (CLIP's zero-shot
  probability, with the model's own logit scale);
- a term is kept when it is among the ``top_k`` most confident, its confidence is at least
  ``threshold``, and it beats the neutral prompt by at least ``margin`` (s_t - s_0 >= margin).

The softmax says which terms win against the others; the margin stops a photo that fits no term
(a blank wall) from being tagged with whichever term loses least.

This module is numpy only: text encoding is passed in (Engine.encode_texts), so the catalog and
the command line can apply the rule to stored embeddings without loading torch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

TEMPLATES: tuple[str, ...] = (
    "a photo of {}.",
    "a close-up photo of {}.",
    "a photo showing {}.",
    "a good photo of {}.",
    "a bright photo of {}.",
    "a dark photo of {}.",
    "a cropped photo of {}.",
    "an image of {}.",
)
NEUTRAL_PHRASE = "something"
DEFAULT_TOP_K = 5
DEFAULT_THRESHOLD = 0.05
DEFAULT_MARGIN = 0.0

Encode = Callable[[Sequence[str]], np.ndarray]  # texts -> (n, D) L2-normalised float32


class VocabularyError(ValueError):
    """A vocabulary file that cannot be read or has no terms (message is one line)."""


@dataclass(frozen=True)
class Term:
    keyword: str  # what is written to XMP and shown
    phrase: str  # what goes into the prompts


@dataclass(frozen=True)
class Vocabulary:
    terms: tuple[Term, ...]
    templates: tuple[str, ...] = TEMPLATES
    neutral: str = NEUTRAL_PHRASE

    @property
    def keywords(self) -> tuple[str, ...]:
        return tuple(t.keyword for t in self.terms)

    @property
    def fingerprint(self) -> str:
        """Changes whenever a keyword, a phrase, a template or the neutral prompt does."""
        payload = {"terms": [[t.keyword, t.phrase] for t in self.terms], "templates": list(self.templates),
                   "neutral": self.neutral}
        blob = json.dumps(payload, separators=(",", ":")).encode()
        return "vocab-" + hashlib.sha256(blob).hexdigest()[:16]


def parse_terms(lines: Iterable[str]) -> list[Term]:
    """'keyword' or 'keyword = phrase' per line; '#' starts a comment line; blank lines are skipped."""
    terms: list[Term] = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, phrase = line.partition("=")
        keyword, phrase = keyword.strip(), phrase.strip()
        if keyword:
            terms.append(Term(keyword, phrase or keyword))
    return terms


def default_terms() -> list[Term]:
    text = resources.files("iqa_engine").joinpath("vocabularies/default.txt").read_text(encoding="utf-8")
    return parse_terms(text.splitlines())


def load_vocabulary(path: str | Path | None = None, extra: Sequence[str] = ()) -> Vocabulary:
    """The default vocabulary (or the file at path instead), plus extra terms; a keyword listed
    twice keeps its first phrase."""
    if path is None:
        terms = default_terms()
    else:
        try:
            terms = parse_terms(Path(path).expanduser().read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            raise VocabularyError(f"cannot read vocabulary {path}: {exc.__class__.__name__}") from None
    terms += parse_terms(extra)
    seen: dict[str, Term] = {}
    for t in terms:
        seen.setdefault(t.keyword.casefold(), t)
    if not seen:
        raise VocabularyError(f"vocabulary {path or '(default)'} has no terms")
    return Vocabulary(tuple(seen.values()))


@dataclass(frozen=True)
class TermFeatures:
    """A vocabulary's ensembled text embeddings for one engine (computed once, then reused)."""

    vocabulary_fingerprint: str
    clip_fingerprint: str
    keywords: tuple[str, ...]
    matrix: np.ndarray = field(repr=False, compare=False)  # (T, D) float32, rows L2-normalised
    neutral: np.ndarray = field(repr=False, compare=False)  # (D,) float32, L2-normalised
    logit_scale: float = 100.0  # exp of the model's learned temperature


def ensembled(encode: Encode, phrases: Sequence[str], templates: Sequence[str]) -> np.ndarray:
    """(len(phrases), D): each phrase's prompts embedded, averaged, renormalised."""
    prompts = [tpl.format(p) for p in phrases for tpl in templates]
    emb = np.asarray(encode(prompts), dtype=np.float32).reshape(len(phrases), len(templates), -1)
    mean = emb.mean(axis=1)
    return (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(np.float32)


def term_features(vocabulary: Vocabulary, encode: Encode, clip_fingerprint: str,
                  logit_scale: float) -> TermFeatures:
    phrases = [t.phrase for t in vocabulary.terms] + [vocabulary.neutral]
    feats = ensembled(encode, phrases, vocabulary.templates)
    return TermFeatures(vocabulary.fingerprint, clip_fingerprint, vocabulary.keywords, feats[:-1], feats[-1],
                        float(logit_scale))


@dataclass(frozen=True)
class KeywordRule:
    top_k: int = DEFAULT_TOP_K
    threshold: float = DEFAULT_THRESHOLD  # minimum softmax confidence
    margin: float = DEFAULT_MARGIN  # minimum cosine over the neutral prompt

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must be between 0 and 1")


@dataclass(frozen=True)
class Keyword:
    keyword: str
    confidence: float  # softmax probability among the vocabulary's terms
    margin: float  # cosine over the neutral prompt


def term_scores(embeddings: np.ndarray, features: TermFeatures) -> tuple[np.ndarray, np.ndarray]:
    """(confidence (N, T), margin (N, T)) for N L2-normalised embeddings."""
    e = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
    sims = e @ features.matrix.T
    margin = sims - (e @ features.neutral)[:, None]
    logits = features.logit_scale * sims
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True), margin


def pick_keywords(embeddings: np.ndarray, features: TermFeatures,
                  rule: KeywordRule = KeywordRule()) -> list[tuple[Keyword, ...]]:
    """Each photo's keywords under the rule, most confident first."""
    conf, margin = term_scores(embeddings, features)
    k = min(rule.top_k, conf.shape[1])
    top = np.argsort(-conf, axis=1, kind="stable")[:, :k]
    out: list[tuple[Keyword, ...]] = []
    for row, idx in enumerate(top):
        out.append(tuple(Keyword(features.keywords[j], float(conf[row, j]), float(margin[row, j]))
                         for j in idx if conf[row, j] >= rule.threshold and margin[row, j] >= rule.margin))
    return out
