"""`curator bench quality|speed`: agreement with human opinion, and scoring speed, as figures."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from curator.benchmarks.report_json import finite_json
from curator.commands.common import add_engine_options, iter_photo_paths, settings_from_args
from curator.errors import EXIT_OK, EXIT_SOME_FAILED, UserError
from curator.settings import Settings

# What `bench quality` measures unless a flag says otherwise: the paper's exact computation,
# whatever the settings file chose for everyday speed.
QUALITY_PINNED = {"protocol": "koniq", "precision": "fp32", "trunk": "windows"}
DEFAULT_SPEED_PHOTOS = 8


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure the score against MOS (quality) or time scoring (speed)")
    bsub = p.add_subparsers(dest="bench_command", metavar="WHAT")
    bsub.required = True

    q = bsub.add_parser(
        "quality", help="SRCC/KRCC/PLCC/RMSE of the fused, cosine and magnitude scores against a MOS list",
        description="Score every image of an (image, MOS) list once and report SRCC, KRCC, and PLCC and RMSE "
                    "after the 5-parameter logistic mapping (plus the raw PLCC), for all three modes. "
                    "Unless given as flags (or --fast), protocol, precision and trunk are the paper's exact "
                    "koniq / fp32 / windows, whatever the settings file says; JPEGs are decoded at full size.")
    q.add_argument("--list", required=True, metavar="FILE", dest="list_file",
                   help="CSV (image,mos; KonIQ's scores CSV as is) or IQA JSON [{\"img_path\":..,\"gt_score\":..}]")
    q.add_argument("--root", metavar="DIR", help="folder the list's image paths are relative to (default: the list's folder)")
    q.add_argument("--json", metavar="OUT", dest="json_out", help="write the report (with every image's scores) as JSON; - for stdout")
    q.add_argument("--plot", metavar="OUT.png", help="write a scatter plot of each mode against MOS")
    q.add_argument("--attributes", metavar="FILE.csv",
                   help="per-image attribute scores (SPAQ's brightness, colourfulness, contrast, noisiness, "
                        "sharpness): also report the SRCC of each quality dimension and measurement against "
                        "the attribute it measures")
    q.add_argument("--jpeg-draft", action="store_true", dest="jpeg_draft",
                   help="let libjpeg decode large JPEGs at reduced size (faster, not the exact protocol)")
    add_engine_options(q)
    q.set_defaults(run=run_quality)

    s = bsub.add_parser(
        "speed", help="time decode, views, model and catalog write, then end to end",
        description="Time each stage of scoring separately, then the pipelined whole (score_paths + catalog "
                    "write), on your photos or on synthesised 24-MP JPEGs. Prints photos/s, peak RSS and "
                    "the machine. With a reduced precision or the shared trunk it also reports the "
                    "deviation of the fused score from exact fp32 windows.")
    s.add_argument("--images", metavar="DIR", help="photos to time (default: synthesise 24-MP 6000x4000 JPEGs)")
    s.add_argument("--n", type=int, default=DEFAULT_SPEED_PHOTOS, help=f"photos to time (default {DEFAULT_SPEED_PHOTOS})")
    s.add_argument("--baseline", action="store_true",
                   help="also time the reference-style loop (one photo at a time, full-size decode, "
                        "text re-encoded per call, fp32, exact windows) and print the ratio")
    s.add_argument("--repeat", type=int, default=1, metavar="K",
                   help="run end to end (and --baseline) K times and report the fastest: on a shared CPU, "
                        "other processes only ever slow a run down (default 1)")
    s.add_argument("--json", metavar="OUT", dest="json_out", help="write the report as JSON; - for stdout")
    s.add_argument("--reasons-cost", action="store_true", dest="reasons_cost",
                   help="also time end to end with the quality dimensions and measurements switched off, "
                        "and print both")
    s.add_argument("--random-weights", action="store_true", dest="random_weights",
                   help="time the --model architecture (default RN50) with seeded random weights, for "
                        "machines without CLIP weights: speed is the same, the scores mean nothing")
    s.add_argument("--ray", nargs="?", const="local", metavar="local|auto|ADDRESS",
                   help="instead: photos/s of scan --ray against the number of actors, beside a local scan")
    s.add_argument("--ray-actors", default="1,2", metavar="N,N", dest="ray_actor_counts",
                   help="actor counts to time with --ray (default 1,2)")
    s.add_argument("--ray-threads", type=int, default=1, metavar="T",
                   help="CPUs per actor, and torch threads of the local scan compared (default 1)")
    s.add_argument("--decode-workers", type=int, dest="decode_workers", metavar="N", help="threads decoding ahead (default 2)")
    s.add_argument("--no-jpeg-draft", action="store_false", dest="jpeg_draft",
                   help="decode JPEGs at full size even when the protocol downscales")
    add_engine_options(s)
    s.set_defaults(run=run_speed)

    t = bsub.add_parser(
        "tags", help="precision and recall at k of the keywords against a labelled set (path,label CSV)",
        description="Embed every photo of a labelled set, rank the vocabulary's terms for each, and report "
                    "precision and recall at k, and those of the [tags] rule's own choice. The CSV has a header "
                    "with a path and a label column; a photo with several labels has one row per label (or "
                    "labels joined by ';'). Labels are matched to keywords case-insensitively. Meaningful only "
                    "with real CLIP weights.")
    t.add_argument("--labels", required=True, metavar="FILE.csv", help="columns path,label")
    t.add_argument("--root", metavar="DIR", help="folder the paths are relative to (default: the CSV's folder)")
    t.add_argument("--k", default="1,3,5", metavar="K,K", help="the k of precision/recall at k (default 1,3,5)")
    t.add_argument("--json", metavar="OUT", dest="json_out", help="write the report as JSON; - for stdout")
    add_engine_options(t)
    t.set_defaults(run=run_tags)


def _write_json(report: dict[str, Any], out: str) -> None:
    text = json.dumps(finite_json(report), indent=2)
    if out == "-":
        sys.stdout.write(text + "\n")
        return
    try:
        Path(out).expanduser().parent.mkdir(parents=True, exist_ok=True)
        Path(out).expanduser().write_text(text + "\n")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None


def run_quality(args: argparse.Namespace) -> int:
    from curator.benchmarks import quality as Q

    list_path = Path(args.list_file).expanduser()
    root = Path(args.root).expanduser() if args.root else list_path.parent
    if args.root and not root.is_dir():
        raise UserError(f"--root {root} is not a folder")
    from curator.benchmarks import attributes as A

    try:
        entries = Q.read_list(list_path)
        attributes = A.read_attributes(Path(args.attributes).expanduser()) if args.attributes else None
    except Q.ListError as exc:
        raise UserError(str(exc)) from None
    settings = settings_from_args(args)
    pinned = dict(QUALITY_PINNED)
    if getattr(args, "preset", None) == "fast":  # asked for on the command line: measure the fast preset
        pinned = {"protocol": pinned["protocol"]}
    pins = {k: v for k, v in pinned.items() if getattr(args, k, None) is None}
    settings = settings.with_overrides("bench quality default", **pins)
    config = settings.engine_config().replace(jpeg_draft=bool(args.jpeg_draft))

    from iqa_engine import Engine

    engine = Engine(config)
    human = sys.stderr if args.json_out == "-" else sys.stdout
    print(f"bench quality: scoring {len(entries)} images with {engine.model_name}, protocol {config.protocol}",
          file=sys.stderr, flush=True)
    result = Q.run_quality(engine, entries, root,
                           progress=lambda m: print(f"bench quality: {m}", file=sys.stderr, flush=True))
    if result["scored"] < 2:
        raise UserError(f"only {result['scored']} of {result['listed']} images could be scored; "
                        "check --root and the image paths in the list")
    print(Q.format_quality(result, engine, list_path), file=human, flush=True)
    report = Q.report_dict(result, engine, list_path, root)
    if attributes is not None:
        rows = result["rows"]
        table = A.agreement(rows, attributes)
        matched = sum(m is not None for m in A.match_attributes([r["image"] for r in rows], attributes))
        print("\n" + A.format_agreement(table, matched, len(rows), Path(args.attributes)), file=human, flush=True)
        report["attributes"] = {"file": str(args.attributes), "matched": matched,
                                "table": [a.as_dict() for a in table]}
    if args.json_out:
        _write_json(report, args.json_out)
    if args.plot:
        try:
            Q.plot_quality(result, engine, Path(args.plot).expanduser(),
                           f"{list_path.name}: {result['scored']} images, {engine.model_name}, protocol {config.protocol}")
        except OSError as exc:
            raise UserError(f"cannot write {args.plot}: {exc.strerror or exc}") from None
    return EXIT_SOME_FAILED if result["failed"] else EXIT_OK


def run_speed(args: argparse.Namespace) -> int:
    from curator.benchmarks import speed as S

    if args.n < 1 or args.repeat < 1:
        raise UserError("--n and --repeat must be at least 1")
    if args.decode_workers is not None and args.decode_workers < 1:
        raise UserError("--decode-workers must be at least 1")
    if args.random_weights and (args.weights or args.pretrained):
        raise UserError("--random-weights builds its own weights; leave out --weights and --pretrained")
    human = sys.stderr if args.json_out == "-" else sys.stdout
    with tempfile.TemporaryDirectory(prefix="curator-bench-") as tmp:
        work = Path(tmp)
        if args.random_weights:
            from curator.benchmarks.random_weights import RANDOM_WEIGHTS_NOTE, build_random_weights

            model = args.model or "RN50"
            print(f"bench speed: {RANDOM_WEIGHTS_NOTE}", file=sys.stderr, flush=True)
            args.weights = str(build_random_weights(model, work / "weights"))
            args.model = model
        settings = settings_from_args(args)
        config = settings.engine_config().replace(jpeg_draft=args.jpeg_draft)
        if args.images:
            folder = Path(args.images).expanduser()
            if not folder.exists():
                raise UserError(f"--images {folder} does not exist")
            paths = list(iter_photo_paths([str(folder)]))[: args.n]
            if not paths:
                raise UserError(f"no photos found in {folder}")
            source = str(folder)
        else:
            from curator.benchmarks.synth import CAMERA_SIZE, has_photographic_sources, synth_photos

            kind = "photographs" if has_photographic_sources() else "procedural scenes"
            print(f"bench speed: synthesising {args.n} JPEGs of {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} "
                  f"(upscaled {kind} with noise)", file=sys.stderr, flush=True)
            paths = synth_photos(work / "photos", args.n)
            source = f"synthetic {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} JPEGs (upscaled {kind}, noise, q95)"
        if args.ray:
            return _run_ray_scaling(args, settings, paths, work, human)
        try:
            report = S.measure_speed(config, paths, work, baseline=args.baseline, repeat=args.repeat,
                                     random_weights=args.random_weights, image_source=source,
                                     reasons_cost=args.reasons_cost)
        except S.NoPhotos as exc:
            raise UserError(str(exc)) from None
    print(S.format_speed(report), file=human, flush=True)
    if args.json_out:
        _write_json(report.to_dict(), args.json_out)
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


def run_tags(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from curator.benchmarks import tags as T
    from iqa_engine import Engine
    from iqa_engine.errors import ImageDecodeError
    from iqa_engine.keywords import term_features

    try:
        ks = sorted({int(k) for k in args.k.split(",") if k.strip()})
    except ValueError:
        raise UserError("--k is a comma-separated list of whole numbers, e.g. 1,3,5") from None
    if not ks or ks[0] < 1:
        raise UserError("--k values must be at least 1")
    root = Path(args.root).expanduser() if args.root else None
    if root is not None and not root.is_dir():
        raise UserError(f"--root {root} is not a folder")
    try:
        labelled = T.read_labels(Path(args.labels).expanduser(), root)
    except T.LabelsError as exc:
        raise UserError(str(exc)) from None
    settings = settings_from_args(args)
    vocabulary, rule = settings.vocabulary(), settings.keyword_rule()
    engine = Engine(settings.engine_config())
    print(f"bench tags: embedding {len(labelled)} photos with {engine.model_name}; "
          f"{len(vocabulary.terms)} terms", file=sys.stderr, flush=True)
    features = term_features(vocabulary, engine.encode_texts, engine.clip_fingerprint,
                             float(engine.backbone.logit_scale().exp()))
    vectors, labels, failed = [], [], 0
    for path, result in engine.embed_paths(list(labelled)):
        if isinstance(result, ImageDecodeError):
            print(f"{path}: {result}", file=sys.stderr)
            failed += 1
            continue
        vectors.append(result.clip_embedding)
        labels.append(labelled[Path(path)])
    if not vectors:
        raise UserError("none of the labelled photos could be read; check --root and the paths in the CSV")
    report = T.evaluate(np.stack(vectors), labels, features, rule, ks)
    human = sys.stderr if args.json_out == "-" else sys.stdout
    print(T.format_report(report, rule, failed), file=human, flush=True)
    if args.json_out:
        _write_json({**dataclasses.asdict(report), "failed": failed, "model": engine.model_name,
                     "weights": engine.backbone.info.source, "vocabulary_terms": len(vocabulary.terms),
                     "rule": dataclasses.asdict(rule)}, args.json_out)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _run_ray_scaling(args: argparse.Namespace, settings: Settings, paths: list[Path], work: Path, human: Any) -> int:
    from curator.benchmarks.machine import describe, machine_info
    from curator.benchmarks.ray_scaling import format_scaling, measure_scaling

    try:
        counts = [int(n) for n in args.ray_actor_counts.split(",") if n.strip()]
    except ValueError:
        raise UserError("--ray-actors takes actor counts such as 1,2") from None
    if not counts or min(counts) < 1 or args.ray_threads < 1:
        raise UserError("--ray-actors and --ray-threads must be at least 1")
    figures = measure_scaling(settings, [str(p) for p in paths], work, actor_counts=counts, address=args.ray,
                              threads=args.ray_threads)
    print(format_scaling(figures, args.ray_threads), file=human)
    print(describe(machine_info()), file=human, flush=True)
    return EXIT_OK
