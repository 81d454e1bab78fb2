"""`curator bench speed`: time the pipelined whole, then each stage of scoring on its own.

After an untimed warm-up (the pipeline up to its first forward pass, so that
one-off kernel set-up is not counted):

- end to end: engine.score_paths (decode-ahead threads + batching) with a
  catalog write per photo, into a fresh catalog; with --repeat K, the fastest
  of K runs (other processes on the CPU only ever slow a run down);
- decode: file -> upright RGB (engine.decode; a JPEG draft-decoded when allowed);
- views: resize to the protocol's size, normalise, lay out windows (engine.prepare_image);
- forward: the model and the cues (engine.score_prepared), photos grouped into
  passes exactly as score_paths grouped them end to end;
- catalog write: one recorded score per photo.

What the reasons cost: every photo's quality dimensions (in the forward pass)
and classic measurements (in the decode threads) are timed where they run,
and reported per photo as a share of the end-to-end time, against a 5 % bound.
With reasons_cost, end to end is also run with the reasons switched off (same
model, same photos) and both times are printed.

The reference-style loop (--baseline) is how the official MA-CLIP inference
runs, at the same scoring size: one photo at a time, full-size decode, the
model in its default memory format, the text prompts re-encoded on every call,
fp32, the exact windows. Its scores also give the deviation of the measured
configuration from that loop. With a reduced precision or the shared trunk,
the photos are scored again with exact fp32 windows on the same decoded pixels
(by a separately loaded fp32 model) for the deviation report.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from iqa_engine.config import EngineConfig

from .machine import describe, machine_info, peak_rss_mb
from .random_weights import RANDOM_WEIGHTS_NOTE
from .sink import open_sink

if TYPE_CHECKING:
    import torch

    from iqa_engine import Engine
    from iqa_engine.backbone import Backbone
    from iqa_engine.decode import DecodedPhoto
    from iqa_engine.engine import Prepared
    from iqa_engine.results import PhotoScore

DEVIATION_BOUND = 0.002  # |fused - exact fp32 fused| a speed option may cost and still become a default
REASONS_BOUND = 0.05  # the share of the per-photo time the dimensions and measurements may add
EXACT_BOUND = 1e-5  # |fused - PyTorch fp32 fused| another runtime may cost and still give "the same score"

Log = Callable[[str], None]


class NoPhotos(Exception):
    """None of the photos given could be decoded."""


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _stage(total_ms: float, n: int, **extra: object) -> dict[str, Any]:
    per = total_ms / n if n else math.nan
    return {"ms_per_photo": per, "photos_per_s": 1000.0 / per if per > 0 else math.nan, "photos": n, **extra}


@dataclass(frozen=True)
class SpeedReport:
    """What `curator bench speed` measured; to_dict() is the JSON report (format_speed prints it).

    Each section is a JSON object: its keys are the report's documented fields."""

    machine: dict[str, Any]  # describe(): CPU, threads, load average at the start and the end
    engine: dict[str, Any]  # the measured configuration (model, device, precision, backend...)
    images: dict[str, Any]  # the photos: source, sizes, the ones that failed to decode
    stages: dict[str, dict[str, Any]]  # decode, views, forward, catalog_write (and clip_embedding), each alone
    sequential: dict[str, float]  # the sum of the stages, one after another
    end_to_end: dict[str, Any]  # the pipelined path (score_paths + catalog write), the fastest repetition
    deviation: dict[str, Any] | None  # from exact fp32 windows, when the configuration is not exactly that
    baseline: dict[str, Any] | None  # the reference-style loop (--baseline)
    reasons: dict[str, Any] | None  # what the dimensions and measurements cost (with reasons on)
    peak_rss_mb: float | None
    notes: tuple[str, ...]

    @property
    def failed(self) -> int:
        """Photos that could not be decoded."""
        return len(self.images["failed"])

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"notes": list(self.notes)}


def batches(prepared: Sequence[Prepared], batch_views: int) -> Iterator[list[Prepared]]:
    """Whole photos per forward pass, up to batch_views views (at least one photo)."""
    group: list[Prepared] = []
    views = 0
    for p in prepared:
        if group and views + p.photo.n_views > batch_views:
            yield group
            group, views = [], 0
        group.append(p)
        views += p.photo.n_views
    if group:
        yield group


def regroup(prepared: Sequence[Prepared], sizes: Sequence[int]) -> list[list[Prepared]]:
    """prepared cut into consecutive groups of the given sizes; [] when the sizes do not add up."""
    if sum(sizes) != len(prepared):
        return []
    out, start = [], 0
    for k in sizes:
        out.append(list(prepared[start:start + k]))
        start += k
    return out


