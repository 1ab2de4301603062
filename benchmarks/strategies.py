"""Time every query strategy on large synthetic pools; print seconds and peak extra memory.

The pool is shaped like a real session's: 10-class probabilities (float32) and embeddings
(float32, clustered around 50 centers, 0.5 % NaN rows for media that failed), 200 labeled items,
a batch of n=20. "peak MiB" is the most memory a call allocated on top of its inputs (tracemalloc,
which numpy reports to), measured in a separate run from the timing.

Embedding width: the default 128 is the fusion model's hidden width (FusionClassifier(hidden=128));
``--wide`` adds a 100k-item run at 1792-d, the concatenation of the default encoders
(text 384 + image 1280 + audio 128). A 1M x 1792 float32 pool alone would take 7.2 GB.

Usage: ``python benchmarks/strategies.py [--sizes 100000 1000000] [--dim 128] [--wide]``
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from mmwidgets.active import (
    cold_start,
    entropy,
    hybrid,
    k_center_greedy,
    least_confidence,
    margin,
    query,
    random_sampling,
)

N_CLASSES = 10
N_LABELED = 200
BATCH = 20


def make_pool(n_items: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n_items, N_CLASSES), dtype=np.float32) * 2
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    centers = rng.standard_normal((50, dim), dtype=np.float32) * 3
    emb = rng.standard_normal((n_items, dim), dtype=np.float32)
    emb += centers[rng.integers(50, size=n_items)]
    emb[rng.choice(n_items, n_items // 200, replace=False)] = np.nan
    labeled = np.zeros(n_items, dtype=bool)
    labeled[rng.choice(n_items, N_LABELED, replace=False)] = True
    return proba, emb, labeled


def strategies(
    proba: np.ndarray, emb: np.ndarray, labeled: np.ndarray
) -> dict[str, Callable[[], object]]:
    return {
        "random": lambda: random_sampling(labeled, BATCH, seed=0),
        "least_confidence": lambda: least_confidence(proba, labeled, BATCH),
        "margin": lambda: margin(proba, labeled, BATCH),
        "entropy": lambda: entropy(proba, labeled, BATCH),
        "k_center": lambda: k_center_greedy(emb, labeled, BATCH),
        "cold_start": lambda: cold_start(emb, labeled, BATCH, seed=0),
        "hybrid": lambda: hybrid(proba, emb, labeled, BATCH, seed=0),
        # the session's path: query() also drops NaN-embedding rows for margin
        "query('margin')": lambda: query(
            "margin", proba=proba, embeddings=emb, labeled=labeled, n=BATCH
        ),
    }


def measure(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    tracemalloc.reset_peak()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(seconds), peak / 2**20


def run(sizes: list[int], dim: int, only: set[str] | None = None) -> None:
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for size in sizes:
        proba, emb, labeled = make_pool(size, dim)
        print(
            f"pool {size:>9,} items: proba {proba.nbytes / 2**20:,.0f} MiB,"
            f" embeddings {size:,} x {dim} = {emb.nbytes / 2**20:,.0f} MiB",
            flush=True,
        )
        repeat = 3 if size <= 200_000 else 1
        results[size] = {}
        for name, call in strategies(proba, emb, labeled).items():
            if only is None or name in only:
                results[size][name] = measure(call, repeat)
        del proba, emb, labeled
    header = f"{'strategy':<18}" + "".join(f" | {f'{s:,} s':>12} {'peak MiB':>9}" for s in sizes)
    if len(sizes) == 2:
        header += f" | {'time ratio':>10}"
    print(header)
    print("-" * len(header))
    for name in results[sizes[0]]:
        line = f"{name:<18}"
        for s in sizes:
            sec, peak = results[s][name]
            line += f" | {sec:>12.3f} {peak:>9.1f}"
        if len(sizes) == 2:
            line += f" | {results[sizes[1]][name][0] / results[sizes[0]][name][0]:>9.1f}x"
        print(line)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--wide", action="store_true", help="also 100k items at 1792-d")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load:.1f}, n={BATCH}\n")
    run(args.sizes, args.dim)
    if args.wide:
        run([100_000], 1792, {"k_center", "cold_start", "hybrid"})


if __name__ == "__main__":
    main()
