"""Print LabelStore write latency (each set() waits for an fsync) and view costs.

The views are timed on SQLite and, side by side, on a throwaway PostgreSQL server when
Debian's postgresql is installed (``tests/_postgres.py``).

Usage: ``python benchmarks/store_latency.py [FOLDER]``. FOLDER (default: a temporary folder)
should be on the disk the labels will live on: fsync cost is a property of the disk.

Side by side with ``store.set()`` it times a bare SQLite INSERT + COMMIT with the same pragmas,
so the ratio is the cost of the store's own layer (validation, locking, event bookkeeping).
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mmwidgets import LabelStore
from mmwidgets.data import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

LABELS = ["cat", "dog", "bird", "fish"]
N_SET = 500
N_EVENTS = 100_000


def _ms(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1e3, ordered[int(0.95 * (len(ordered) - 1))] * 1e3


def time_set(folder: Path) -> list[float]:
    with LabelStore(folder / "set.sqlite", labels=LABELS) as store:
        times = []
        for i in range(N_SET):
            start = time.perf_counter()
            store.set(f"item-{i}", LABELS[i % 4], annotator="bench", model_version=1, reason="x")
            times.append(time.perf_counter() - start)
    return times


def time_bare_sqlite(folder: Path) -> list[float]:
    conn = sqlite3.connect(folder / "bare.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id TEXT, label TEXT, time REAL)")
    times = []
    for i in range(N_SET):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (f"item-{i}", "cat", time.time()))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def time_views(location: str) -> dict[str, float]:
    rng = random.Random(0)
    with open_store(location, labels=LABELS, multi_label=True) as store:
        start = time.perf_counter()
        for _ in range(N_EVENTS // 1000):
            batch = [
                (rng.randrange(30_000), rng.sample(LABELS, rng.randrange(3))) for _ in range(1000)
            ]
            store.set_batch(batch, annotator=rng.choice(["ann", "bob"]))
        per_batch = (time.perf_counter() - start) / (N_EVENTS // 1000)
        for _ in range(300):
            store.undo("ann")
            store.clear(rng.randrange(30_000), annotator="bob")
        figures = {"set_batch(1000 items)": per_batch}
        for name, view in [("current()", store.current), ("len()", store.__len__)]:
            start = time.perf_counter()
            view()
            figures[name] = time.perf_counter() - start
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory(dir=sys.argv[1] if len(sys.argv) > 1 else None) as tmp:
        folder = Path(tmp)
        store_med, store_p95 = _ms(time_set(folder))
        bare_med, bare_p95 = _ms(time_bare_sqlite(folder))
        print(f"write latency per label over {N_SET} labels, in {folder}:")
        print(f"  {'':28s} {'median ms':>10s} {'p95 ms':>10s}")
        print(f"  {'LabelStore.set()':28s} {store_med:10.3f} {store_p95:10.3f}")
        print(f"  {'bare sqlite INSERT+COMMIT':28s} {bare_med:10.3f} {bare_p95:10.3f}")
        print(f"  {'ratio':28s} {store_med / bare_med:10.2f} {store_p95 / bare_p95:10.2f}")
        print(f"views over {N_EVENTS:,} events (~30k items, multi-label, 2 annotators):")
        backends = {"sqlite": lambda: time_views(str(folder / "views.sqlite"))}
        if Path("/usr/lib/postgresql").exists():
            backends["postgresql"] = _postgres_views
        figures = {name: run() for name, run in backends.items()}
        print(f"  {'':28s} " + " ".join(f"{name:>12s}" for name in figures))
        for view in figures["sqlite"]:
            row = " ".join(f"{figures[name][view] * 1e3:9.1f} ms" for name in figures)
            print(f"  {view:28s} {row}")


def _postgres_views() -> dict[str, float]:
    from _postgres import ThrowawayPostgres

    with ThrowawayPostgres() as server:
        return time_views(server.url("views"))


if __name__ == "__main__":
    main()