def deviation(scores: Sequence[float], exact: Sequence[float], bound: float = DEVIATION_BOUND) -> dict[str, Any]:
    """max/mean |score - exact| and Spearman's rho between them."""
    from scipy import stats

    a = np.asarray(scores, dtype=np.float64)
    b = np.asarray(exact, dtype=np.float64)
    d = np.abs(a - b)
    rho = math.nan
    if a.size >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0:
        rho = float(stats.spearmanr(a, b).statistic)
    return {"photos": int(a.size), "max_abs": float(d.max()) if d.size else math.nan,
            "mean_abs": float(d.mean()) if d.size else math.nan, "spearman": rho,
            "bound": bound, "within_bound": bool(d.size and d.max() <= bound),
            "scores": [float(v) for v in a], "reference_scores": [float(v) for v in b]}


def measure_speed(config: EngineConfig, paths: Sequence[Path], work_dir: Path, *, baseline: bool = False,
                  random_weights: bool = False, image_source: str = "", repeat: int = 1,
                  reasons_cost: bool = False, log: Log = _stderr) -> SpeedReport:
    """Run every measurement; return the report (see format_speed)."""
    from iqa_engine import Engine
    from iqa_engine.backbone import Backbone

    notes: list[str] = [RANDOM_WEIGHTS_NOTE] if random_weights else []
    requested_precision = config.precision
    t0 = time.perf_counter()
    engine = Engine(config)
    load_s = time.perf_counter() - t0
    config = engine.config  # with "auto" precision resolved for this device
    bb = engine.backbone
    # the same fp32 parameters without autocast (precision only switches autocast on), on PyTorch:
    # the reference the measured configuration, whatever its backend, is compared with
    bb32 = Backbone(bb.model, bb.tokenizer, bb.info, bb.device, "fp32", stored_text_features=bb.stored_text_features)
    machine = machine_info(str(bb.device))
    notes += _precision_notes(config, bb.device.type)

    log(f"bench speed: model loaded in {load_s:.1f} s; warming up on the first forward pass")
    warm_s, warm_n = _warm_up(engine, paths)
    fastest, all_seconds, without_reasons = _end_to_end_runs(engine, paths, work_dir, repeat, reasons_cost, log)
    end_to_end = {**fastest, "decode_workers": config.decode_workers, "warmup_seconds": warm_s,
                  "warmup_photos": warm_n, "repeats": repeat, "all_seconds": all_seconds}

    stages, prepared = _time_stages(engine, paths, work_dir, end_to_end["pass_sizes"], log)
    reasons = _reasons_cost(end_to_end, without_reasons, stages.measure_ms / stages.n,
                            stages.dimensions_ms / stages.n, config.reasons)
    dev = _deviation_from_exact(engine, bb32, prepared, stages.scores, log)
    del prepared  # the views of every photo: not kept through the reference loop
    fused = [s.fused for s in stages.scores]

    base = None
    if baseline and config.method != "maclip":
        notes.append(f"--baseline is MA-CLIP's reference loop: not run for method {config.method}")
    elif baseline:
        base = _reference_run(bb32, config, stages.good, repeat, fused, end_to_end, log)

    machine["load_average_end"] = machine_info(str(bb.device))["load_average"]
    return SpeedReport(
        machine=machine,
        engine={
            "model": bb.info.model, "weights": bb.info.source, "random_weights": random_weights,
            "device": str(bb.device), "protocol": config.protocol, "precision": config.precision,
            "precision_requested": requested_precision,
            "trunk": config.trunk, "batch_views": config.batch_views, "decode_workers": config.decode_workers,
            "jpeg_draft": config.jpeg_draft, "fingerprint": engine.fingerprint, "load_seconds": load_s,
            "backend": engine.backend.name, "backend_detail": engine.backend.describe(),
            "decoder": engine.decoder.name, "decoder_detail": engine.decoder.why,
        },
        images=_image_summary(stages.good, image_source, stages.failures),
        stages=stages.report(config.jpeg_draft, config.clip_embedding),
        sequential={"ms_per_photo": stages.sequential_ms / stages.n,
                    "photos_per_s": 1000.0 * stages.n / stages.sequential_ms},
        end_to_end=end_to_end,
        deviation=dev,
        baseline=base,
        reasons=reasons,
        peak_rss_mb=peak_rss_mb(),
        notes=tuple(notes),
    )


