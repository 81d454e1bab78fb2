"""Learning the user's taste from the catalog, and keeping every photo's taste value current.

The policy between the catalog (which stores decisions, features, the model
record and the taste values) and curator.taste (which trains and applies):

- `learn` reads the user's own decisions (never auto flags; decisions imported
  from XMP sidecars only when asked), labels them (curator.taste.keeps),
  trains on the features stored with the latest engine's scores, and saves
  the model record together with a taste value for every photo that engine
  scored, in one transaction. A refusal (too few decisions, one class, no
  embeddings) raises TasteError before anything is written.
- `refresh` gives newly scored photos their taste value, when the stored
  model was trained on the engine that scored them; a model from another
  engine is never applied (TasteModelStale says to retrain).
- `Retrainer` is what `watch` runs: it retrains after every N new decisions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from curator.catalog.records import TasteModelRow
from curator.errors import UserError
from curator.taste import (KeepRule, TasteError, TasteModel, TasteModelStale, TrainOptions, check_applicable,
                           feature_table, keep_or_reject, predict, train)

if TYPE_CHECKING:
    from curator.catalog import Catalog
    from curator.settings import Settings


@dataclass(frozen=True)
class LearnReport:
    model_id: int
    model: TasteModel
    applied: int  # photos given a taste value


def taste_options(settings: Settings) -> tuple[KeepRule, TrainOptions]:
    """The [taste] settings as the rule that reads decisions and the training options."""
    try:
        return (KeepRule(keep_rating=settings.taste_keep_rating, reject_rating=settings.taste_reject_rating),
                TrainOptions(min_per_class=settings.taste_min_per_class))
    except ValueError as exc:
        raise TasteError(f"bad [taste] setting: {exc}") from None


def learn(catalog: Catalog, *, rule: KeepRule = KeepRule(), options: TrainOptions = TrainOptions(),
          include_imported: bool = False, under: str | None = None, now: float | None = None) -> LearnReport:
    """Train on the user's decisions (on photos under `under`, if given) and store the model and every
    photo's taste value."""
    engines = catalog.fingerprints()
    if not engines:
        raise TasteError("no photo has been scored yet; score some first (curator scan)")
    fingerprint = engines[0][0]  # the engine that scored last: the one whose features new photos get
    labels = {}
    for d in catalog.taste_decisions(include_imported=include_imported, under=under):
        label = keep_or_reject(d.flag, d.flag_source, d.rating, rule)
        if label is not None:
            labels[d.photo_id] = label
    if not labels:
        raise TasteError(f"no decisions to learn from yet: pick or reject photos (or rate them), at least "
                         f"{options.min_per_class} keeps and {options.min_per_class} rejects")
    ids, inputs = catalog.taste_features(fingerprint, photo_ids=sorted(labels))
    y = np.array([labels[int(i)] for i in ids], dtype=np.int64)
    model = train(feature_table(inputs), y, fingerprint=fingerprint, options=options, now=now)
    all_ids, all_inputs = catalog.taste_features(fingerprint)
    values = predict(model, feature_table(all_inputs))
    model_id = catalog.save_taste_model(
        TasteModelRow(fingerprint=fingerprint, trained_at=model.trained_at, n_positive=model.n_positive,
                      n_negative=model.n_negative, auc=model.metrics.auc, baseline_auc=model.metrics.baseline_auc,
                      record=model.to_json()),
        values=list(zip(map(int, all_ids), map(float, values), strict=True)))
    return LearnReport(model_id, model, len(all_ids))


@dataclass(frozen=True)
class ModelSummary:
    model_id: int
    model: TasteModel
    current_fingerprint: str | None  # the engine of the catalog's latest scores
    applicable: bool  # trained on that engine
    photos_with_taste: int


