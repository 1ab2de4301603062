"""Print how long opening a label store takes, and what checking its log costs, at 100k events.

Opening verifies the file's whole schema (tables, columns, indexes, no triggers or views, the
meta values' types) once; reading views checks each annotation row's shape so a malformed row
is skipped instead of failing the view. This prints both costs on a SQLite file of
``N_EVENTS`` events (~30k items, multi-label, two annotators).

Usage: ``python benchmarks/store_open.py [FOLDER]`` (default: a temporary folder).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mmwidgets import LabelStore

LABELS = ["cat", "dog", "bird", "fish"]
N_EVENTS = 100_000
ROUNDS = 30


def build(path: Path) -> None:
    rng = random.Random(0)
    with LabelStore(path, labels=LABELS, multi_label=True) as store:
        for _ in range(N_EVENTS // 1000):
            batch = [
                (rng.randrange(30_000), rng.sample(LABELS, rng.randrange(3))) for _ in range(1000)
            ]
            store.set_batch(batch, annotator=rng.choice(["ann", "bob"]))


def median_ms(action: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    with tempfile.TemporaryDirectory(dir=sys.argv[1] if len(sys.argv) > 1 else None) as tmp:
        path = Path(tmp) / "open.sqlite"
        build(path)
        opened = median_ms(lambda: LabelStore(path).close(), ROUNDS)
        with LabelStore(path) as store:
            current = median_ms(store.current, 5)
            length = median_ms(store.__len__, 5)
        print(f"label store of {N_EVENTS:,} events (~30k items, multi-label, 2 annotators):")
        print(f"  open + close (median of {ROUNDS})  {opened:8.2f} ms")
        print(f"  current() (median of 5)        {current:8.1f} ms")
        print(f"  len() (median of 5)            {length:8.1f} ms")


if __name__ == "__main__":
    main()
