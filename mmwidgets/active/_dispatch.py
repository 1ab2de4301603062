""":func:`query`: run any strategy, by name or as a callable, from what it needs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.active._errors import MissingInputError
from mmwidgets.active._geometry import _prepare
from mmwidgets.active._query import (
    Query,
    Seed,
    _check_exclude,
    _check_labeled,
    _check_n,
    _check_rows,
    _empty_pool,
)
from mmwidgets.active._registry import StrategyFunction, StrategySpec, resolve_strategy

__all__ = ["DEFAULT_STRATEGY", "query"]

DEFAULT_STRATEGY = "hybrid"


def _fallback(spec: StrategySpec, proba: Any, embeddings: Any) -> StrategySpec:
    """No model yet: a strategy that needs probabilities gives way to a model-free one."""
    if "proba" in spec.needs and proba is None:
        return resolve_strategy("cold_start" if embeddings is not None else "random")
    if "embeddings" in spec.needs and embeddings is None:
        raise MissingInputError(f"strategy {spec.name!r} needs embeddings (one row per item)")
    return spec


def _check_result(
    result: object, spec: StrategySpec, excluded: npt.NDArray[np.bool_], n: int
) -> Query:
    """Hold a strategy to its contract, so a bug in it is reported by name, not downstream."""
    if not isinstance(result, Query):
        raise TypeError(
            f"strategy {spec.name!r} returned {type(result).__name__}; it must return a Query"
        )
    picks = result.indices
    where = f"strategy {spec.name!r} returned"
    if len(picks) > n:
        raise ValueError(f"{where} {len(picks)} items but n={n}")
    outside = picks[(picks < 0) | (picks >= len(excluded))]
    if len(outside):
        raise ValueError(f"{where} index {outside[0]}, outside a pool of {len(excluded)} items")
    if len(np.unique(picks)) != len(picks):
        values, counts = np.unique(picks, return_counts=True)
        raise ValueError(f"{where} index {values[counts > 1][0]} more than once")
    taken = picks[excluded[picks]]
    if len(taken):
        raise ValueError(
            f"{where} index {taken[0]}, which it was told not to pick"
            " (labeled, or its embedding is unusable)"
        )
    return result if result.strategy else dataclasses.replace(result, strategy=spec.name)


def query(
    strategy: str | StrategyFunction = DEFAULT_STRATEGY,
    *,
    labeled: Any,
    n: int,
    proba: Any = None,
    embeddings: Any = None,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
    seed: Seed = None,
    exclude: Any = None,
) -> Query:
    """Run any strategy with one call signature, from the inputs it declares it needs.

    - A strategy that needs ``proba`` falls back to ``"cold_start"`` while ``proba`` is None
      (no model yet), or to ``"random"`` when there are no embeddings either; the returned
      ``Query.strategy`` names the strategy that actually ran.
    - A strategy that needs ``embeddings`` and gets none raises :class:`MissingInputError`.
    - Items in ``labeled`` or ``exclude`` are never picked. Only ``labeled`` items count as
      covered where a strategy uses where the labels are (``k_center``'s centres,
      ``cold_start``'s clusters that hold a label): a skipped item, one another annotator
      holds, or a held-out one belongs in ``exclude``.
    - When ``embeddings`` are given, items whose embedding row is NaN are never picked: a
      strategy that does not take embeddings finds them excluded, one that does handles them
      itself.
    - The result is checked: a :class:`Query` of at most ``n`` unique indices in the pool, none
      of them excluded. A violation raises an error naming the strategy.

    Parameters
    ----------
    strategy : str or callable
        A registered name (see :data:`STRATEGIES`; default ``"hybrid"``), or a function with the
        shared keyword signature of :func:`register_strategy`. A callable that was not
        registered needs ``("proba",)`` unless it carries a ``needs`` attribute.
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
    exclude : array-like of bool, shape (n_items,), optional
        True for items that may not be picked but have no label: skipped, held by another
        annotator, held out for evaluation, broken.

    Returns
    -------
    Query

    Raises
    ------
    UnknownStrategyError
        ``strategy`` is a name nobody registered.
    MissingInputError
        A strategy that needs embeddings (``k_center``, ``cold_start``) got none.
    EmptyPoolError
        Nothing is left to pick.
    ShapeMismatchError
        An input disagrees with ``labeled`` in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import Query, query
    >>> emb = np.array([[1, 0], [0, 1], [1, 0.1]], dtype=np.float32)
    >>> q = query("margin", embeddings=emb, labeled=np.array([True, False, False]), n=1)
    >>> q.strategy, q.indices.tolist()
    ('cold_start', [1])

    A plain callable works too; it is given the inputs it needs and the keywords it ignores:

    >>> def most_dog(*, labeled, n, proba, **_):
    ...     score = np.where(labeled, -np.inf, proba[:, 1])
    ...     return Query(np.argsort(-score)[:n], ["most dog"] * n)
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    >>> q = query(most_dog, proba=proba, labeled=np.array([False, True, False]), n=1)
    >>> q.strategy, q.indices.tolist()
    ('most_dog', [2])

    A skipped item is excluded, not labeled: ``k_center`` never picks it, nor takes it for a
    covered centre. Item 2, opposite the one labeled item, comes first though it lies beside
    the skipped item 1 (as a centre, item 1 would have sent item 3 first):

    >>> emb = np.array([[1, 0], [-1, 0], [-1, 0.1], [0, 1]], dtype=np.float32)
    >>> labeled = np.array([True, False, False, False])
    >>> skipped = np.array([False, True, False, False])
    >>> query("k_center", embeddings=emb, labeled=labeled, exclude=skipped, n=1).indices.tolist()
    [2]
    """
    spec = _fallback(resolve_strategy(strategy), proba, embeddings)
    mask = _check_labeled(labeled)
    n = _check_n(n)
    given = _check_exclude(exclude, len(mask))
    other = given
    if "proba" in spec.needs:
        _check_rows("proba", proba, len(mask))
    if embeddings is not None and spec.takes("embeddings"):
        _check_rows("embeddings", embeddings, len(mask))
    elif embeddings is not None:
        other = given | ~_prepare(embeddings, len(mask), "cosine").usable
    excluded = mask | other
    if excluded.all():  # no strategy is ever asked to pick from nothing
        n_labeled = int(np.count_nonzero(mask))
        raise _empty_pool(len(mask), n_labeled, int(np.count_nonzero(given & ~mask)))
    inputs: dict[str, Any] = {
        "n": n,
        "proba": proba if spec.takes("proba") else None,
        "embeddings": embeddings if spec.takes("embeddings") else None,
        "class_names": class_names,
        "multi_label": multi_label,
        "seed": seed,
    }
    if spec.splits_masks:
        result = spec.function(labeled=mask, exclude=other, **inputs)  # type: ignore[call-arg]
    else:
        result = spec.function(labeled=excluded, **inputs)
    return _check_result(result, spec, excluded, n)
