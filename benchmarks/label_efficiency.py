"""Label efficiency on the real sample set: active learning vs random, fusion vs single modality.

Category is the label (16 classes). Every run holds out 30 % of the items, labels 10 at a time
up to the budget, and records held-out accuracy (see ``Session.simulate``).

    python benchmarks/label_efficiency.py --seeds 20 --budget 200

Prints: the mean learning curve per strategy; the labels the default strategy needs to reach
random sampling's accuracy at the full budget; the area under each curve; and the fused model
against each single modality (random sampling, at the full budget).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from mmwidgets.session import area_under_curve
from mmwidgets.session._simulate import simulate_pool
from mmwidgets.session.cli import sample_session


def labels_to_reach(curves: pd.DataFrame, strategy: str, target: float) -> float | None:
    mean = curves[curves["strategy"] == strategy].groupby("n_labels")["accuracy"].mean()
    reached = mean[mean >= target]
    return float(reached.index.min()) if len(reached) else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--strategies", default="random,margin,hybrid")
    parser.add_argument("--fusion", default="weighted")
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        session = sample_session(Path(tmp) / "bench.sqlite", cache_dir=args.cache_dir)
        df = session.dataset.frame
        labels = list(session.labels)
        encoded_s = time.perf_counter() - started
        strategies = args.strategies.split(",")
        curves = session.simulate(
            "category",
            budget=args.budget,
            seeds=args.seeds,
            strategies=strategies,
            fusions=[args.fusion],
        )
        print(curves.groupby(["strategy", "n_labels"])["accuracy"].mean().unstack(0).round(3))
        pool = session.embeddings()
        truth = [str(v) for v in df["category"]]
        singles = {}
        for column in pool.X:
            has = pool.presence[:, list(pool.X).index(column)]
            sub_truth = [t if h else None for t, h in zip(truth, has, strict=True)]
            single = simulate_pool(
                {column: pool.X[column]},
                pool.presence[:, [list(pool.X).index(column)]],
                pool.fused,
                sub_truth,
                labels,
                budget=args.budget,
                strategies=["random"],
                fusions=[args.fusion],
                seeds=args.seeds,
            )
            singles[column] = (single, float(has.mean()))
        session.close()
    mean = curves.groupby(["strategy", "n_labels"])["accuracy"].mean().unstack(0)
    print(
        f"encoding {encoded_s:.0f} s; total {time.perf_counter() - started:.0f} s; "
        f"{args.seeds} seeds; fusion={args.fusion}"
    )
    print("\nmean held-out accuracy")
    print(mean.round(3).to_string())
    final_random = float(mean["random"].iloc[-1])
    for strategy in strategies:
        if strategy != "random":
            need = labels_to_reach(curves, strategy, final_random)
            print(
                f"{strategy}: labels to reach random's accuracy at {args.budget} "
                f"({final_random:.3f}): {need}"
            )
    print("\narea under the learning curve")
    print(area_under_curve(curves).round(4).to_string(index=False))
    fused_final = float(
        curves[(curves.strategy == "random") & (curves.n_labels == args.budget)]["accuracy"].mean()
    )
    print(f"\nfused (all columns), random sampling, {args.budget} labels: {fused_final:.3f}")
    for column, (single, coverage) in singles.items():
        final = single[single.n_labels == single.n_labels.max()]["accuracy"].mean()
        print(f"{column:>8} only ({coverage:.0%} of items have it): {final:.3f}")
    best = max(
        float(s[s.n_labels == s.n_labels.max()]["accuracy"].mean()) for s, _ in singles.values()
    )
    print(f"fused - best single modality: {100 * (fused_final - best):+.1f} points")


if __name__ == "__main__":
    main()