def _precision_notes(config: EngineConfig, device_type: str) -> list[str]:
    from iqa_engine.hardware import cpu_has_native_bf16

    if config.precision == "bf16" and device_type == "cpu" and not cpu_has_native_bf16():
        return ["this CPU has no bf16 dot-product instructions (AVX512-BF16 or AMX): bf16 runs emulated"]
    return []


def _warm_up(engine: Engine, paths: Sequence[Path]) -> tuple[float, int]:
    """The pipeline up to its first forward pass, untimed (oneDNN builds its kernels per input shape on
    first use): its seconds and the photos in that pass."""
    warm_passes: list[int] = []
    t = time.perf_counter()
    warm_run = engine.score_paths(paths, on_pass=lambda prepared, _seconds: warm_passes.append(len(prepared)))
    try:
        for _ in warm_run:
            if warm_passes:
                break
    finally:
        warm_run.close()
    return time.perf_counter() - t, sum(warm_passes)


def _end_to_end_runs(engine: Engine, paths: Sequence[Path], work_dir: Path, repeat: int, reasons_cost: bool,
                     log: Log) -> tuple[dict[str, Any], list[float], dict[str, Any] | None]:
    """End to end: the pipelined path, with a catalog write per photo, into a fresh catalog each
    repetition, timing how the engine batches and how long the model keeps the scoring thread. The
    fastest repetition is reported, with every repetition's seconds: other processes on the CPU only ever
    slow a run down.

    With reasons_cost, a run without the reasons follows each run with them, so both see the same stretch
    of a busy machine's load; the fastest of those is the third value (None without reasons_cost)."""
    from iqa_engine import Engine

    config = engine.config
    plain = Engine(config.replace(reasons=False), backbone=engine.backbone) if reasons_cost and config.reasons else None
    runs: list[dict[str, Any]] = []
    plain_runs: list[dict[str, Any]] = []
    for rep in range(repeat):
        of = f", run {rep + 1} of {repeat}" if repeat > 1 else ""
        log(f"bench speed: timing end to end on {len(paths)} photos (score_paths + catalog write){of}")
        runs.append(_end_to_end(engine, paths, work_dir / f"end_to_end_{rep}.db"))
        if plain is not None:
            log(f"bench speed: timing end to end without reasons{of}")
            plain_runs.append(_end_to_end(plain, paths, work_dir / f"plain_{rep}.db"))
    fastest = dict(min(runs, key=lambda r: r["seconds"]))
    all_seconds = [r["seconds"] for r in runs]
    if not plain_runs:
        return fastest, all_seconds, None
    without_reasons = dict(min(plain_runs, key=lambda r: r["seconds"]))
    without_reasons["all_seconds"] = [r["seconds"] for r in plain_runs]
    # each run with reasons against the run without that followed it
    without_reasons["paired_increase"] = [float(a["seconds"]) / float(b["seconds"]) - 1.0
                                          for a, b in zip(runs, plain_runs, strict=True)]
    return fastest, all_seconds, without_reasons


@dataclass(frozen=True)
class _Stages:
    """Each stage of scoring timed on its own, one after another (milliseconds summed over the photos)."""

    good: list[Path]  # the photos that decoded, in order
    failures: list[dict[str, str]]
    scores: list[PhotoScore]
    decoded_sizes: list[str]
    scored_sizes: list[tuple[int, int]]
    n_views: int
    measure_ms: float  # the classic measurements, taken in view building
    passes: int
    decode_ms: float
    view_ms: float
    forward_ms: float
    best_views_per_s: float  # the least disturbed pass: other processes on the CPU only ever slow a pass down
    write_ms: float
    writer: str
    embedding_prep_ms: float  # what the standard CLIP embedding and the perceptual hash add to view building
    embedding_forward_ms: float  # and to the forward passes

    @property
    def n(self) -> int:
        return len(self.good)

    @property
    def dimensions_ms(self) -> float:
        return sum(s.reasons_ms for s in self.scores) - self.measure_ms

    @property
    def sequential_ms(self) -> float:
        return self.decode_ms + self.view_ms + self.forward_ms + self.write_ms

    def report(self, jpeg_draft: bool, clip_embedding: bool) -> dict[str, dict[str, Any]]:
        n, n_views = self.n, self.n_views
        stages = {
            "decode": _stage(self.decode_ms, n, decoded_size=_summarise(self.decoded_sizes), jpeg_draft=jpeg_draft),
            "views": _stage(self.view_ms, n, views_per_photo=n_views / n, scored_size=_common_size(self.scored_sizes),
                            measures_ms_per_photo=self.measure_ms / n),
            "forward": _stage(self.forward_ms, n, passes=self.passes, photos_per_pass=n / self.passes,
                              views_per_s=n_views / (self.forward_ms / 1000.0) if self.forward_ms > 0 else math.nan,
                              best_pass_views_per_s=self.best_views_per_s),
            "catalog_write": _stage(self.write_ms, n, writer=self.writer),
        }
        if clip_embedding:
            extra_ms = self.embedding_prep_ms + self.embedding_forward_ms
            rest_ms = self.decode_ms + self.view_ms + self.forward_ms - extra_ms
            stages["clip_embedding"] = _stage(
                extra_ms, n, preprocess_and_hash_ms_per_photo=self.embedding_prep_ms / n,
                model_ms_per_photo=self.embedding_forward_ms / n,
                # what the model does more, whatever the noise: one 224-px view per photo
                views_added_percent=100.0 * n / n_views,
                # against decode + views + forward without it: the scoring pass
                percent_of_pass=100.0 * extra_ms / rest_ms if rest_ms > 0 else math.nan)
        stages["forward"]["dimensions_ms_per_photo"] = self.dimensions_ms / n
        return stages


