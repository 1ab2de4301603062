"""Reviewing labels with out-of-fold predictions: suspected errors and confusion drill-down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.session._metrics import Metrics

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SUSPECT_COLUMNS",
    "Evaluation",
    "ablation_rows",
    "confusion_items",
    "count_labels",
    "suspected_errors",
]

SUSPECT_COLUMNS = ["id", "label", "suggested", "p_suggested", "p_label", "quality", "reason"]


@dataclass(frozen=True)
class Evaluation:
    """One cross-validated evaluation: metrics plus the out-of-fold predictions behind them.

    ``proba[i]`` comes from a model that never saw item ``ids[i]``; ``masked`` maps each
    column to the metrics of the same models with that column masked out (an ablation).
    """

    metrics: Metrics
    ids: tuple[str, ...]
    labels: tuple[Any, ...]
    targets: np.ndarray
    proba: np.ndarray
    masked: dict[str, Metrics] = field(default_factory=dict)

    @property
    def n_labels(self) -> int:
        """How many labeled items were evaluated."""
        return len(self.ids)

    def suspected_errors(self, k: int | None = None) -> pd.DataFrame:
        """The labeled items the out-of-fold model disagrees with (see :func:`suspected_errors`).

        Examples
        --------
        >>> list(session.evaluation().suspected_errors(k=2).columns[:2])
        ['id', 'label']
        """
        return suspected_errors(self, k)

    def confusion_items(self, true: str, predicted: str) -> list[str]:
        """Ids behind one confusion-matrix cell (see :func:`confusion_items`).

        Examples
        --------
        >>> ev = session.evaluation()
        >>> all(session.store.get(i) == "food" for i in ev.confusion_items("food", "food"))
        True
        """
        return confusion_items(self, true, predicted)

    def ablation(self) -> pd.DataFrame:
        """Quality with every column, then with each column masked out (:func:`ablation_rows`).

        Examples
        --------
        >>> session.evaluation().ablation()["masked"].iloc[0]
        'none'
        """
        import pandas as pd

        return pd.DataFrame(ablation_rows(self))


def ablation_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Accuracy and macro-F1 with every column ("none" masked), then with each column masked.

    Examples
    --------
    >>> [row["masked"] for row in ablation_rows(session.evaluation())][:2]
    ['none', 'text']
    """
    base = evaluation.metrics.accuracy
    rows = [("none", evaluation.metrics), *evaluation.masked.items()]
    return [
        {
            "masked": name,
            "accuracy": m.accuracy,
            "macro_f1": m.macro_f1,
            "accuracy_drop": base - m.accuracy,
        }
        for name, m in rows
    ]


def count_labels(values: Any, labels: Any) -> dict[str, int]:
    """How many of ``values`` (labels, or tuples of labels) carry each of ``labels``.

    Examples
    --------
    >>> count_labels(["a", ("a", "b"), "a"], ["a", "b", "c"])
    {'a': 3, 'b': 1, 'c': 0}
    """
    counts = dict.fromkeys(labels, 0)
    for value in values:
        for label in value if isinstance(value, list | tuple) else (value,):
            if label in counts:
                counts[label] += 1
    return counts


def _fmt(labels: Any) -> str:
    return ", ".join(labels) if isinstance(labels, list | tuple) else str(labels)


def suspected_errors(evaluation: Evaluation, k: int | None = None) -> pd.DataFrame:
    """Labeled items whose label the out-of-fold model disagrees with, most suspicious first.

    The flagging is cleanlab's :func:`cleanlab.filter.find_label_issues` (confident learning)
    on the out-of-fold probabilities, ranked by self-confidence (the probability the model
    gives the stored label; lowest first).

    Returns
    -------
    pandas.DataFrame
        Columns ``id, label, suggested, p_suggested, p_label, quality, reason``; ``reason``
        reads "labeled X, model says Y (p=0.93)".

    Examples
    --------
    >>> found = suspected_errors(session.evaluation(), k=5)
    >>> list(found.columns)
    ['id', 'label', 'suggested', 'p_suggested', 'p_label', 'quality', 'reason']
    """
    import pandas as pd
    from cleanlab.filter import find_label_issues

    classes = evaluation.metrics.classes
    proba = np.asarray(evaluation.proba, dtype=np.float64)
    targets = evaluation.targets
    multi = targets.ndim == 2
    if len(np.unique(targets if not multi else targets.argmax(axis=1))) < 2:
        return pd.DataFrame(columns=SUSPECT_COLUMNS)
    if multi:
        given = [list(np.flatnonzero(row)) for row in targets]
        flagged = find_label_issues(
            given, proba, multi_label=True, return_indices_ranked_by="self_confidence"
        )
    else:
        # cleanlab wants rows that sum to one over the classes it sees
        flagged = find_label_issues(
            targets,
            proba / proba.sum(axis=1, keepdims=True),
            return_indices_ranked_by="self_confidence",
        )
    rows = []
    for i in np.asarray(flagged, dtype=np.int64)[: k if k is not None else None]:
        p = proba[i]
        if multi:
            label: Any = [classes[c] for c in np.flatnonzero(targets[i])]
            p_label = float(min(p[np.flatnonzero(targets[i])], default=0.0))
            others = np.where(targets[i] == 1, -1.0, p)
            best = int(others.argmax())
        else:
            label = classes[int(targets[i])]
            p_label = float(p[int(targets[i])])
            best = int(p.argmax())
        suggested = classes[best]
        rows.append(
            {
                "id": evaluation.ids[i],
                "label": label,
                "suggested": suggested,
                "p_suggested": float(p[best]),
                "p_label": p_label,
                "quality": p_label,
                "reason": f"labeled {_fmt(label)}, model says {suggested} (p={p[best]:.2f})",
            }
        )
    return pd.DataFrame(rows, columns=SUSPECT_COLUMNS)


def confusion_items(evaluation: Evaluation, true: str, predicted: str) -> list[str]:
    """Ids of labeled items of class ``true`` that the out-of-fold model predicted as ``predicted``.

    The items behind one cell of the confusion matrix (single-label tasks).

    Examples
    --------
    >>> ev = session.evaluation()
    >>> ids = confusion_items(ev, "animals", "animals")
    >>> all(session.store.get(i) == "animals" for i in ids)
    True
    """
    classes = list(evaluation.metrics.classes)
    for name in (true, predicted):
        if name not in classes:
            raise KeyError(f"{name!r} is not one of the labels {classes}")
    if evaluation.targets.ndim != 1:
        raise ValueError("a confusion matrix exists for single-label tasks only")
    hit = (evaluation.targets == classes.index(true)) & (
        evaluation.proba.argmax(axis=1) == classes.index(predicted)
    )
    return [evaluation.ids[i] for i in np.flatnonzero(hit)]
