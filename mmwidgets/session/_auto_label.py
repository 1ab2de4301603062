"""Model labels with a measured precision: which items to propose, what to audit, how sure.

The statistics behind :meth:`Session.auto_label`, as pure functions so that they can be
tested on planted data:

1. :func:`calibrate` fits one temperature to the out-of-fold predictions of the labeled
   items (:func:`mmwidgets.fusion.fit_temperature`) and applies it to the pool's
   probabilities, so that a confidence of 0.97 is right about 97 % of the time;
2. :func:`propose` takes, per class, the largest set of its most confident predictions whose
   expected precision (their mean calibrated confidence) reaches the target. (Aiming higher,
   so that a perfectly calibrated set would pass its audit more often, was measured on the
   sample set and committed fewer labels at no better precision: benchmarks/auto_label.py);
3. :func:`audit_sample` draws a seeded random sample of each class's proposals for a person to
   confirm or correct (:func:`default_audit_size` says how many can prove the target);
4. :func:`estimate` turns the audit into a precision per class with a Wilson interval
   (scipy's ``binomtest``, not hand-written) and says which classes meet the target by a
   one-sided lower bound: only those may be committed. The interval treats the proposals
   as unlimited; for a finite set of proposals it is conservative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ClassEstimate",
    "audit_sample",
    "calibrate",
    "default_audit_size",
    "estimate",
    "propose",
]


@dataclass(frozen=True)
class ClassEstimate:
    """The audited precision of one class's model labels.

    ``low`` is a one-sided lower bound at ``confidence``: the precision is at least ``low``
    with that confidence; ``(low, high)`` is the two-sided Wilson interval at level
    ``2 * confidence - 1`` (90 % for the default 0.95).

    Examples
    --------
    >>> from mmwidgets.session._auto_label import estimate
    >>> e = estimate({"cat": (59, 60)}, target=0.9)[0]
    >>> e.label, e.audited, round(e.precision, 3), e.meets
    ('cat', 60, 0.983, True)
    """

    label: str
    audited: int
    correct: int
    precision: float
    low: float
    high: float
    confidence: float
    #: the lower bound reaches the target: the class's proposals may be committed
    meets: bool


def calibrate(
    oof_proba: np.ndarray, targets: np.ndarray, proba: np.ndarray
) -> tuple[np.ndarray, float]:
    """``proba`` softened (or sharpened) by the temperature that fits the out-of-fold ones.

    ``oof_proba`` are held-out probabilities of labeled items whose class indices are
    ``targets``; returns the calibrated ``proba`` and the temperature. The one calibration
    of the package (:func:`mmwidgets.fusion.calibrate_proba`), single-label.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.session._auto_label import calibrate
    >>> oof = np.array([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99], [0.99, 0.01]])
    >>> calibrated, t = calibrate(oof, np.array([0, 1, 1, 0]), oof)  # one of four is wrong
    >>> t > 1.0, bool(calibrated.max() < 0.99)
    (True, True)
    """
    from mmwidgets.fusion import calibrate_proba

    return calibrate_proba(oof_proba, targets, proba)


def propose(
    proba: np.ndarray, class_names: Sequence[str], target: float, excluded: np.ndarray
) -> dict[str, np.ndarray]:
    """Per class, its most confident predictions whose mean confidence reaches ``target``.

    Rows predicted as the class (not ``excluded``) are taken from the most confident down
    while their mean (calibrated) confidence, their expected precision, stays at least
    ``target``; each class's rows are returned sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.session._auto_label import propose
    >>> proba = np.array([[.99, .01], [.9, .1], [.6, .4], [.2, .8]])
    >>> {k: v.tolist() for k, v in propose(proba, ["a", "b"], .9, np.zeros(4, bool)).items()}
    {'a': [0, 1], 'b': []}
    """
    _check_target(target)
    predicted = proba.argmax(axis=1)
    confidence = proba.max(axis=1).astype(np.float64)
    out: dict[str, np.ndarray] = {}
    for c, name in enumerate(class_names):
        rows = np.flatnonzero((predicted == c) & ~excluded)
        order = rows[np.argsort(-confidence[rows], kind="stable")]
        # sorted from the most confident, the running mean only falls: a prefix qualifies
        expected = np.cumsum(confidence[order]) / np.arange(1, len(order) + 1)
        n = int(np.count_nonzero(expected >= target))
        out[name] = np.sort(order[:n])
    return out


def default_audit_size(target: float, confidence: float = 0.95) -> int:
    """Audit items per class: twice the fewest with which an all-correct audit meets ``target``.

    Twice, so that a class whose labels are a little better than the target can pass with
    an error in the audit (one in 104 at 0.95).

    Examples
    --------
    >>> from mmwidgets.session._auto_label import default_audit_size
    >>> default_audit_size(0.95), default_audit_size(0.9)
    (104, 50)
    """
    _check_target(target)
    lo, hi = 1, 2
    while _lower(hi, hi, confidence) < target:  # all correct, and still short of the target
        lo, hi = hi, hi * 2
    while lo < hi:  # the fewest all-correct items whose lower bound reaches the target
        mid = (lo + hi) // 2
        if _lower(mid, mid, confidence) >= target:
            hi = mid
        else:
            lo = mid + 1
    return 2 * hi


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

    A class meets the target when the one-sided lower bound at ``confidence`` reaches it. A
    class with nothing audited gets precision NaN, the interval (0, 1), and never meets it.

    Examples
    --------
    >>> from mmwidgets.session._auto_label import estimate
    >>> [(e.label, e.meets) for e in estimate({"a": (40, 40), "b": (30, 40)}, 0.9)]
    [('a', True), ('b', False)]
    """
    _check_target(target)
    _check_confidence(confidence)
    out = []
    for name, (correct, n) in audited.items():
        if not 0 <= correct <= n:
            raise ValueError(f"{name}: {correct} correct of {n} audited is not a count")
        if n == 0:
            out.append(ClassEstimate(name, 0, 0, float("nan"), 0.0, 1.0, confidence, False))
            continue
        low, high = _wilson(correct, n, 2 * confidence - 1)  # its lower end: one-sided
        out.append(
            ClassEstimate(name, n, correct, correct / n, low, high, confidence, low >= target)
        )
    return out


def _wilson(correct: int, n: int, confidence: float) -> tuple[float, float]:
    from scipy.stats import binomtest  # type: ignore[import-untyped]

    ci = binomtest(correct, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _lower(correct: int, n: int, confidence: float) -> float:
    """The one-sided lower bound at ``confidence``."""
    return _wilson(correct, n, 2 * confidence - 1)[0]


def _check_confidence(confidence: float) -> None:
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"a confidence is between 0.5 and 1 (exclusive), got {confidence!r}")


def _check_target(target: float) -> None:
    if not 0.0 < target < 1.0:
        raise ValueError(f"a target precision is between 0 and 1 (exclusive), got {target!r}")
