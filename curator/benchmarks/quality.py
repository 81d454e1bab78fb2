"""`curator bench quality`: score an (image, MOS) list and measure agreement as the IQA literature does.

One engine pass gives all three cues of every image, so the fused score
(MA-CLIP), the cosine cue (CLIP-IQA) and the magnitude cue (the paper's
ablation) are reported side by side from the same run.

List formats:
- CSV with a header naming an image column and a MOS column (image/img_path/
  image_name/filename, and mos/gt_score/score; KonIQ-10k's
  koniq10k_scores_and_distributions.csv works as it is), or a header-less
  two-column `image,mos` file;
- the IQA JSON format: [{"img_path": ..., "gt_score": ...}, ...].
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iqa_engine.config import MODES
from iqa_engine.evaluate import MIN_FIT_POINTS

if TYPE_CHECKING:
    from iqa_engine.engine import Engine

IMAGE_COLUMNS = ("image", "img_path", "image_name", "img_name", "filename", "file", "path", "name", "img")
MOS_COLUMNS = ("mos", "gt_score", "score", "mean_opinion_score", "mos_zscore")


class ListError(ValueError):
    """A list file that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Entry:
    image: str  # as written in the list
    mos: float


def read_list(path: Path) -> list[Entry]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ListError(f"list file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ListError(f"cannot read list file {path}: {exc}") from None
    entries = _read_json(text, path) if path.suffix.lower() == ".json" or text.lstrip()[:1] == "[" \
        else _read_csv(text, path)
    if not entries:
        raise ListError(f"list file {path} has no entries")
    return entries


def _read_json(text: str, path: Path) -> list[Entry]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ListError(f"list file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, list):
        raise ListError(f"list file {path}: expected a JSON array of {{\"img_path\": ..., \"gt_score\": ...}}")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise ListError(f"list file {path}: entry {i} is not an object")
        keys = {k.lower(): k for k in item}
        img_key = next((keys[k] for k in IMAGE_COLUMNS if k in keys), None)
        mos_key = next((keys[k] for k in MOS_COLUMNS if k in keys), None)
        if img_key is None or mos_key is None:
            raise ListError(f"list file {path}: entry {i} needs img_path and gt_score (has {', '.join(item) or 'nothing'})")
        out.append(Entry(str(item[img_key]), _number(item[mos_key], f"{path}: entry {i}")))
    return out


def _read_csv(text: str, path: Path) -> list[Entry]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(text.splitlines(), dialect) if r and any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if len(header) >= 2 and _is_number(rows[0][1]) is False:
        img_col = next((header.index(c) for c in IMAGE_COLUMNS if c in header), None)
        mos_col = next((header.index(c) for c in MOS_COLUMNS if c in header), None)
        if img_col is None or mos_col is None:
            raise ListError(f"list file {path}: cannot tell the image and MOS columns from the header "
                            f"({', '.join(rows[0])}); name them image,mos")
        body, first_line = rows[1:], 2
    else:
        img_col, mos_col, body, first_line = 0, 1, rows, 1
    out = []
    for i, row in enumerate(body):
        if len(row) <= max(img_col, mos_col):
            raise ListError(f"list file {path}: row {first_line + i} has {len(row)} columns")
        out.append(Entry(row[img_col].strip(), _number(row[mos_col], f"{path}: row {first_line + i}")))
    return out


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _number(value: object, where: str) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]  # any JSON/CSV value: float() itself says if it is a number
    except (TypeError, ValueError):
        raise ListError(f"{where}: MOS {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ListError(f"{where}: MOS {value!r} is not a finite number")
    return v


def resolve(entry: Entry, root: Path) -> Path:
    p = Path(entry.image).expanduser()
    return p if p.is_absolute() else root / p


def run_quality(engine: Engine, entries: Sequence[Entry], root: Path, *, warn: Callable[[str], None] | None = None,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Score every listed image once; evaluate the three cues against the MOS."""
    from iqa_engine.evaluate import evaluate

    warn = warn or (lambda m: print(m, file=sys.stderr, flush=True))
    paths = [resolve(e, root) for e in entries]
    # score_paths may yield a failure ahead of photos queued before it: match results by path, not position
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for i, p in enumerate(paths):
        waiting[str(p)].append(i)
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    step = max(50, len(paths) // 20)
    t0 = time.perf_counter()
    for i, (path, result) in enumerate(engine.score_paths(paths), start=1):
        entry = entries[waiting[str(path)].popleft()]
        if isinstance(result, Exception):
            failures.append({"image": entry.image, "error": str(result)})
            warn(f"{path}: {result}")
        else:
            rows.append({"image": entry.image, "mos": entry.mos, "fused": result.fused,
                         "cosine": result.cosine, "magnitude": result.magnitude,
                         "w_cosine": result.w_cosine, "views": result.n_views,
                         "dimensions": dict(result.dimensions),
                         "measures": result.measures.scalars() if result.measures is not None else {}})
        if progress and i % step == 0 and i < len(paths):
            rate = i / (time.perf_counter() - t0)
            progress(f"scored {i}/{len(paths)} ({rate:.2f} images/s, about {(len(paths) - i) / rate / 60:.0f} min left)")
    seconds = time.perf_counter() - t0
    metrics = {}
    if len(rows) >= 2:
        mos = [float(r["mos"]) for r in rows]
        for mode in MODES:
            metrics[mode] = evaluate([float(r[mode]) for r in rows], mos)
    return {"listed": len(entries), "scored": len(rows), "failed": len(failures), "failures": failures,
            "metrics": metrics, "rows": rows, "seconds": seconds}


def report_dict(result: dict[str, Any], engine: Engine, list_path: Path, root: Path) -> dict[str, Any]:
    cfg = engine.config
    return {
        "list": str(list_path), "root": str(root),
        "listed": result["listed"], "scored": result["scored"], "failed": result["failed"],
        "failures": result["failures"],
        "engine": {"method": cfg.method, "model": engine.model_name, "weights": engine.backbone.info.source,
                   "protocol": cfg.protocol, "precision": cfg.precision, "trunk": cfg.trunk,
                   "jpeg_draft": cfg.jpeg_draft, "device": str(engine.backbone.device),
                   "fingerprint": engine.fingerprint},
        "headline_mode": cfg.mode,
        "metrics": {m: e.as_dict() for m, e in result["metrics"].items()},
        "seconds": result["seconds"],
        "scores": result["rows"],
    }


def _f(v: float, spec: str = "8.4f") -> str:
    return format(v, spec) if math.isfinite(v) else format("n/a", ">" + spec.split(".")[0].rstrip("f") + "s")


def _method_label(method: str) -> str:
    return "" if method == "maclip" else f"{method} on "


def format_quality(result: dict[str, Any], engine: Engine, list_path: Path) -> str:
    cfg = engine.config
    head = (f"curator bench quality: {result['scored']} of {result['listed']} images scored from {list_path}"
            + (f" ({result['failed']} failed, excluded)" if result["failed"] else ""))
    lines = [head,
             f"engine: {_method_label(cfg.method)}{engine.model_name} [{engine.backbone.info.source}], "
             f"protocol {cfg.protocol if cfg.method == 'maclip' else 'whole photo'}, "
             f"{cfg.precision}, trunk {cfg.trunk}, JPEG draft {'on' if cfg.jpeg_draft else 'off'}, "
             f"fingerprint {engine.fingerprint}",
             "",
             f"{'mode':<12}{'SRCC':>8}{'KRCC':>8}{'PLCC':>8}{'RMSE':>10}{'PLCC raw':>10}  mapping"]
    order = [cfg.mode] + [m for m in MODES if m != cfg.mode]
    labels = {"fused": "fused", "cosine": "cosine", "magnitude": "magnitude"}
    for mode in order:
        e = result["metrics"][mode]
        mark = "*" if mode == cfg.mode else " "
        lines.append(f"{labels[mode] + mark:<12}{_f(e.srcc)}{_f(e.krcc)}{_f(e.plcc)}{_f(e.rmse, '10.4f')}"
                     f"{_f(e.plcc_raw, '10.4f')}  {e.fit}")
    if result["scored"] < MIN_FIT_POINTS:
        lines.append(f"PLCC and RMSE need a fitted mapping, and {result['scored']} images are too few to fit its "
                     f"5 parameters ({MIN_FIT_POINTS} or more): only SRCC and KRCC are reported.")
    lines.append("")
    meaning = ("fused is MA-CLIP, cosine is CLIP-IQA, magnitude is the magnitude cue alone" if cfg.method == "maclip"
               else f"fused and cosine are {cfg.method}'s score, magnitude is the magnitude cue of its feature")
    lines.append(f"* the --mode shown first; {meaning}. "
                 "PLCC and RMSE after the 5-parameter logistic mapping; the paper's figures are in the docs, The score › The paper's figures.")
    lines.append(f"{result['seconds']:.1f} s, {result['scored'] / result['seconds']:.2f} images/s"
                 if result["seconds"] > 0 else "")
    return "\n".join(lines).rstrip()


def plot_quality(result: dict[str, Any], engine: Engine, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from iqa_engine.evaluate import fit_logistic

    rows = result["rows"]
    mos = np.array([r["mos"] for r in rows], dtype=np.float64)
    order = [engine.config.mode] + [m for m in MODES if m != engine.config.mode]
    names = {"fused": "fused (MA-CLIP)", "cosine": "cosine (CLIP-IQA)", "magnitude": "magnitude cue"}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), constrained_layout=True)
    for ax, mode in zip(axes, order, strict=True):
        x = np.array([r[mode] for r in rows], dtype=np.float64)
        e = result["metrics"][mode]
        ax.scatter(x, mos, s=8 if len(x) > 500 else 20, alpha=0.5, edgecolors="none")
        if np.ptp(x) > 0 and len(x) >= MIN_FIT_POINTS:  # below that, no mapping is fitted (SRCC/KRCC only)
            xs = np.linspace(x.min(), x.max(), 200)
            mapping = fit_logistic(x, mos)
            ax.plot(xs, mapping(xs), color="C3", lw=1.5, label=f"{mapping.kind} fit")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel(f"{names[mode]} score")
        ax.set_ylabel("MOS")
        ax.set_title(f"{names[mode]}\nSRCC {_f(e.srcc, '.4f')}  PLCC {_f(e.plcc, '.4f')}  n={e.n}", fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
