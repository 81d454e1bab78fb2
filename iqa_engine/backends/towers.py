"""Image towers on another runtime: OpenVINO or ONNX Runtime, on the CPU.

Each tower converts the torch graphs once (graphs.py), keeps the converted
files in the user cache (cache.py) and answers the two calls the backbone
makes: features(views) and trunk(photo). Inputs arrive as torch tensors and
leave as float32 torch tensors, so the cue maths downstream never knows
which runtime ran.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..backbone import Backbone
from ..image_tower import ImageTower
from ..hardware import cpu_model_and_flags
from . import cache
from .graphs import FeaturesGraph, TrunkGraph, export_copy

VIEW_SHAPE = (3, 224, 224)
# The smallest photo the trunk is traced with (the engine never scores a side under 224 px).
TRUNK_EXAMPLE = (1, 3, 448, 320)


class BackendUnavailable(Exception):
    """The runtime is not installed, or could not convert or compile this model (one-line message)."""


def _as_numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().to("cpu", torch.float32).contiguous().numpy()


def architecture_of(backbone: Backbone) -> dict[str, Any]:
    """What decides the traced graph besides the weights: the open_clip config and the activation."""
    try:
        import open_clip

        cfg = open_clip.get_model_config(backbone.info.model) or {}
    except Exception:  # noqa: BLE001 - a config open_clip cannot give only weakens the cache key
        cfg = {}
    return {"model": backbone.info.model, "config": cfg, "quick_gelu": backbone.info.quick_gelu,
            "resnet": backbone.is_resnet}


# -- OpenVINO ------------------------------------------------------------------


class OpenVinoTower:
    """The image tower compiled by OpenVINO for the CPU.

    Conversion traces the torch graphs (openvino.convert_model) and saves them
    as IR (model.xml/.bin); compilation goes through OpenVINO's CACHE_DIR, so
    a second start imports the compiled blob instead of compiling again.
    INFERENCE_PRECISION_HINT is always set: on a CPU with native bf16
    OpenVINO would otherwise pick bf16 by itself, which is not the exact score.
    """

    name = "openvino"

    def __init__(self, backbone: Backbone, precision: str, with_trunk: bool, threads: int) -> None:
        try:
            import openvino as ov
        except ImportError:
            raise BackendUnavailable("the openvino package is not installed") from None
        self.precision = precision
        self.version = ov.get_version()
        folder = cache.tower_dir(cache.cache_key("openvino", runtime=self.version,
                                                 weights=backbone.info.identity,
                                                 architecture=architecture_of(backbone)))
        self.folder = folder
        core = ov.Core()
        core.set_property({"CACHE_DIR": str(folder / "compiled")})
        hint = {"fp32": "f32", "bf16": "bf16"}[precision]
        if hint == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            raise BackendUnavailable("this CPU has no native bf16 for OpenVINO")
        options = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": hint,
                   "INFERENCE_NUM_THREADS": threads}
        visual: torch.nn.Module | None = None

        def graph(name: str, module_factory: Callable[[torch.nn.Module], torch.nn.Module],
                  example: tuple[int, ...], shape: list[int]) -> Any:
            nonlocal visual
            xml = folder / f"{name}.xml"
            if not xml.is_file():
                if visual is None:
                    visual = export_copy(backbone)
                with torch.no_grad(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # tracer notes on the graph; the check views decide
                    model = ov.convert_model(module_factory(visual), example_input=torch.zeros(example),
                                             input=[shape])
                tmp_xml = folder / f".{name}.{os.getpid()}.xml"
                ov.save_model(model, tmp_xml, compress_to_fp16=False)
                # the .bin first: a present .xml always has its weights beside it
                cache.replace_atomically(tmp_xml.with_suffix(".bin"), xml.with_suffix(".bin"))
                cache.replace_atomically(tmp_xml, xml)
            return core.compile_model(str(xml), "CPU", options)

        try:
            self.compiled = graph("features", lambda v: FeaturesGraph(v, backbone.is_resnet),
                                  (1, *VIEW_SHAPE), [-1, *VIEW_SHAPE])
            self._features = self.compiled.create_infer_request()
            self._trunk = (graph("trunk", TrunkGraph, TRUNK_EXAMPLE, [1, 3, -1, -1]).create_infer_request()
                           if with_trunk else None)
        except BackendUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - conversion and compilation fail in many ways; the scan must not
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BackendUnavailable(f"OpenVINO could not convert the image tower ({first[:160]})") from None

    @property
    def has_trunk(self) -> bool:
        return self._trunk is not None

    def kernel_isas(self) -> dict[str, int]:
        """How many compiled nodes run kernels of which ISA (amx, avx512, avx2, ...), from the runtime graph."""
        counts: dict[str, int] = {}
        for op in self.compiled.get_runtime_model().get_ops():
            info = op.get_rt_info()
            kind = info["primitiveType"].astype(str) if "primitiveType" in info else ""
            isa = next((k for k in ("amx", "avx512", "avx2", "sse41", "mlas") if k in kind), None)
            if isa:  # layout moves and shape-only nodes name no ISA
                counts[isa] = counts.get(isa, 0) + 1
        return counts

    def features(self, views: torch.Tensor) -> torch.Tensor:
        out = self._features.infer({0: _as_numpy(views)})
        return torch.from_numpy(np.array(out[0], dtype=np.float32, copy=True))

    def trunk(self, photo: torch.Tensor) -> torch.Tensor:
        assert self._trunk is not None, "trunk graph not converted"
        out = self._trunk.infer({0: _as_numpy(photo)})
        return torch.from_numpy(np.array(out[0], dtype=np.float32, copy=True))


# -- ONNX Runtime ----------------------------------------------------------------


class OnnxRuntimeTower:
    """The image tower exported to ONNX (torch.onnx, TorchScript exporter) and run by ONNX Runtime's CPU provider.

    fp32 only: the CPU provider has no bf16 kernels for convolutions.
    """

    name = "onnxruntime"

    def __init__(self, backbone: Backbone, precision: str, with_trunk: bool, threads: int) -> None:
        if precision != "fp32":
            raise BackendUnavailable("ONNX Runtime runs this model in fp32 only")
        try:
            import onnxruntime as ort
        except ImportError:
            raise BackendUnavailable("the onnxruntime package is not installed") from None
        self.precision = precision
        self.version = ort.__version__
        # the optimised graph saved below is specific to this CPU's kernels: the CPU is part of the key
        folder = cache.tower_dir(cache.cache_key("onnxruntime", runtime=self.version, torch=torch.__version__,
                                                 weights=backbone.info.identity,
                                                 architecture=architecture_of(backbone),
                                                 cpu=sorted(cpu_model_and_flags()[1])))
        self.folder = folder
        visual: torch.nn.Module | None = None

        def options(optimise_into: Path | None) -> Any:
            """Optimise once and save the result; later sessions load it with no optimisation pass."""
            o = ort.SessionOptions()
            o.intra_op_num_threads = threads
            o.inter_op_num_threads = 1
            if optimise_into is None:
                o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            else:
                o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                o.optimized_model_filepath = str(optimise_into)
                # its note that the saved graph suits this CPU only: the cache folder is keyed by the CPU
                o.log_severity_level = 3
            return o

        def session(name: str, module_factory: Callable[[torch.nn.Module], torch.nn.Module],
                    example: tuple[int, ...], axes: dict[int, str]) -> Any:
            nonlocal visual
            path = folder / f"{name}.onnx"
            if not path.is_file():
                if visual is None:
                    visual = export_copy(backbone)
                tmp = folder / f".{name}.{os.getpid()}.onnx"
                with torch.no_grad(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # exporter deprecation and tracer notes
                    torch.onnx.export(module_factory(visual), (torch.zeros(example),), str(tmp),
                                      input_names=["x"], output_names=["y"], dynamic_axes={"x": axes},
                                      dynamo=False, opset_version=17)
                cache.replace_atomically(tmp, path)
            optimised = folder / f"{name}.optimised.onnx"
            if optimised.is_file():
                return ort.InferenceSession(str(optimised), options(None), providers=["CPUExecutionProvider"])
            tmp_opt = folder / f".{name}.{os.getpid()}.optimised.onnx"
            created = ort.InferenceSession(str(path), options(tmp_opt), providers=["CPUExecutionProvider"])
            cache.replace_atomically(tmp_opt, optimised)
            return created

        try:
            self._features = session("features", lambda v: FeaturesGraph(v, backbone.is_resnet),
                                     (1, *VIEW_SHAPE), {0: "batch"})
            self._trunk = (session("trunk", TrunkGraph, TRUNK_EXAMPLE, {2: "height", 3: "width"})
                           if with_trunk else None)
        except Exception as exc:  # noqa: BLE001 - export and session errors come in many types; fall back
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BackendUnavailable(f"ONNX Runtime could not load the image tower ({first[:160]})") from None

    @property
    def has_trunk(self) -> bool:
        return self._trunk is not None

    def features(self, views: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self._features.run(None, {"x": _as_numpy(views)})[0])

    def trunk(self, photo: torch.Tensor) -> torch.Tensor:
        assert self._trunk is not None, "trunk graph not converted"
        return torch.from_numpy(self._trunk.run(None, {"x": _as_numpy(photo)})[0])


RUNTIMES: dict[str, Callable[[Backbone, str, bool, int], ImageTower]] = {
    "openvino": OpenVinoTower, "onnxruntime": OnnxRuntimeTower}


def folder_of(tower: object) -> Path | None:
    return getattr(tower, "folder", None)
