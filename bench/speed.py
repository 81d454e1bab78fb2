#!/usr/bin/env python3
"""Every row of the speed targets, measured side by side in one run, with the machine and the date.

    python bench/speed.py                        # RN50, seeded random weights, 6 synthetic 24-MP JPEGs
    python bench/speed.py --weights RN50.pt --n 8 --json bench/out/targets.json
    python bench/speed.py --isa native           # skip the AVX2-capped pass
    python bench/speed.py --quick                # towers and start-up only (minutes, not tens of minutes)
    python bench/speed.py --parts triage,start   # only some parts (rows of the others say "not measured")

What it runs, each part in a fresh child process (so the ISA cap is set
before oneDNN starts, and every start-up is a real cold or warm start):

- towers: the image tower alone on the 29 views of one 3:2 photo, fp32,
  on PyTorch (NCHW as the reference; channels_last as the engine), OpenVINO
  and ONNX Runtime, plus bf16 where the CPU has native bf16; ms per photo
  and max |Δfused| against PyTorch fp32 on the same views;
- targets: `curator bench speed` measurements (curator.benchmarks.speed) of
  the exact preset (with the reference-style loop beside it), the fast
  preset, and the global protocol (the provisional score's protocol);
- triage: `scan` of the same photos into a fresh catalog with triage
  forced, then with triage off: when every photo first shows a score, and
  when every photo has its exact score (the backlog rows);
- start: the engine built twice in two fresh processes sharing one user
  cache: the first converts the image tower, the second must be ready fast.

Both passes by default: the CPU as it is ("native"), and capped at AVX2
(ONEDNN_MAX_CPU_ISA=AVX2 for PyTorch's and OpenVINO's oneDNN, plus
OV_CPU_MAX_ISA=AVX2, which release OpenVINO wheels ignore, so OpenVINO's own
non-oneDNN kernels may still use AVX-512: the OpenVINO row prints which
kernel families actually ran). ONNX Runtime's MLAS has no such cap. In the
capped pass the fast preset runs fp32, what "auto" picks on an AVX2-only CPU.

Figures on a shared machine are slower than quiet ones, and not evenly:
re-run on a quiet machine before quoting them. A GPU row is measured only
when torch sees a CUDA GPU; otherwise it says "not measured".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOWER_VIEWS_SIZE = (1024, 683)  # a 3:2 photo at the koniq scoring size: 7 x 4 windows + the global view
ISA_ENV = {"native": {}, "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "OV_CPU_MAX_ISA": "AVX2"}}


# -- children ----------------------------------------------------------------------


def child_towers(args: argparse.Namespace) -> dict:
    """The image tower alone, per runtime: ms per photo (29 views) and max |Δfused| vs PyTorch fp32."""
    import copy

    import torch
    from PIL import Image

    from iqa_engine import Engine, EngineConfig
    from iqa_engine import views as V
    from iqa_engine.cues import compute_cues
    from iqa_engine.hardware import cpu_has_native_bf16

    image = Image.open(args.photo).convert("RGB").resize(TOWER_VIEWS_SIZE, Image.Resampling.BICUBIC)
    base = EngineConfig(model=args.model, weights=args.weights, pretrained=None)
    reference = Engine(base.replace(backend="torch"))
    views = V.window_views(V.prepare(image, image.size, "koniq"))

    def fused(engine: Engine, feats: torch.Tensor) -> torch.Tensor:
        c = engine.config
        return compute_cues(feats, engine._text_features, engine._logit_scale, c.box_cox_lambda,
                            c.base_cosine, c.base_magnitude, c.alpha).fused

    def timed(fn) -> tuple[float, torch.Tensor]:
        with torch.inference_mode():
            out = fn()  # warm-up: kernels are built per shape on first use
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = fn()
                best = min(best, time.perf_counter() - t)
        return best * 1000.0, out.float()

    rows = []
    nchw = copy.deepcopy(reference.backbone.model.visual).to(memory_format=torch.contiguous_format)
    from curator.benchmarks.speed import _reference_resnet_features

    ms, ref_feats = timed(lambda: _reference_resnet_features(nchw, views))
    ref_fused = fused(reference, ref_feats)
    rows.append({"runtime": "torch NCHW (reference style)", "precision": "fp32", "ms": ms, "max_dfused": 0.0})
    variants = [("torch", "fp32"), ("openvino", "fp32"), ("onnxruntime", "fp32")]
    if cpu_has_native_bf16() and args.isa == "native":
        variants += [("torch", "bf16"), ("openvino", "bf16")]
    for backend, precision in variants:
        t = time.perf_counter()
        engine = Engine(base.replace(backend=backend, precision=precision))
        ready_s = time.perf_counter() - t
        if engine.backend.name != backend:
            rows.append({"runtime": backend, "precision": precision, "ms": None, "max_dfused": None,
                         "note": engine.backend.note or "not available"})
            continue
        ms, feats = timed(lambda e=engine: e.backbone.image_features(views))
        row = {"runtime": "torch channels_last (engine)" if backend == "torch" else backend,
               "precision": precision, "ms": ms,
               "max_dfused": float((fused(engine, feats) - ref_fused).abs().max()),
               "version": engine.backend.version, "ready_s": ready_s}
        tower = engine.backbone.tower
        if tower is not None and hasattr(tower, "kernel_isas"):
            row["kernels"] = tower.kernel_isas()
        rows.append(row)
    return {"views": int(views.shape[0]), "threads": torch.get_num_threads(), "rows": rows}


def child_targets(args: argparse.Namespace) -> dict:
    """The end-to-end measurements behind the targets table (curator.benchmarks.speed)."""
    from curator.benchmarks import speed as S
    from iqa_engine import EngineConfig

    paths = [Path(p) for p in args.paths]
    work = Path(args.work)
    base = EngineConfig(model=args.model, weights=args.weights, pretrained=None, backend="auto")
    fast_precision = "auto" if args.isa == "native" else "fp32"  # auto on an AVX2-only CPU is fp32
    runs = {
        "exact": (base, True),
        "exact_torch": (base.replace(backend="torch"), False),
        "fast": (base.replace(trunk="shared", precision=fast_precision), False),
        "global": (base.replace(protocol="global"), False),
    }
    if args.quick:
        runs = {k: v for k, v in runs.items() if k in ("exact", "global")}
    out = {}
    for name, (config, baseline) in runs.items():
        run_dir = work / f"{args.isa}-{name}"
        run_dir.mkdir(parents=True, exist_ok=True)
        print(f"bench: {args.isa} {name}", file=sys.stderr, flush=True)
        report = S.measure_speed(config, paths, run_dir, baseline=baseline, repeat=args.repeat,
                                 random_weights=args.random_weights, image_source="synthetic 24-MP JPEGs")
        print(S.format_speed(report), file=sys.stderr, flush=True)
        out[name] = report.to_dict()
    return out


def child_triage(args: argparse.Namespace) -> dict:
    """`scan` of the photos into a fresh catalog, with triage forced and with it off: when every photo
    first has a score (provisional allowed), and when every photo has its exact score."""
    from curator.scanning import service
    from curator.catalog import Catalog
    from curator.settings import Settings
    from iqa_engine import Engine, EngineConfig

    work = Path(args.work)
    engine = Engine(EngineConfig(model=args.model, weights=args.weights, pretrained=None, backend="auto"))
    folder = work / "photos-for-triage"
    folder.mkdir(parents=True, exist_ok=True)
    for p in args.paths:  # the same photos, under a folder of their own (scan walks folders)
        target = folder / Path(p).name
        if not target.exists():
            target.symlink_to(p)
    out = {}
    for mode, triage_over in (("triage", 0), ("no_triage", -1)):
        db = work / f"triage-{mode}.db"
        settings = Settings(db=str(db), model=args.model, weights=args.weights, pretrained=None, backend="auto",
                            settle_seconds=0.0, poll_interval_seconds=0.05, triage_over=triage_over)
        first_all_scored: list[float] = []
        t0 = time.perf_counter()

        def progress(done: int, total: int, rate: float, db: Path = db, marks: list[float] = first_all_scored,
                     t0: float = t0) -> None:
            if marks:
                return
            with Catalog.open(db, readonly=True) as cat:
                if all(r.fused is not None for r in cat.gallery_rows()):
                    marks.append(time.perf_counter() - t0)

        print(f"bench: scan {mode}", file=sys.stderr, flush=True)
        service.scan(settings, [str(folder)], engine=engine, triage=triage_over == 0, on_progress=progress)
        out[mode] = {"all_scored_s": first_all_scored[0] if first_all_scored else None,
                     "all_exact_s": time.perf_counter() - t0, "photos": len(args.paths)}
    return out


def child_start(args: argparse.Namespace) -> dict:
    """One start: the process launched, torch and open_clip imported, then the engine built (auto backend)
    until it can score. Times are from the parent's launch of this process (interpreter start included)."""
    launched = float(args.launched_at)
    t0 = time.time()
    import torch  # noqa: F401 - counted with the imports

    t1 = time.time()
    import open_clip  # noqa: F401 - the engine imports it on first use: counted apart

    from iqa_engine import Engine, EngineConfig

    t2 = time.time()
    engine = Engine(EngineConfig(model=args.model, weights=args.weights, pretrained=None, backend="auto",
                                 trunk=args.trunk))
    t3 = time.time()
    return {"interpreter_s": t0 - launched, "torch_import_s": t1 - t0, "open_clip_import_s": t2 - t1,
            "imports_s": t2 - t0, "ready_s": t3 - t2, "total_s": t3 - launched, "backend": engine.backend.describe()}


