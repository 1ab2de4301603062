"""Chunked distance kernels over an embedding pool, without ever forming an N x N matrix.

The pool may be a float16 memmap (the embedding cache): rows are converted to float32 one chunk
at a time, so a query never holds a float32 copy of the whole pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mmwidgets.active._query import _check_rows, _chunk_rows

__all__ = ["Metric"]

Metric = Literal["cosine", "euclidean"]
_METRICS = ("cosine", "euclidean")
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Points:
    data: np.ndarray  # (N, D), any float dtype, never copied whole
    usable: npt.NDArray[np.bool_]  # finite rows (and non-zero rows under cosine)
    scale: F32  # cosine: 1 / ||x||; euclidean: ||x||^2; 0 on unusable rows
    metric: Metric

    def rows(self, rows: slice | npt.NDArray[np.int64]) -> tuple[F32, F32]:
        """float32 rows and their scale; unusable rows keep their NaN (see :meth:`distances`)."""
        return np.asarray(self.data[rows], dtype=np.float32), self.scale[rows]

    def slices(self, width: int = 0) -> Iterator[slice]:
        """Consecutive row ranges sized so one ``rows x max(width, dim)`` block is ~8 MiB."""
        step = _chunk_rows(max(width, self.data.shape[1]))
        for start in range(0, len(self.data), step):
            yield slice(start, start + step)

    def distances(self, rows: slice, vecs: F32, vsq: F32) -> F32:
        """``(rows, centers)`` distances; ``inf`` on unusable rows.

        A NaN row only spoils its own row of a matrix product, so the block is used as read
        (no copy) and the spoiled rows are overwritten afterwards.
        """
        x, scale = self.rows(rows)
        with np.errstate(invalid="ignore", over="ignore"):
            block = _distances(x, scale, vecs, vsq, self.metric)
        ok = self.usable[rows]
        if not ok.all():
            block[~ok] = np.inf
        return block

    def centers(self, rows: npt.NDArray[np.int64]) -> tuple[F32, F32]:
        """Usable rows as centers: unit vectors under cosine; vectors and squared norms else."""
        x, scale = self.rows(rows)
        if self.metric == "cosine":
            return x * scale[:, None], np.ones(len(x), dtype=np.float32)
        return x, scale


def _prepare(embeddings: Any, n_items: int, metric: Metric) -> _Points:
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}; got {metric!r}")
    data = _check_rows("embeddings", embeddings, n_items)
    usable = np.zeros(n_items, dtype=np.bool_)
    scale = np.zeros(n_items, dtype=np.float32)
    step = _chunk_rows(data.shape[1])
    for start in range(0, n_items, step):
        x = np.asarray(data[start : start + step], dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            sq = np.einsum("ij,ij->i", x, x)
        ok = np.isfinite(sq)
        if metric == "cosine":
            ok &= sq > 0  # a zero vector has no direction
            norm = np.sqrt(sq, where=ok, out=np.ones_like(sq))
            np.divide(1, norm, where=ok, out=scale[start : start + len(x)])
        else:
            scale[start : start + len(x)] = np.where(ok, sq, 0)
        usable[start : start + len(x)] = ok
    return _Points(data, usable, scale, metric)


def _distances(x: F32, x_scale: F32, vecs: F32, vsq: F32, metric: Metric) -> F32:
    """``(len(x), len(vecs))`` distances from prepared rows to prepared centers."""
    dots = x @ vecs.T
    if metric == "cosine":
        dots *= -x_scale[:, None]
        dots += 1
        np.clip(dots, 0, 2, out=dots)
        return dots
    dots *= -2
    dots += x_scale[:, None]
    dots += vsq[None, :]
    np.maximum(dots, 0, out=dots)
    np.sqrt(dots, out=dots)
    return dots


def _min_distances(points: _Points, vecs: F32, vsq: F32) -> F32:
    """Distance of every pool row to its nearest center (``inf`` when there are no centers)."""
    out = np.full(len(points.data), np.inf, dtype=np.float32)
    if len(vecs) == 0:
        return out
    for rows in points.slices(width=len(vecs)):
        out[rows] = points.distances(rows, vecs, vsq).min(axis=1)
    return out


def _min_distances_to(points: _Points, rows: npt.NDArray[np.int64]) -> F32:
    """Distance of every pool row to the nearest of the pool rows ``rows`` (e.g. the labeled)."""
    out = np.full(len(points.data), np.inf, dtype=np.float32)
    for lo in range(0, len(rows), 4096):  # bounds the centers block for huge labeled sets
        np.minimum(out, _min_distances(points, *points.centers(rows[lo : lo + 4096])), out=out)
    return out


def _central_item(points: _Points, eligible: npt.NDArray[np.bool_]) -> int:
    """The eligible row nearest the mean of the usable rows (the most typical single item)."""
    total = np.zeros(points.data.shape[1], dtype=np.float64)
    for rows in points.slices():
        x, scale = points.rows(rows)
        ok = points.usable[rows]
        if points.metric == "cosine":
            x = x * scale[:, None]
        total += (x if ok.all() else x[ok]).sum(axis=0)
    mean = (total / max(1, int(points.usable.sum()))).astype(np.float32)[None, :]
    if points.metric == "cosine":
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
    dist = _min_distances(points, mean, np.einsum("ij,ij->i", mean, mean))
    return int(np.argmin(np.where(eligible, dist, np.inf)))


def _farthest_first(
    points: _Points, eligible: npt.NDArray[np.bool_], min_dist: F32, n: int
) -> tuple[list[int], list[float]]:
    """Greedy k-center: repeatedly pick the eligible row farthest from all centers so far.

    ``min_dist`` holds each row's distance to the centers already chosen (``inf`` for none);
    each pick costs one chunked pass of the pool against the single new center.
    """
    work = np.where(eligible & points.usable, min_dist, -np.inf).astype(np.float32)
    picks: list[int] = []
    gaps: list[float] = []
    while len(picks) < n:
        best = int(np.argmax(work))
        if work[best] == -np.inf:
            break
        picks.append(best)
        gaps.append(float(work[best]))
        work[best] = -np.inf
        vec, vsq = points.centers(np.array([best]))
        for rows in points.slices():
            np.minimum(work[rows], points.distances(rows, vec, vsq)[:, 0], out=work[rows])
    return picks, gaps


def _sparse_rows(
    points: _Points, share: float, k: int = 10, n_ref: int = 1024, seed: int = 0
) -> npt.NDArray[np.bool_]:
    """The ``share`` of usable rows farthest from their neighbours (the pool's outliers).

    A row's sparseness is its distance to its ``k``-th nearest neighbour among a fixed random
    sample of ``n_ref`` usable rows (the whole pool when it is smaller; ``k`` shrinks with the
    sample's share of the pool). Past 128k rows the sample shrinks too (to 128 at 1M), so the
    pass costs at most about ``2**27`` distances: +0.5 s over a million 128-d rows here.
    """
    out = np.zeros(len(points.data), dtype=np.bool_)
    usable = np.flatnonzero(points.usable)
    if share <= 0 or len(usable) < 2:
        return out
    rng = np.random.default_rng(seed)
    size = min(n_ref, len(usable), max(128, 2**27 // len(usable)))
    refs = np.sort(rng.choice(usable, size=size, replace=False))
    # a tiny pool has few neighbours to speak of: at most a third of it counts
    kth = max(1, min((len(refs) - 1) // 3, round(k * len(refs) / len(usable))))
    vecs, vsq = points.centers(refs)
    radius = np.full(len(points.data), np.inf, dtype=np.float32)
    for rows in points.slices(width=len(refs)):
        block = points.distances(rows, vecs, vsq)
        start = rows.start or 0
        # a reference row is not its own neighbour
        own = np.flatnonzero((refs >= start) & (refs < start + len(block)))
        block[refs[own] - start, own] = np.inf
        radius[rows] = (
            block.min(axis=1) if kth == 1 else np.partition(block, kth - 1, axis=1)[:, kth - 1]
        )
    cut = np.quantile(radius[usable], 1 - share)
    out[usable] = radius[usable] > cut
    return out
