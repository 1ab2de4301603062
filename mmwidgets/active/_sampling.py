"""Random sampling: the baseline every other strategy has to beat."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.active._query import Query, Seed, _check_labeled, _check_n, _empty_pool, _rng
from mmwidgets.active._registry import register_strategy

__all__ = ["random_sampling"]


def random_sampling(pool: Any, n: int, *, seed: Seed = None) -> Query:
    """Pick ``n`` unlabeled items uniformly at random, without replacement.

    Parameters
    ----------
    pool : int or array-like of bool
        The number of items (none labeled yet), or the labeled mask (True = has a label).
    n : int
        How many items to pick. Fewer come back when fewer are unlabeled.
    seed : int or numpy.random.Generator, optional
        The same int gives the same picks; keep one Generator across calls for a sequence.

    Returns
    -------
    Query
        Indices in draw order; every reason is ``"random pick"``.

    Raises
    ------
    EmptyPoolError
        Every item is labeled (or the pool is empty).

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import random_sampling
    >>> q = random_sampling(np.array([True, False, False, True]), 5, seed=0)
    >>> sorted(q.indices.tolist()), q.reasons
    ([1, 2], ['random pick', 'random pick'])
    >>> len(random_sampling(1000, 3, seed=0))
    3
    """
    n = _check_n(n)
    if isinstance(pool, int | np.integer) and not isinstance(pool, bool):
        size = operator.index(pool)
        if size < 0:
            raise ValueError(f"pool size must be >= 0; got {size}")
        mask = np.zeros(size, dtype=np.bool_)
    else:
        mask = _check_labeled(pool)
    candidates = np.flatnonzero(~mask)
    if len(candidates) == 0:
        raise _empty_pool(len(mask), int(mask.sum()))
    picks = _rng(seed).choice(candidates, size=min(n, len(candidates)), replace=False)
    return Query(picks.astype(np.int64), ["random pick"] * len(picks), "random")


@register_strategy("random", needs=(), public=random_sampling)
def _random(*, labeled: npt.NDArray[np.bool_], n: int, seed: Seed, **_: object) -> Query:
    return random_sampling(labeled, n, seed=seed)
