"""The :class:`Query` result every strategy returns, and the checks all strategies share."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.active._errors import EmptyPoolError, ShapeMismatchError

__all__ = ["Query", "Seed"]

#: an int for reproducible picks, or a Generator the caller keeps between calls
Seed = int | np.random.Generator | None


@dataclass(frozen=True, eq=False)
class Query:
    """Items to label next, best first, each with the reason it was picked.

    Parameters
    ----------
    indices : numpy.ndarray
        Row positions in the pool, ``int64``, ranked best first, without duplicates.
    reasons : list of str
        One human-readable reason per index, e.g. ``"margin 0.03 between cat and dog"``.
    strategy : str
        Name of the strategy that made the picks (after any fallback).

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import Query
    >>> q = Query(np.array([4, 1]), ["random check", "margin 0.03 between cat and dog"], "hybrid")
    >>> len(q), q.indices.dtype
    (2, dtype('int64'))
    """

    indices: npt.NDArray[np.int64]
    reasons: list[str]
    strategy: str = ""

    def __post_init__(self) -> None:
        indices = np.array(self.indices, dtype=np.int64).reshape(-1)
        if len(indices) != len(self.reasons):
            raise ShapeMismatchError(
                "reasons", f"has {len(self.reasons)} entries but indices has {len(indices)}"
            )
        indices.setflags(write=False)  # a frozen result should not change under the session
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "reasons", list(self.reasons))

    def __len__(self) -> int:
        return len(self.indices)


def _check_n(n: int) -> int:
    if isinstance(n, bool):
        raise TypeError("n must be a positive int, not a bool")
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"n must be a positive int; got {n}")
    return n


def _check_labeled(labeled: Any) -> npt.NDArray[np.bool_]:
    mask = np.asarray(labeled)
    if mask.dtype != np.bool_:
        raise TypeError(
            f"labeled must be a boolean mask (one entry per pool item); got dtype {mask.dtype}."
            " Turn indices into a mask with mask = np.zeros(n_items, bool); mask[indices] = True"
        )
    if mask.ndim != 1:
        raise ShapeMismatchError("labeled", f"must be 1-D; got shape {mask.shape}")
    return mask


def _check_rows(name: str, array: Any, n_items: int) -> np.ndarray:
    values = np.asarray(array)
    if values.ndim != 2:
        raise ShapeMismatchError(name, f"must be 2-D (items x columns); got shape {values.shape}")
    if values.shape[0] != n_items:
        raise ShapeMismatchError(
            name, f"has {values.shape[0]} rows but labeled has {n_items} entries"
        )
    if not np.issubdtype(values.dtype, np.floating):
        raise TypeError(f"{name} must hold floats; got dtype {values.dtype}")
    return values


def _check_class_names(class_names: Sequence[str] | None, n_classes: int) -> list[str]:
    if class_names is None:
        return [f"class {c}" for c in range(n_classes)]
    names = [str(name) for name in class_names]
    if len(names) != n_classes:
        raise ShapeMismatchError(
            "class_names", f"has {len(names)} names but proba has {n_classes} columns"
        )
    return names


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _chunk_rows(width: int, budget: int = 1 << 21) -> int:
    # rows per chunk so that one float32 block stays near `budget` elements (8 MiB)
    return max(256, budget // max(1, width))


def _check_exclude(exclude: Any, n_items: int) -> npt.NDArray[np.bool_]:
    """The ``exclude`` mask (items never to pick that carry no label); all False for None."""
    if exclude is None:
        return np.zeros(n_items, dtype=np.bool_)
    mask = np.asarray(exclude)
    if mask.dtype != np.bool_:
        raise TypeError(
            f"exclude must be a boolean mask (one entry per pool item); got dtype {mask.dtype}"
        )
    if mask.shape != (n_items,):
        raise ShapeMismatchError(
            "exclude", f"has shape {mask.shape} but labeled has {n_items} entries"
        )
    return mask


def _empty_pool(n_items: int, n_labeled: int, n_excluded: int = 0) -> EmptyPoolError:
    """Why nothing can be picked; ``n_excluded`` counts excluded items that are not labeled."""
    if n_items == 0:
        return EmptyPoolError("the pool is empty")
    if n_labeled == n_items:
        return EmptyPoolError(f"all {n_items} items are labeled; nothing is left to query")
    if n_labeled + n_excluded >= n_items:
        return EmptyPoolError(
            f"all {n_items} items are labeled ({n_labeled}) or excluded ({n_excluded});"
            " nothing is left to query"
        )
    return EmptyPoolError(
        f"{n_items - n_labeled - n_excluded} unlabeled items remain but none has usable inputs"
        " (their probabilities or embeddings are NaN)"
    )


def _top_n(scores: npt.NDArray[np.float32], n: int) -> npt.NDArray[np.int64]:
    """Positions of the ``n`` highest finite scores, best first; ties go to the lower index.

    Non-finite scores mark excluded items. Returns fewer than ``n`` when fewer are eligible.
    """
    finite = np.isfinite(scores)
    k = min(n, int(np.count_nonzero(finite)))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    ranked = np.where(finite, scores, -np.inf)
    kth = np.partition(ranked, len(ranked) - k)[len(ranked) - k]
    above = np.flatnonzero(ranked > kth)
    level = np.flatnonzero(ranked == kth)[: k - len(above)]
    picks = np.concatenate([above, level])
    order = np.lexsort((picks, -ranked[picks]))
    return picks[order].astype(np.int64)


def _fmt(value: float) -> str:
    # two decimals read well; tiny non-zero values keep one significant digit instead of 0.00
    value = float(value) + 0.0  # -0.0 would print as "-0.00"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.1g}"
    return f"{value:.2f}"
