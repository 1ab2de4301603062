"""Search latency: exact fp16 chunked cosine top-k over compact inputs, at 10k / 100k / 1M rows.

Prints figures and asserts nothing. Each size is a pool of random 128-d fp16 compact inputs (the
width the session searches in) with 5% missing rows, and texts of 3-8 words from a 2 000-word
vocabulary for the keyword part. Beside mmwidgets' top-k, the bare floor: one float32 matrix
product of the same rows already in float32 memory plus ``argpartition`` (what a hand-tuned
exact search can not beat without an index), measured in alternation, best of 3.
Run: .venv/bin/python benchmarks/search.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _timing import race

from mmwidgets.active import KeywordIndex, cosine_scores, query_words, top_k

DIM = 128
K = 50


def pool(n: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    X = rng.standard_normal((n, DIM), dtype=np.float32).astype(np.float16)
    X[rng.random(n) < 0.05] = np.nan
    vocab = np.array([f"w{i}" for i in range(2000)])
    lengths = rng.integers(3, 9, n)
    words = rng.integers(0, 2000, (n, 8))
    texts = [" ".join(vocab[words[i, : lengths[i]]]) for i in range(n)]
    return X, texts


def measure(n: int, rng: np.random.Generator) -> str:
    X, texts = pool(n, rng)
    q = rng.standard_normal(DIM).astype(np.float32)
    dense = np.nan_to_num(X.astype(np.float32))
    words = query_words("w17 w1234")

    def ours() -> np.ndarray:
        return top_k(cosine_scores(X, q), K)

    def floor() -> np.ndarray:
        s = dense @ q
        return np.argpartition(-s, K)[:K]

    start = time.perf_counter()
    index = KeywordIndex(texts)
    build = time.perf_counter() - start
    t = race({"similarity": ours, "floor": floor, "keywords": lambda: index.scores(words)})
    # exactness: the same top-k as a float64 brute force over the same fp16 rows
    rows = X.astype(np.float64)
    with np.errstate(invalid="ignore"):
        ref = (rows @ q) / np.linalg.norm(rows, axis=1) / np.linalg.norm(q)
    ref[np.isnan(ref)] = -np.inf
    agree = len(set(ours().tolist()) & set(np.argsort(-ref)[:K].tolist())) / K
    return (
        f"n={n:>9,}: similarity top-{K} {1000 * t['similarity']:7.1f} ms"
        f" | bare float32 matmul + argpartition {1000 * t['floor']:6.1f} ms"
        f" ({t['similarity'] / t['floor']:.1f}x) | keywords (2 words)"
        f" {1000 * t['keywords']:5.1f} ms"
        f" (index built once: {build:.1f} s) | recall@{K} vs float64 brute force {agree:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    print(f"# {os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f} at start")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        print(measure(n, rng))
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
