"""The port through which the backbone runs its image tower on another runtime (OpenVINO, ONNX Runtime).

It lives beside its user, iqa_engine.backbone; iqa_engine.backends implements it, so the backbone
never imports a runtime and the backends import the backbone, not the other way round.
"""

from __future__ import annotations

from typing import Protocol

import torch


class ImageTower(Protocol):
    name: str
    precision: str
    version: str

    @property
    def has_trunk(self) -> bool: ...  # whether trunk() is converted too (the shared-trunk graph)

    def features(self, views: torch.Tensor) -> torch.Tensor: ...

    def trunk(self, photo: torch.Tensor) -> torch.Tensor: ...
