"""An independent re-statement of the MA-CLIP reference computation, for parity tests.

It follows the structure of the paper's official inference (Liao et al.,
AAAI 2026; github.com/zhix000/MA-CLIP, also in pyiqa): one image at a time, a
full-resolution ToTensor + Normalize, nn.Unfold(224, stride 128) windows plus
a bilinear 224x224 global view, the ResNet attention pool run without its
positional embedding, the text prompts encoded on every call, fp32. The
attention here is written out head by head, a different code path from the
engine's, so the two checks each other.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import functional as TF

PROMPTS = ["Good image", "bad image", "Sharp image", "blurry image", "sharp edges", "blurry edges",
           "High resolution image", "low resolution image", "Noise-free image", "noisy image"]
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def attention_pool_by_hand(pool: torch.nn.Module, grid: torch.Tensor) -> torch.Tensor:
    b, c, h, w = grid.shape
    tokens = grid.reshape(b, c, h * w).permute(0, 2, 1)
    tokens = torch.cat([tokens.mean(dim=1, keepdim=True), tokens], dim=1)
    heads = pool.num_heads
    d = c // heads
    q = F.linear(tokens[:, :1], pool.q_proj.weight, pool.q_proj.bias).view(b, 1, heads, d).transpose(1, 2)
    k = F.linear(tokens, pool.k_proj.weight, pool.k_proj.bias).view(b, -1, heads, d).transpose(1, 2)
    v = F.linear(tokens, pool.v_proj.weight, pool.v_proj.bias).view(b, -1, heads, d).transpose(1, 2)
    attn = (q @ k.transpose(-1, -2) / math.sqrt(d)).softmax(dim=-1)
    out = (attn @ v).transpose(1, 2).reshape(b, 1, c)
    return F.linear(out, pool.c_proj.weight, pool.c_proj.bias)[:, 0]


def reference_score(model: torch.nn.Module, tokenizer, image: Image.Image, lam: float = 0.5,
                    base_cos: float = 1.0, base_norm: float = 0.6, alpha: float = 1.0) -> dict[str, float]:
    x = TF.to_tensor(image.convert("RGB")).unsqueeze(0)
    x = TF.normalize(x, MEAN, STD)
    patches = torch.nn.Unfold(kernel_size=(224, 224), stride=128)(x).view(1, 3, 224, 224, -1)[0]
    patches = patches.permute(3, 0, 1, 2)
    glob = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False)
    views = torch.cat([patches, glob], dim=0)
    with torch.no_grad():
        v = model.visual
        h = v.stem(views)
        h = v.layer4(v.layer3(v.layer2(v.layer1(h))))
        feats = attention_pool_by_hand(v.attnpool, h)
        text = model.encode_text(tokenizer(PROMPTS))
    img_n = feats / feats.norm(dim=-1, keepdim=True)
    txt_n = text / text.norm(dim=-1, keepdim=True)
    logits = model.logit_scale.exp() * img_n @ txt_n.t()
    cos = logits.reshape(logits.shape[0], -1, 2).softmax(dim=-1)[..., 0].mean(dim=1)
    a = feats.abs()
    a = a / (a.std(dim=1, keepdim=True) + 1e-6)
    b = torch.log(a + 1) if lam == 0 else ((a + 1) ** lam - 1) / lam
    mag = b.mean(dim=-1)
    d = cos - mag
    w = torch.stack([base_cos + alpha * d, base_norm - alpha * d], dim=-1).softmax(dim=-1)
    fused = w[..., 0] * cos + w[..., 1] * mag
    return {"fused": fused.mean().item(), "cosine": cos.mean().item(), "magnitude": mag.mean().item(),
            "w_cosine": w[..., 0].mean().item(), "views": views.shape[0]}
