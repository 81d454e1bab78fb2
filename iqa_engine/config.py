"""Engine options as data: one frozen dataclass, and the fingerprint derived from it.

Defaults are the MA-CLIP paper's (Liao et al., AAAI 2026, arXiv 2511.09948):
RN50 with OpenAI weights, the KonIQ protocol, Box-Cox lambda 0.5, base weights
1.0 / 0.6 and alpha 1.0, and the five CLIP-IQA antonym prompt pairs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .activation import ACTIVATIONS
from .dimensions import Dimension, default_dimensions, dimensions_payload, short_hash

# The antonym pairs of CLIP-IQA as used by MA-CLIP, positive first. Order and
# spelling matter: they are tokenised as written.
DEFAULT_PROMPT_PAIRS: tuple[tuple[str, str], ...] = (
    ("Good image", "bad image"),
    ("Sharp image", "blurry image"),
    ("sharp edges", "blurry edges"),
    ("High resolution image", "low resolution image"),
    ("Noise-free image", "noisy image"),
)

# "maclip": MA-CLIP's fused cues over the protocol's views (the default).
# "qualiclip": QualiCLIP (Agnolucci et al., arXiv 2403.11176): the whole photo
# through a quality-fine-tuned RN50, scored against the text features stored
# in its checkpoint; protocol, trunk and mode do not apply to it.
METHODS = ("maclip", "qualiclip")
PROTOCOLS = ("koniq", "spaq", "global")
MODES = ("fused", "cosine", "magnitude")
# "auto": the reduced precision this device runs faster (fp16 on a GPU, bf16 on
# a CPU with native bf16), else fp32; resolved by the Engine before fingerprinting.
PRECISIONS = ("fp32", "bf16", "fp16", "auto")
DEVICES = ("auto", "cpu", "cuda", "mps")
# "windows" runs the backbone on every 224-px window (the paper's computation);
# "shared" runs a ResNet trunk once per photo and pools 7x7 cell windows of its
# feature map (an approximation, see docs/performance.md).
TRUNKS = ("windows", "shared")
# The runtime of the image tower on the CPU (iqa_engine.backends). Not part of the
# fingerprint: a backend is only used when it gives the same score.
BACKENDS = ("auto", "torch", "openvino", "onnxruntime")
# Who decodes JPEGs (iqa_engine.device_decode): Pillow on the CPU, or torchvision on the engine's device.
# "device" pixels differ slightly, so a resolved "device" is part of the fingerprint.
DECODERS = ("auto", "cpu", "device")


@dataclass(frozen=True)
class EngineConfig:
    """Everything that decides what the engine computes, and how fast."""

    method: str = "maclip"
    model: str = "RN50"  # an open_clip model name, or a path to a model-config JSON
    pretrained: str | None = "openai"  # an open_clip pretrained tag; ignored when weights is set
    weights: str | None = None  # a local weights file (.pt/.pth/.bin/.safetensors)
    activation: str = "auto"  # "quickgelu" or "gelu" for a custom checkpoint; see iqa_engine.activation
    device: str = "auto"
    protocol: str = "koniq"
    mode: str = "fused"
    precision: str = "fp32"
    trunk: str = "windows"
    prompt_pairs: tuple[tuple[str, str], ...] = DEFAULT_PROMPT_PAIRS
    box_cox_lambda: float = 0.5
    base_cosine: float = 1.0
    base_magnitude: float = 0.6
    alpha: float = 1.0
    max_long_side: int = 1024  # koniq: photos larger than this are downscaled first
    batch_views: int = 72  # views per forward pass, across photos
    decode_workers: int = 2  # threads decoding ahead of the model
    jpeg_draft: bool = True  # let libjpeg decode at a reduced size when we downscale anyway
    # The quality dimensions scored beside the score, and the classic
    # measurements (measures.measure): what a photo's reasons are derived from.
    # Neither changes the score, so neither is in its fingerprint.
    reasons: bool = True
    dimensions: tuple[Dimension, ...] = field(default_factory=default_dimensions)
    # also compute the standard CLIP embedding (one more 224-px view per photo); it does not
    # change the score, so it is not part of the score's fingerprint
    clip_embedding: bool = True
    backend: str = "torch"  # who runs the image tower ("auto" in the app); speed only, never the numbers
    decoder: str = "cpu"  # who decodes JPEGs ("auto" in the app): see iqa_engine.device_decode

    def __post_init__(self) -> None:
        _check_choice("method", self.method, METHODS)
        _check_choice("protocol", self.protocol, PROTOCOLS)
        _check_choice("mode", self.mode, MODES)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("device", self.device.split(":")[0], DEVICES)
        _check_choice("trunk", self.trunk, TRUNKS)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("backend", self.backend, BACKENDS)
        _check_choice("decoder", self.decoder, DECODERS)
        if not self.prompt_pairs or any(len(p) != 2 for p in self.prompt_pairs):
            raise ValueError("prompt_pairs must be a non-empty list of (positive, negative) pairs")
        if self.batch_views < 1 or self.decode_workers < 1:
            raise ValueError("batch_views and decode_workers must be at least 1")
        if self.max_long_side < 224:
            raise ValueError("max_long_side must be at least 224")

    def replace(self, **changes: Any) -> EngineConfig:
        return dataclasses.replace(self, **changes)

    def math_parameters(self) -> dict[str, object]:
        """The options that change the score (not just the speed).

        MA-CLIP's payload carries no "method" key, so fingerprints from before
        there were methods stay valid; every other method is named in it.
        """
        # JPEGs decoded on the device give other pixels; Pillow's (cpu) are what every older fingerprint meant
        decoder = {"decoder": "device"} if self.decoder == "device" else {}
        if self.method == "qualiclip":
            return {"method": self.method, "precision": self.precision, "max_long_side": self.max_long_side,
                    "jpeg_draft": self.jpeg_draft, **decoder}
        return {
            "protocol": self.protocol,
            "mode": self.mode,
            "precision": self.precision,
            "trunk": self.trunk,
            "prompt_pairs": [list(p) for p in self.prompt_pairs],
            "box_cox_lambda": self.box_cox_lambda,
            "base_cosine": self.base_cosine,
            "base_magnitude": self.base_magnitude,
            "alpha": self.alpha,
            "max_long_side": self.max_long_side,
            "jpeg_draft": self.jpeg_draft,
            **decoder,
        }


    def view_parameters(self) -> dict[str, object]:
        """The options that change the views' image features (what the dimensions are computed from)."""
        keys = ("precision", "max_long_side", "jpeg_draft") if self.method == "qualiclip" else (
            "protocol", "precision", "trunk", "max_long_side", "jpeg_draft")
        decoder = {"decoder": "device"} if self.decoder == "device" else {}
        return {"method": self.method, **{k: getattr(self, k) for k in keys}, **decoder}


