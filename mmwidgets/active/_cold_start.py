"""Model-free cold start: cluster the pool, then label one typical item of each unlabeled cluster.

Before every class has a label there is no model worth asking, so picks come from the structure
of the embeddings alone: mini-batch k-means (numpy, chunked), then the item nearest the center of
each of the largest clusters that holds no labeled item yet.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.active._geometry import Metric, _farthest_first, _min_distances_to, _Points, _prepare
from mmwidgets.active._query import (
    Query,
    Seed,
    _check_exclude,
    _check_labeled,
    _check_n,
    _empty_pool,
    _fmt,
    _rng,
)
from mmwidgets.active._registry import register_strategy

__all__ = ["cold_start"]

F32 = npt.NDArray[np.float32]
_MAX_CLUSTERS = 256  # bounds the final assignment pass: n_items x clusters x dim flops
_BATCH = 1024
_STEPS = 100


def _sq_distances(u: F32, centers: F32, csq: F32) -> F32:
    d2 = u @ centers.T
    d2 *= -2
    d2 += csq[None, :]
    d2 += np.einsum("ij,ij->i", u, u)[:, None]
    np.maximum(d2, 0, out=d2)
    return d2


def _kmeans_pp(u: F32, k: int, rng: np.random.Generator) -> F32:
    """Greedy k-means++ on a sample: each step keeps the best of a few D^2-weighted draws."""
    trials = 2 + int(math.log(k))
    first = int(rng.integers(len(u)))
    chosen = [first]
    d2 = _sq_distances(u, u[[first]], np.einsum("ij,ij->i", u[[first]], u[[first]]))[:, 0]
    for _ in range(1, k):
        total = float(d2.sum())
        if total > 0:
            draws = np.searchsorted(np.cumsum(d2, dtype=np.float64), rng.random(trials) * total)
            cand = np.minimum(draws, len(u) - 1)
        else:  # every sampled point coincides with a center: any draw is as good
            cand = rng.integers(len(u), size=trials)
        cu = u[cand]
        trial_d2 = np.minimum(d2[:, None], _sq_distances(u, cu, np.einsum("ij,ij->i", cu, cu)))
        best = int(np.argmin(trial_d2.sum(axis=0)))
        chosen.append(int(cand[best]))
        d2 = trial_d2[:, best]
    return u[chosen].copy()


def _kmeans(points: _Points, rows: npt.NDArray[np.int64], k: int, rng: np.random.Generator) -> F32:
    """Mini-batch k-means (Sculley 2010) over the usable rows, reading only sampled batches."""
    sample = np.sort(rng.choice(rows, size=min(len(rows), max(4096, 8 * k)), replace=False))
    centers = _kmeans_pp(points.centers(sample)[0], k, rng)
    counts = np.zeros(k, dtype=np.float64)
    for _ in range(_STEPS):
        batch = np.sort(rows[rng.integers(len(rows), size=_BATCH)])
        u = points.centers(batch)[0]
        labels = _sq_distances(u, centers, np.einsum("ij,ij->i", centers, centers)).argmin(axis=1)
        sums = np.zeros_like(centers)
        np.add.at(sums, labels, u)
        members = np.bincount(labels, minlength=k).astype(np.float64)
        counts += members
        hit = members > 0
        # per-center learning rate 1/count: each center is the running mean of what it has seen
        step = (sums[hit] - members[hit, None] * centers[hit]) / counts[hit, None]
        centers[hit] += step.astype(np.float32)
    return centers


def _assign(points: _Points, centers: F32) -> tuple[npt.NDArray[np.int64], F32]:
    """Nearest center of every usable row (-1 elsewhere) and the squared distance to it."""
    labels = np.full(len(points.data), -1, dtype=np.int64)
    d2 = np.full(len(points.data), np.inf, dtype=np.float32)
    csq = np.einsum("ij,ij->i", centers, centers)
    for rows in points.slices(width=len(centers)):
        x, scale = points.rows(rows)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN rows are relabeled -1 below
            u = x * scale[:, None] if points.metric == "cosine" else x
            block = _sq_distances(u, centers, csq)
        nearest = block.argmin(axis=1)
        labels[rows] = nearest
        d2[rows] = block[np.arange(len(block)), nearest]
    labels[~points.usable] = -1
    return labels, d2


def cold_start(
    embeddings: Any,
    labeled: Any,
    n: int,
    *,
    exclude: Any = None,
    seed: Seed = None,
    n_clusters: int | None = None,
    metric: Metric = "cosine",
) -> Query:
    """Pick the most typical item of each of the largest clusters that has no label yet.

    Needs no model, so it is the strategy to use before every class has a label. The pool is
    clustered with mini-batch k-means (on L2-normalised embeddings under ``"cosine"``); clusters
    are numbered by size, largest first. When every cluster already holds a labeled item, the
    remaining picks are the items farthest from everything labeled or picked.

    Parameters
    ----------
    embeddings : array-like of shape (n_items, dim)
        One embedding per item, any float dtype. Rows with NaN or inf are never picked.
    labeled : array-like of bool, shape (n_items,)
        True for items that already have a label: their clusters count as covered. They are
        never picked.
    n : int
        How many items to pick. Fewer come back when fewer are eligible.
    exclude : array-like of bool, shape (n_items,), optional
        True for items never to pick that cover nothing: skipped, held by another annotator,
        held out. They are still clustered (they are part of the pool's structure).
    seed : int or numpy.random.Generator, optional
        Seeds the clustering. The same int gives the same picks.
    n_clusters : int, optional
        Number of clusters; default ``n`` plus the number of labeled items, at most 256
        (and never below ``n``).
    metric : {"cosine", "euclidean"}
        Geometry of the clustering.

    Returns
    -------
    Query
        Indices, largest uncovered cluster first, reasons such as
        ``"cluster 7 has no label yet (412 items)"``.

    Raises
    ------
    EmptyPoolError
        No unlabeled item with a usable embedding remains.
    ShapeMismatchError
        ``embeddings`` and ``labeled`` disagree in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import cold_start
    >>> blobs = np.repeat(np.eye(3, dtype=np.float32), [6, 4, 2], axis=0)
    >>> q = cold_start(blobs, np.zeros(12, bool), 3, seed=0)
    >>> sorted(int(blobs[i].argmax()) for i in q.indices), q.reasons[0]
    ([0, 1, 2], 'cluster 0 has no label yet (6 items)')
    """
    mask = _check_labeled(labeled)
    n = _check_n(n)
    points = _prepare(embeddings, len(mask), metric)
    other = _check_exclude(exclude, len(mask)) & ~mask
    eligible = ~(mask | other) & points.usable
    if not eligible.any():
        raise _empty_pool(len(mask), int(mask.sum()), int(other.sum()))
    usable_rows = np.flatnonzero(points.usable)
    n_labeled = int(np.count_nonzero(mask & points.usable))
    if n_clusters is None:
        k = max(n, min(n + n_labeled, _MAX_CLUSTERS))
    elif isinstance(n_clusters, bool) or operator.index(n_clusters) < 1:
        raise ValueError(f"n_clusters must be a positive int; got {n_clusters!r}")
    else:
        k = operator.index(n_clusters)
    k = min(k, len(usable_rows))
    labels, d2 = _assign(points, _kmeans(points, usable_rows, k, _rng(seed)))

    sizes = np.bincount(labels[usable_rows], minlength=k)
    by_size = np.argsort(-sizes, kind="stable")  # cluster number = rank by size
    number = np.empty(k, dtype=np.int64)
    number[by_size] = np.arange(k)
    covered = np.zeros(k, dtype=np.bool_)
    covered[labels[mask & points.usable]] = True

    cand = np.flatnonzero(eligible)
    order = cand[np.lexsort((cand, d2[cand], labels[cand]))]
    clusters, first = np.unique(labels[order], return_index=True)
    typical = dict(zip(clusters.tolist(), order[first].tolist(), strict=True))
    picks: list[int] = []
    reasons: list[str] = []
    for c in by_size:
        if len(picks) == n or sizes[c] == 0:
            break
        if not covered[c] and int(c) in typical:
            picks.append(typical[int(c)])
            reasons.append(f"cluster {number[c]} has no label yet ({sizes[c]} items)")
    if len(picks) < n:
        eligible[picks] = False
        centers = np.concatenate([np.flatnonzero(mask & points.usable), picks]).astype(np.int64)
        more, gaps = _farthest_first(
            points, eligible, _min_distances_to(points, centers), n - len(picks)
        )
        picks += more
        reasons += [f"far from labeled items and earlier picks (distance {_fmt(g)})" for g in gaps]
    return Query(np.array(picks, dtype=np.int64), reasons, "cold_start")


@register_strategy("cold_start", needs=("embeddings",), public=cold_start)
def _cold_start(
    *,
    labeled: npt.NDArray[np.bool_],
    exclude: npt.NDArray[np.bool_],
    n: int,
    embeddings: Any,
    seed: Seed,
    **_: object,
) -> Query:
    return cold_start(embeddings, labeled, n, exclude=exclude, seed=seed)
