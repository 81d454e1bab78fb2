"""Photos' keywords from their stored embeddings: the vocabulary and rule from the settings, and the
vocabulary's text features, computed once per vocabulary and engine and kept in the catalog.

Keywords are not stored per photo: they are derived on demand (a matrix product over stored
embeddings), so a new threshold or vocabulary applies at once to every photo, with no rescan.
Only the text features need the model, once per vocabulary and engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from curator.catalog import Catalog, TermFeaturesRecord
from curator.errors import UserError
from curator.settings import Settings
from iqa_engine.keywords import (
    Keyword,
    KeywordRule,
    TermFeatures,
    Vocabulary,
    pick_keywords,
    term_features,
)

if TYPE_CHECKING:
    from iqa_engine import Engine

NO_EMBEDDINGS = ("no photo in the catalog has a CLIP embedding yet: run `curator scan DIR` "
                 "(or `curator scan --embeddings-only DIR` for photos scored before embeddings existed)")


@dataclass(frozen=True)
class Tagger:
    """The vocabulary's features for one engine, and the rule: what turns embeddings into keywords."""

    features: TermFeatures
    rule: KeywordRule

    @property
    def clip_fingerprint(self) -> str:
        return self.features.clip_fingerprint

    def keywords(self, embeddings: np.ndarray) -> list[tuple[Keyword, ...]]:
        return pick_keywords(embeddings, self.features, self.rule)

    def for_photos(self, catalog: Catalog, photo_ids: Sequence[int]) -> dict[int, tuple[Keyword, ...]]:
        """{photo id: its keywords} for the photos with an embedding from this engine."""
        stored = catalog.clip_embedding_matrix(self.clip_fingerprint, photo_ids=list(photo_ids))
        if not stored.photo_ids:
            return {}
        return dict(zip(stored.photo_ids, self.keywords(stored.vectors.astype(np.float32)), strict=True))


def main_clip_fingerprint(catalog: Catalog) -> str | None:
    """The engine most embeddings in the catalog come from (None when there are none)."""
    stored = catalog.clip_fingerprints()
    return stored[0][0] if stored else None


def tagger(catalog: Catalog, settings: Settings, *, engine: Engine | None = None,
           load_engine: Callable[[], Engine] | None = None) -> Tagger:
    """The tagger for the catalog's embeddings: cached text features when the catalog has them for this
    vocabulary and engine, else computed with the engine (given, or loaded) and stored.

    Without an engine, the engine is the one most embeddings come from; with one, its own."""
    vocabulary = settings.vocabulary()
    rule = settings.keyword_rule()
    fingerprint = engine.clip_fingerprint if engine is not None else main_clip_fingerprint(catalog)
    if fingerprint is not None:
        cached = catalog.term_features(vocabulary.fingerprint, fingerprint)
        if cached is not None and cached.keywords == vocabulary.keywords:
            return Tagger(_features(cached), rule)
    if engine is None:
        if fingerprint is None:
            raise UserError(NO_EMBEDDINGS)
        if load_engine is None:
            from curator.actions.engine_loading import load_engine as load

            engine = load(settings)
        else:
            engine = load_engine()
    return Tagger(store_features(catalog, vocabulary, engine), rule)


def cached_tagger(catalog: Catalog, settings: Settings) -> Tagger | None:
    """The tagger when the catalog already has the vocabulary's features for its main engine; None
    otherwise (never loads a model: for views that must stay light, like the gallery's detail pane)."""
    fingerprint = main_clip_fingerprint(catalog)
    if fingerprint is None:
        return None
    vocabulary = settings.vocabulary()
    cached = catalog.term_features(vocabulary.fingerprint, fingerprint)
    if cached is None or cached.keywords != vocabulary.keywords:
        return None
    return Tagger(_features(cached), settings.keyword_rule())


def store_features(catalog: Catalog, vocabulary: Vocabulary, engine: Engine) -> TermFeatures:
    """Compute a vocabulary's text features with the engine and keep them in the catalog."""
    scale = float(engine.backbone.logit_scale().exp())
    features = term_features(vocabulary, engine.encode_texts, engine.clip_fingerprint, scale)
    catalog.put_term_features(TermFeaturesRecord(features.vocabulary_fingerprint, features.clip_fingerprint,
                                                 features.keywords, features.matrix, features.neutral,
                                                 features.logit_scale))
    return features


def _features(r: TermFeaturesRecord) -> TermFeatures:
    return TermFeatures(r.vocabulary, r.clip_fingerprint, r.keywords, r.matrix, r.neutral, r.logit_scale)


def keywords_or_note(catalog: Catalog, settings: Settings,
                     photo_ids: Sequence[int]) -> tuple[dict[int, tuple[Keyword, ...]], str]:
    """({photo id: keywords}, "") for `list --json` and `export`; ({}, why) when the keywords cannot be
    had (no model to compute a new vocabulary's features, a bad vocabulary file). A catalog with no
    embeddings gives ({}, "") without loading anything."""
    from curator.settings import SettingsError
    from iqa_engine.errors import EngineError

    if main_clip_fingerprint(catalog) is None:
        return {}, ""
    try:
        return tagger(catalog, settings).for_photos(catalog, photo_ids), ""
    except (EngineError, SettingsError, UserError) as exc:
        return {}, f"keywords left out: {str(exc).splitlines()[0]}"


def keyword_dicts(keywords: Sequence[Keyword]) -> list[dict[str, object]]:
    """A photo's keywords as JSON-ready dicts."""
    return [{"keyword": k.keyword, "confidence": round(k.confidence, 4)} for k in keywords]