def show(catalog: Catalog) -> ModelSummary:
    """The stored model, and whether it fits the catalog's latest engine (`curator learn --show`)."""
    current = stored_model(catalog)
    if current is None:
        raise TasteError("no taste model yet; train one with `curator learn`")
    model_id, model = current
    engines = catalog.fingerprints()
    latest = engines[0][0] if engines else None
    return ModelSummary(model_id, model, latest, latest is None or latest == model.fingerprint,
                        catalog.taste_count())


def stored_model(catalog: Catalog) -> tuple[int, TasteModel] | None:
    """The current model (its id and record), or None when none was trained."""
    stored = catalog.taste_model()
    if stored is None:
        return None
    return stored.model_id, TasteModel.from_json(stored.record)


def check_taste_basis(catalog: Catalog) -> None:
    """Refuse to flag by taste without a model, or with one trained on another engine than the one
    that scored the catalog last (new photos would get no taste value, so none could be flagged)."""
    summary = show(catalog)
    if not summary.applicable:
        raise TasteModelStale("the taste model was trained on another engine's scores; run `curator learn` "
                              "again before flagging by taste")


def refresh(catalog: Catalog, photo_ids: Sequence[int], fingerprint: str) -> int:
    """Give photos just scored by the engine `fingerprint` their taste value; returns how many got one.

    Raises TasteModelStale when the stored model was trained on another engine (nothing is written).
    """
    current = stored_model(catalog)
    if current is None or not photo_ids:
        return 0
    model_id, model = current
    check_applicable(model, fingerprint)
    ids, inputs = catalog.taste_features(fingerprint, photo_ids=list(photo_ids))
    if len(ids) == 0:
        return 0
    values = predict(model, feature_table(inputs))
    return catalog.write_taste_values(model_id, list(zip(map(int, ids), map(float, values), strict=True)))


class Retrainer:
    """Retrains the taste model in a background thread after every `every` new decisions (watch).

    Only a model the user trained (`curator learn`) is retrained: watch never starts one on its own.
    `poke()` is cheap and may be called as often as the caller likes (after each recorded batch);
    it counts the user's decisions made since the model was trained (or since the last attempt)
    and starts one training at a time when there are enough. A refusal is reported through `say`
    and tried again after the next `every` decisions.
    """

    def __init__(self, open_catalog: Callable[[], Catalog], *, every: int, say: Callable[[str], None],
                 rule: KeepRule = KeepRule(), options: TrainOptions = TrainOptions(),
                 include_imported: bool = False, on_trained: Callable[[Catalog], None] | None = None) -> None:
        if every < 1:
            raise ValueError("every must be at least 1")
        self._open = open_catalog
        self._every = every
        self._say = say
        self._rule, self._options, self._include_imported = rule, options, include_imported
        self._on_trained = on_trained  # e.g. recompute flags ranked by taste, with the new values
        self._last_attempt = 0.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.trained = 0  # models trained since start (for status lines and tests)

    def poke(self, catalog: Catalog) -> bool:
        """Start a retraining if enough new decisions were made; returns whether one started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            current = catalog.taste_model()
            if current is None:
                return False
            since = max(self._last_attempt, current.trained_at)
            if catalog.taste_decisions_since(since, include_imported=self._include_imported) < self._every:
                return False
            self._last_attempt = time.time()
            self._thread = threading.Thread(target=self._run, name="curator-taste", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        try:
            with self._open() as catalog:
                report = learn(catalog, rule=self._rule, options=self._options,
                               include_imported=self._include_imported)
                if self._on_trained is not None:
                    self._on_trained(catalog)
            self.trained += 1
            m = report.model.metrics
            self._say(f"taste model retrained on {report.model.n_train} decisions: AUC {m.auc:.3f} "
                      f"(fused score {m.baseline_auc:.3f}); {report.applied} photos rated")
        except UserError as exc:  # a refusal (TasteError) or a catalog it could not write (CatalogError)
            self._say(f"taste model not retrained: {exc}")


__all__ = ["LearnReport", "ModelSummary", "Retrainer", "TasteModelStale", "check_taste_basis", "learn", "refresh",
           "show", "stored_model", "taste_options"]
