"""Inter-annotator agreement on the items several annotators labeled.

Computed with the statistics libraries, not by hand: scikit-learn's ``cohen_kappa_score`` per
annotator pair, statsmodels' ``fleiss_kappa`` and the ``krippendorff`` package's alpha, overall
and per class (one-vs-rest: did the annotator give this class?). Multi-label items count as
their whole label set overall, and per class as presence of each label.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Agreement", "agreement"]

_PAIR_COLUMNS = ["annotator_a", "annotator_b", "n_items", "kappa"]
_CLASS_COLUMNS = ["label", "n_items", "fleiss_kappa", "alpha"]


@dataclass(frozen=True)
class Agreement:
    """How much annotators agree, on the items two or more of them labeled.

    Attributes
    ----------
    n_overlapped : int
        Items labeled by two or more annotators (every figure below is computed on them).
    annotators : tuple of str
        Everyone who labeled something.
    pairs : pandas.DataFrame
        Cohen's kappa per annotator pair: ``annotator_a, annotator_b, n_items, kappa``.
    fleiss_kappa : float
        Fleiss' kappa over the overlapped items that have the most common number of
        annotators (Fleiss needs the same count on every item); NaN when there are none.
    fleiss_items : int
        How many items Fleiss' kappa used.
    alpha : float
        Krippendorff's alpha (nominal) over every overlapped item; NaN when undefined.
    per_class : pandas.DataFrame
        ``label, n_items, fleiss_kappa, alpha`` for "gave this label or not".
    """

    n_overlapped: int
    annotators: tuple[str, ...]
    pairs: pd.DataFrame
    fleiss_kappa: float
    fleiss_items: int
    alpha: float
    per_class: pd.DataFrame

    def as_dict(self) -> dict[str, Any]:
        """Plain values for a widget or JSON (NaN stays NaN).

        Examples
        --------
        >>> frame = pd.DataFrame({"id": ["a", "a"], "annotator": ["x", "y"],
        ...                       "label": ["cat", "cat"]})
        >>> agreement(frame, ["cat", "dog"]).as_dict()["n_overlapped"]
        1
        """
        return {
            "n_overlapped": self.n_overlapped,
            "annotators": list(self.annotators),
            "pairs": self.pairs.to_dict("records"),
            "fleiss_kappa": self.fleiss_kappa,
            "fleiss_items": self.fleiss_items,
            "alpha": self.alpha,
            "per_class": self.per_class.to_dict("records"),
        }


def agreement(annotations: pd.DataFrame, classes: Sequence[str]) -> Agreement:
    """Agreement figures from a store's ``annotations()`` frame (``id, annotator, label``).

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "id": ["a", "a", "b", "b", "c", "c"],
    ...     "annotator": ["x", "y"] * 3,
    ...     "label": ["cat", "cat", "dog", "dog", "cat", "dog"]})
    >>> result = agreement(frame, ["cat", "dog"])
    >>> result.n_overlapped, round(float(result.pairs["kappa"][0]), 3)
    (3, 0.4)
    """
    frame = annotations[["id", "annotator", "label"]]
    counts = frame.groupby("id")["annotator"].nunique()
    overlapped = frame[frame["id"].isin(counts.index[counts >= 2])]
    # items x annotators, NaN where an annotator did not label the item ((id, annotator) is
    # unique in a store's annotations)
    matrix = overlapped.set_index(["id", "annotator"])["label"].unstack()
    annotators = tuple(sorted(frame["annotator"].unique()))
    values = _codes(matrix, classes)
    fleiss, used = _fleiss(values, n_codes=len(_domain(matrix, classes)))
    per_class = []
    for label in classes:
        present = _presence(matrix, label)
        n_used = int((np.nansum(present, axis=1) > 0).sum())  # someone gave this label
        per_class.append((label, n_used, _fleiss(present, n_codes=2)[0], _alpha(present)))
    return Agreement(
        n_overlapped=len(matrix),
        annotators=annotators,
        pairs=_pairs(matrix),
        fleiss_kappa=fleiss,
        fleiss_items=used,
        alpha=_alpha(values),
        per_class=pd.DataFrame(per_class, columns=_CLASS_COLUMNS),
    )


def _domain(matrix: pd.DataFrame, classes: Sequence[str]) -> list[Any]:
    seen = {value for value in matrix.to_numpy().ravel() if _given(value)}
    # single-label: the task's classes in order; multi-label: the label sets given
    return [c for c in classes if c in seen] + sorted(seen - set(classes), key=repr)


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def _codes(matrix: pd.DataFrame, classes: Sequence[str]) -> np.ndarray:
    code = {value: i for i, value in enumerate(_domain(matrix, classes))}
    return _numeric(matrix, code.__getitem__)


def _presence(matrix: pd.DataFrame, label: str) -> np.ndarray:
    return _numeric(
        matrix, lambda v: float(label in v) if isinstance(v, tuple) else float(v == label)
    )


def _numeric(matrix: pd.DataFrame, value_of: Callable[[Any], float]) -> np.ndarray:
    """``matrix`` as floats: ``value_of(label)`` where a label was given, NaN elsewhere."""
    out = np.full(matrix.shape, np.nan)
    for (i, j), value in np.ndenumerate(matrix.to_numpy(dtype=object)):
        if _given(value):
            out[i, j] = value_of(value)
    return out


def _pairs(matrix: pd.DataFrame) -> pd.DataFrame:
    from sklearn.metrics import cohen_kappa_score

    rows = []
    for a, b in itertools.combinations(sorted(matrix.columns), 2):
        both = matrix[[a, b]].dropna()
        if both.empty:
            continue
        first, second = (list(map(repr, both[c])) for c in (a, b))
        with warnings.catch_warnings():  # one label throughout: kappa is undefined (NaN)
            warnings.simplefilter("ignore", RuntimeWarning)
            kappa = float(cohen_kappa_score(first, second)) if len(both) > 1 else float("nan")
        rows.append((a, b, len(both), kappa))
    return pd.DataFrame(rows, columns=_PAIR_COLUMNS)


def _fleiss(values: np.ndarray, n_codes: int) -> tuple[float, int]:
    from statsmodels.stats.inter_rater import fleiss_kappa

    raters = (~np.isnan(values)).sum(axis=1)
    if not (raters >= 2).any():
        return float("nan"), 0
    common = np.bincount(raters[raters >= 2]).argmax()
    rows = values[raters == common]
    table = np.zeros((len(rows), max(n_codes, 1)))
    for i, row in enumerate(rows):
        for value in row[~np.isnan(row)]:
            table[i, int(value)] += 1
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(fleiss_kappa(table, method="fleiss")), len(rows)


def _alpha(values: np.ndarray) -> float:
    import krippendorff

    given = values[:, ~np.isnan(values).all(axis=0)] if values.size else values
    if given.shape[0] == 0 or len(np.unique(given[~np.isnan(given)])) < 2:
        return float("nan")  # one value throughout: alpha is undefined
    # krippendorff takes raters x units
    return float(krippendorff.alpha(reliability_data=given.T, level_of_measurement="nominal"))
