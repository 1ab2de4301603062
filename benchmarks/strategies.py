"""Query strategies: label efficiency against random on the real sample set, and speed.

**Label efficiency** (the default): every registered strategy against random sampling on the real
embeddings of the sample set (pretrained encoders, cached in the default embedding cache), with
the loop ``Session.simulate`` runs (:func:`mmwidgets.session._simulate.simulate_pool`): 30 % held
out, 10 labels a step up to the budget, held-out accuracy after each step. For each strategy it
prints the area under the learning curve (the mean accuracy over the steps) as mean ± std over
the seeds, and the paired difference to random on the same seeds (same held-out split, same
model seed) as mean ± std, its standard error, the seeds it won, and the verdict of
``tests/integration/test_strategies_vs_random.py``: *worse* when the mean difference is below
-2 standard errors.

    python benchmarks/strategies.py --seeds 10 --budget 200

**Speed** (``--timing``, or ``--wide``/``--sizes``): every strategy on large synthetic pools;
seconds and peak extra memory. The pool is shaped like a real session's: 10-class probabilities
(float32) and embeddings (float32, clustered around 50 centers, 0.5 % NaN rows for media that
failed), 200 labeled items, a batch of n=20. "peak MiB" is the most memory a call allocated on
top of its inputs (tracemalloc, which numpy reports to), measured in a separate run from the
timing. Embedding width: the default 128 is the fusion model's hidden width
(FusionClassifier(hidden=128)); ``--wide`` adds a 100k-item run at 1792-d, the concatenation of
the default encoders (text 384 + image 1280 + audio 128). A 1M x 1792 float32 pool alone would
take 7.2 GB.

    python benchmarks/strategies.py --timing [--sizes 100000 1000000] [--dim 128] [--wide]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mmwidgets.active import (
    STRATEGIES,
    cold_start,
    entropy,
    hybrid,
    k_center_greedy,
    least_confidence,
    margin,
    query,
    random_sampling,
)
from mmwidgets.session._pool import PoolView

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


# --- label efficiency -------------------------------------------------------------------------


def sample_pool(cache_dir: str | None) -> tuple[PoolView, list[object], list[str]]:
    """The sample set's embedded pool (a PoolView), each item's category, and the categories."""
    from mmwidgets.encoders import default_cache_dir
    from mmwidgets.session._simulate import oracle_truth
    from mmwidgets.session.cli import sample_session

    with tempfile.TemporaryDirectory() as tmp:
        cache = cache_dir or str(default_cache_dir())
        with sample_session(Path(tmp) / "labels.sqlite", cache_dir=cache) as session:
            view = session.embeddings()
            return view, oracle_truth("category", session.dataset), list(session.labels)


def per_seed_auc(curves: pd.DataFrame) -> pd.DataFrame:
    """Area under each run's learning curve: a frame of seeds (rows) x strategies (columns)."""
    return curves.groupby(["seed", "strategy"])["accuracy"].mean().unstack("strategy")


def against_random(auc: pd.DataFrame) -> pd.DataFrame:
    """Each strategy's AUC and its paired difference to random over the same seeds."""
    rows = []
    for name in auc.columns:
        diff = auc[name] - auc["random"]
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
        rows.append(
            {
                "strategy": name,
                "auc": float(auc[name].mean()),
                "auc_std": float(auc[name].std(ddof=1)),
                "diff": float(diff.mean()),
                "diff_std": float(diff.std(ddof=1)),
                "diff_se": se,
                "wins": int((diff > 0).sum()),
                "worse": bool(name != "random" and diff.mean() < -2 * se),
            }
        )
    return pd.DataFrame(rows).sort_values("auc", ascending=False, ignore_index=True)


def label_efficiency(
    *,
    seeds: int,
    budget: int,
    step: int,
    fusion: str,
    names: Sequence[str],
    cache_dir: str | None,
) -> None:
    from mmwidgets.fusion import FusionClassifier
    from mmwidgets.session._simulate import simulate_pool

    started = time.perf_counter()
    view, truth, labels = sample_pool(cache_dir)
    loaded = time.perf_counter() - started
    names = ["random", *[n for n in names if n != "random"]]
    curves = []
    for name in names:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # sklearn on 10 labels of 16 classes
            curves.append(
                simulate_pool(
                    view.X,
                    view.presence,
                    view.fused,
                    truth,
                    labels,
                    budget=budget,
                    step=step,
                    strategies=[name],
                    fusions=[fusion],
                    seeds=list(range(seeds)),
                    model=FusionClassifier(classes=labels),
                )
            )
        print(f"  {name:<17} {time.perf_counter() - t0:6.1f} s", flush=True)
    table = against_random(per_seed_auc(pd.concat(curves, ignore_index=True)))
    print(
        f"\nsample set, {len(truth)} items, {len(labels)} classes; fusion={fusion},"
        f" budget {budget}, step {step}, {seeds} seeds (0..{seeds - 1});"
        f" embeddings loaded in {loaded:.0f} s,"
        f" total {time.perf_counter() - started:.0f} s\n"
    )
    print(
        "| strategy | AUC (mean ± std) | minus random (mean ± std) | s.e. | seeds won | verdict |\n"
        "|---|---|---|---|---|---|"
    )
    for row in table.itertuples():
        verdict = "—" if row.strategy == "random" else ("**worse**" if row.worse else "ok")
        print(
            f"| {row.strategy} | {row.auc:.3f} ± {row.auc_std:.3f} |"
            f" {row.diff:+.3f} ± {row.diff_std:.3f} | {row.diff_se:.3f} |"
            f" {row.wins}/{seeds} | {verdict} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing", action="store_true", help="time strategies on large pools")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--wide", action="store_true", help="also 100k items at 1792-d")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--fusion", default="weighted")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load:.1f}\n")
    if args.timing or args.wide or args.sizes:
        print(f"n={BATCH}")
        run(args.sizes or [100_000, 1_000_000], args.dim)
        if args.wide:
            run([100_000], 1792, {"k_center", "cold_start", "hybrid"})
        return
    label_efficiency(
        seeds=args.seeds,
        budget=args.budget,
        step=args.step,
        fusion=args.fusion,
        names=args.strategies.split(","),
        cache_dir=args.cache_dir,
    )
    end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.1f} at the start, {end:.1f} at the end")


if __name__ == "__main__":
    main()