def _time_stages(engine: Engine, paths: Sequence[Path], work_dir: Path, pass_sizes: Sequence[int],
                 log: Log) -> tuple[_Stages, list[Prepared]]:
    """Decode, views, forward (photos grouped into passes as end to end grouped them: pass_sizes) and
    catalog write, each timed on its own; with the prepared photos. Raises NoPhotos when none decodes."""
    log(f"bench speed: timing decode of {len(paths)} photos")
    good, decoded, failures, decode_ms = _time_decode(engine, paths, log)
    if not good:
        raise NoPhotos(f"none of the {len(paths)} photos could be decoded")
    decoded_sizes = [f"{d.image.size[0]}x{d.image.size[1]}" + (
        "" if d.image.size == d.original_size else f" from {d.original_size[0]}x{d.original_size[1]}")
        for d in decoded]

    log("bench speed: timing view building")
    prepared, view_ms = _time_views(engine, decoded)
    embedding_prep_ms = _time_embedding_prep(decoded, engine) if engine.config.clip_embedding else 0.0
    del decoded

    groups = regroup(prepared, pass_sizes) or list(batches(prepared, engine.config.batch_views))
    n_views = sum(p.photo.n_views for p in prepared)
    log(f"bench speed: timing the model on {n_views} views in {len(groups)} passes")
    scores, forward_ms, best_views_per_s = _time_forward(engine, groups)
    embedding_forward_ms = _time_embedding_forward(engine, groups) if engine.config.clip_embedding else 0.0

    write_ms, writer = _time_catalog_write(work_dir / "stages.db", good, scores)
    stages = _Stages(good=good, failures=failures, scores=scores, decoded_sizes=decoded_sizes,
                     scored_sizes=[p.photo.size for p in prepared], n_views=n_views,
                     measure_ms=sum(p.measure_ms for p in prepared), passes=len(groups), decode_ms=decode_ms,
                     view_ms=view_ms, forward_ms=forward_ms, best_views_per_s=best_views_per_s, write_ms=write_ms,
                     writer=writer, embedding_prep_ms=embedding_prep_ms, embedding_forward_ms=embedding_forward_ms)
    return stages, prepared


def _time_decode(engine: Engine, paths: Sequence[Path], log: Log
                 ) -> tuple[list[Path], list[DecodedPhoto], list[dict[str, str]], float]:
    """Stage 1, file -> upright RGB: the photos that decoded, their pictures, the failures, and the time."""
    from iqa_engine.errors import ImageDecodeError

    good: list[Path] = []
    decoded: list[DecodedPhoto] = []
    failures: list[dict[str, str]] = []
    ms = 0.0
    for p in paths:
        t = time.perf_counter()
        try:
            d = engine.decode(p)
        except ImageDecodeError as exc:
            failures.append({"path": str(p), "error": str(exc)})
            log(f"{p}: {exc}")
            continue
        ms += (time.perf_counter() - t) * 1000.0
        good.append(p)
        decoded.append(d)
    return good, decoded, failures, ms


def _time_views(engine: Engine, decoded: Sequence[DecodedPhoto]) -> tuple[list[Prepared], float]:
    """Stage 2: resize, normalise and lay out the windows (with the measurements)."""
    prepared: list[Prepared] = []
    ms = 0.0
    for d in decoded:
        t = time.perf_counter()
        prepared.append(engine.prepare_image(d.image, d.original_size, d.source))
        ms += (time.perf_counter() - t) * 1000.0
    return prepared, ms


