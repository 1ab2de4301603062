"""Core-set (k-center greedy) selection: cover the embedding space, far from what is labeled."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.active._geometry import (
    Metric,
    _central_item,
    _farthest_first,
    _min_distances,
    _min_distances_to,
    _prepare,
)
from mmwidgets.active._query import (
    Query,
    _check_exclude,
    _check_labeled,
    _check_n,
    _empty_pool,
    _fmt,
)
from mmwidgets.active._registry import register_strategy

__all__ = ["k_center_greedy"]


def k_center_greedy(
    embeddings: Any,
    labeled: Any,
    n: int,
    *,
    exclude: Any = None,
    metric: Metric = "cosine",
) -> Query:
    """Pick items one at a time, each the farthest from every labeled item and earlier pick.

    This is the greedy core-set strategy: the batch covers the regions of the embedding space
    that no label speaks for yet. Each pick costs one chunked pass of the pool against the new
    center, so memory stays at a few vectors of length ``n_items``.

    Parameters
    ----------
    embeddings : array-like of shape (n_items, dim)
        One embedding per item, any float dtype (a float16 memmap is read chunk by chunk).
        Rows with NaN or inf (media that failed to encode) are never picked and never used as
        centers; under ``"cosine"`` all-zero rows are treated the same way.
    labeled : array-like of bool, shape (n_items,)
        True for items that already have a label: the centres already covered. They are
        never picked.
    n : int
        How many items to pick. Fewer come back when fewer are eligible.
    exclude : array-like of bool, shape (n_items,), optional
        True for items never to pick that are no centres either: skipped, held by another
        annotator, held out. Nothing near them is taken for covered.
    metric : {"cosine", "euclidean"}
        Cosine distance (``1 - cos``, in ``[0, 2]``) or Euclidean distance.

    Returns
    -------
    Query
        Indices in pick order, reasons such as ``"far from labeled items (distance 0.84)"``.
        With nothing labeled, the first pick is the item nearest the mean of the pool.

    Raises
    ------
    EmptyPoolError
        No unlabeled item with a usable embedding remains.
    ShapeMismatchError
        ``embeddings`` and ``labeled`` disagree in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import k_center_greedy
    >>> emb = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [0.0, 0.2]], dtype=np.float32)
    >>> q = k_center_greedy(emb, np.array([True, False, False, False]), 2, metric="euclidean")
    >>> q.indices.tolist(), q.reasons[0]
    ([2, 3], 'far from labeled items (distance 7.07)')
    """
    mask = _check_labeled(labeled)
    n = _check_n(n)
    points = _prepare(embeddings, len(mask), metric)
    other = _check_exclude(exclude, len(mask)) & ~mask
    eligible = ~(mask | other) & points.usable
    if not eligible.any():
        raise _empty_pool(len(mask), int(mask.sum()), int(other.sum()))
    centers = np.flatnonzero(mask & points.usable)
    if len(centers):
        picks, gaps = _farthest_first(points, eligible, _min_distances_to(points, centers), n)
        reasons = [f"far from labeled items (distance {_fmt(gaps[0])})"]
        reasons += [
            f"far from labeled items and earlier picks (distance {_fmt(g)})" for g in gaps[1:]
        ]
        return Query(np.array(picks), reasons, "k_center")
    first = _central_item(points, eligible)
    eligible[first] = False
    min_dist = _min_distances(points, *points.centers(np.array([first])))
    picks, gaps = _farthest_first(points, eligible, min_dist, n - 1)
    reasons = ["most central item (nothing labeled yet)"]
    reasons += [f"far from earlier picks (distance {_fmt(g)})" for g in gaps]
    return Query(np.array([first, *picks]), reasons, "k_center")


@register_strategy("k_center", needs=("embeddings",), public=k_center_greedy)
def _k_center(
    *,
    labeled: npt.NDArray[np.bool_],
    exclude: npt.NDArray[np.bool_],
    n: int,
    embeddings: Any,
    **_: object,
) -> Query:
    return k_center_greedy(embeddings, labeled, n, exclude=exclude)
