"""The pool's model inputs built as shards of embeddings arrive, so training starts early.

With an executor, :func:`~mmwidgets.encoders.encode_dataset` hands over items as their shards
finish, in content-hash order: a uniform random sample of the pool first. Once enough have
arrived, each column's projection is fitted on them (a PCA of a random sample, as for a whole
pool) and then kept for good, so that every later view, the final one included, has inputs in
one space and a model trained on an early view still applies. Each arriving item is projected
once, into preallocated fp16 matrices that every published view shares; an item still being
encoded is NaN there and absent in the view's presence and ``pending`` mask.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mmwidgets.encoders.compact import Projection, compact_column, fit_projection
from mmwidgets.session._fused import fused_embeddings

__all__ = ["STREAM_FIT_ROWS", "InputStream"]

#: items the projections are fitted on before the first partial view (fewer in small pools)
STREAM_FIT_ROWS = 4_096


class InputStream:
    """Compact inputs, presence and the fused space, filled in as items arrive.

    Owned by the encoding thread (the only caller of :meth:`add`); the arrays it publishes
    are only ever written at rows that every earlier view has as absent and pending.
    """

    def __init__(self, n: int, compact_dim: int | None, fused_dim: int, seed: int = 0) -> None:
        self.n = n
        self._dim = compact_dim
        self._fused_dim = fused_dim
        self._seed = seed
        #: items needed before the first view: a sample worth fitting a projection on
        self.fit_rows = max(1, min(STREAM_FIT_ROWS, n // 4))
        self._buffer: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
        self._buffered = 0
        self.projections: dict[str, Projection | None] | None = None
        self.X: dict[str, np.ndarray] = {}
        self.presence = np.zeros((n, 0), dtype=bool)
        self.fused = np.full((n, fused_dim), np.nan, dtype=np.float32)
        self.pending = np.ones(n, dtype=bool)

    @property
    def started(self) -> bool:
        """The projections are fitted: views can be published."""
        return self.projections is not None

    def add(self, rows: np.ndarray, columns: Mapping[str, np.ndarray]) -> bool:
        """Take finished items (their rows, each column's embeddings of them).

        Returns True when this made the stream start (or it already had).
        """
        if not self.started:
            self._buffer.append((np.asarray(rows), dict(columns)))
            self._buffered += len(rows)
            if self._buffered < self.fit_rows:
                return False
            self.start()
            return True
        self._write(np.asarray(rows), columns)
        return True

    def start(self) -> None:
        """Fit the projections on what has arrived, and project it (also at the very end)."""
        if self.started or not self._buffer:
            return
        names = list(self._buffer[0][1])
        sample = {c: np.concatenate([cols[c] for _, cols in self._buffer]) for c in names}
        self.projections = {
            c: None if self._dim is None else fit_projection(m, self._dim, seed=self._seed + j)
            for j, (c, m) in enumerate(sample.items())
        }
        for c, m in sample.items():
            width = m.shape[1] if self.projections[c] is None else self._dim
            self.X[c] = np.full((self.n, int(width or 0)), np.nan, dtype=np.float16)
        self.presence = np.zeros((self.n, len(names)), dtype=bool)
        buffered, self._buffer = self._buffer, []
        for rows, cols in buffered:
            self._write(rows, cols)

    def _write(self, rows: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        assert self.projections is not None
        for j, (c, matrix) in enumerate(columns.items()):
            out, present = compact_column(matrix, self.projections[c])
            self.X[c][rows] = out
            self.presence[rows, j] = present
        sub = {c: self.X[c][rows] for c in self.X}
        self.fused[rows] = fused_embeddings(sub, self.presence[rows], dim=self._fused_dim)
        self.pending[rows] = False