def fingerprint(config: EngineConfig, weights_identity: str, activation: str | None = None) -> str:
    """A short stable id of what produced a score.

    weights_identity is "model/tag" for an open_clip pretrained tag, or
    "model/sha256:<hex>" for a local weights file. Two engines with the same
    fingerprint give the same numbers on the same photo, so the catalog can
    tell a stale score ("rescore") from a current one.

    activation ("quickgelu"/"gelu") is given when the weights identity does
    not already name it: always for a local file, and for a pretrained tag
    only when it is built against the registry's word. So a pretrained tag's
    fingerprint is what it was before the activation became an option.
    """
    payload: dict[str, object] = {"weights": weights_identity, **config.math_parameters()}
    if activation is not None:
        payload["activation"] = activation
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return f"{config.method}-" + hashlib.sha256(blob).hexdigest()[:16]


def dimensions_fingerprint(config: EngineConfig, weights_identity: str, activation: str | None = None,
                           measures_version: int | None = None) -> str:
    """A short stable id of what produced a photo's dimensions and measurements, beside the score's fingerprint.

    It covers the weights (and their activation, as fingerprint does), what
    shapes the views, the dimensions' prompts and the version of the classic
    measurements, and nothing of the fusion: editing a dimension's prompts
    changes this one only, so the dimensions are recomputed while the stored
    score stays current.
    """
    payload: dict[str, object] = {"weights": weights_identity, "views": config.view_parameters(),
                                  "dimensions": dimensions_payload(config.dimensions)}
    if activation is not None:
        payload["activation"] = activation
    if measures_version is not None:
        payload["measures"] = measures_version
    return "dims-" + short_hash(payload)


def clip_fingerprint(weights_identity: str, preprocess_cfg: dict[str, object], activation: str | None = None) -> str:
    """A short stable id of what produced a standard CLIP embedding: the weights and open_clip's
    preprocessing. Precision is left out on purpose: bf16 moves an embedding by about 1e-3 and
    does not make another embedding space, so switching presets does not recompute embeddings."""
    payload: dict[str, object] = {
        "weights": weights_identity,
        "preprocess": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(preprocess_cfg.items())}}
    if activation is not None:  # as in fingerprint(): only where the weights identity does not name it
        payload["activation"] = activation
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return "clip-" + hashlib.sha256(blob).hexdigest()[:16]


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")
