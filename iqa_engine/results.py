"""What the engine returns: frozen dataclasses of plain floats and arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    elapsed_ms: float = 0.0  # decode + this photo's share of the batched forward pass
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
            "fingerprint": self.fingerprint,
        }
