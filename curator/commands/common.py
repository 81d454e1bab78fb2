"""Options shared by several commands, and turning them into the one Settings object."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from iqa_engine.activation import ACTIVATIONS
from iqa_engine.config import BACKENDS, DECODERS, METHODS, MODES, PRECISIONS, PROTOCOLS, TRUNKS

from curator.errors import UserError
from curator.disk.files import iter_photo_paths  # noqa: F401 - re-exported: score, bench and xmp read walk with it
from curator.settings import ENGINE_KEYS, Settings, load_settings


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("engine")
    g.add_argument("--method", choices=METHODS,
                   help="maclip (MA-CLIP, default) or qualiclip (QualiCLIP: the whole photo, up to 1024 px, "
                        "scored against the text features in its checkpoint; pass that as --weights)")
    g.add_argument("--model", help="open_clip model name or a model-config JSON path (default RN50)")
    g.add_argument("--pretrained", help="open_clip pretrained tag (default openai)")
    g.add_argument("--weights", metavar="FILE",
                   help="local weights: OpenAI .pt (state dict or TorchScript), open_clip checkpoint or .safetensors")
    g.add_argument("--activation", choices=ACTIVATIONS,
                   help="auto (default: what open_clip's registry says the weights were trained with), "
                        "quickgelu or gelu (for a custom checkpoint)")
    g.add_argument("--device", help="auto (cuda, then mps, then cpu), cpu, cuda or mps")
    g.add_argument("--protocol", choices=PROTOCOLS, help="views: koniq (paper default), spaq or global")
    g.add_argument("--mode", choices=MODES, help="fused (MA-CLIP, default), cosine (CLIP-IQA) or magnitude")
    g.add_argument("--precision", choices=PRECISIONS,
                   help="fp32 (default, exact), bf16 (CPU/GPU), fp16 (GPU) or auto (what this hardware runs fastest)")
    g.add_argument("--trunk", choices=TRUNKS,
                   help="windows (exact, default) or shared (ResNet trunk once per photo: faster, approximate)")
    g.add_argument("--backend", choices=BACKENDS,
                   help="who runs the image tower on the CPU: auto (default: the fastest installed runtime that "
                        "gives the same score), torch, openvino or onnxruntime; never changes the score")
    g.add_argument("--decoder", choices=DECODERS,
                   help="who decodes JPEGs: auto (default: nvJPEG on a CUDA GPU when a timed decode beats the "
                        "CPU, else Pillow), cpu or device (its pixels differ slightly: a score of its own)")
    g.add_argument("--batch-views", type=int, dest="batch_views", help="views per forward pass (default 72)")
    g.add_argument("--fast", action="store_const", const="fast", dest="preset",
                   help="the fast preset: ResNet trunk once per photo, and bf16/fp16 where the hardware runs "
                        "them faster (an approximation of the exact score; see the docs, Performance)")
    g.add_argument("--exact", action="store_const", const="exact", dest="preset",
                   help="the paper's exact computation (the default; overrides preset = \"fast\" in settings)")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH",
                        help="catalog file (default: CURATOR_DB, the settings file, or <user data dir>/catalog.db)")


# -- queue and flag-policy options (scan, watch, flag) ---------------------------------


def add_queue_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("queue")
    g.add_argument("--settle", type=_non_negative, metavar="SECONDS", dest="settle_seconds",
                   help="a file must keep its size and mtime this long before it is scored (default 2)")
    g.add_argument("--batch", type=_positive_int, metavar="N", dest="scan_batch",
                   help="photos per scoring batch and catalog transaction (default 8)")


def add_policy_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("low-quality flags")
    g.add_argument("--threshold", type=_threshold, metavar="SCORE|off",
                   help="auto-reject photos whose fused score is below SCORE (default off)")
    g.add_argument("--bottom", type=_percent, metavar="N", dest="bottom_percent",
                   help="auto-reject the bottom N%% of each folder (default 15)")


_OFF = "off"


def _threshold(text: str) -> float | str:
    if text.lower() in ("off", "none"):
        return _OFF
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a score or 'off', not {text!r}") from None


N = TypeVar("N", int, float)


def _number(convert: Callable[[str], N], expected: str, ok: Callable[[N], bool], rule: str) -> Callable[[str], N]:
    """An argparse type: `convert` the text (a ValueError says what was `expected`), then check the `rule`."""
    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, not {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(rule)
        return value

    return parse


_percent = _number(lambda t: float(t.rstrip("%")), "a percentage", lambda v: 0 <= v <= 100, "must be between 0 and 100")
_non_negative = _number(float, "seconds", lambda v: v >= 0, "must be >= 0")
_positive_int = _number(int, "a whole number", lambda v: v >= 1, "must be at least 1")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Defaults <- settings file <- CURATOR_DB <- command-line flags."""
    settings = load_settings()
    names = ("preset", *ENGINE_KEYS, "db")
    flags = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    settings = settings.with_overrides("flag", **flags)
    settings.engine_config()  # validate now: a bad flag is a usage error before any work
    return settings


def require_existing(inputs: Iterable[str]) -> None:
    """Every path given must exist: checked before a model or a catalog is opened (a usage error, exit 2).

    A folder with no photos in it is not an error (for `score` and `scan` alike)."""
    for raw in inputs:
        if not os.path.lexists(Path(raw).expanduser()):
            raise UserError(f"no such file or folder: {raw}")


def command_settings(args: argparse.Namespace) -> Settings:
    """settings_from_args plus the queue options."""
    settings = settings_from_args(args)
    extra = {n: getattr(args, n, None) for n in ("settle_seconds", "scan_batch", "ray", "ray_actors")}
    return settings.with_overrides("flag", **extra)
