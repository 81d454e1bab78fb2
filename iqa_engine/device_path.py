"""The accelerator path: what the engine does differently on a CUDA or MPS device.

- The photo tensor is copied to the device once, from pinned host memory
  (so the copy is asynchronous), and its windows and global view are cut and
  resized there: one copy of the photo instead of one of every view.
- ResNet towers run channels_last on CUDA as on the CPU: cuDNN's tensor-core
  convolutions are NHWC. MPS keeps NCHW (its NHWC coverage is partial).
- fp32 on CUDA means IEEE fp32: cuDNN's TF32 convolutions (on by default on
  Ampere and later) would move the score by about 1e-3, so they are switched
  off for an fp32 engine. fp16 is an explicit, fingerprinted precision
  (autocast), measured against fp32 by `curator bench speed`.

Every function here also runs on the CPU (where it does nothing extra), so
the tests exercise the same code a GPU runs.
"""

from __future__ import annotations

import dataclasses

import torch

from . import views as V

CHANNELS_LAST_DEVICES = ("cpu", "cuda")


def wants_channels_last(device: torch.device) -> bool:
    return device.type in CHANNELS_LAST_DEVICES


def pins_host_memory(device: torch.device) -> bool:
    """Page-locked host buffers make host-to-device copies asynchronous; only CUDA has them."""
    return device.type == "cuda" and torch.cuda.is_available()


def keep_fp32_exact(device: torch.device, precision: str) -> None:
    """No TF32 for an fp32 engine on CUDA: the exact score is IEEE fp32 (process-wide, as cuDNN's flag is)."""
    if device.type == "cuda" and precision == "fp32":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False


def pinned(photo: V.PreparedPhoto, device: torch.device) -> V.PreparedPhoto:
    """The photo with its tensor in pinned host memory when the device copies from it (decode threads call this)."""
    if not pins_host_memory(device):
        return photo
    return dataclasses.replace(photo, tensor=photo.tensor.pin_memory())


def on_device(photo: V.PreparedPhoto, device: torch.device) -> V.PreparedPhoto:
    """The photo's tensor on the device (non-blocking from pinned memory); the same object on the CPU."""
    if photo.tensor.device == device or (device.type == "cpu" and photo.tensor.device.type == "cpu"):
        return photo
    return dataclasses.replace(photo, tensor=photo.tensor.to(device, non_blocking=True))


def device_views(photos: list[V.PreparedPhoto], device: torch.device) -> torch.Tensor:
    """Every view of every photo, in order, cut and resized on the device."""
    return torch.cat([V.window_views(on_device(p, device)) for p in photos])
