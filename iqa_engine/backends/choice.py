"""Which runtime runs the image tower: PyTorch, OpenVINO or ONNX Runtime (CPU only).

The text tower and every cue stay in PyTorch: they run once per engine, or
are tiny. Only the image tower, where the time goes, may move to another
runtime, and only when it gives the same score: on a few fixed check views
the fused score must stay within EXACT_BOUND of PyTorch fp32 (fp32), or
within REDUCED_BOUND (bf16, whose fingerprint already says bf16). That is
why the backend is not part of the engine fingerprint.

"auto" tries every installed runtime, checks it, times it against PyTorch on
the check views and keeps the fastest. Every verdict (auto's, or the check of
a runtime asked for by name) is cached in the user cache, keyed by the
weights, the architecture, the precision, the trunk, the thread count and
the installed runtime versions, so later starts load the chosen runtime
straight away, without checking or timing again.
Nothing here ever fails a scan: a missing package, a failed conversion or a
failed check means PyTorch, with one warning line.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..backbone import Backbone
from ..config import EngineConfig
from ..cues import compute_cues
from ..views import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from . import cache
from ..image_tower import ImageTower
from .towers import RUNTIMES, BackendUnavailable, architecture_of

log = logging.getLogger(__name__)

EXACT_BOUND = 1e-5  # |fused - PyTorch fp32 fused| for an fp32 backend: the same score
REDUCED_BOUND = 0.002  # the bound a reduced precision is held to everywhere (see bench speed)
# Runtimes "auto" may choose, per precision, in the order they are tried.
AUTO_CANDIDATES = {"fp32": ("openvino", "onnxruntime"), "bf16": ("openvino",)}
CHECK_VIEWS = 4
# auto times each runtime on a batch nearer a photo's 29 views than the 4 check views: on 4 views the
# runtimes came out within 5 % of each other while on a real batch one was twice as fast as another
TIMING_VIEWS = 16
CHECK_PHOTO = (1, 3, 448, 320)


@dataclass(frozen=True)
class BackendChoice:
    """The runtime running the image tower, and why."""

    name: str  # "torch", "openvino" or "onnxruntime"
    requested: str  # the config's backend option
    version: str  # the runtime's version
    precision: str
    max_deviation: float | None = None  # max |Δfused| vs PyTorch fp32 on the check views
    bound: float | None = None
    ms_per_view: dict[str, float] = field(default_factory=dict)  # measured when auto chose (first start)
    from_cache: bool = False  # the verdict and the converted model came from the user cache
    note: str = ""  # why torch, when another runtime was asked for or tried

    def describe(self) -> str:
        parts = [f"{self.name} {self.version}", self.precision]
        if self.max_deviation is not None:
            parts.append(f"max |Δfused| {self.max_deviation:.1e} vs PyTorch fp32 on the check views")
        if self.ms_per_view:
            parts.append("ms/view " + ", ".join(f"{k} {v:.0f}" for k, v in self.ms_per_view.items()))
        if self.from_cache:
            parts.append("cached")
        if self.requested != self.name:
            parts.append(f"asked: {self.requested}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def attach_backend(backbone: Backbone, config: EngineConfig, text_features: torch.Tensor,
                   logit_scale: torch.Tensor) -> BackendChoice:
    """Pick the runtime for the image tower and hand it to the backbone; PyTorch on any trouble."""
    requested = config.backend
    torch_choice = BackendChoice("torch", requested, torch.__version__, config.precision)
    # the trunk graph too where the engine runs the ResNet trunk itself: the shared trunk (--fast), and
    # QualiCLIP, whose one view is the whole photo through the trunk at its own size
    with_trunk = backbone.is_resnet and (config.method == "qualiclip"
                                         or (config.trunk == "shared" and config.protocol != "global"))
    if requested == "torch":
        backbone.tower = None  # a backbone shared with another engine runs on PyTorch for both
        return torch_choice
    shared = backbone.tower
    if shared is not None and shared.precision == config.precision and (shared.has_trunk or not with_trunk):
        # another engine on this backbone (triage's provisional engine) already attached a fitting tower
        return BackendChoice(shared.name, requested, shared.version, config.precision,
                             note="shared with another engine")
    backbone.tower = None
    if backbone.device.type != "cpu" or config.precision not in AUTO_CANDIDATES:
        if requested != "auto":
            log.warning("backend %s runs on the CPU in fp32 or bf16 only; using torch (%s, %s)",
                        requested, backbone.device.type, config.precision)
        return torch_choice
    candidates = AUTO_CANDIDATES[config.precision] if requested == "auto" else (requested,)
    installed = {n: v for n in candidates if (v := _installed_version(n))}
    if not installed:
        if requested != "auto":  # auto with no runtime installed is plain PyTorch, nothing to say
            log.warning("image tower: the %s package is not installed; using torch", requested)
            return dataclasses.replace(torch_choice, note=f"the {requested} package is not installed")
        return torch_choice
    threads = torch.get_num_threads()
    verdict_path = cache.cache_root() / "choices" / (cache.cache_key(
        "verdict", requested=requested, runtimes=installed, torch=torch.__version__,
        weights=backbone.info.identity, architecture=architecture_of(backbone), precision=config.precision,
        trunk=with_trunk, threads=threads, timing_views=TIMING_VIEWS) + ".json")
    try:
        choice = _from_verdict(backbone, config, requested, cache.read_json(verdict_path), with_trunk, threads)
        if choice is None:
            checker = _Checker(backbone, config, text_features, logit_scale, with_trunk, threads)
            choice = (_choose(checker, tuple(installed)) if requested == "auto"
                      else _load_and_check(checker, requested, requested))
            _write_verdict(verdict_path, choice)
    except _Fallback as why:
        log.warning("image tower: %s; using torch", why)
        return dataclasses.replace(torch_choice, note=str(why))
    if choice.name == "torch" and choice.note:
        log.warning("image tower: %s; using torch", choice.note)
    return choice


class _Fallback(Exception):
    """One line: why PyTorch runs the image tower after all."""


def _open(backbone: Backbone, name: str, precision: str, with_trunk: bool, threads: int) -> ImageTower:
    try:
        return RUNTIMES[name](backbone, precision, with_trunk, threads)
    except BackendUnavailable as exc:
        raise _Fallback(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a cache folder that cannot be written, a runtime bug: never fail the scan
        raise _Fallback(f"{name} failed ({type(exc).__name__}: {str(exc)[:120]})") from None


def _from_verdict(backbone: Backbone, config: EngineConfig, requested: str, verdict: dict[str, Any] | None,
                  with_trunk: bool, threads: int) -> BackendChoice | None:
    """A later start: what an earlier one checked (and, for auto, timed), loaded without checking again."""
    if not verdict or verdict.get("backend") not in ("torch", *RUNTIMES):
        return None
    name = verdict["backend"]
    choice = BackendChoice(name, requested, verdict.get("version", ""), config.precision,
                           verdict.get("max_deviation"), verdict.get("bound"),
                           dict(verdict.get("ms_per_view", {})), from_cache=True, note=verdict.get("note", ""))
    if name != "torch":
        backbone.tower = _open(backbone, name, config.precision, with_trunk, threads)
    return choice


def _write_verdict(path: Path, choice: BackendChoice) -> None:
    try:
        cache.write_json(path, {"backend": choice.name, "version": choice.version, "ms_per_view": choice.ms_per_view,
                                "max_deviation": choice.max_deviation, "bound": choice.bound, "note": choice.note,
                                "checked_at": time.time()})
    except OSError:
        pass  # no cache: the next start checks again


def _load_and_check(checker: _Checker, name: str, requested: str) -> BackendChoice:
    """Open the runtime and check it on the check views; attach it only if it passes."""
    tower = _open(checker.backbone, name, checker.config.precision, checker.with_trunk, checker.threads)
    deviation = checker.deviation(tower)
    if not deviation <= checker.bound:
        raise _Fallback(f"{name} moves the fused score by {deviation:.1e} on the check views "
                        f"(more than {checker.bound:g})")
    checker.backbone.tower = tower
    return BackendChoice(name, requested, tower.version, checker.config.precision, deviation, checker.bound)


def _choose(checker: _Checker, installed: tuple[str, ...]) -> BackendChoice:
    """auto, first start: every installed candidate checked, then timed against PyTorch; the fastest wins."""
    backbone = checker.backbone
    timings = {"torch": checker.ms_per_view(None)}
    passed: dict[str, tuple[ImageTower, BackendChoice]] = {}
    for name in installed:
        try:
            choice = _load_and_check(checker, name, "auto")
        except _Fallback as why:
            log.warning("image tower: %s", why)
            continue
        tower = backbone.tower
        backbone.tower = None
        assert tower is not None  # _load_and_check attached it
        passed[name] = (tower, choice)
        timings[name] = checker.ms_per_view(tower)
    best = min(timings, key=lambda k: timings[k])
    if best == "torch":
        return BackendChoice("torch", "auto", torch.__version__, checker.config.precision, ms_per_view=timings)
    tower, choice = passed[best]
    backbone.tower = tower
    return dataclasses.replace(choice, ms_per_view=timings)


def installed_backends() -> list[str]:
    """"torch", then every other runtime whose package is installed (what `auto` may choose from)."""
    return ["torch"] + [name for name in RUNTIMES if _installed_version(name)]


def _installed_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


class _Checker:
    """Fixed check views, their PyTorch fp32 fused scores, and timing on them."""

    def __init__(self, backbone: Backbone, config: EngineConfig, text_features: torch.Tensor,
                 logit_scale: torch.Tensor, with_trunk: bool, threads: int) -> None:
        self.backbone = backbone
        self.config = config
        self.text_features = text_features
        self.logit_scale = logit_scale
        self.threads = threads
        self.with_trunk = with_trunk
        self.bound = EXACT_BOUND if config.precision == "fp32" else REDUCED_BOUND
        self.views = check_views(CHECK_VIEWS)
        self.timing_views = check_views(TIMING_VIEWS)
        self.photo = check_views(1, CHECK_PHOTO[2:])
        fp32 = Backbone(backbone.model, backbone.tokenizer, backbone.info, backbone.device, "fp32")
        self.reference = self._fused(self._run(None, fp32))

    def _run(self, tower: ImageTower | None, bb: Backbone | None = None, views: torch.Tensor | None = None
             ) -> torch.Tensor:
        bb = bb or self.backbone
        views = self.views if views is None else views
        with torch.inference_mode():
            feats = [tower.features(views) if tower else bb.image_features(views)]
            if self.with_trunk:
                grid = tower.trunk(self.photo) if tower else bb.trunk(self.photo)
                with bb.autocast():
                    feats.append(bb.attention_pool(grid).float())
        return torch.cat([f.float() for f in feats])

    def _fused(self, feats: torch.Tensor) -> torch.Tensor:
        c = self.config
        return compute_cues(feats, self.text_features, self.logit_scale, c.box_cox_lambda, c.base_cosine,
                            c.base_magnitude, c.alpha).fused

    def deviation(self, tower: ImageTower) -> float:
        d = (self._fused(self._run(tower)) - self.reference).abs().max().item()
        return d if math.isfinite(d) else math.inf

    def ms_per_view(self, tower: ImageTower | None) -> float:
        """The faster of two timed runs on TIMING_VIEWS views after a warm-up (one-off kernel set-up is not
        counted)."""
        self._run(tower, views=self.timing_views)
        best = math.inf
        for _ in range(2):
            t = time.perf_counter()
            self._run(tower, views=self.timing_views)
            best = min(best, time.perf_counter() - t)
        return best * 1000.0 / (TIMING_VIEWS + (1 if self.with_trunk else 0))


def check_views(n: int, size: tuple[int, int] = (224, 224)) -> torch.Tensor:
    """Deterministic photo-like views (smooth colour fields with edges and grain), CLIP-normalised range."""
    g = torch.Generator().manual_seed(1234)
    h, w = size
    coarse = torch.rand(n, 3, 6, 6, generator=g)
    smooth = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)
    edges = (torch.rand(n, 1, 12, 12, generator=g) > 0.6).float()
    edges = torch.nn.functional.interpolate(edges, size=(h, w), mode="nearest")
    grain = torch.randn(n, 3, h, w, generator=g) * 0.03
    pixels = (0.7 * smooth + 0.3 * edges + grain).clamp(0, 1)
    mean = torch.tensor(OPENAI_CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(OPENAI_CLIP_STD).view(1, 3, 1, 1)
    return (pixels - mean) / std
