"""What a speed figure was measured on: CPU model and instruction sets, threads, GPU, load."""

from __future__ import annotations

from typing import Any

import os
import platform
import resource
import sys

from iqa_engine.hardware import cpu_model_and_flags


def machine_info(device: str = "cpu") -> dict[str, Any]:
    import torch

    model, flags = cpu_model_and_flags()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):  # an older torch without it, or a build that cannot tell
        capability = "unknown"
    gpu = None
    if torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(0)
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        gpu = "Apple Metal (mps)"
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "torch_threads": torch.get_num_threads(),
        "torch_cpu_capability": capability,  # the widest vector ISA torch's kernels use here
        "avx512": "avx512f" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
        "amx_bf16": "amx_bf16" in flags,
        "gpu": gpu,
        "device": device,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load_average": load,  # other processes sharing the CPU make every figure slower
    }


def describe(info: dict[str, Any]) -> str:
    isa = [str(info["torch_cpu_capability"])]
    if info.get("amx_bf16"):
        isa.append("AMX-BF16")
    elif info.get("avx512_bf16"):
        isa.append("AVX512-BF16")
    else:
        isa.append("no native bf16 (no AVX512-BF16/AMX)")
    load = info.get("load_average")
    parts = [
        f"{info['cpu']}, {info['usable_cpus']} of {info['logical_cpus']} CPUs usable, "
        f"torch {info['torch']} on {info['torch_threads']} threads, ISA {', '.join(isa)}",
        f"GPU: {info['gpu'] or 'none'}",
        f"device {info['device']}",
    ]
    if load is not None:
        parts.append(f"load average {load[0]:.2f}")
    return "; ".join(parts)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux
