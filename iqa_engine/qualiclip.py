"""QualiCLIP's score: pure tensor math on the whole photo's image feature.

Agnolucci, Galteri and Bertini, "Quality-Aware Image-Text Alignment for
Opinion-Unaware Image Quality Assessment", arXiv 2403.11176. Its official
inference: the whole photo at native resolution through its fine-tuned CLIP
RN50, the attention pool run without its positional embedding; the image
feature L2-normalised; logits = 100 x feature . each stored text feature; a
softmax within each (positive, negative) pair; the mean over pairs of the
positive probability.

The text features are the ones stored in the checkpoint, used as stored (they
were saved L2-normalised): the prompt list in the released code lacks a comma,
so encoding it again would not reproduce the published scores.
"""

from __future__ import annotations

import torch

from .cues import Cues, magnitude_cue

LOGIT_SCALE = 100.0  # the value of CLIP's paper, as QualiCLIP's inference fixes it


def qualiclip_score(image_features: torch.Tensor, prompts_features: torch.Tensor) -> torch.Tensor:
    """(V, D) unnormalised image features, (2P, D) stored text features -> (V,) scores in 0..1."""
    img = image_features.float()
    img = img / img.norm(dim=-1, keepdim=True)
    logits = LOGIT_SCALE * img @ prompts_features.float().t()
    probs = logits.reshape(logits.shape[0], -1, 2).softmax(dim=-1)
    return probs[..., 0].mean(dim=1)


def qualiclip_cues(image_features: torch.Tensor, prompts_features: torch.Tensor, lam: float = 0.5) -> Cues:
    """QualiCLIP's score in the engine's cue layout: fused = cosine = the score, weighted 1 to 0.

    The magnitude cue of the same feature is reported beside it, for reference only.
    """
    score = qualiclip_score(image_features, prompts_features)
    return Cues(fused=score, cosine=score, magnitude=magnitude_cue(image_features.float(), lam),
                w_cosine=torch.ones_like(score), w_magnitude=torch.zeros_like(score))