def _time_embedding_prep(decoded: Sequence[DecodedPhoto], engine: Engine) -> float:
    """What the standard CLIP embedding's preprocessing and the perceptual hash add to view building,
    timed again apart."""
    from iqa_engine.perceptual import difference_hash

    ms = 0.0
    for d in decoded:
        t = time.perf_counter()
        engine.backbone.preprocess(d.image)
        difference_hash(d.image)
        ms += (time.perf_counter() - t) * 1000.0
    return ms


def _time_forward(engine: Engine, groups: Sequence[Sequence[Prepared]]) -> tuple[list[PhotoScore], float, float]:
    """Stage 3, the model and the cues: the scores, the time, and the views per second of the fastest pass."""
    scores: list[PhotoScore] = []
    ms_total = 0.0
    best_views_per_s = 0.0
    for g in groups:
        t = time.perf_counter()
        scores.extend(engine.score_prepared(g))
        ms = (time.perf_counter() - t) * 1000.0
        ms_total += ms
        best_views_per_s = max(best_views_per_s, sum(p.photo.n_views for p in g) / (ms / 1000.0))
    return scores, ms_total, best_views_per_s


def _time_embedding_forward(engine: Engine, groups: Sequence[Sequence[Prepared]]) -> float:
    """The standard embedding's share of the forward passes: each pass timed again with and without its
    views, alternately and twice, the fastest of each kept (other processes only ever slow a pass down)."""
    with_ms = without_ms = 0.0
    for g in groups:
        bare = [dataclasses.replace(p, standard_view=None) for p in g]
        timed: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(2):
            for riding, photos in ((True, g), (False, bare)):
                t = time.perf_counter()
                engine.score_prepared(photos)
                timed[riding].append((time.perf_counter() - t) * 1000.0)
        with_ms += min(timed[True])
        without_ms += min(timed[False])
    return max(0.0, with_ms - without_ms)


def _time_catalog_write(db: Path, good: Sequence[Path], scores: Sequence[PhotoScore]) -> tuple[float, str]:
    """Stage 4: one recorded score per photo; the time and the kind of writer."""
    sink = open_sink(db, good)
    ms = 0.0
    try:
        for p, s in zip(good, scores, strict=True):
            t = time.perf_counter()
            sink.record(p, s)
            ms += (time.perf_counter() - t) * 1000.0
    finally:
        sink.close()
    return ms, sink.kind


def _deviation_from_exact(engine: Engine, bb32: Backbone, prepared: Sequence[Prepared],
                          scores: Sequence[PhotoScore], log: Log) -> dict[str, Any] | None:
    """The deviation from exact fp32 windows on PyTorch, on the same prepared photos; None when the measured
    configuration is exactly that. Another runtime on the image tower must give the exact score too."""
    from iqa_engine import Engine

    config = engine.config
    approximate = config.precision != "fp32" or (config.trunk != "windows" and config.protocol != "global")
    if not approximate and engine.backend.name == "torch":
        return None
    log("bench speed: scoring the same photos with exact fp32 windows for the deviation report")
    exact_engine = Engine(config.replace(precision="fp32", trunk="windows", backend="torch"), backbone=bb32)
    exact: list[PhotoScore] = []
    for g in batches(prepared, config.batch_views):
        exact.extend(exact_engine.score_prepared(g))
    dev = deviation([s.fused for s in scores], [s.fused for s in exact],
                    bound=DEVIATION_BOUND if approximate else EXACT_BOUND)
    dev["against"] = "exact fp32 windows on PyTorch, same decoded pixels"
    dev["cosine_max_abs"] = float(np.max(np.abs([a.cosine - b.cosine for a, b in zip(scores, exact, strict=True)])))
    dev["magnitude_max_abs"] = float(np.max(np.abs([a.magnitude - b.magnitude
                                                    for a, b in zip(scores, exact, strict=True)])))
    return dev


def _reference_run(bb32: Backbone, config: EngineConfig, good: Sequence[Path], repeat: int, fused: Sequence[float],
                   end_to_end: dict[str, Any], log: Log) -> dict[str, Any]:
    """The reference-style loop on the photos that decoded, and how far the measured configuration's
    fused scores are from its."""
    log("bench speed: timing the reference-style loop")
    base_load = _load()
    base = reference_loop(bb32, config, good, repeat)
    base["load_average_at_start"], base["load_average_at_end"] = base_load, _load()
    base_dev = deviation(fused, base.pop("fused"))
    base_dev["against"] = "the reference-style loop (full-size decode, fp32 windows)"
    base["deviation_of_configuration"] = base_dev
    base["end_to_end_speedup"] = (end_to_end["photos_per_s"] / base["photos_per_s"]
                                  if base["photos_per_s"] > 0 else math.nan)
    return base


