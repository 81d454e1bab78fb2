"""Errors the engine raises. Each message is one line a user can act on."""

from __future__ import annotations


class EngineError(Exception):
    """Base class: something the user can fix (options, weights, inputs)."""


class WeightsUnavailable(EngineError):
    """The CLIP weights could not be had. The message names the model, what was tried and the fix."""


class ImageDecodeError(EngineError):
    """A file could not be read as a photo. The message is the reason, without the path."""
