"""What the machine can do fast: the precision the "fast" preset may use.

bf16 only pays on CPUs with native bf16 dot products (AVX512-BF16, or AMX on
Sapphire Rapids and later); elsewhere torch emulates it and RN50 runs several
times slower than fp32 (measured 4-20x slower on an AVX2-only AMD EPYC).
"""

from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path

NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@lru_cache(maxsize=1)
def cpu_model_and_flags() -> tuple[str, frozenset[str]]:
    """The CPU's model name and feature flags (Linux /proc/cpuinfo; empty flags elsewhere)."""
    model, flags = "", frozenset[str]()
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or platform.machine(), flags
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
    return model or platform.processor() or platform.machine(), flags


def cpu_has_native_bf16() -> bool:
    return bool(cpu_model_and_flags()[1] & NATIVE_BF16_FLAGS)


def fast_precision(device_type: str) -> str:
    """The reduced precision worth using on this device type, or fp32 where none is faster."""
    if device_type in ("cuda", "mps"):
        return "fp16"
    return "bf16" if cpu_has_native_bf16() else "fp32"