def _end_to_end(engine: Engine, paths: Sequence[Path], db: Path) -> dict[str, Any]:
    passes: list[tuple[int, int, float]] = []  # (photos, views, ms) per forward pass

    def on_pass(prepared: Sequence[Prepared], seconds: float) -> None:
        passes.append((len(prepared), sum(p.photo.n_views for p in prepared), seconds * 1000.0))

    sink = open_sink(db, paths)
    load_start = _load()
    ok = failed = 0
    write_ms = reasons_ms = 0.0
    t = time.perf_counter()
    try:
        for p, result in engine.score_paths(paths, on_pass=on_pass):
            if isinstance(result, Exception):
                failed += 1
                continue
            t1 = time.perf_counter()
            sink.record(p, result)
            write_ms += (time.perf_counter() - t1) * 1000.0
            reasons_ms += result.reasons_ms
            ok += 1
    finally:
        sink.close()
    seconds = time.perf_counter() - t
    model_ms = sum(ms for _, _, ms in passes)
    return {
        "seconds": seconds, "photos": ok, "failed": failed,
        "photos_per_s": ok / seconds if seconds > 0 else math.nan,
        "ms_per_photo": seconds * 1000.0 / ok if ok else math.nan,
        "passes": len(passes), "pass_sizes": [k for k, _, _ in passes],
        "reasons_ms_per_photo": reasons_ms / ok if ok else math.nan,
        "photos_per_pass": ok / len(passes) if passes else math.nan,
        "model_busy_fraction": model_ms / (seconds * 1000.0) if seconds > 0 else math.nan,
        # what the scoring thread spent neither in the model nor writing: waiting for decoded photos
        "waiting_for_decode_s": max(0.0, seconds - (model_ms + write_ms) / 1000.0),
        "load_average_at_start": load_start, "load_average_at_end": _load(),
    }


def _reasons_cost(end_to_end: dict[str, Any], without: dict[str, Any] | None, measures_ms: float,
                  dimensions_ms: float, enabled: bool) -> dict[str, Any] | None:
    """What the dimensions and measurements add per photo, as a share of the end-to-end time."""
    if not enabled:
        return None
    per_photo = float(end_to_end["reasons_ms_per_photo"])
    share = per_photo / float(end_to_end["ms_per_photo"])
    out: dict[str, Any] = {
        "ms_per_photo": per_photo, "measures_ms_per_photo": measures_ms, "dimensions_ms_per_photo": dimensions_ms,
        "share_of_end_to_end": share, "bound": REASONS_BOUND, "within_bound": share <= REASONS_BOUND,
        "end_to_end_without": None, "measured_increase": None,
    }
    if without is not None:
        out["end_to_end_without"] = without
        out["measured_increase"] = float(end_to_end["ms_per_photo"]) / float(without["ms_per_photo"]) - 1.0
    return out


def reference_loop(bb32: Backbone, config: EngineConfig, paths: Sequence[Path], repeat: int = 1) -> dict[str, Any]:
    """One photo at a time as the official inference does; returns timing and the fused scores."""
    import torch

    from iqa_engine import views as V
    from iqa_engine.cues import compute_cues
    from iqa_engine.decode import decode_photo

    # The reference keeps the model in torch's default (NCHW) layout; the engine's copy is channels_last.
    model = copy.deepcopy(bb32.model).to(memory_format=torch.contiguous_format)
    tokenizer = bb32.tokenizer
    prompts = [t for pair in config.prompt_pairs for t in pair]
    device = bb32.device

    def score(path: Path) -> float:
        d = decode_photo(path)  # full size: no draft
        photo = V.prepare(d.image, d.original_size, config.protocol, config.max_long_side)
        views = V.window_views(photo).to(device)
        with torch.no_grad():
            text = model.encode_text(tokenizer(prompts).to(device)).float()  # every call, as the reference
            if bb32.is_resnet:
                feats = _reference_resnet_features(model.visual, views)
            else:
                feats = model.encode_image(views).float()
        cues = compute_cues(feats, text, model.logit_scale.detach().float(), config.box_cox_lambda,
                            config.base_cosine, config.base_magnitude, config.alpha)
        return float(cues.fused.mean())

    score(paths[0])  # warm-up, untimed, as for the engine
    all_seconds: list[float] = []
    fused: list[float] = []
    for _ in range(repeat):  # the fastest repetition counts, as for end to end
        fused = []
        t = time.perf_counter()
        for p in paths:  # photos the engine decoded, so none fails here
            fused.append(score(p))
        all_seconds.append(time.perf_counter() - t)
    seconds = min(all_seconds)
    return {"seconds": seconds, "photos": len(fused), "photos_per_s": len(fused) / seconds,
            "ms_per_photo": seconds * 1000.0 / len(fused), "fused": fused, "repeats": repeat,
            "all_seconds": all_seconds,
            "what": "one photo at a time, full-size decode, NCHW model, text re-encoded per call, fp32, exact windows"}


def _reference_resnet_features(visual: Any, views: torch.Tensor) -> torch.Tensor:
    from iqa_engine.backbone import attention_pool

    h = visual.stem(views)
    h = visual.layer4(visual.layer3(visual.layer2(visual.layer1(h))))
    return attention_pool(visual.attnpool, h).float()


def _common_size(sizes: Iterable[tuple[int, int]]) -> str:
    return _summarise([f"{w}x{h}" for w, h in sizes])


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _summarise(items: Sequence[str]) -> str:
    seen = sorted(set(items))
    return ", ".join(seen[:3]) + (" ..." if len(seen) > 3 else "")


def _image_summary(paths: Sequence[Path], source: str, failures: list[dict[str, str]]) -> dict[str, Any]:
    from PIL import Image

    sizes, mb = [], []
    for p in paths:
        try:
            with Image.open(p) as im:
                sizes.append(im.size)
            mb.append(os.path.getsize(p) / 1e6)
        except OSError:
            continue
    mp = [w * h / 1e6 for w, h in sizes]
    return {"source": source, "photos": len(paths), "failed": failures,
            "megapixels_mean": float(np.mean(mp)) if mp else math.nan,
            "file_mb_mean": float(np.mean(mb)) if mb else math.nan,
            "sizes": _common_size(sizes)}


def _f(v: object, spec: str) -> str:
    return format(v, spec) if isinstance(v, (int, float)) and math.isfinite(v) else "n/a"


