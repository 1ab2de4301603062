"""Timing shared by the benchmark scripts (run as ``python benchmarks/<name>.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["ROUNDS", "race"]

#: turns of each measurement; the best of them is reported
ROUNDS = 3


def race(contenders: dict[str, Callable[[], Any]], repeats: int = ROUNDS) -> dict[str, float]:
    """Best wall time of each, run in turns, so that a busy spell of the machine hits them all."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best
