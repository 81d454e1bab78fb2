"""The catalog: one SQLite file (WAL) holding photos, EXIF, scores, embeddings and decisions.

This package is the only code that speaks SQL (through sqlite-utils over our
own sqlite3 connections). Everything else hands it plain records
(curator.catalog.records) and gets plain records back. It holds no policy:
what to flag, which frames form a burst and which to keep are
curator.actions.culling's, which calls the primitives here inside one transaction.

One module per question:
  connection  opening, one connection per thread, transactions, the stored flag policy
  schema      the schema version and its migrations
  records     the dataclasses handed in and out
  sql         SQL written once (latest score, the shot of a file, scope and IN (...) clauses)
  paths       file paths to catalog text and back, exactly (names that are not valid UTF-8)
  queue       walk results in, pending photos out, moves and deletions
  recording   outcomes, scores, EXIF, runs
  decisions   flags, stars and labels, and the policy's write primitives
  pairs       RAW+JPEG pairs as one shot
  sidecars    XMP sidecar bookkeeping and imported decisions
  quality     each shot's dimensions, measurements and reasons
  reading     gallery rows, a photo's detail, lookups
  summary     counts, distributions and the export
  taste       the taste model's records, each shot's taste value, and what training reads
  embeddings  standard CLIP embeddings (search, keywords, duplicates) and vocabularies' text features
  errors      CatalogError and its typed kinds (busy, read-only, damaged, missing)
"""

from __future__ import annotations

from curator.catalog.connection import CatalogBase
from curator.catalog.decisions import DecisionsMixin
from curator.catalog.embeddings import EmbeddingsMixin
from curator.catalog.errors import (
    BUSY_TIMEOUT_MS,
    CatalogBusy,
    CatalogDamaged,
    CatalogError,
    CatalogMissing,
    CatalogReadOnly,
)
from curator.catalog.quality import QualityMixin
from curator.catalog.queue import QueueMixin
from curator.catalog.reading import WEAK_SQL, ReadingMixin
from curator.catalog.recording import RecordingMixin
from curator.catalog.records import (
    CURRENT_KINDS,
    FLAG_SOURCES,
    FLAGS,
    OUTCOME_KINDS,
    SORTS,
    STATUSES,
    UNCHANGED,
    DecisionState,
    ClipEmbedding,
    DuplicateRow,
    EmbeddingMatrix,
    FileEntry,
    FileStat,
    FlagChange,
    FlagRow,
    FrameRow,
    GalleryRow,
    KnownFile,
    Outcome,
    OutcomeKind,
    PendingItem,
    PhotoDetail,
    QualityDetail,
    QualityRecord,
    QualityRow,
    Recorded,
    RunRecord,
    ScoreRecord,
    SidecarImport,
    SidecarMark,
    StoredTasteModel,
    SyncCounts,
    TasteDecision,
    TasteModelRow,
    TermFeaturesRecord,
    Twin,
    ViewRecord,
)
from curator.catalog.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from curator.catalog.sidecars import SidecarsMixin
from curator.catalog.sql import scope_clause
from curator.catalog.summary import SummaryMixin
from curator.catalog.taste import TasteMixin
from curator.rules.labels import LABELS, normalise_label


class Catalog(QueueMixin, RecordingMixin, DecisionsMixin, SidecarsMixin, ReadingMixin, SummaryMixin, TasteMixin,
              QualityMixin, EmbeddingsMixin,
              CatalogBase):
    """A catalog file. Open with Catalog.open(path); close() or use as a context manager."""


__all__ = [
    "APPLICATION_ID", "BUSY_TIMEOUT_MS", "CURRENT_KINDS", "FLAGS", "FLAG_SOURCES", "LABELS", "MIGRATIONS",
    "OUTCOME_KINDS", "SCHEMA_VERSION", "SORTS", "STATUSES", "UNCHANGED", "WEAK_SQL",
    "Catalog", "CatalogBusy", "ClipEmbedding", "DuplicateRow", "EmbeddingMatrix", "TermFeaturesRecord", "CatalogDamaged", "CatalogError", "CatalogMissing", "CatalogReadOnly",
    "DecisionState", "FileEntry", "FileStat", "FlagChange", "FlagRow", "FrameRow", "GalleryRow", "KnownFile", "Outcome",
    "OutcomeKind", "PendingItem", "PhotoDetail", "QualityDetail", "QualityRecord", "QualityRow", "Recorded",
    "RunRecord", "ScoreRecord", "SidecarImport", "SidecarMark", "StoredTasteModel", "SyncCounts", "TasteDecision",
    "TasteModelRow", "Twin", "ViewRecord", "normalise_label", "scope_clause",
]
