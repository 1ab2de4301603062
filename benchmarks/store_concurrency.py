"""The label store under concurrent annotators: N processes labeling into one store at once.

Per backend (a PostgreSQL task on a throwaway server from ``tests/_postgres.py``, then a SQLite
file in a temporary folder), two runs side by side, each into a fresh store: one worker process
alone (the baseline), then ``--workers`` processes (spawned) writing into one store at once.
Each worker opens the store itself, waits on a shared barrier, then labels ``--labels`` items of
its own (distinct ids, annotator = its name) one ``set()`` at a time; ``set()`` returns after
COMMIT, so every figure is a durable label. Figures:

- ``set()`` p50 / p95 / p99 over every call of every worker (``time.perf_counter``);
- labels/s: all workers' labels / the wall time from the barrier's release to the last worker's
  last ``set()``, and that over the 1-process run's labels/s (how throughput scales);
- 1st done: when the first worker finished (from the release); near the wall time when the
  writers get the store in fair turns, well below it when some are starved;
- after each run the store is reopened and must hold exactly workers * labels labeled items and
  as many events, or the script fails.

Prints figures; asserts nothing about them. About 10 s on the 2-core VM with the defaults.

Usage: ``.venv/bin/python benchmarks/store_concurrency.py [--workers 4] [--labels 300]
[--backends postgresql,sqlite]``
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _postgres import ThrowawayPostgres  # noqa: E402

LABELS = ["cat", "dog", "bird", "fish"]
BACKENDS = ("postgresql", "sqlite")


def _worker(location: str, name: str, count: int, barrier: Any, results: Any) -> None:
    """Open the store, wait for everyone, label ``count`` items, report the timings."""
    from mmwidgets.data import open_store

    store = open_store(location, labels=LABELS)
    try:
        len(store)  # a first query: the connection is up before the clock starts
        barrier.wait(timeout=120)
        started = time.perf_counter()
        times = []
        for i in range(count):
            t = time.perf_counter()
            store.set(f"{name}-{i}", LABELS[i % len(LABELS)], annotator=name)
            times.append(time.perf_counter() - t)
        done = time.perf_counter()  # CLOCK_MONOTONIC: the same clock in every process
    finally:
        store.close()
    results.put((name, started, done, times))


def measure(location: str, workers: int, count: int) -> dict[str, float]:
    """One run: ``workers`` spawned processes labeling ``count`` items each into ``location``."""
    from mmwidgets.data import open_store

    open_store(location, labels=LABELS).close()  # schema / task made before anyone starts
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(location, f"w{k}", count, barrier, results))
        for k in range(workers)
    ]
    for p in procs:
        p.start()
    got = []
    try:
        while len(got) < workers:
            try:
                got.append(results.get(timeout=5))
            except Exception:  # queue.Empty: is a worker dead?
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"worker exited with {dead[0].exitcode}") from None
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    release = min(started for _, started, _, _ in got)
    wall = max(done for _, _, done, _ in got) - release
    first = min(done for _, _, done, _ in got) - release  # = wall when the writers share fairly
    times = sorted(t for *_, ts in got for t in ts)

    store = open_store(location)
    try:
        labeled, events = len(store), len(store.history())
    finally:
        store.close()
    expected = workers * count
    if labeled != expected or events != expected:
        raise SystemExit(
            f"{location}: {labeled} labeled items and {events} events, expected {expected}"
        )

    def q(p: float) -> float:
        return 1e3 * times[round(p * (len(times) - 1))]

    return {
        "wall_s": wall,
        "first_s": first,
        "per_s": workers * count / wall,
        "p50": q(0.50),
        "p95": q(0.95),
        "p99": q(0.99),
        "max": 1e3 * times[-1],
    }


def _row(backend: str, procs: int, labels: int, r: dict[str, float], ratio: str) -> str:
    return (
        f"{backend:>10} {procs:>5} {labels:>6} {r['wall_s']:>7.2f} {r['first_s']:>8.2f} "
        f"{r['per_s']:>9.0f} {ratio:>9} {r['p50']:>7.2f} {r['p95']:>7.2f} {r['p99']:>7.2f} "
        f"{r['max']:>7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4, help="concurrent writer processes")
    parser.add_argument("--labels", type=int, default=300, help="labels per worker")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="postgresql,sqlite")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - set(BACKENDS):
        parser.error(f"unknown backends {sorted(unknown)}; known: {','.join(BACKENDS)}")

    begin = time.perf_counter()
    print(f"load average {os.getloadavg()[0]:.2f} at the start ({os.cpu_count()} cores)")
    print(
        f"{'backend':>10} {'procs':>5} {'labels':>6} {'wall s':>7} {'1st done':>8} "
        f"{'labels/s':>9} {'vs 1 proc':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7}",
        flush=True,
    )
    server = ThrowawayPostgres() if "postgresql" in backends else None
    try:
        with tempfile.TemporaryDirectory(prefix="mmw-concurrency-") as tmp:
            for backend in backends:
                base = None
                for n in sorted({1, args.workers}):
                    if backend == "postgresql":
                        assert server is not None
                        location = server.url(f"bench-{n}w")
                    else:
                        location = str(Path(tmp) / f"labels-{n}w.sqlite")
                    r = measure(location, n, args.labels)
                    base = r["per_s"] if n == 1 else base
                    ratio = f"{r['per_s'] / base:.2f}x" if base else "-"
                    print(_row(backend, n, n * args.labels, r, ratio), flush=True)
    finally:
        if server is not None:
            server.close()
    print("checked: every store held exactly procs x labels labeled items, as many events")
    print(
        f"load average {os.getloadavg()[0]:.2f} at the end; "
        f"{time.perf_counter() - begin:.0f} s in total"
    )


if __name__ == "__main__":
    main()
