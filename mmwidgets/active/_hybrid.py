"""The default strategy: uncertain items, no near-duplicates in a batch, and some random checks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.active._geometry import _Points, _prepare
from mmwidgets.active._query import (
    Query,
    Seed,
    _check_class_names,
    _check_labeled,
    _check_n,
    _empty_pool,
    _fmt,
    _rng,
    _top_n,
)
from mmwidgets.active._registry import register_strategy
from mmwidgets.active._uncertainty import _check_proba, _reasons, _scores

__all__ = ["RANDOM_CHECK", "hybrid"]

F32 = npt.NDArray[np.float32]
_EXPANSIONS = 3  # widen the candidate set at most 4**3 = 64x before giving up on diversity
#: the reason of every random check (a live session serves them by count, see hybrid)
RANDOM_CHECK = "random check"
#: hybrid's share of random checks
RANDOM_FRACTION = 0.1


def _cosine_distance(unit: F32, row: int) -> F32:
    # rounding can put copies a hair below 0; they must still count as distance 0
    distance: F32 = np.maximum(1 - unit @ unit[row], 0)
    return distance


def _diverse(
    scores: F32, points: _Points, n: int, k: int, min_distance: float
) -> tuple[list[int], list[float | None]]:
    """Most uncertain first, skipping any candidate within ``min_distance`` of an earlier pick.

    Distances are cosine, among the top-``k`` candidates only (``k x dim`` floats, one
    ``k``-vector per pick). If too few distinct candidates turn up, ``k`` grows; when it can grow
    no more, the batch is filled with the candidates farthest from it, and their gap is returned
    so the reason can say so (``None`` for picks that kept the minimum distance).
    """
    eligible = int(np.count_nonzero(np.isfinite(scores)))
    for expansion in range(_EXPANSIONS + 1):
        cand = _top_n(scores, min(k * 4**expansion, eligible))
        unit = points.centers(cand)[0]
        gap = np.full(len(cand), np.inf, dtype=np.float32)
        chosen: list[int] = []
        pos = 0
        while len(chosen) < n:
            # gaps only shrink, so a candidate skipped once stays skipped: scan forward only
            free = np.flatnonzero(gap[pos:] >= min_distance)
            if len(free) == 0:
                break
            pos += int(free[0])
            chosen.append(pos)
            np.minimum(gap, _cosine_distance(unit, pos), out=gap)
            gap[pos] = -np.inf
        if len(chosen) == n or len(cand) == eligible:
            break
    gaps: list[float | None] = [None] * len(chosen)
    while len(chosen) < n and len(chosen) < len(cand):
        best = int(np.argmax(gap))
        gaps.append(max(0.0, float(gap[best])))
        chosen.append(best)
        np.minimum(gap, _cosine_distance(unit, best), out=gap)
        gap[best] = -np.inf
    return cand[chosen].tolist(), gaps


def _random_checks(
    eligible: npt.NDArray[np.bool_],
    picks: list[int],
    count: int,
    points: _Points | None,
    min_distance: float,
    rng: np.random.Generator,
) -> list[tuple[int, str]]:
    """Uniform draws from the eligible pool, still keeping clear of the batch's other items."""
    pool = np.flatnonzero(eligible)
    draws = rng.choice(pool, size=min(len(pool), 16 * count + 16), replace=False)
    if points is None:
        return [(item, RANDOM_CHECK) for item in draws[:count].tolist()]
    chosen: list[tuple[int, str]] = []
    spare: list[tuple[float, int]] = []
    batch = points.centers(np.array(picks, dtype=np.int64))[0]
    for item in draws.tolist():
        unit = points.centers(np.array([item]))[0]
        gap = float((1 - batch @ unit[0]).min()) if len(batch) else math.inf
        if gap >= min_distance:
            chosen.append((item, RANDOM_CHECK))
            batch = np.concatenate([batch, unit])
            if len(chosen) == count:
                return chosen
        else:
            spare.append((-gap, item))
    fill = sorted(spare)[: count - len(chosen)]  # farthest first among the near-duplicates
    return chosen + [
        (item, f"{RANDOM_CHECK}; close to another pick (distance {_fmt(max(0.0, -neg))})")
        for neg, item in fill
    ]


