"""`curator model fetch|info`: get the CLIP weights into the standard cache, and show what is loaded."""

from __future__ import annotations

import argparse

from curator.commands.common import add_engine_options, settings_from_args
from curator.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="fetch the CLIP weights, or show the loaded model")
    msub = p.add_subparsers(dest="model_command", metavar="ACTION")
    msub.required = True
    fetch = msub.add_parser("fetch", help="download open_clip pretrained weights into the standard cache")
    fetch.add_argument("--model", default=None, help="open_clip model name (default RN50)")
    fetch.add_argument("--pretrained", default=None, help="pretrained tag (default openai)")
    fetch.set_defaults(run=run_fetch)
    info = msub.add_parser("info", help="load the configured model and print its source, sha256, activation, device and size")
    add_engine_options(info)
    info.set_defaults(run=run_info)


def run_fetch(args: argparse.Namespace) -> int:
    from iqa_engine.backbone import resolve_architecture
    from iqa_engine.weights import fetch_pretrained, sha256_of

    settings = settings_from_args(args)
    arch = resolve_architecture(settings.model)
    tag = settings.pretrained or "openai"
    path = fetch_pretrained(arch, tag)
    print(f"{arch}/{tag}: {path}")
    print(f"sha256: {sha256_of(path)}")
    return EXIT_OK


def run_info(args: argparse.Namespace) -> int:
    from iqa_engine import Engine
    from iqa_engine.weights import sha256_of

    settings = settings_from_args(args)
    engine = Engine(settings.engine_config(), allow_download=False)
    bb = engine.backbone
    print(f"model:       {bb.info.model}")
    print(f"weights:     {bb.info.source}")
    print(f"activation:  {bb.info.activation.name} ({bb.info.activation.reason})")
    print(f"sha256:      {bb.info.sha256 or sha256_of(bb.info.path)}")
    print(f"device:      {bb.device} ({engine.config.precision})")
    print(f"backend:     {engine.backend.describe()}")
    print(f"decoder:     {engine.decoder.name} ({engine.decoder.why})")
    print(f"parameters:  {bb.parameter_count:,}")
    cfg = engine.config
    if cfg.method == "maclip":
        print(f"method:      maclip, protocol {cfg.protocol}, mode {cfg.mode}, trunk {cfg.trunk}")
    else:
        print(f"method:      {cfg.method} (the whole photo, long side up to {cfg.max_long_side} px)")
    print(f"fingerprint: {engine.fingerprint}")
    print(f"dimensions:  {', '.join(engine.dimension_names) or 'none'} ({engine.dimensions_fingerprint})")
    return EXIT_OK
