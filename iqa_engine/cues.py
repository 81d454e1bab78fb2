"""MA-CLIP's two cues and their fusion: pure tensor math, one row per view.

Liao et al., "Beyond Cosine Similarity: Magnitude-Aware CLIP for No-Reference
Image Quality Assessment", AAAI 2026 (arXiv 2511.09948):

- cosine cue (CLIP-IQA): logits = exp(logit_scale) * cos(f, t) against each
  antonym prompt; a softmax within each (positive, negative) pair; the mean
  over pairs of the positive probability.
- magnitude cue: a = |f| / (std(|f|) + 1e-6) with the unbiased std over the
  feature dimensions; Box-Cox b = ((a + 1)^lambda - 1) / lambda (log(a + 1) at
  lambda = 0); the mean of b over the feature dimensions.
- fusion: d = cos - mag; [w_cos, w_mag] = softmax([base_cos + alpha d,
  base_mag - alpha d]); fused = w_cos cos + w_mag mag.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

STD_EPSILON = 1e-6


@dataclass(frozen=True)
class Cues:
    """Per-view cue values, each a 1-D float32 tensor of length n_views."""

    fused: torch.Tensor
    cosine: torch.Tensor
    magnitude: torch.Tensor
    w_cosine: torch.Tensor
    w_magnitude: torch.Tensor


def cosine_cue(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """image_features (V, D) unnormalised; text_features (2P, D), pairs interleaved positive/negative."""
    img = image_features / image_features.norm(dim=-1, keepdim=True)
    txt = text_features / text_features.norm(dim=-1, keepdim=True)
    logits = logit_scale.exp() * img @ txt.t()
    probs = logits.reshape(logits.shape[0], -1, 2).softmax(dim=-1)
    return probs[..., 0].mean(dim=1)


def box_cox(x: torch.Tensor, lam: float) -> torch.Tensor:
    """Box-Cox of x + 1 (x >= 0), as MA-CLIP applies it."""
    if lam == 0:
        return torch.log(x + 1)
    return ((x + 1) ** lam - 1) / lam


def magnitude_cue(image_features: torch.Tensor, lam: float = 0.5) -> torch.Tensor:
    """image_features (V, D) unnormalised -> (V,)."""
    a = image_features.abs()
    a = a / (a.std(dim=1, keepdim=True) + STD_EPSILON)  # torch.std is unbiased by default
    return box_cox(a, lam).mean(dim=-1)


def fusion_weights(cosine: torch.Tensor, magnitude: torch.Tensor, base_cosine: float = 1.0,
                   base_magnitude: float = 0.6, alpha: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    d = cosine - magnitude
    logits = torch.stack([base_cosine + alpha * d, base_magnitude - alpha * d], dim=-1)
    w = logits.softmax(dim=-1)
    return w[..., 0], w[..., 1]


def compute_cues(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor,
                 lam: float = 0.5, base_cosine: float = 1.0, base_magnitude: float = 0.6,
                 alpha: float = 1.0) -> Cues:
    """All cues for a batch of views, in float32 whatever precision the backbone ran at."""
    f = image_features.float()
    cos = cosine_cue(f, text_features.float(), logit_scale.float())
    mag = magnitude_cue(f, lam)
    w_cos, w_mag = fusion_weights(cos, mag, base_cosine, base_magnitude, alpha)
    return Cues(fused=w_cos * cos + w_mag * mag, cosine=cos, magnitude=mag, w_cosine=w_cos, w_magnitude=w_mag)


def dimension_values(image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor,
                     pair_counts: tuple[int, ...]) -> torch.Tensor:
    """Quality dimensions for a batch of views: (V, D) features -> (V, n_dimensions), float32.

    text_features holds every dimension's prompts, dimension after dimension,
    pairs interleaved positive/negative; pair_counts says how many pairs each
    dimension has. Each column is the cosine cue's formula on that dimension's
    pairs (logits of the normalised features, a softmax within each pair, the
    mean positive probability), evaluated for all dimensions at once: a
    handful of tensor operations, because on a busy CPU every small operation
    costs a thread hand-off.
    """
    f = image_features.float()
    if not pair_counts:
        return f.new_zeros((f.shape[0], 0))
    img = f / f.norm(dim=-1, keepdim=True)
    txt = text_features.float()
    txt = txt / txt.norm(dim=-1, keepdim=True)
    logits = logit_scale.float().exp() * img @ txt.t()
    positive = logits.reshape(logits.shape[0], -1, 2).softmax(dim=-1)[..., 0]  # (V, total pairs)
    # the mean over each dimension's pairs, as one (total pairs, n_dimensions) averaging matrix
    owner = torch.repeat_interleave(torch.arange(len(pair_counts)), torch.tensor(pair_counts))
    average = torch.nn.functional.one_hot(owner, len(pair_counts)).float() / torch.tensor(pair_counts).float()
    return positive @ average.to(positive.device)
