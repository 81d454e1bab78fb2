#!/usr/bin/env python3
"""Search speed: text query -> ranked photos over 10,000 and 100,000 stored embeddings.

    python bench/search.py --random-weights                  # RN50 architecture, seeded random weights
    python bench/search.py --model RN50 --pretrained openai  # real weights (cached)
    python bench/search.py --sizes 10000,100000,200000 --queries 20

For each size, embeddings of the model's width are made as the catalog stores them (float16,
L2-normalised rows), loaded into the search index once (timed: that is what the first query
pays, with the model load), then queried with different texts. Each query's time includes
encoding its text and ranking every embedding (the top 100 kept), as `curator search` and the
gallery's search box do after their first query. The figures are medians and 90th percentiles.
Random weights give the same speed as real ones: the work does not depend on the values.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

QUERIES = ("the first dance", "a red car", "a dog on the beach", "sunset over the sea", "a birthday cake",
           "people laughing at a table", "snow-covered mountains", "a cat asleep on a sofa", "city lights at night",
           "a bride and groom", "a plate of pasta", "children playing football", "a lighthouse on a cliff",
           "an old church", "a boat on a lake", "fireworks", "a portrait in black and white", "autumn leaves",
           "a horse in a field", "a crowd at a concert")
TOP = 100


def main(argv: list[str] | None = None) -> int:
    from curator.benchmarks.machine import describe, machine_info, peak_rss_mb
    from curator.benchmarks.random_weights import (
        RANDOM_WEIGHTS_NOTE,
        build_random_weights,
    )
    from curator.commands.common import add_engine_options, settings_from_args

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated embedding counts")
    parser.add_argument("--queries", type=int, default=20, help=f"queries per size (at most {len(QUERIES)})")
    parser.add_argument("--random-weights", action="store_true", dest="random_weights",
                        help="seeded random weights for the --model architecture (speed only)")
    add_engine_options(parser)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    queries = QUERIES[:max(1, min(args.queries, len(QUERIES)))]

    from iqa_engine import Engine
    from iqa_engine.search import EmbeddingIndex

    with tempfile.TemporaryDirectory(prefix="curator-bench-search-") as tmp:
        if args.random_weights:
            print(RANDOM_WEIGHTS_NOTE, file=sys.stderr)
            args.model = args.model or "RN50"
            args.weights = str(build_random_weights(args.model, Path(tmp)))
        config = settings_from_args(args).engine_config()
        t0 = time.perf_counter()
        engine = Engine(config)
        load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dim = engine.encode_query("warm-up").shape[0]
    first_text_ms = (time.perf_counter() - t0) * 1000
    print(f"bench search: {engine.model_name} ({engine.backbone.info.identity}), {dim}-d embeddings; "
          f"model loaded in {load_s:.1f} s, first text encoded in {first_text_ms:.0f} ms")
    print(f"machine: {describe(machine_info(str(engine.backbone.device)))}")
    rng = np.random.default_rng(0)
    print(f"{'embeddings':>11}{'index load':>12}{'index MB':>10}{'text ms':>10}{'rank ms':>10}"
          f"{'query ms (median)':>19}{'p90':>8}")
    for n in sizes:
        stored = rng.normal(size=(n, dim)).astype(np.float32)
        stored = (stored / np.linalg.norm(stored, axis=1, keepdims=True)).astype(np.float16)
        t0 = time.perf_counter()
        index = EmbeddingIndex.build(range(n), stored)
        load_ms = (time.perf_counter() - t0) * 1000
        text_ms, rank_ms, total_ms = [], [], []
        for q in queries:
            t0 = time.perf_counter()
            vector = engine.encode_query(q)
            t1 = time.perf_counter()
            hits = index.search(vector, TOP)
            t2 = time.perf_counter()
            assert len(hits) == min(TOP, n)
            text_ms.append((t1 - t0) * 1000)
            rank_ms.append((t2 - t1) * 1000)
            total_ms.append((t2 - t0) * 1000)
        p90 = sorted(total_ms)[max(0, round(0.9 * len(total_ms)) - 1)]
        print(f"{n:>11,}{load_ms:>10.0f}ms{index.matrix.nbytes / 2**20:>10.0f}{statistics.median(text_ms):>10.1f}"
              f"{statistics.median(rank_ms):>10.1f}{statistics.median(total_ms):>19.1f}{p90:>8.1f}")
        del index, stored
    print(f"peak memory {peak_rss_mb():.0f} MiB; query = text encoding + ranking all embeddings (top {TOP})"
          + ("; RANDOM WEIGHTS (speed only)" if args.random_weights else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
