"""Cross-validated evaluation of the fused model: accuracy, macro P/R/F1, confusion, mAP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmwidgets.fusion import out_of_fold_proba

__all__ = ["Metrics", "evaluate", "macro_f1", "out_of_fold_proba"]


@dataclass(frozen=True)
class Metrics:
    """Held-out quality of the model, computed from out-of-fold predictions.

    ``per_class`` maps each class to its precision, recall, F1 and support; ``confusion`` is a
    (C, C) count matrix with true classes as rows (single-label only).

    Calibration (single-label; None where not measured): ``temperature`` is fitted on these
    out-of-fold predictions and divides the serving model's logits after each full refit;
    ``ece`` is the top-label expected calibration error (15 equal-width bins, see
    :func:`mmwidgets.fusion.expected_calibration_error`) of the calibrated confidences, each
    fold calibrated by a temperature fitted on the other folds, and ``ece_uncalibrated`` the
    same before calibration. ``model_choice`` says which model serves and why
    (:meth:`mmwidgets.fusion.ModelChoice.as_dict`).
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
    temperature: float | None = None
    ece: float | None = None
    ece_uncalibrated: float | None = None
    model_choice: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain-Python view (lists instead of arrays), for widgets and JSON."""
        out = {k: v for k, v in self.__dict__.items() if k != "confusion"}
        out["confusion"] = None if self.confusion is None else self.confusion.tolist()
        out["classes"] = list(self.classes)
        return out


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