def hybrid(
    proba: Any,
    embeddings: Any,
    labeled: Any,
    n: int,
    *,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
    random_fraction: float = RANDOM_FRACTION,
    candidates_per_pick: int = 10,
    min_distance: float = 0.05,
    seed: Seed = None,
) -> Query:
    """Margin-uncertain items, diverse within the batch, with a share of random checks.

    The ``candidates_per_pick * n`` smallest-margin items are taken as candidates and walked most
    uncertain first; a candidate within cosine distance ``min_distance`` of an item already in
    the batch is skipped, so the batch never holds near-duplicates. About ``random_fraction`` of
    the picks are uniform random draws from the unlabeled pool (reason ``"random check"``), spread
    evenly through the ranking, so that accuracy measured on labeled items stays honest.

    A live :class:`~mmwidgets.Session` reranks after every label and serves the top item, so
    ranks alone would never show a check: it serves its own uniform random check every tenth
    item instead (the registered ``random_checks`` share), and this function's checks are for
    callers that take a whole batch (``simulate``, scripts).

    Parameters
    ----------
    proba : array-like of shape (n_items, n_classes)
        Predicted probabilities. Rows with NaN are never picked.
    embeddings : array-like of shape (n_items, dim) or None
        One embedding per item; rows with NaN or inf (or all zeros) are never picked. Without
        embeddings the batch is not de-duplicated.
    labeled : array-like of bool, shape (n_items,)
        True for items that already have a label; they are never picked.
    n : int
        How many items to pick. Fewer come back when fewer are eligible.
    class_names : sequence of str, optional
        Names used in the reasons.
    multi_label : bool
        Columns are independent per-label probabilities (see :func:`margin`).
    random_fraction : float
        Expected share of random checks, in ``[0, 1]``. The count is ``n * random_fraction``
        rounded up or down at random in proportion, so the long-run rate is exact: 2 of 20
        for the default, and one batch of 5 in two on average.
    candidates_per_pick : int
        Size of the candidate set per uncertain pick.
    min_distance : float
        Smallest cosine distance between two items of a batch. When the candidates cannot fill
        the batch that way (a pool of copies), the rest are the candidates farthest from the
        batch and their reason ends in ``"close to another pick"``.
    seed : int or numpy.random.Generator, optional
        Drives the random checks. Keep one Generator across calls for a reproducible sequence.

    Returns
    -------
    Query
        Indices ranked best first, reasons such as ``"margin 0.03 between cat and dog"`` or
        ``"random check"``.

    Raises
    ------
    EmptyPoolError
        No unlabeled item with usable probabilities and embeddings remains.
    ShapeMismatchError
        ``proba``, ``embeddings``, ``labeled`` or ``class_names`` disagree in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import hybrid
    >>> proba = np.array([[0.5, 0.5], [0.5, 0.5], [0.6, 0.4], [0.9, 0.1]])
    >>> emb = np.array([[1, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)  # 0 and 1 are copies
    >>> q = hybrid(proba, emb, np.zeros(4, bool), 2, random_fraction=0, class_names=["cat", "dog"])
    >>> q.indices.tolist(), q.reasons
    ([0, 2], ['margin 0.00 between cat and dog', 'margin 0.20 between cat and dog'])
    """
    mask = _check_labeled(labeled)
    n = _check_n(n)
    values = _check_proba(proba, len(mask), multi_label)
    names = _check_class_names(class_names, values.shape[1])
    if not 0 <= random_fraction <= 1:
        raise ValueError(f"random_fraction must be within [0, 1]; got {random_fraction}")
    if candidates_per_pick < 1 or min_distance < 0:
        raise ValueError("candidates_per_pick must be >= 1 and min_distance >= 0")
    rng = _rng(seed)
    points = None if embeddings is None else _prepare(embeddings, len(mask), "cosine")
    scores = _scores("margin", values, multi_label)
    scores[mask] = -np.inf
    if points is not None:
        scores[~points.usable] = -np.inf
    eligible = np.isfinite(scores)
    n = min(n, int(np.count_nonzero(eligible)))
    if n == 0:
        raise _empty_pool(len(mask), int(mask.sum()))

    expected = n * random_fraction
    n_random = min(n, math.floor(expected) + int(rng.random() < expected - math.floor(expected)))
    n_sure = n - n_random
    sure: list[int]
    gaps: list[float | None]
    if points is None or n_sure == 0:
        sure, gaps = _top_n(scores, n_sure).tolist(), [None] * n_sure
    else:
        sure, gaps = _diverse(scores, points, n_sure, candidates_per_pick * n_sure, min_distance)
    sure_reasons = _reasons("margin", values, np.array(sure, dtype=np.int64), names, multi_label)
    for i, gap in enumerate(gaps):
        if gap is not None:
            sure_reasons[i] += f"; close to another pick (distance {_fmt(gap)})"
    eligible[sure] = False
    checks = _random_checks(eligible, sure, n_random, points, min_distance, rng) if n_random else []

    # random checks sit at evenly spread ranks, so a labeler who stops early still meets them
    slots = {(2 * j + 1) * n // (2 * n_random) for j in range(n_random)}
    picks: list[int] = []
    reasons: list[str] = []
    sure_iter, check_iter = iter(zip(sure, sure_reasons, strict=True)), iter(checks)
    for rank in range(n):
        item, reason = next(check_iter) if rank in slots else next(sure_iter)
        picks.append(item)
        reasons.append(reason)
    return Query(np.array(picks, dtype=np.int64), reasons, "hybrid")


# embeddings are optional: without them the batch is ranked by margin alone, not de-duplicated
@register_strategy(
    "hybrid",
    needs=("proba",),
    optional=("embeddings",),
    public=hybrid,
    random_checks=RANDOM_FRACTION,
)
def _hybrid(
    *,
    labeled: npt.NDArray[np.bool_],
    n: int,
    proba: Any,
    embeddings: Any,
    class_names: Sequence[str] | None,
    multi_label: bool,
    seed: Seed,
) -> Query:
    return hybrid(
        proba, embeddings, labeled, n, class_names=class_names, multi_label=multi_label, seed=seed
    )