def child_gpu(args: argparse.Namespace) -> dict:
    import torch

    if not torch.cuda.is_available():
        return {"gpu": None}
    from curator.benchmarks import speed as S
    from iqa_engine import EngineConfig

    config = EngineConfig(model=args.model, weights=args.weights, pretrained=None, device="cuda",
                          batch_views=512, decode_workers=max(2, os.cpu_count() or 2))
    report = S.measure_speed(config, [Path(p) for p in args.paths], Path(args.work), repeat=args.repeat,
                             random_weights=args.random_weights, image_source="synthetic 24-MP JPEGs")
    return {"gpu": torch.cuda.get_device_name(0), "report": report.to_dict()}


CHILDREN = {"towers": child_towers, "targets": child_targets, "triage": child_triage, "start": child_start,
            "gpu": child_gpu}


# -- the parent: run the children, print the table -----------------------------------


def run_child(kind: str, isa: str, cache: Path, common: list[str], log_dir: Path) -> dict:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=os.pathsep.join(
        [str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    for key in ("ONEDNN_MAX_CPU_ISA", "OV_CPU_MAX_ISA"):
        env.pop(key, None)
    env.update(ISA_ENV[isa])
    out = log_dir / f"{kind}-{isa}-{time.monotonic_ns()}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--isa", isa, "--child-out", str(out),
           "--launched-at", repr(time.time()), *common]
    proc = subprocess.run(cmd, env=env, cwd=REPO, check=False)
    if proc.returncode != 0 or not out.is_file():
        return {"error": f"child {kind} ({isa}) exited with {proc.returncode}"}
    return json.loads(out.read_text())


def _x(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "n/a"


def _ms(v: float | None) -> str:
    return f"{v:,.0f}" if isinstance(v, (int, float)) else "n/a"


def format_towers(t: dict, isa: str) -> list[str]:
    if "error" in t:
        return [f"towers ({isa}): {t['error']}"]
    rows = t["rows"]
    ref = rows[0]["ms"]
    capped = "capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)" if isa == "avx2" else "as it is"
    lines = [f"image tower alone, {t['views']} views of one 3:2 photo (koniq), {t['threads']} threads, CPU {capped}:",
             (f"  {'runtime':<30}{'precision':<10}{'ms/photo':>10}{'vs NCHW':>9}{'vs engine torch':>17}"
              f"{'max |Δfused|':>14}  notes")]
    engine_torch = next((r["ms"] for r in rows if r["runtime"].startswith("torch channels_last")
                         and r["precision"] == "fp32"), None)
    for r in rows:
        note = r.get("note", "")
        if r.get("kernels"):
            note = "kernels by ISA: " + ", ".join(f"{k} {v}" for k, v in sorted(r["kernels"].items()))
        if r.get("ready_s") is not None and r["runtime"] not in ("torch channels_last (engine)",):
            note = (note + "; " if note else "") + f"engine ready in {r['ready_s']:.1f} s"
        dev = r.get("max_dfused")
        lines.append(f"  {r['runtime']:<30}{r['precision']:<10}{_ms(r['ms']):>10}{_x(ref, r['ms']):>9}"
                     f"{_x(engine_torch, r['ms']):>17}{(f'{dev:.1e}' if dev is not None else 'n/a'):>14}  {note}")
    return lines


def format_targets(isa: str, tg: dict, start: list[dict], machine: str, triage: dict | None = None) -> list[str]:
    capped = " capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)" if isa == "avx2" else " as it is"
    lines = [f"targets, CPU{capped} ({machine}):",
             f"  {'what':<58}{'measured':<40}{'target':<34}met?"]

    def row(what: str, measured: str, target: str, met: bool | None) -> None:
        lines.append(f"  {what:<58}{measured:<40}{target:<34}{'yes' if met else ('NO' if met is False else '—')}")

    ref_ps = None
    if "error" in tg:
        row("exact, fast and global rows", tg["error"], "", None)
    else:
        ref_ps = _engine_rows(tg, row, machine)
    tri = triage if triage and "error" not in triage else None
    if tri and tri["triage"]["all_scored_s"]:
        n = tri["triage"]["photos"]
        t_prov = tri["triage"]["all_scored_s"]
        if ref_ps:
            t_ref = n / ref_ps
            row(f"{n}-photo backlog all scored: --triage vs reference loop",
                f"{t_prov:.0f} s vs {t_ref:.0f} s = {t_ref / t_prov:.1f}× sooner", "≥ 20× sooner", t_ref / t_prov >= 20)
        else:
            row(f"all of a {n}-photo backlog scored: scan --triage", f"{t_prov:.1f} s (reference loop not run)",
                "≥ 20× sooner", None)
        cost = tri["triage"]["all_exact_s"] / tri["no_triage"]["all_exact_s"]
        row("every photo exact: scan --triage vs without",
            f"{tri['triage']['all_exact_s']:.0f} s vs {tri['no_triage']['all_exact_s']:.0f} s = {cost:.2f}×",
            "≤ 1.15×", cost <= 1.15)
    else:
        row("all of the backlog scored (triage scan)", "not measured", "≥ 20× sooner", None)

    for s in start:
        second = s.get("label", "").startswith("second")
        if "error" in s:
            row("second start, cached compiled model: model ready", s["error"], "≤ 3 s", False)
            continue
        row(f"{s['label']}: process start to model ready", f"{s['total_s']:.1f} s", "≤ 3 s" if second else "",
            s["total_s"] <= 3 if second else None)
        row("  of which: interpreter, torch import, open_clip import",
            f"{s['interpreter_s']:.1f} + {s['torch_import_s']:.1f} + {s['open_clip_import_s']:.1f} s", "", None)
        row("  of which: the engine built (weights, text, image tower)", f"{s['ready_s']:.1f} s", "", None)
    return lines


def _engine_rows(tg: dict, row: Callable[[str, str, str, bool | None], None], machine: str) -> float | None:
    """The exact, fast and global rows of `targets`; returns the reference loop's photos/s."""
    ex = tg["exact"]
    base = ex.get("baseline") or {}
    ref_ps = base.get("photos_per_s")
    e2e = ex["end_to_end"]["photos_per_s"]
    dev = (ex.get("deviation") or {}).get("max_abs")
    sp = e2e / ref_ps if ref_ps else None
    row(f"exact, koniq, end to end vs reference loop [{ex['engine']['backend']}]",
        f"{e2e:.3f} vs {ref_ps:.3f} photos/s = {sp:.2f}×" if sp else f"{e2e:.3f} photos/s",
        "≥ 2.5×", sp is not None and sp >= 2.5)
    row("  fused vs PyTorch fp32, same pixels", f"max |Δ| {dev:.1e}" if dev is not None else "PyTorch itself: 0",
        "≤ 1e-5", dev is None or dev <= 1e-5)
    if "exact_torch" in tg:
        et = tg["exact_torch"]["end_to_end"]["photos_per_s"]
        row("  (same, PyTorch only: what the backend adds)", f"{et:.3f} photos/s = {_x(et, ref_ps)}", "", None)
    if "fast" in tg:
        fa = tg["fast"]
        fe = fa["end_to_end"]["photos_per_s"]
        fdev = (fa.get("deviation") or {}).get("max_abs")
        fsp = fe / ref_ps if ref_ps else None
        amx = "AMX-BF16" in machine
        need = 10.0 if amx else 5.0
        row(f"--fast vs reference loop [{fa['engine']['precision']}, {fa['engine']['backend']}]",
            f"{fe:.3f} photos/s = {fsp:.2f}×" if fsp else f"{fe:.3f} photos/s",
            f"≥ {need:g}× ({'AMX-BF16' if amx else 'no AMX: the AVX2 target'})", fsp is not None and fsp >= need)
        row("  max |Δfused| vs exact", f"{fdev:.4f}" if fdev is not None else "n/a", "≤ 0.002",
            fdev is not None and fdev <= 0.002)
    gl = tg["global"]["end_to_end"]["photos_per_s"]
    row("  (engine alone: the global protocol end to end)", f"{gl:.2f} photos/s = {_x(gl, ref_ps)} the reference",
        "", None)
    return ref_ps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="photos for the end-to-end rows (default 6)")
    parser.add_argument("--backlog", type=int, default=24,
                        help="photos in the backlog the triage rows scan, twice (default 24)")
    parser.add_argument("--repeat", type=int, default=2, help="fastest of K runs (default 2)")
    parser.add_argument("--isa", default="native,avx2", help="passes: native, avx2 or both (default both)")
    parser.add_argument("--model", default="RN50")
    parser.add_argument("--weights", help="CLIP weights file (default: seeded random weights, speed only)")
    parser.add_argument("--quick", action="store_true", help="towers, the exact and global rows, start-up")
    parser.add_argument("--parts", default="towers,start,targets,triage",
                        help="which parts to run (default all): towers, start, targets, triage")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write every measurement here")
    # children only
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("--photo", help=argparse.SUPPRESS)
    parser.add_argument("--paths", nargs="*", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--trunk", default="windows", help=argparse.SUPPRESS)
    parser.add_argument("--launched-at", default="0", help=argparse.SUPPRESS)
    parser.add_argument("--random-weights", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        from curator.benchmarks.report_json import finite_json

        result = CHILDREN[args.child](args)
        Path(args.child_out).write_text(json.dumps(finite_json(result)))
        return 0

    from curator.benchmarks.machine import describe, machine_info
    from curator.benchmarks.random_weights import (
        RANDOM_WEIGHTS_NOTE,
        build_random_weights,
    )
    from curator.benchmarks.synth import synth_photos

    isas = [i.strip() for i in args.isa.split(",") if i.strip()]
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if not parts <= {"towers", "start", "targets", "triage"}:
        parser.error("--parts: a comma-separated list of towers, start, targets, triage")
    if any(i not in ISA_ENV for i in isas):
        parser.error("--isa: native, avx2 or native,avx2")
    started = datetime.datetime.now(datetime.UTC)
    machine = machine_info("cpu")
    report: dict = {"date": started.isoformat(timespec="minutes"), "machine": machine, "passes": {}}
    with tempfile.TemporaryDirectory(prefix="curator-targets-") as tmp:
        work = Path(tmp)
        random_weights = not args.weights
        weights = args.weights or str(build_random_weights(args.model, work / "weights"))
        total = max(1, args.n, args.backlog)
        print(f"synthesising {total} JPEGs of 6000x4000", file=sys.stderr, flush=True)
        backlog = [str(p) for p in synth_photos(work / "photos", total)]
        paths = backlog[:max(1, args.n)]
        common = ["--model", args.model, "--weights", weights, "--repeat", str(args.repeat)]
        if random_weights:
            common.append("--random-weights")
        for isa in isas:
            cache = work / f"cache-{isa}"  # one user cache per pass: compiled kernels depend on the ISA
            skipped = {"error": "not run (--parts)"}
            towers = (run_child("towers", isa, cache, common + ["--photo", paths[0]], work)
                      if "towers" in parts else skipped)
            start = []
            for label in ("first start (converts)", "second start (cached)") if "start" in parts else ():
                s = run_child("start", isa, work / f"start-cache-{isa}", common, work)
                s["label"] = label
                start.append(s)
            targets = (run_child("targets", isa, cache, common + ["--work", str(work / "runs"), "--paths", *paths]
                                 + (["--quick"] if args.quick else []), work) if "targets" in parts else skipped)
            triage = (run_child("triage", isa, cache, common + ["--work", str(work / f"triage-{isa}"),
                                                                "--paths", *backlog[:max(1, args.backlog)]], work)
                      if "triage" in parts else skipped)
            report["passes"][isa] = {"towers": towers, "start": start, "targets": targets, "triage": triage}
        gpu = run_child("gpu", "native", work / "cache-gpu", common + ["--work", str(work / "gpu"), "--paths", *paths],
                        work) if not args.quick else {"gpu": None}
        report["gpu"] = gpu

    machine["load_average_end"] = machine_info("cpu")["load_average"]
    desc = describe(machine)
    print()
    print(f"bench/speed.py — {report['date']} — {desc}")
    from iqa_engine.hardware import cpu_model_and_flags

    flags = cpu_model_and_flags()[1]
    shown = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    print(f"CPU flags: {' '.join(shown) or 'none of avx2/avx512/amx'}; cores usable {machine['usable_cpus']}; "
          f"load average at start {machine['load_average']}, at end {machine['load_average_end']}"
          " (other processes on the CPU slow every figure: re-run on a quiet machine before quoting)")
    if random_weights:
        print(f"note: {RANDOM_WEIGHTS_NOTE}")
    for isa, p in report["passes"].items():
        print()
        print("\n".join(format_towers(p["towers"], isa)))
        print()
        print("\n".join(format_targets(isa, p["targets"], p["start"], desc, p.get("triage"))))
    print()
    g = report["gpu"]
    if g.get("gpu"):
        r = g["report"]
        print(f"GPU {g['gpu']}, exact preset, 24-MP JPEGs, decode included: "
              f"{r['end_to_end']['photos_per_s']:.1f} photos/s (target ≥ 300 on an H200-class GPU)")
    else:
        print("GPU, exact preset, 24-MP JPEGs: not measured (torch sees no CUDA GPU here)")
    if args.json_out:
        from curator.benchmarks.report_json import finite_json

        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(finite_json(report), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
