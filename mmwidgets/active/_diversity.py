"""Core-set (k-center greedy) selection: cover the embedding space, far from what is labeled.

Plain farthest-first traversal spends a small budget on the pool's outliers (the items far from
everything are exactly the ones it picks first), and a model learns little from them: on the
sample set it fell below random sampling. So by default the sparsest fifth of the pool (by the
distance to its nearest neighbours) is picked only once the rest is covered, the usual guard
of k-center with outliers; labeled outliers still count as covered centres.
"""

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
    _sparse_rows,
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
    outliers: float = 0.2,
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
    outliers : float
        Share of the usable pool, in ``[0, 1)``, farthest from its nearest neighbours (the
        distance to the 10th nearest of a fixed sample of 1024 items, scaled down for pools
        over 128k items), picked only after every other eligible item. ``0`` is the plain
        greedy core-set.

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
    >>> labeled = np.array([True, False, False, False])
    >>> q = k_center_greedy(emb, labeled, 2, metric="euclidean", outliers=0)
    >>> q.indices.tolist(), q.reasons[0]
    ([2, 3], 'far from labeled items (distance 7.07)')

    With ``outliers`` the lone item 2 waits until the rest is covered:

    >>> k_center_greedy(emb, labeled, 3, metric="euclidean", outliers=0.25).indices.tolist()
    [3, 1, 2]
    """
    mask = _check_labeled(labeled)
    n = _check_n(n)
    if isinstance(outliers, bool) or not 0 <= outliers < 1:
        raise ValueError(f"outliers must be a share in [0, 1); got {outliers!r}")
    points = _prepare(embeddings, len(mask), metric)
    other = _check_exclude(exclude, len(mask)) & ~mask
    eligible = ~(mask | other) & points.usable
    if not eligible.any():
        raise _empty_pool(len(mask), int(mask.sum()), int(other.sum()))
    sparse = _sparse_rows(points, outliers)
    centers = np.flatnonzero(mask & points.usable)
    picks: list[int] = []
    reasons: list[str] = []
    if len(centers):
        min_dist = _min_distances_to(points, centers)
    else:
        first = _central_item(
            points, eligible & ~sparse if (eligible & ~sparse).any() else eligible
        )
        picks, reasons = [first], ["most central item (nothing labeled yet)"]
        eligible[first] = False
        min_dist = _min_distances(points, *points.centers(np.array([first])))
    # the dense part first; the outliers only when it runs out
    for allowed in (eligible & ~sparse, eligible & sparse):
        if len(picks) == n or not allowed.any():
            continue
        more, gaps = _farthest_first(points, allowed, min_dist, n - len(picks))
        reasons += [
            _far_reason(len(centers) > 0, bool(picks) or i > 0, gap) for i, gap in enumerate(gaps)
        ]
        picks += more
        if more and len(picks) < n:  # the outliers are measured against these picks too
            np.minimum(min_dist, _min_distances_to(points, np.array(more)), out=min_dist)
    return Query(np.array(picks, dtype=np.int64), reasons, "k_center")


def _far_reason(labeled: bool, earlier: bool, gap: float) -> str:
    if labeled and earlier:
        return f"far from labeled items and earlier picks (distance {_fmt(gap)})"
    if labeled:
        return f"far from labeled items (distance {_fmt(gap)})"
    return f"far from earlier picks (distance {_fmt(gap)})"


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
