"""The image tower as plain torch modules, in fp32 and NCHW, for export to another runtime.

Two graphs, the two ways the engine runs the image tower:
- FeaturesGraph: (B, 3, 224, 224) normalised views -> (B, D) unnormalised
  features (the exact windows, and the global view);
- TrunkGraph: (1, 3, H, W) a whole photo -> (1, C, H/32, W/32), the ResNet
  trunk of the shared-trunk (--fast) path; its attention pool stays in torch.

They compute exactly what Backbone.image_features / Backbone.trunk compute
in fp32, on a private copy of the visual tower, so exporting never touches
the engine's own (channels_last) model.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from ..backbone import Backbone, attention_pool


def resnet_trunk(visual: Any, x: torch.Tensor) -> torch.Tensor:
    """ResNet stem + layers: (B, 3, H, W) -> (B, C, H/32, W/32)."""
    x = visual.stem(x)
    x = visual.layer1(x)
    x = visual.layer2(x)
    x = visual.layer3(x)
    return visual.layer4(x)


class FeaturesGraph(torch.nn.Module):
    def __init__(self, visual: torch.nn.Module, is_resnet: bool) -> None:
        super().__init__()
        self.visual: Any = visual  # open_clip's tower (torch's stubs would type submodules as Tensor | Module)
        self.is_resnet = is_resnet

    def forward(self, views: torch.Tensor) -> torch.Tensor:
        if self.is_resnet:
            return attention_pool(self.visual.attnpool, resnet_trunk(self.visual, views))
        return self.visual(views)


class TrunkGraph(torch.nn.Module):
    def __init__(self, visual: torch.nn.Module) -> None:
        super().__init__()
        self.visual: Any = visual

    def forward(self, photo: torch.Tensor) -> torch.Tensor:
        return resnet_trunk(self.visual, photo)


def export_copy(backbone: Backbone) -> torch.nn.Module:
    """An fp32, NCHW, CPU copy of the visual tower that no inference-mode tensor has touched."""
    with torch.no_grad():
        visual: Any = copy.deepcopy(backbone.model.visual).float().cpu()
    visual = visual.to(memory_format=torch.contiguous_format)
    return visual.eval().requires_grad_(False)
