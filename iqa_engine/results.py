"""What the engine returns: frozen dataclasses of plain floats and arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .measures import Measures

# A window in the coordinates of the image the engine scored (after any
# resizing): (left, top, right, bottom), right/bottom exclusive. The global
# view has no box.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ViewScore:
    """The cues of one view (one 224x224 window, or the global view)."""

    box: Box | None
    fused: float
    cosine: float
    magnitude: float
    w_cosine: float
    w_magnitude: float
    # this view's quality dimensions, {name: 0..1, higher is better}; empty when not computed
    dimensions: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PhotoEmbedding:
    """The standard CLIP embedding of one photo without its score (Engine.embed_paths)."""

    clip_embedding: np.ndarray = field(repr=False, compare=False)  # L2-normalised float32
    clip_fingerprint: str
    perceptual_hash: int
    original_size: tuple[int, int]


@dataclass(frozen=True)
class PhotoScore:
    """MA-CLIP's result for one photo.

    `score` is the value of the configured mode (fused by default); the three
    cues are always reported so a catalog can re-rank without rescoring.

    With method "qualiclip" there is one view (the whole photo): fused and
    cosine are QualiCLIP's score, magnitude is the magnitude cue of that view
    for reference, and w_cosine = 1, w_magnitude = 0.

    `dimensions` are the mean over the views of each view's dimensions, and
    `dimensions_fingerprint` identifies what produced them (separate from
    `fingerprint`, which covers the score). `measures` are the classic
    measurements of the image the views were cut from (measures.measure);
    their focus windows are boxes in `measures.size` coordinates, which equal
    `scored_size` except under the spaq protocol (measured at up to 1024 px,
    scored at 448x448). Both are empty/None when the engine ran without reasons.
    """

    score: float
    fused: float
    cosine: float
    magnitude: float
    w_cosine: float
    w_magnitude: float
    mode: str
    protocol: str
    model: str
    fingerprint: str
    views: tuple[ViewScore, ...]
    scored_size: tuple[int, int]  # (width, height) the windows' boxes refer to
    original_size: tuple[int, int]  # (width, height) of the upright decoded photo
    # L2-normalised feature of MA-CLIP's global view (the whole photo squashed to
    # 224x224; for a ResNet, pooled without the positional embedding), float32;
    # for burst grouping.
    embedding: np.ndarray = field(repr=False, compare=False)
    decode_source: str = "image"  # "image", "raw-preview", "raw-demosaic", "heif"
    elapsed_ms: float = 0.0  # decode (with views, measurements and the embedding's view) + this photo's share of the forward pass
    method: str = "maclip"
    dimensions: dict[str, float] = field(default_factory=dict)
    dimensions_fingerprint: str | None = None
    measures: Measures | None = None
    reasons_ms: float = 0.0  # of elapsed_ms, what the dimensions and measurements took
    # The standard CLIP image embedding (open_clip's preprocessing and encode_image, as
    # CLIP was trained), L2-normalised float32; for search, keywords and duplicates.
    # None when the engine was configured without it.
    clip_embedding: np.ndarray | None = field(default=None, repr=False, compare=False)
    clip_fingerprint: str | None = None  # what produced clip_embedding (iqa_engine.config.clip_fingerprint)
    perceptual_hash: int | None = None  # 64-bit dHash of the decoded photo (iqa_engine.perceptual)

    @property
    def n_views(self) -> int:
        return len(self.views)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (without per-view detail or the embedding)."""
        return {
            "score": self.score,
            "fused": self.fused,
            "cosine": self.cosine,
            "magnitude": self.magnitude,
            "w_cosine": self.w_cosine,
            "w_magnitude": self.w_magnitude,
            "views": self.n_views,
            "protocol": self.protocol,
            "mode": self.mode,
            "model": self.model,
            "method": self.method,
            "fingerprint": self.fingerprint,
            "dimensions": dict(self.dimensions),
            "measures": self.measures.scalars() if self.measures is not None else {},
        }
