"""Model labels on the sample set: how many auto_label commits, and how right they are.

The script plays the person: it labels ``--labels`` items the session queues (with their
true categories), answers every audit item with its true category, commits, and then checks
every committed model label against the true category, which the session never reads.
Pretrained encoders (MiniLM, EfficientNet-Lite0, log-mel), cached in the default cache.
Prints figures and asserts nothing.
Run: .venv/bin/python benchmarks/auto_label.py [--labels 150] [--targets 0.9 0.95] [--seeds 0 1 2]
     [--by class batch]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd

import mmwidgets as mm
from mmwidgets.encoders import default_cache_dir


def one_run(
    df: pd.DataFrame, n_labels: int, target: float, seed: int, by: str
) -> dict[str, object]:
    truth = df.set_index("id")["category"]
    labels = sorted(truth.unique())
    folder = tempfile.mkdtemp()
    s = mm.Session(
        df, labels=labels, id="id", text="text", image="image", audio=["speech", "sound"],
        store=f"{folder}/labels.sqlite", cache_dir=default_cache_dir(), progress=False,
        background=False, seed=seed, metrics_every=10_000,
    )  # fmt: skip
    try:
        while len(s.store) < n_labels:  # label the queue's picks, a page at a time
            s.label_many({q.id: truth[q.id] for q in s.queue(10)})
        start = time.perf_counter()
        audit = s.auto_label(target, by=by)
        propose_s = time.perf_counter() - start
        s.label_many({i: truth[i] for i in audit.sample["id"]})  # the person's audit
        report = audit.commit()
        model = s.auto_labels()
        right = (
            (model["label"].to_numpy() == truth[model["id"]].to_numpy()).mean()
            if len(model)
            else np.nan
        )
        final = s.store.current()
        final_right = (final["label"].to_numpy() == truth[final["id"]].to_numpy()).mean()
        return {
            "by": by,
            "target": target,
            "seed": seed,
            "people": int((final["source"] == "person").sum()),
            "audited": int(report.loc[report["label"] != "(batch)", "audit"].sum()),
            "proposed": int(report.loc[report["label"] != "(batch)", "proposed"].sum()),
            "classes": int((report["committed"] > 0).sum()),
            "model": len(model),
            "precision": float(right) if len(model) else float("nan"),
            "min_low": float(report.loc[report["committed"] > 0, "low"].min())
            if len(model)
            else float("nan"),
            "batch_low": float(report["low"].iloc[-1]) if by == "batch" else float("nan"),
            "labeled_share": len(final) / len(df),
            "all_right": float(final_right),
            "propose_s": propose_s,
        }
    finally:
        s.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=150)
    parser.add_argument("--targets", type=float, nargs="+", default=[0.9, 0.95])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--by", nargs="+", default=["class", "batch"])
    args = parser.parse_args()
    df = mm.load_sample()
    load = os.getloadavg()[0]
    print(f"sample set: {len(df)} items, {df['category'].nunique()} categories; "
          f"{args.labels} people's labels first; load average {load:.2f}")  # fmt: skip
    rows = [
        one_run(df, args.labels, t, seed, by)
        for by in args.by
        for t in args.targets
        for seed in args.seeds
    ]
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.round(3).to_string(index=False))
        for (by, target), part in table.groupby(["by", "target"], sort=False):
            committed = part["model"].sum()
            hits = np.nansum(part["precision"] * part["model"])
            overall = hits / committed if committed else float("nan")
            print(f"by={by} target {target}: {committed} model labels over {len(part)} seeds, "
                  f"precision vs true categories {overall:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
