"""Taste-model figures: training on N decisions (with its cross-validation) and applying it to M photos.

    python bench/taste.py                         # 20,000 decisions, 100,000 photos, 1024-d embeddings
    python bench/taste.py --decisions 5000 --photos 20000 --dim 768 --repeats 5
    python bench/taste.py --users                 # the synthetic photographers' figures instead
    python bench/taste.py --catalog 100000        # `curator learn` on a real catalog file of that many photos

The inputs are synthetic, shaped like a catalog's: an L2-normalised float32
embedding with a decaying spectrum (as CLIP's has), the five MA-CLIP cues,
six classic measurements, EXIF with some values missing, and keep/reject
labels from a noisy linear rule. Training covers the whole `train` call: the
embedding's principal axes, the 5-fold cross-validation with the fused-score
baseline, and the final fit. Applying covers `predict` on a feature table
already in memory (the catalog read is not included), and the adapter that
builds that table is timed on its own. Every figure is the median of
--repeats runs after one warm-up (which also pays scikit-learn's import);
the CPU, its vector extensions and the load average are printed with them,
because a shared machine makes every figure slower.

--catalog N builds a catalog file of N scored photos (1024-d embeddings,
EXIF) with user decisions on a tenth of them, and times what `curator learn`
does there: reading every photo's features from SQLite, and the whole learn
(read, train, apply to every photo, store the model and N taste values).

--users prints the figures of the synthetic photographers the tests use
(curator.testing.taste_users: 144 degraded copies of scikit-image's
photos, labelled by a hidden rule on a measurement), scored by the test
suite's tiny model with random weights: once with the measurements among the
features, once with only the embedding and cues.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402 - after sys.path has the checkout

from curator.taste import FeatureInputs, feature_table, predict, train  # noqa: E402 - likewise
from iqa_engine.hardware import cpu_model_and_flags  # noqa: E402 - likewise

T = TypeVar("T")


def say(text: str) -> None:
    print(text, flush=True)


def synthetic_inputs(n: int, dim: int, rng: np.random.Generator) -> tuple[FeatureInputs, np.ndarray]:
    basis, _ = np.linalg.qr(rng.normal(size=(dim, min(dim, 256))))
    latent = rng.normal(size=(n, basis.shape[1])) * (0.9 ** np.arange(basis.shape[1]))
    emb = (latent @ basis.T).astype(np.float32) + np.float32(0.02)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    cues = {"fused": rng.normal(0.5, 0.1, n), "cosine": rng.normal(0.2, 0.05, n), "magnitude": rng.normal(0, 1, n),
            "w_cosine": rng.uniform(0, 1, n), "w_magnitude": rng.uniform(0, 1, n)}
    measures = {name: rng.normal(size=n) for name in ("focus", "noise_sigma", "clipped_high", "clipped_low",
                                                      "luminance", "contrast")}
    iso = rng.choice([100.0, 200.0, 400.0, 800.0, 3200.0, 12800.0], n)
    iso[rng.uniform(size=n) < 0.1] = np.nan  # some photos carry no EXIF
    exif = {"iso": iso, "exposure_time": rng.choice([1 / 1000, 1 / 250, 1 / 60, 1 / 8], n),
            "focal_length": rng.uniform(16, 200, n)}
    logit = 1.2 * latent[:, 0] - 0.9 * measures["noise_sigma"] + 0.4 * measures["focus"] + rng.logistic(size=n)
    labels = (logit > np.quantile(logit, 0.25)).astype(np.int64)  # a quarter rejects
    return FeatureInputs(n, embedding=emb, cues=cues, measures=measures, exif=exif), labels


def timed(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def catalog_figures(n: int, dim: int) -> int:
    import tempfile

    from curator.catalog import Catalog, FileEntry, FileStat, Outcome
    from curator.disk.exif import ExifData
    from curator.actions.taste_learning import learn
    from iqa_engine.results import PhotoScore, ViewScore

    rng = np.random.default_rng(0)
    inputs, labels = synthetic_inputs(n, dim, rng)
    fp = "maclip-bench"
    exif = ExifData(make="Canon", model="EOS R5", lens="RF24-70mm", iso=400, exposure_time=1 / 250, f_number=2.8,
                    focal_length=50.0, capture_time="2024-05-01T10:20:30", orientation=1, exposure_bias=0.0)
    with tempfile.TemporaryDirectory() as tmp, Catalog.open(Path(tmp) / "taste.db") as cat:
        t0 = time.perf_counter()
        entries = [FileEntry(f"/bench/shoot-{i // 50:05d}/IMG_{i:06d}.jpg", FileStat(4_000_000 + i, 10**18 + i))
                   for i in range(n)]
        cat.sync_files(["/bench"], entries, fingerprint=fp, gone=lambda p: False)
        items = cat.pending_items(limit=n + 1)
        for start in range(0, n, 500):
            outcomes = []
            for it in items[start:start + 500]:
                i = it.photo_id - 1
                f = float(inputs.cues["fused"][i])
                view = ViewScore(None, f, f - 0.05, f + 0.08, 0.55, 0.45)
                score = PhotoScore(score=f, fused=f, cosine=f - 0.05, magnitude=f + 0.08, w_cosine=0.55,
                                   w_magnitude=0.45, mode="fused", protocol="koniq", model="RN50", fingerprint=fp,
                                   views=(view,), scored_size=(1024, 683), original_size=(6000, 4000),
                                   embedding=inputs.embedding[i])
                outcomes.append(Outcome(it.photo_id, "scored", expected=it.stat, stat=it.stat, exif=exif,
                                        score=score))
            cat.record_outcomes(outcomes, busy_seconds=0.0)
        decided = rng.choice(n, size=n // 10, replace=False)
        cat.set_user_flags([(int(i) + 1, "pick" if labels[i] else "reject") for i in decided])
        say(f"catalog of {n:,} scored photos, {len(decided):,} decided, built in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        ids, _ = cat.taste_features(fp)
        say(f"read every photo's features ({len(ids):,}, {dim}-d embeddings) from the catalog: "
            f"{time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        report = learn(cat)
        say(f"curator learn on it (read, train on {report.model.n_train:,} decisions, apply to {report.applied:,} "
            f"photos, store): {time.perf_counter() - t0:.2f} s")
    return 0


def users() -> int:
    import tempfile

    from curator.testing.taste_users import USERS, degraded_variants, scored_inputs
    from iqa_engine import Engine
    from iqa_engine.testing import build_tiny_model  # the test suite's tiny model (random weights)

    with tempfile.TemporaryDirectory() as tmp:
        tiny = build_tiny_model(Path(tmp))
        engine = Engine(tiny.engine_config())
        inputs = scored_inputs(engine, degraded_variants(seed=0))
    without = FeatureInputs(inputs.n, embedding=inputs.embedding, cues=inputs.cues)
    say(f"{inputs.n} photos; embedding and cues from the tiny model with random weights")
    for name, (rule, _measure) in USERS.items():
        y = rule(dict(inputs.measures))
        for label, features in (("with measurements", inputs), ("embedding + cues only", without)):
            model = train(feature_table(features), y, fingerprint="tiny")
            m = model.metrics
            top = model.top_columns(1)
            lean = f"; leans on {top[0][0]} ({top[0][1]:+.2f} per sd)" if top else ""
            say(f"{name:>12} user ({int(y.sum())} keeps, {int(len(y) - y.sum())} rejects), {label:<21}: "
                f"AUC {m.auc:.3f}, balanced accuracy {m.balanced_accuracy:.3f}; fused score AUC "
                f"{m.baseline_auc:.3f}{lean}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=20_000)
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=1024, help="embedding size (RN50: 1024, ViT-B/32: 512)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--users", action="store_true", help="the synthetic photographers' figures instead")
    ap.add_argument("--catalog", type=int, metavar="N", help="time `curator learn` on a catalog of N photos instead")
    args = ap.parse_args()
    if args.users:
        return users()
    if args.catalog:
        return catalog_figures(args.catalog, args.dim)

    model_name, flags = cpu_model_and_flags()
    isa = " ".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags) or "no AVX2"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    say(f"bench/taste.py on {model_name} ({isa}), {os.cpu_count()} logical CPUs, load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; Python {platform.python_version()}, numpy {np.__version__}")

    rng = np.random.default_rng(0)
    inputs, labels = synthetic_inputs(args.decisions, args.dim, rng)
    table = feature_table(inputs)
    t0 = time.perf_counter()
    import sklearn  # noqa: F401 - its import is paid once per process; said apart from the fit

    say(f"scikit-learn import: {time.perf_counter() - t0:.2f} s")
    seconds, model = timed(lambda: train(table, labels, fingerprint="bench"), args.repeats)
    m = model.metrics
    say(f"train on {args.decisions:,} decisions ({int(labels.sum()):,} keeps, {int(len(labels) - labels.sum()):,} "
        f"rejects; {args.dim}-d embedding + {len(table.columns) - args.dim} other columns): {seconds:.2f} s "
        f"(median of {args.repeats}; 5-fold CV AUC {m.auc:.3f}, balanced accuracy {m.balanced_accuracy:.3f}, "
        f"fused-score baseline AUC {m.baseline_auc:.3f})")
    say(f"model record: {len(model.to_json()) / 1024:.0f} KiB of JSON")

    photos, _ = synthetic_inputs(args.photos, args.dim, np.random.default_rng(1))
    seconds_adapter, photo_table = timed(lambda: feature_table(photos), args.repeats)
    say(f"feature adapter for {args.photos:,} photos: {seconds_adapter:.3f} s")
    seconds_apply, taste = timed(lambda: predict(model, photo_table), args.repeats)
    say(f"apply to {args.photos:,} photos: {seconds_apply:.3f} s (median of {args.repeats}; "
        f"{args.photos / seconds_apply:,.0f} photos/s; mean taste {float(np.mean(taste)):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