def format_speed(r: SpeedReport) -> str:
    e, im, st = r.engine, r.images, r.stages
    weights = "RANDOM WEIGHTS (seeded; speed only)" if e["random_weights"] else e["weights"]
    lines = [
        f"curator bench speed: {im['photos']} photos, {im['source']} "
        f"({_f(im['megapixels_mean'], '.1f')} MP, {_f(im['file_mb_mean'], '.1f')} MB on average)",
        f"machine: {describe(r.machine)}",
        f"engine:  {e['model']} [{weights}], {e['device']}, protocol {e['protocol']} "
        f"({_f(st['views']['views_per_photo'], '.0f')} views/photo at {st['views']['scored_size']}), "
        f"{e['precision']}{' (auto)' if e.get('precision_requested') == 'auto' else ''}, trunk {e['trunk']}, "
        f"{e['batch_views']} views/pass, "
        f"{e['decode_workers']} decode workers, JPEG draft {'on' if e['jpeg_draft'] else 'off'}",
        f"backend: {e.get('backend_detail', 'torch')}",
        f"JPEG decoder: {e.get('decoder', 'cpu')} ({e.get('decoder_detail', '')})",
        "",
        f"{'stage':<22}{'ms/photo':>10}{'photos/s':>10}",
    ]
    rows = [
        ("decode", st["decode"], f"decoded {st['decode']['decoded_size']}"),
        ("views", st["views"], ""),
        ("forward (model+cues)", st["forward"],
         f"{_f(st['forward']['photos_per_pass'], '.1f')} photos/pass, {_f(st['forward']['views_per_s'], '.1f')} views/s "
         f"(best pass {_f(st['forward']['best_pass_views_per_s'], '.1f')})"),
        ("catalog write", st["catalog_write"], st["catalog_write"]["writer"]),
        ("sum of stages", r.sequential, "one after another, one thread"),
    ]
    if "clip_embedding" in st:
        ce = st["clip_embedding"]
        rows.insert(3, ("  of which CLIP emb.", ce,
                        f"standard embedding + perceptual hash: {_f(ce['percent_of_pass'], '.1f')}% on top of "
                        f"decode+views+forward (preprocess {_f(ce['preprocess_and_hash_ms_per_photo'], '.1f')}, "
                        f"model {_f(ce['model_ms_per_photo'], '.1f')} ms/photo; the model sees "
                        f"{_f(ce['views_added_percent'], '.1f')}% more views)"))
    for name, s, note in rows:
        lines.append(f"{name:<22}{_f(s['ms_per_photo'], '10.1f')}{_f(s['photos_per_s'], '10.2f')}  {note}".rstrip())
    ee = r.end_to_end
    lines.append(f"{'end to end':<22}{_f(ee['ms_per_photo'], '10.1f')}{_f(ee['photos_per_s'], '10.2f')}  "
                 f"score_paths + catalog write: {ee['photos']} photos in {_f(ee['seconds'], '.1f')} s"
                 + (f" (fastest of {ee['repeats']}: " + ", ".join(_f(x, '.3g') for x in ee['all_seconds']) + " s)"
                    if ee["repeats"] > 1 else "")
                 + (f", {ee['failed']} failed" if ee["failed"] else ""))
    lines.append(f"  end to end: {_f(ee['photos_per_pass'], '.1f')} photos per forward pass, model busy "
                 f"{_f(100 * ee['model_busy_fraction'], '.0f')}% of the time, scoring thread waited "
                 f"{_f(ee['waiting_for_decode_s'], '.1f')} s for decoded photos; load average "
                 f"{_f(ee['load_average_at_start'], '.1f')} -> {_f(ee['load_average_at_end'], '.1f')}")
    lines.append(f"  not timed: model load {_f(e['load_seconds'], '.1f')} s, warm-up on {ee['warmup_photos']} "
                 f"photo(s) {_f(ee['warmup_seconds'], '.1f')} s")
    b = r.baseline
    if b:
        lines += ["",
                  f"{'reference-style loop':<22}{_f(b['ms_per_photo'], '10.1f')}{_f(b['photos_per_s'], '10.2f')}  {b['what']}"
                  + (f" (fastest of {b['repeats']}: " + ", ".join(_f(x, '.3g') for x in b['all_seconds']) + " s)"
                     if b["repeats"] > 1 else ""),
                  f"  load average {_f(b['load_average_at_start'], '.1f')} -> {_f(b['load_average_at_end'], '.1f')}; "
                  f"end to end is {_f(b['end_to_end_speedup'], '.2f')}x the reference-style loop"]
        lines.append(_format_deviation(b["deviation_of_configuration"]))
    if r.deviation:
        lines += ["", _format_deviation(r.deviation)]
    if r.reasons:
        lines += ["", _format_reasons(r.reasons)]
    lines += ["", f"peak RSS: {_f(r.peak_rss_mb, '.0f')} MiB"]
    for note in r.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _format_deviation(d: dict[str, Any]) -> str:
    verdict = "within" if d["within_bound"] else "OUTSIDE"
    spec = ".2e" if d["bound"] < 1e-3 else ".5f"
    return (f"deviation of fused from {d['against']} over {d['photos']} photos: max {_f(d['max_abs'], spec)}, "
            f"mean {_f(d['mean_abs'], spec)}, Spearman {_f(d['spearman'], '.4f')}: {verdict} the "
            f"{d['bound']} bound" + (f" (fused spans {min(d['reference_scores']):.4f} to "
                                       f"{max(d['reference_scores']):.4f} here)" if d.get("reference_scores") else ""))


def _format_reasons(c: dict[str, Any]) -> str:
    verdict = "within" if c["within_bound"] else "OUTSIDE"
    text = (f"reasons (quality dimensions + classic measurements): {_f(c['ms_per_photo'], '.1f')} ms/photo end to end "
            f"= {_f(100 * c['share_of_end_to_end'], '.2f')}% of the per-photo time, {verdict} the "
            f"{100 * c['bound']:.0f}% bound (stages: measurements {_f(c['measures_ms_per_photo'], '.1f')} ms in the "
            f"decode threads, dimensions {_f(c['dimensions_ms_per_photo'], '.2f')} ms in the forward pass)")
    w = c.get("end_to_end_without")
    if w:
        paired = ", ".join(_f(100 * x, "+.1f") + "%" for x in w["paired_increase"])
        text += (f"\n  end to end without reasons: {_f(w['ms_per_photo'], '.1f')} ms/photo (fastest of "
                 f"{len(w['all_seconds'])}); fastest with them vs fastest without "
                 f"{_f(100 * c['measured_increase'], '+.1f')}%, run by run {paired} (differences of two "
                 "timings: on a busy machine they are noisier than the share above)")
    return text
