"""A real encoder (feature hashing) slowed down, so that a test can act while shards run.

Importable by worker processes (pytest puts this folder on ``sys.path``, and spawned workers
inherit it), which is what the executor tests need: encoders travel pickled by reference.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mmwidgets.encoders.text import HashingTextEncoder


class SlowHashing(HashingTextEncoder):
    """The hashing text encoder, ``delay`` seconds slower per value; its own cache key."""

    def __init__(self, delay: float = 0.01, dim: int = 64, refuse: str | None = None) -> None:
        super().__init__(dim=dim)
        self.delay = delay
        self.refuse = refuse
        self.name = "slow-hashing"

    def _load(self, value: Any) -> Any:
        if self.refuse is not None and self.refuse in str(value):
            raise ValueError(f"refused {value!r}")  # as a broken cell would fail to decode
        return super()._load(value)

    def _forward(self, inputs: list[Any]) -> np.ndarray:
        time.sleep(self.delay * len(inputs))
        return super()._forward(inputs)


def pool_texts(n: int, distinct: int | None = None) -> list[str]:
    """``n`` texts with ``distinct`` different contents (repeats test the shared-content path)."""
    words = ("koala", "bus", "red", "tree", "dog", "fire", "truck", "sun")
    m = distinct or n
    return [f"{words[j % 8]} {words[(j // 8) % 8]} item {j}" for j in (i % m for i in range(n))]
