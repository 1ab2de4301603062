"""Out-of-fold predictions: every labeled item scored by a model that never saw it.

The one cross-validation mmwidgets runs, shared by the Session's evaluator (metrics, the
learning curve, model selection, calibration) and by ``FusionClassifier(fusion="auto")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["fold_assignment", "out_of_fold_proba"]


def fold_assignment(targets: np.ndarray, folds: int = 5, seed: int = 0) -> tuple[np.ndarray, int]:
    """A stratified fold index per item, and the number of folds k.

    Each class's items, in a seeded random order, are dealt to the folds in turn (continuing
    where the previous class stopped), so every fold gets its share of every class: what
    scikit-learn's ``StratifiedKFold`` does, without its warning about rare classes, whose
    suppression (``warnings.catch_warnings``) is not thread-safe and the evaluator and the
    trainer cross-validate on two threads.

    ``k`` is ``folds``, or fewer when even the commonest class has fewer items (never below
    2). A rarer class sits in fewer test folds: a class labeled once is predicted, in its
    fold, by a model that never saw it. (Letting the rarest class set ``k`` meant two folds
    on any task with a class labeled once, e.g. 100 labels of 16 classes: models trained on
    half the labels, whose out-of-fold confidence misjudged the full model's: the temperature
    fitted on them softened the shown confidences far too much.)
    Multi-label items are stratified by their first label: rough, but keeps rare labels spread.

    Examples
    --------
    >>> import numpy as np
    >>> fold, k = fold_assignment(np.array([0, 0, 0, 1, 1, 1]), folds=5)
    >>> k, sorted(np.bincount(fold).tolist())
    (3, [2, 2, 2])
    >>> fold_assignment(np.array([0] * 9 + [1]), folds=5)[1]
    5
    """
    strata = targets if targets.ndim == 1 else targets.argmax(axis=1)
    strata = np.asarray(strata, dtype=np.int64)
    counts = np.bincount(strata)
    k = max(2, min(folds, int(counts.max()), len(strata)))
    rng = np.random.default_rng(seed)
    fold = np.empty(len(strata), dtype=np.int64)
    dealt = 0
    for c in np.flatnonzero(counts):
        rows = rng.permutation(np.flatnonzero(strata == c))
        fold[rows] = (dealt + np.arange(len(rows))) % k
        dealt += len(rows)
    return fold, k


def out_of_fold_proba(
    X: Mapping[str, np.ndarray],
    targets: np.ndarray,
    make_model: Callable[[], Any],
    y: Any,
    *,
    folds: int = 5,
    seed: int = 0,
    should_stop: Callable[[], bool] | None = None,
    ablate: bool = False,
    presence: np.ndarray | None = None,
) -> tuple[np.ndarray, int, dict[str, np.ndarray]]:
    """Probabilities for every item from a model that never saw it.

    Returns ``(proba, k, masked)``: ``k`` is the number of folds used (see
    :func:`fold_assignment`, whose folds these are); with ``ablate``, ``masked[m]`` holds the
    same out-of-fold probabilities computed with column ``m`` masked as absent for every item
    (the ablation behind "accuracy without the image"). ``presence`` is an ``(n, len(X))``
    mask in X's key order; by default a row that is all NaN is missing.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.fusion import FusionClassifier
    >>> X = {"text": np.repeat(np.eye(2, dtype="float32"), 6, axis=0)}
    >>> y = ["a"] * 6 + ["b"] * 6
    >>> proba, k, _ = out_of_fold_proba(X, np.repeat([0, 1], 6), lambda: FusionClassifier(
    ...     "stack"), y)
    >>> k, bool((proba.argmax(axis=1) == np.repeat([0, 1], 6)).all())
    (5, True)
    """
    fold, k = fold_assignment(targets, folds, seed)
    names = list(X)
    if presence is None:
        presence = np.stack(
            [~np.isnan(np.asarray(X[m], dtype=np.float32)).all(axis=1) for m in names], axis=1
        )
    proba: np.ndarray | None = None
    masked: dict[str, np.ndarray] = {}
    y_arr = np.empty(len(y), dtype=object)
    y_arr[:] = list(y)
    for f in range(k):
        train, test = fold != f, fold == f
        if not test.any() or not train.any():
            continue
        model = make_model().fit(
            {m: v[train] for m, v in X.items()}, list(y_arr[train]), presence[train],
            should_stop=should_stop,
        )  # fmt: skip
        X_test = {m: v[test] for m, v in X.items()}
        p = model.predict_proba(X_test, presence[test])
        if proba is None:
            proba = np.zeros((len(fold), p.shape[1]), dtype=np.float32)
            masked = {m: np.zeros_like(proba) for m in X} if ablate and len(X) > 1 else {}
        proba[test] = p
        for m in masked:
            hidden = presence[test].copy()
            hidden[:, names.index(m)] = False
            masked[m][test] = model.predict_proba(X_test, hidden)
    if proba is None:
        raise ValueError("need at least two labeled items to cross-validate")
    return proba, k, masked
