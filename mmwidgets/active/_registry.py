"""Strategies by name, and :func:`query`: one call signature for all of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from mmwidgets.active._cold_start import cold_start
from mmwidgets.active._diversity import k_center_greedy
from mmwidgets.active._errors import MissingInputError, UnknownStrategyError
from mmwidgets.active._geometry import _prepare
from mmwidgets.active._hybrid import hybrid
from mmwidgets.active._query import Query, Seed, _check_labeled, _empty_pool
from mmwidgets.active._sampling import random_sampling
from mmwidgets.active._uncertainty import entropy, least_confidence, margin

__all__ = ["DEFAULT_STRATEGY", "STRATEGIES", "get_strategy", "query"]

#: every query strategy by name; read-only
STRATEGIES: Mapping[str, Callable[..., Query]] = MappingProxyType(
    {
        "hybrid": hybrid,
        "margin": margin,
        "least_confidence": least_confidence,
        "entropy": entropy,
        "k_center": k_center_greedy,
        "cold_start": cold_start,
        "random": random_sampling,
    }
)
DEFAULT_STRATEGY = "hybrid"
_NEEDS_PROBA = frozenset({"hybrid", "margin", "least_confidence", "entropy"})


def get_strategy(name: str) -> Callable[..., Query]:
    """The strategy function registered under ``name``.

    Raises
    ------
    UnknownStrategyError
        No strategy has that name; the message lists those that do.

    Examples
    --------
    >>> from mmwidgets.active import get_strategy
    >>> get_strategy("margin").__name__
    'margin'
    >>> try:
    ...     get_strategy("smallest_margin")
    ... except ValueError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    no query strategy named 'smallest_margin'; choose one of cold_start, entropy, hybrid, ...
    """
    try:
        return STRATEGIES[name]
    except (KeyError, TypeError):
        raise UnknownStrategyError(
            f"no query strategy named {name!r}; choose one of {', '.join(sorted(STRATEGIES))}"
        ) from None


def query(
    name: str = DEFAULT_STRATEGY,
    *,
    labeled: Any,
    n: int,
    proba: Any = None,
    embeddings: Any = None,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
    seed: Seed = None,
) -> Query:
    """Run any strategy by name with one call signature.

    A strategy that needs probabilities falls back to :func:`cold_start` when ``proba`` is None
    (no model yet), or to :func:`random_sampling` when there are no embeddings either; the
    returned ``Query.strategy`` names the strategy that actually ran. When ``embeddings`` are
    given, items whose embedding row is NaN are never picked, whatever the strategy.

    Parameters
    ----------
    name : str
        A key of :data:`STRATEGIES`; default ``"hybrid"``.
    labeled : array-like of bool, shape (n_items,)
        True for items that already have a label.
    n : int
        How many items to pick.
    proba : array-like of shape (n_items, n_classes), optional
        The model's predicted probabilities.
    embeddings : array-like of shape (n_items, dim), optional
        One embedding per item (e.g. the fused embedding).
    class_names : sequence of str, optional
        Names used in the reasons.
    multi_label : bool
        ``proba`` holds independent per-label probabilities.
    seed : int or numpy.random.Generator, optional
        For the strategies that draw at random.

    Returns
    -------
    Query

    Raises
    ------
    UnknownStrategyError
        ``name`` is not registered.
    MissingInputError
        ``k_center`` or ``cold_start`` without embeddings.
    EmptyPoolError
        Nothing is left to pick.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import query
    >>> emb = np.array([[1, 0], [0, 1], [1, 0.1]], dtype=np.float32)
    >>> q = query("margin", embeddings=emb, labeled=np.array([True, False, False]), n=1)
    >>> q.strategy, q.indices.tolist()
    ('cold_start', [1])
    """
    get_strategy(name)
    mask = _check_labeled(labeled)
    if name in _NEEDS_PROBA and proba is None:
        name = "cold_start" if embeddings is not None else "random"
    if name in ("k_center", "cold_start") and embeddings is None:
        raise MissingInputError(f"strategy {name!r} needs embeddings (one row per item)")
    if name == "k_center":
        return k_center_greedy(embeddings, mask, n)
    if name == "cold_start":
        return cold_start(embeddings, mask, n, seed=seed)
    options: dict[str, Any] = {"class_names": class_names, "multi_label": multi_label}
    if name == "hybrid":
        return hybrid(proba, embeddings, mask, n, seed=seed, **options)
    # the remaining strategies never see the embeddings: drop items whose media failed here
    excluded = mask
    if embeddings is not None:
        excluded = mask | ~_prepare(embeddings, len(mask), "cosine").usable
        if excluded.all():
            raise _empty_pool(len(mask), int(np.count_nonzero(mask)))
    if name == "random":
        return random_sampling(excluded, n, seed=seed)
    return STRATEGIES[name](proba, excluded, n, **options)
