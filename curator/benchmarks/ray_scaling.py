"""Throughput of `scan --ray` against the number of actors, and its overhead against a local scan.

Each run is a real scan into a fresh catalog (walk, hash, queue, inspect, score, record). The rate is
the steady state: photos recorded between the first and the last recorded batch, over that time, so
that model loading and actor start-up (paid once per run) do not count; they are reported apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunFigures:
    label: str  # "local" or "ray, N actor(s)"
    actors: int  # 0 for the local scan
    photos: int
    rate: float  # photos/s, steady state
    seconds: float  # the whole scan, start-up included


def _timed_scan(settings: Any, inputs: Sequence[str], engine: Any, ray: Any) -> tuple[int, float, float]:
    from curator.scanning import service

    marks: list[tuple[float, int]] = []
    t0 = time.monotonic()
    summary = service.scan(settings, list(inputs), engine=engine, ray=ray,
                           on_progress=lambda done, total, rate: marks.append((time.monotonic(), done)))
    seconds = time.monotonic() - t0
    done = summary.totals.done
    if len(marks) >= 2 and marks[-1][0] > marks[0][0]:
        rate = (marks[-1][1] - marks[0][1]) / (marks[-1][0] - marks[0][0])
    else:
        rate = done / seconds if seconds > 0 else 0.0
    return done, rate, seconds


def measure_scaling(settings: Any, inputs: Sequence[str], work: Path, *, actor_counts: Sequence[int] = (1, 2),
                    address: str = "local", threads: int = 1) -> list[RunFigures]:
    """A local scan with `threads` torch threads, then `scan --ray` with each actor count (`threads` CPUs each)."""
    import torch

    from curator.scanning.ray_scan import RayOptions, connect
    from iqa_engine import Engine

    torch.set_num_threads(threads)
    engine = Engine(settings.engine_config())
    figures = []
    local = settings.with_overrides("bench", db=str(work / "local.db"), settle_seconds=0.0)
    done, rate, seconds = _timed_scan(local, inputs, engine, None)
    figures.append(RunFigures("local", 0, done, rate, seconds))
    connect(address)
    for n in actor_counts:
        remote = settings.with_overrides("bench", db=str(work / f"ray-{n}.db"), settle_seconds=0.0)
        options = RayOptions(address=address, actors=n, cpus_per_actor=float(threads))
        done, rate, seconds = _timed_scan(remote, inputs, engine, options)
        figures.append(RunFigures(f"ray, {n} actor(s)", n, done, rate, seconds))
    return figures


def format_scaling(figures: Sequence[RunFigures], threads: int) -> str:
    local = next((f for f in figures if f.actors == 0), None)
    lines = [f"{'run':<18} {'photos':>6} {'photos/s':>9} {'per actor':>9} {'overhead':>9} {'wall s':>7}"]
    for f in figures:
        per_actor = f.rate / f.actors if f.actors else f.rate
        overhead = ""
        if local is not None and f.actors and local.rate > 0:
            overhead = f"{100 * (1 - per_actor / local.rate):+.0f} %"
        lines.append(f"{f.label:<18} {f.photos:>6} {f.rate:>9.2f} {per_actor:>9.2f} {overhead:>9} {f.seconds:>7.1f}")
    lines.append(f"(each actor and the local scan: {threads} torch thread(s); overhead: 1 - per-actor rate / "
                 "local rate, steady state; wall s includes model loading and actor start-up)")
    return "\n".join(lines)
