"""Model labels with a measured precision: which items to propose, what to audit, how sure.

The statistics behind ``auto_label`` (issue: "find and finish"), as pure functions so that
they can be tested on planted data and reused by the session:

1. :func:`confidence_thresholds` picks, per class, the lowest confidence at which the
   out-of-fold predictions of the labeled items reach the target precision. Those items were
   chosen by active learning (the hard ones), so the estimate errs on the safe side;
2. :func:`propose` lists the unlabeled items above their class's threshold;
3. :func:`audit_sample` draws a seeded random sample of each class's proposals for a person to
   confirm or correct;
4. :func:`estimate` turns the audit into a precision per class with a Wilson interval
   (scipy's ``binomtest``, not hand-written) and says which classes meet the target by their
   lower bound: only those may be committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ClassEstimate",
    "audit_sample",
    "confidence_thresholds",
    "estimate",
    "propose",
]


@dataclass(frozen=True)
class ClassEstimate:
    """The audited precision of one class's model labels.

    Examples
    --------
    >>> from mmwidgets.session._auto_label import estimate
    >>> e = estimate({"cat": (29, 30)}, target=0.8)[0]
    >>> e.label, e.audited, round(e.precision, 3), e.meets
    ('cat', 30, 0.967, True)
    """

    label: str
    audited: int
    correct: int
    precision: float
    #: the Wilson interval of the precision, at ``confidence``
    low: float
    high: float
    confidence: float
    #: the lower bound reaches the target: the class's proposals may be committed
    meets: bool


def confidence_thresholds(
    targets: Sequence[str],
    proba: np.ndarray,
    class_names: Sequence[str],
    target_precision: float,
    *,
    min_support: int = 5,
    confidence: float = 0.95,
) -> dict[str, float | None]:
    """Per class, the lowest confidence whose out-of-fold precision reaches the target.

    Among the labeled items the out-of-fold model predicts as the class, sorted by confidence,
    the threshold is the confidence of the last item of the largest top slice whose precision
    is at least ``target_precision`` by the lower bound of its Wilson interval at
    ``confidence``; None when fewer than ``min_support`` items are predicted as the class or no
    slice qualifies (the class is then never proposed).

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.session._auto_label import confidence_thresholds
    >>> proba = np.array([[.99, .01]] * 30 + [[.8, .2]] * 30)
    >>> t = confidence_thresholds(["a"] * 30 + ["b"] * 30, proba, ["a", "b"], 0.8)
    >>> float(t["a"]), t["b"]
    (0.99, None)
    """
    _check_target(target_precision)
    names = list(class_names)
    truth = np.asarray([names.index(t) for t in targets], dtype=np.int64)
    predicted = proba.argmax(axis=1)
    confidence_of = proba.max(axis=1)
    out: dict[str, float | None] = {}
    for c, name in enumerate(names):
        rows = np.flatnonzero(predicted == c)
        out[name] = None
        if len(rows) < min_support:
            continue
        order = rows[np.argsort(-confidence_of[rows], kind="stable")]
        hits = np.cumsum(truth[order] == c)
        size = np.arange(1, len(order) + 1)
        # the deepest cut whose precision reaches the target *with confidence* (its Wilson
        # lower bound): the deepest cut whose plain precision reaches it overshoots by chance
        ranked = confidence_of[order]
        # a threshold admits every item of its confidence: cut only where the confidence drops
        ends = np.append(ranked[1:] < ranked[:-1], True)
        candidates = np.flatnonzero(
            ends & (hits / size >= target_precision) & (size >= min_support)
        )
        for cut in candidates[::-1].tolist():
            if _wilson_low(int(hits[cut]), int(size[cut]), confidence) >= target_precision:
                out[name] = float(confidence_of[order[cut]])
                break
    return out


def propose(
    proba: np.ndarray,
    class_names: Sequence[str],
    thresholds: Mapping[str, float | None],
    excluded: np.ndarray,
) -> dict[str, np.ndarray]:
    """Rows predicted as each class with at least its threshold's confidence (not excluded).

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.session._auto_label import propose
    >>> proba = np.array([[.9, .1], [.6, .4], [.2, .8]])
    >>> {k: v.tolist() for k, v in propose(proba, ["a", "b"], {"a": .8, "b": None},
    ...                                    np.zeros(3, bool)).items()}
    {'a': [0], 'b': []}
    """
    predicted = proba.argmax(axis=1)
    confidence = proba.max(axis=1)
    out: dict[str, np.ndarray] = {}
    for c, name in enumerate(class_names):
        threshold = thresholds.get(name)
        if threshold is None:
            out[name] = np.zeros(0, dtype=np.int64)
            continue
        keep = (predicted == c) & (confidence >= threshold) & ~excluded
        out[name] = np.flatnonzero(keep)
    return out


def audit_sample(
    proposals: Mapping[str, np.ndarray], per_class: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """A seeded random sample of up to ``per_class`` proposed rows of each class, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.session._auto_label import audit_sample
    >>> {k: len(v) for k, v in audit_sample({"a": np.arange(100), "b": np.arange(3)}, 10).items()}
    {'a': 10, 'b': 3}
    """
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class!r}")
    rng = np.random.default_rng(seed)
    return {
        name: np.sort(rng.choice(rows, size=min(per_class, len(rows)), replace=False))
        for name, rows in proposals.items()
    }


def estimate(
    audited: Mapping[str, tuple[int, int]], target: float, confidence: float = 0.95
) -> list[ClassEstimate]:
    """Precision per class from ``{label: (correct, audited)}``, with Wilson intervals.

    A class with nothing audited gets precision NaN, the interval (0, 1), and never meets
    the target.

    Examples
    --------
    >>> from mmwidgets.session._auto_label import estimate
    >>> [(e.label, e.meets) for e in estimate({"a": (40, 40), "b": (30, 40)}, 0.9)]
    [('a', True), ('b', False)]
    """
    _check_target(target)
    out = []
    for name, (correct, n) in audited.items():
        if not 0 <= correct <= n:
            raise ValueError(f"{name}: {correct} correct of {n} audited is not a count")
        if n == 0:
            out.append(ClassEstimate(name, 0, 0, float("nan"), 0.0, 1.0, confidence, False))
            continue
        low, high = _wilson(correct, n, confidence)
        out.append(
            ClassEstimate(name, n, correct, correct / n, low, high, confidence, low >= target)
        )
    return out


def _wilson(correct: int, n: int, confidence: float) -> tuple[float, float]:
    from scipy.stats import binomtest  # type: ignore[import-untyped]

    ci = binomtest(correct, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _wilson_low(correct: int, n: int, confidence: float) -> float:
    return _wilson(correct, n, confidence)[0]


def _check_target(target: float) -> None:
    if not 0.0 < target < 1.0:
        raise ValueError(f"a target precision is between 0 and 1 (exclusive), got {target!r}")
