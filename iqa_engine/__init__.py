"""iqa_engine: the MA-CLIP no-reference image quality score on open_clip.

Liao et al., "Beyond Cosine Similarity: Magnitude-Aware CLIP for No-Reference
Image Quality Assessment", AAAI 2026, arXiv 2511.09948. QualiCLIP (arXiv
2403.11176) is the second method; quality dimensions and classic
measurements come with every score.

Importing this package is cheap: torch and open_clip load on first use of
Engine (or of the backbone, views and cues modules), so a command line can
answer --help without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import (DEFAULT_PROMPT_PAIRS, METHODS, MODES, PRECISIONS, PROTOCOLS, EngineConfig,
                     dimensions_fingerprint, fingerprint)
from .dimensions import Dimension, default_dimensions
from .errors import EngineError, ImageDecodeError, WeightsUnavailable

if TYPE_CHECKING:
    from .engine import Engine
    from .results import PhotoEmbedding, PhotoScore, ViewScore

__all__ = [
    "DEFAULT_PROMPT_PAIRS", "METHODS", "MODES", "PRECISIONS", "PROTOCOLS", "EngineConfig", "fingerprint",
    "dimensions_fingerprint", "Dimension", "default_dimensions",
    "EngineError", "ImageDecodeError", "WeightsUnavailable", "Engine", "PhotoEmbedding", "PhotoScore", "ViewScore",
]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from .engine import Engine

        return Engine
    if name in ("PhotoEmbedding", "PhotoScore", "ViewScore"):
        from . import results

        return getattr(results, name)
    raise AttributeError(name)
