"""An independent re-statement of QualiCLIP's official inference, for parity tests.

It follows the structure of the release's inference (Agnolucci et al., arXiv
2403.11176; github.com/miccunifi/QualiCLIP): the checkpoint read with
torch.load(weights_only=True), its `clip_model.` weights loaded into a CLIP
model and its `prompts_features` kept as stored; the photo as ToTensor +
Normalize at the size given (the caller passes the image the engine scores:
native resolution up to a 1024-px long side); the ResNet stem written out
layer by layer; an attention pool with no positional embedding in which every
token attends (the release runs full self-attention and keeps token 0), written
out head by head; the feature L2-normalised; logits = 100 x feature . text;
softmax within each pair; the mean positive probability. A different code path
from the engine's, so the two check each other.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import functional as TF

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def load_reference_model(arch: str, checkpoint: Path) -> tuple[torch.nn.Module, torch.Tensor]:
    """(CLIP model in fp32 eval mode, stored text features) from a QualiCLIP-format checkpoint."""
    import open_clip

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    prompts_features = state.pop("prompts_features")
    clip_state = {k.replace("clip_model.", "", 1): v for k, v in state.items()}
    model = open_clip.create_model(arch, pretrained=None, force_quick_gelu=True)
    model.load_state_dict(clip_state)
    return model.eval(), prompts_features


def _self_attention_pool(pool: torch.nn.Module, grid: torch.Tensor) -> torch.Tensor:
    b, c, h, w = grid.shape
    tokens = grid.reshape(b, c, h * w).permute(0, 2, 1)
    tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)  # (b, 1 + hw, c)
    heads = pool.num_heads
    d = c // heads

    def project(layer: torch.nn.Linear) -> torch.Tensor:
        return F.linear(tokens, layer.weight, layer.bias).view(b, -1, heads, d).transpose(1, 2)

    q, k, v = project(pool.q_proj), project(pool.k_proj), project(pool.v_proj)
    attn = (q @ k.transpose(-1, -2) / math.sqrt(d)).softmax(dim=-1)  # every token as a query
    out = (attn @ v).transpose(1, 2).reshape(b, -1, c)
    return F.linear(out, pool.c_proj.weight, pool.c_proj.bias)[:, 0]


def reference_qualiclip(model: torch.nn.Module, prompts_features: torch.Tensor, image: Image.Image) -> float:
    x = TF.normalize(TF.to_tensor(image.convert("RGB")), MEAN, STD).unsqueeze(0)
    v = model.visual
    with torch.no_grad():
        x = v.act1(v.bn1(v.conv1(x)))
        x = v.act2(v.bn2(v.conv2(x)))
        x = v.act3(v.bn3(v.conv3(x)))
        x = v.avgpool(x)
        for layer in (v.layer1, v.layer2, v.layer3, v.layer4):
            x = layer(x)
        feats = _self_attention_pool(v.attnpool, x)
    feats = feats / feats.norm(dim=-1, keepdim=True)
    logits = 100.0 * feats @ prompts_features.t()
    probs = logits.reshape(1, -1, 2).softmax(dim=-1)
    return float(probs[..., 0].mean())
