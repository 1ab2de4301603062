"""Cross-validated evaluation of the fused model: accuracy, macro P/R/F1, confusion, mAP."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Metrics", "evaluate", "macro_f1", "out_of_fold_proba"]


@dataclass(frozen=True)
class Metrics:
    """Held-out quality of the model, computed from out-of-fold predictions.

    ``per_class`` maps each class to its precision, recall, F1 and support; ``confusion`` is a
    (C, C) count matrix with true classes as rows (single-label only).
    """

    n_labels: int
    folds: int
    accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    mean_average_precision: float
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: np.ndarray | None = None
    classes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain-Python view (lists instead of arrays), for widgets and JSON."""
        out = {k: v for k, v in self.__dict__.items() if k != "confusion"}
        out["confusion"] = None if self.confusion is None else self.confusion.tolist()
        out["classes"] = list(self.classes)
        return out


def _folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Stratified fold index per item: scikit-learn's shuffled ``StratifiedKFold``."""
    from sklearn.model_selection import StratifiedKFold

    fold = np.empty(len(y), dtype=np.int64)
    with warnings.catch_warnings():
        # a class with fewer members than folds is fine here: it sits in fewer test folds
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y)
        for f, (_, test) in enumerate(splits):
            fold[test] = f
    return fold


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the classes present in ``truth`` (scikit-learn's ``f1_score``).

    ``truth`` and ``predicted`` are class indices, or (n, C) indicator matrices (multi-label).

    Classes nobody labeled yet don't drag the average to zero.

    Examples
    --------
    >>> import numpy as np
    >>> round(macro_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])), 3)
    0.733
    """
    from sklearn.metrics import f1_score

    present = np.flatnonzero(truth.sum(axis=0) > 0) if truth.ndim == 2 else np.unique(truth)
    return float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0))


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
) -> tuple[np.ndarray, int, dict[str, np.ndarray]]:
    """Probabilities for every item from a model that never saw it.

    Returns ``(proba, k, masked)``: ``k`` is the number of folds used; with ``ablate``,
    ``masked[m]`` holds the same out-of-fold probabilities computed with column ``m`` masked
    as absent for every item (the ablation behind "accuracy without the image").
    """
    # stratify multi-label items by their first label: rough, but keeps rare labels spread
    strata = targets if targets.ndim == 1 else targets.argmax(axis=1)
    counts = np.bincount(strata)
    k = max(2, min(folds, int(counts[counts > 0].min())))
    fold = _folds(strata, k, seed)
    proba: np.ndarray | None = None
    masked: dict[str, np.ndarray] = {}
    y_arr = np.empty(len(y), dtype=object)
    y_arr[:] = list(y)
    present: dict[str, np.ndarray] = {
        m: np.logical_not(np.isnan(np.asarray(v, dtype=np.float32)).all(axis=1))
        for m, v in X.items()
    }
    for f in range(k):
        train, test = fold != f, fold == f
        if not test.any() or not train.any():
            continue
        model = make_model().fit(
            {m: v[train] for m, v in X.items()}, list(y_arr[train]), should_stop=should_stop
        )
        X_test = {m: v[test] for m, v in X.items()}
        p = model.predict_proba(X_test)
        if proba is None:
            proba = np.zeros((len(strata), p.shape[1]), dtype=np.float32)
            masked = {m: np.zeros_like(proba) for m in X} if ablate and len(X) > 1 else {}
        proba[test] = p
        for m in masked:
            mask = {n: present[n][test] if n != m else np.zeros(len(p), bool) for n in X}
            masked[m][test] = model.predict_proba(X_test, mask)
    if proba is None:
        raise ValueError("need at least two labeled items to cross-validate")
    return proba, k, masked


def evaluate(
    proba: np.ndarray, targets: np.ndarray, classes: tuple[str, ...], folds: int
) -> Metrics:
    """Metrics from (out-of-fold) probabilities and true targets.

    Examples
    --------
    >>> import numpy as np
    >>> m = evaluate(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 1]), ("a", "b"), 2)
    >>> m.accuracy, m.macro_f1
    (1.0, 1.0)
    """
    from sklearn.metrics import (
        average_precision_score,
        confusion_matrix,
        precision_recall_fscore_support,
    )

    multi = targets.ndim == 2
    n_classes = len(classes)
    if multi:
        truth = targets.astype(int)
        pred = (proba >= 0.5).astype(int)
        accuracy = float((truth == pred).all(axis=1).mean())  # exact-match (subset) accuracy
        confusion = None
    else:
        truth = np.eye(n_classes, dtype=int)[targets]
        pred_idx = proba.argmax(axis=1)
        pred = np.eye(n_classes, dtype=int)[pred_idx]
        accuracy = float((pred_idx == targets).mean())
        confusion = confusion_matrix(targets, pred_idx, labels=np.arange(n_classes))
    p, r, f, support = precision_recall_fscore_support(truth, pred, average=None, zero_division=0)
    seen = support > 0  # classes nobody labeled yet don't drag the macro averages to zero
    aps = [
        float(average_precision_score(truth[:, c], proba[:, c]))
        for c in range(n_classes)
        if seen[c]
    ]
    per_class = {
        cls: {
            "precision": float(p[c]),
            "recall": float(r[c]),
            "f1": float(f[c]),
            "support": int(support[c]),
        }
        for c, cls in enumerate(classes)
    }
    return Metrics(
        n_labels=len(targets),
        folds=folds,
        accuracy=accuracy,
        macro_precision=float(p[seen].mean()) if seen.any() else 0.0,
        macro_recall=float(r[seen].mean()) if seen.any() else 0.0,
        macro_f1=macro_f1(truth, pred),
        mean_average_precision=float(np.mean(aps)) if aps else 0.0,
        per_class=per_class,
        confusion=confusion,
        classes=classes,
    )
