"""Every item's latest scores, which model made them, and which items to rescore first.

After a label the trainer rescores only *candidates* at once (the most uncertain items of
the last full pass plus a uniform random slice) and publishes that queue; the rest of the pool
is rescored in blocks in the background ("sweeps"), and each finished sweep is ranked whole.
A sweep scores only rows the newest model has not scored yet, so once labels stop, a second
sweep at most leaves every row scored by the serving model: the queue is then exactly the one
a full rescore would rank.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SWEEP_BLOCK", "PoolScores", "uncertainty_order"]

#: rows scored per background step; the trainer checks for new labels between steps
SWEEP_BLOCK = 32_768


def uncertainty_order(proba: np.ndarray, multi_label: bool) -> np.ndarray:
    """Per row, how sure the scores are: lower is less sure; NaN rows come out as +inf.

    Single-label: the margin between the two highest probabilities. Multi-label: the
    distance to 0.5 of the least decided label.

    Examples
    --------
    >>> import numpy as np
    >>> [round(float(v), 2) for v in uncertainty_order(np.array([[0.5, 0.5], [0.9, 0.1]]), False)]
    [0.0, 0.8]
    """
    p = np.asarray(proba, dtype=np.float32)
    if multi_label:
        out = np.abs(p - 0.5).min(axis=1)
    elif p.shape[1] < 2:
        out = np.zeros(len(p), dtype=np.float32)
    else:
        top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
        out = top2[:, 1] - top2[:, 0]
    return np.where(np.isnan(out), np.inf, out)


class PoolScores:
    """The pool's probabilities, row by row, with the model version that scored each row.

    Not thread-safe: its one owner (the trainer) touches it under its refresh lock only, and
    publishes copies (:meth:`snapshot`).

    Examples
    --------
    >>> import numpy as np
    >>> s = PoolScores(5)
    >>> s.write_all(np.full((5, 2), 0.5, "float32"), version=1)
    >>> s.write(np.array([3]), np.array([[0.9, 0.1]], "float32"), version=2)
    >>> s.floor(), s.next_block(version=2, size=2).tolist(), s.next_block(2, 2).tolist()
    (1, [0, 1], [2, 4])
    >>> s.next_block(2, 2) is None  # the sweep is over; the next one starts at row 0
    True
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.proba: np.ndarray | None = None
        self._by = np.full(n, -1, dtype=np.int64)  # model version that scored each row
        self._cursor = 0

    def write_all(self, proba: np.ndarray, version: int) -> None:
        """Every row, scored by model ``version``."""
        self.proba = np.array(proba, dtype=np.float32)
        self._by[:] = version
        self._cursor = 0

    def write(self, rows: np.ndarray, proba: np.ndarray, version: int) -> None:
        """Some rows, scored by model ``version`` (after :meth:`write_all` made the array)."""
        assert self.proba is not None, "write_all() first"
        self.proba[rows] = proba
        self._by[rows] = version

    def invalidate(self, rows: np.ndarray) -> None:
        """Mark rows as never scored (their inputs arrived since), so the next sweep takes them."""
        self._by[rows] = -1

    def floor(self) -> int:
        """The oldest model version any row was scored by (-1: some row never was)."""
        return int(self._by.min()) if self.n else -1

    def next_block(self, version: int, size: int = SWEEP_BLOCK) -> np.ndarray | None:
        """The next ``size`` rows of this sweep not yet scored by ``version``; None ends it.

        The sweep walks the rows in order from where it stopped; after None the next call
        starts a new sweep at row 0.
        """
        stale = np.flatnonzero(self._by[self._cursor :] < version)[:size] + self._cursor
        if len(stale) == 0:
            self._cursor = 0
            return None
        self._cursor = int(stale[-1]) + 1
        return stale

    def candidates(
        self,
        excluded: np.ndarray,
        *,
        top: int,
        random: int,
        multi_label: bool,
        seed: int,
    ) -> np.ndarray:
        """Sorted rows to rescore at once: the ``top`` least sure and ``random`` other rows.

        Rows in ``excluded`` (labeled, skipped, broken) are never among them.
        """
        assert self.proba is not None, "write_all() first"
        open_rows = np.flatnonzero(~excluded)
        if len(open_rows) <= top + random:
            return open_rows
        sureness = uncertainty_order(self.proba[open_rows], multi_label)
        least = open_rows[np.argpartition(sureness, top - 1)[:top]]
        rest = np.setdiff1d(open_rows, least, assume_unique=True)
        rng = np.random.default_rng(seed)
        picked = rng.choice(rest, size=min(random, len(rest)), replace=False)
        return np.sort(np.concatenate([least, picked]))

    def snapshot(self) -> np.ndarray:
        """A copy of every row's probabilities, for a published generation."""
        assert self.proba is not None, "write_all() first"
        return self.proba.copy()
