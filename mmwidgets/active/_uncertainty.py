"""Uncertainty sampling: least confidence, margin and entropy, single- or multi-label.

Scores are computed in float32 chunks over the pool and oriented so that higher means more
uncertain; the top ``n`` come from a partial sort, never a full sort of the pool.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mmwidgets.active._errors import ShapeMismatchError
from mmwidgets.active._query import (
    Query,
    _check_class_names,
    _check_labeled,
    _check_n,
    _check_rows,
    _chunk_rows,
    _empty_pool,
    _fmt,
    _top_n,
)
from mmwidgets.active._registry import register_strategy

__all__ = ["entropy", "least_confidence", "margin"]

Kind = Literal["least_confidence", "margin", "entropy"]
_TINY = np.float32(1e-12)
F32 = npt.NDArray[np.float32]


def _check_proba(proba: Any, n_items: int, multi_label: bool) -> np.ndarray:
    values = _check_rows("proba", proba, n_items)
    if not multi_label and values.shape[1] < 2:
        raise ShapeMismatchError(
            "proba",
            f"has {values.shape[1]} column; single-label probabilities need one column per"
            " class (at least 2), or pass multi_label=True for independent per-label scores",
        )
    return values


def _score_block(kind: Kind, p: F32, multi_label: bool) -> F32:
    score: F32
    if multi_label and kind == "entropy":
        q = 1 - p
        score = -(p * np.log(np.maximum(p, _TINY)) + q * np.log(np.maximum(q, _TINY))).mean(axis=1)
    elif multi_label:  # the label whose decision is closest to 0.5 makes the item uncertain
        score = 1 - np.abs(2 * p - 1).min(axis=1)
    elif kind == "least_confidence":
        score = 1 - p.max(axis=1)
    elif kind == "margin":
        top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
        score = 1 - (top2[:, 1] - top2[:, 0])
    else:
        score = -(p * np.log(np.maximum(p, _TINY))).sum(axis=1)
    return score


def _scores(kind: Kind, proba: np.ndarray, multi_label: bool) -> F32:
    """Uncertainty of every row, higher = more uncertain; NaN rows come out NaN (excluded)."""
    out = np.empty(len(proba), dtype=np.float32)
    step = _chunk_rows(proba.shape[1])
    for start in range(0, len(proba), step):
        block = np.asarray(proba[start : start + step], dtype=np.float32)
        out[start : start + len(block)] = _score_block(kind, block, multi_label)
    return out


def _reason(kind: Kind, p: npt.NDArray[np.float64], names: list[str], multi_label: bool) -> str:
    if multi_label:
        if kind == "entropy":
            q = 1 - p
            h = -(p * np.log(np.maximum(p, 1e-12)) + q * np.log(np.maximum(q, 1e-12))).mean()
            return f"mean label entropy {_fmt(h)} (max {_fmt(math.log(2))})"
        c = int(np.argmin(np.abs(2 * p - 1)))
        if kind == "margin":
            return f"margin {_fmt(abs(2 * p[c] - 1))} on {names[c]} (p={_fmt(p[c])})"
        return f"least confident: {names[c]} at p={_fmt(p[c])}"
    order = np.argsort(-p, kind="stable")
    if kind == "least_confidence":
        return f"least confident: top class {names[order[0]]} at p={_fmt(p[order[0]])}"
    if kind == "margin":
        gap = p[order[0]] - p[order[1]]
        return f"margin {_fmt(gap)} between {names[order[0]]} and {names[order[1]]}"
    h = -(p * np.log(np.maximum(p, 1e-12))).sum()
    return f"entropy {_fmt(h)} (max {_fmt(math.log(len(p)))})"


def _reasons(
    kind: Kind, proba: np.ndarray, picks: npt.NDArray[np.int64], names: list[str], ml: bool
) -> list[str]:
    rows = np.asarray(proba[picks], dtype=np.float64)
    return [_reason(kind, row, names, ml) for row in rows]


def _uncertainty(
    kind: Kind,
    proba: Any,
    labeled: Any,
    n: int,
    class_names: Sequence[str] | None,
    multi_label: bool,
) -> Query:
    mask = _check_labeled(labeled)
    n = _check_n(n)
    values = _check_proba(proba, len(mask), multi_label)
    names = _check_class_names(class_names, values.shape[1])
    scores = _scores(kind, values, multi_label)
    scores[mask] = -np.inf
    picks = _top_n(scores, n)
    if len(picks) == 0:
        raise _empty_pool(len(mask), int(mask.sum()))
    return Query(picks, _reasons(kind, values, picks, names, multi_label), kind)


def least_confidence(
    proba: Any,
    labeled: Any,
    n: int,
    *,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
) -> Query:
    """Pick the items whose most likely class has the lowest probability.

    Parameters
    ----------
    proba : array-like of shape (n_items, n_classes)
        Predicted probabilities; rows sum to 1 unless ``multi_label``. Rows with NaN are
        never picked.
    labeled : array-like of bool, shape (n_items,)
        True for items that already have a label; they are never picked.
    n : int
        How many items to pick. Fewer come back when fewer are unlabeled.
    class_names : sequence of str, optional
        Names used in the reasons (default ``"class 0"``, ``"class 1"``...).
    multi_label : bool
        Columns are independent per-label probabilities (sigmoids): the item is as uncertain
        as its label closest to 0.5.

    Returns
    -------
    Query
        Indices ranked most uncertain first (ties go to the lower index) and reasons such as
        ``"least confident: top class cat at p=0.41"``.

    Raises
    ------
    EmptyPoolError
        No unlabeled item with usable probabilities remains.
    ShapeMismatchError
        ``proba``, ``labeled`` or ``class_names`` disagree in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import least_confidence
    >>> proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.7, 0.3]], dtype=np.float32)
    >>> q = least_confidence(proba, np.zeros(3, bool), 2, class_names=["cat", "dog"])
    >>> q.indices.tolist(), q.reasons[0]
    ([1, 2], 'least confident: top class cat at p=0.55')
    """
    return _uncertainty("least_confidence", proba, labeled, n, class_names, multi_label)


def margin(
    proba: Any,
    labeled: Any,
    n: int,
    *,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
) -> Query:
    """Pick the items with the smallest gap between their two most likely classes.

    Parameters are those of :func:`least_confidence`. With ``multi_label`` the margin of an
    item is ``|2p - 1|`` of its label closest to 0.5 (the gap between "yes" and "no").

    Returns
    -------
    Query
        Indices ranked smallest margin first; reasons such as
        ``"margin 0.03 between cat and dog"`` or ``"margin 0.04 on outdoor (p=0.48)"``.

    Raises
    ------
    EmptyPoolError
        No unlabeled item with usable probabilities remains.
    ShapeMismatchError
        ``proba``, ``labeled`` or ``class_names`` disagree in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import margin
    >>> proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4]], dtype=np.float32)
    >>> q = margin(proba, np.array([False, False, True]), 5, class_names=["cat", "dog"])
    >>> q.indices.tolist(), q.reasons
    ([1, 0], ['margin 0.00 between cat and dog', 'margin 0.80 between cat and dog'])
    """
    return _uncertainty("margin", proba, labeled, n, class_names, multi_label)


def entropy(
    proba: Any,
    labeled: Any,
    n: int,
    *,
    class_names: Sequence[str] | None = None,
    multi_label: bool = False,
) -> Query:
    """Pick the items whose predicted distribution has the highest entropy (in nats).

    Parameters are those of :func:`least_confidence`. With ``multi_label`` the score is the
    mean binary entropy of the labels (at most ``log 2 = 0.69``).

    Returns
    -------
    Query
        Indices ranked highest entropy first; reasons such as ``"entropy 1.52 (max 2.30)"``.

    Raises
    ------
    EmptyPoolError
        No unlabeled item with usable probabilities remains.
    ShapeMismatchError
        ``proba``, ``labeled`` or ``class_names`` disagree in size.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import entropy
    >>> proba = np.array([[0.8, 0.1, 0.1], [0.4, 0.3, 0.3], [1.0, 0.0, 0.0]])
    >>> q = entropy(proba, np.zeros(3, bool), 2)
    >>> q.indices.tolist(), q.reasons[0]
    ([1, 0], 'entropy 1.09 (max 1.10)')
    """
    return _uncertainty("entropy", proba, labeled, n, class_names, multi_label)


# --- the shared keyword signature (see register_strategy) ------------------------------------


def _keyword_form(public: Callable[..., Query]) -> Callable[..., Query]:
    """``public(proba, labeled, n, ...)`` called with the strategies' keyword signature."""

    def run(
        *,
        labeled: npt.NDArray[np.bool_],
        n: int,
        proba: Any,
        class_names: Sequence[str] | None,
        multi_label: bool,
        **_: object,
    ) -> Query:
        return public(proba, labeled, n, class_names=class_names, multi_label=multi_label)

    run.__qualname__ = run.__name__ = f"_{public.__name__}"
    return run


for _public in (margin, least_confidence, entropy):
    register_strategy(_public.__name__, needs=("proba",), public=_public)(_keyword_form(_public))
