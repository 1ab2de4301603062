"""Temperature scaling and its yardstick: one scalar that makes confidences honest.

A temperature ``T`` divides the logits before the softmax (sigmoid, multi-label); it never
changes which class is predicted. It is fitted on held-out predictions (the out-of-fold ones
a Session computes anyway) by minimising their negative log-likelihood. Every calibrated
number mmwidgets shows goes through :func:`apply_temperature`; probabilities from a model
whose logits are not at hand are calibrated through :func:`calibrate_proba` (their log is a
logit up to a per-row constant, which the softmax ignores).

The yardstick is the top-label expected calibration error
(:func:`expected_calibration_error`): 15 equal-width confidence bins, the mean gap between
confidence and accuracy weighted by the items in each bin.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ECE_BINS",
    "MIN_OOF_TEMPERATURE",
    "apply_temperature",
    "calibrate_proba",
    "cross_fitted_ece",
    "expected_calibration_error",
    "fit_temperature",
    "held_out_rows",
    "oof_temperature",
    "proba_logits",
]

#: equal-width confidence bins of :func:`expected_calibration_error` (a common choice)
ECE_BINS = 15


def _nll(z: np.ndarray, targets: np.ndarray, multi_label: bool) -> float:
    if multi_label:
        # numerically stable binary cross-entropy with logits
        return float(np.mean(np.logaddexp(0.0, z) - targets * z))
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(targets)), targets].mean())


def fit_temperature(logits: np.ndarray, targets: np.ndarray, multi_label: bool = False) -> float:
    """The temperature T > 0 minimising the NLL of ``logits / T`` (golden-section search).

    Parameters
    ----------
    logits : (n, C) array
        Uncalibrated logits of held-out items.
    targets : array
        Class indices (single-label) or an (n, C) indicator matrix (multi-label).
    multi_label : bool
        Sigmoid instead of softmax likelihood.

    Returns
    -------
    float
        The temperature, in [0.05, 20].

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[8.0, 0.0], [0.0, 8.0], [8.0, 0.0], [8.0, 0.0]])
    >>> fit_temperature(z, np.array([0, 1, 1, 0])) > 1.0   # over-confident -> soften
    True
    """
    if len(logits) == 0:
        raise ValueError("cannot calibrate on zero items")
    logits = np.asarray(logits, dtype=np.float64)
    lo, hi = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(60):  # search log T: the NLL is unimodal in it for these losses
        a = hi - ratio * (hi - lo)
        b = lo + ratio * (hi - lo)
        if _nll(logits / np.exp(a), targets, multi_label) < _nll(
            logits / np.exp(b), targets, multi_label
        ):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2.0))


def apply_temperature(
    logits: np.ndarray, temperature: float = 1.0, multi_label: bool = False
) -> np.ndarray:
    """Probabilities of ``logits / temperature``: softmax rows, or sigmoids if multi-label.

    Examples
    --------
    >>> import numpy as np
    >>> [round(float(v), 3) for v in apply_temperature(np.array([[2.0, 0.0]]), 2.0)[0]]
    [0.731, 0.269]
    """
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    if multi_label:
        proba: np.ndarray = (0.5 * (1.0 + np.tanh(0.5 * z))).astype(np.float32)  # sigmoid
        return proba
    e = np.exp(z - z.max(axis=1, keepdims=True))
    proba = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return proba


def proba_logits(proba: np.ndarray, multi_label: bool = False) -> np.ndarray:
    """Logits that give back ``proba``: log p (softmax), or log-odds (multi-label).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.7, 0.3]])
    >>> np.allclose(apply_temperature(proba_logits(p)), p)
    True
    """
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0)
    if multi_label:
        q = np.clip(p, 1e-12, 1.0 - 1e-12)
        logits: np.ndarray = np.log(q) - np.log1p(-q)
        return logits
    return np.log(p)


def held_out_rows(targets: np.ndarray) -> np.ndarray:
    """Out-of-fold items that say something about the full model: their class was seen.

    An item whose class is labeled only once was scored, out of fold, by a model that never
    saw its class (probability ~0, a huge log-loss), while the full model has seen every
    labeled class; fitted on such items a temperature softens everything to cover them.
    Single-label: items of classes labeled at least twice; multi-label: every item.

    Examples
    --------
    >>> import numpy as np
    >>> held_out_rows(np.array([0, 0, 1, 2, 2])).tolist()
    [True, True, False, True, True]
    """
    targets = np.asarray(targets)
    if targets.ndim != 1:
        return np.ones(len(targets), dtype=bool)
    counts = np.bincount(targets.astype(np.int64))
    rows: np.ndarray = counts[targets.astype(np.int64)] >= 2
    return rows if rows.any() else np.ones(len(targets), dtype=bool)


#: the sharpest temperature fitted to out-of-fold predictions (see :func:`oof_temperature`)
MIN_OOF_TEMPERATURE = 0.25


def oof_temperature(oof_proba: np.ndarray, targets: np.ndarray, multi_label: bool = False) -> float:
    """The temperature fitted to out-of-fold probabilities (on :func:`held_out_rows`).

    At least :data:`MIN_OOF_TEMPERATURE` (at most four times sharper): with a few labels every
    out-of-fold prediction can be right, and the unbounded fit then makes every confidence 1.

    Examples
    --------
    >>> import numpy as np
    >>> oof = np.array([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99], [0.99, 0.01]])
    >>> oof_temperature(oof, np.array([0, 1, 1, 0])) > 1.0
    True
    """
    rows = held_out_rows(targets)
    t = np.asarray(targets, dtype=np.float64 if multi_label else np.int64)[rows]
    fitted = fit_temperature(proba_logits(np.asarray(oof_proba)[rows], multi_label), t, multi_label)
    return max(fitted, MIN_OOF_TEMPERATURE)


def calibrate_proba(
    oof_proba: np.ndarray, targets: np.ndarray, proba: np.ndarray, multi_label: bool = False
) -> tuple[np.ndarray, float]:
    """``proba`` softened (or sharpened) by the temperature that fits the out-of-fold ones.

    ``oof_proba`` are held-out probabilities of labeled items whose targets are ``targets``;
    returns the calibrated ``proba`` and the temperature (:func:`oof_temperature`).

    Examples
    --------
    >>> import numpy as np
    >>> oof = np.array([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99], [0.99, 0.01]])
    >>> calibrated, t = calibrate_proba(oof, np.array([0, 1, 1, 0]), oof)  # one of 4 wrong
    >>> t > 1.0, bool(calibrated.max() < 0.99)
    (True, True)
    """
    temperature = oof_temperature(oof_proba, targets, multi_label)
    return apply_temperature(proba_logits(proba, multi_label), temperature, multi_label), (
        temperature
    )


def expected_calibration_error(
    proba: np.ndarray, targets: np.ndarray, n_bins: int = ECE_BINS
) -> float:
    """Top-label expected calibration error of single-label probabilities.

    Items are put in ``n_bins`` equal-width bins by their confidence (the largest
    probability; bin edges ``0, 1/n_bins, …, 1``, the last bin closed); the error is
    ``Σ_b (n_b / n) · |accuracy_b - mean confidence_b|`` (Guo et al., 2017).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1]] * 10)
    >>> round(expected_calibration_error(p, np.array([0] * 9 + [1])), 3)   # 90 % at 0.9
    0.0
    >>> round(expected_calibration_error(p, np.array([0] * 6 + [1] * 4)), 3)  # 60 % at 0.9
    0.3
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or len(proba) == 0:
        raise ValueError(f"need (n_items, n_classes) probabilities, got shape {proba.shape}")
    confidence = proba.max(axis=1)
    hit = proba.argmax(axis=1) == np.asarray(targets)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    gap = np.bincount(bins, weights=hit - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / len(proba))  # Σ_b |Σ_i (hit_i - conf_i)| / n


def cross_fitted_ece(oof_proba: np.ndarray, targets: np.ndarray, fold: np.ndarray) -> float:
    """ECE of out-of-fold probabilities calibrated without looking at their own fold.

    Each fold's items are calibrated by the temperature fitted on the other folds' items,
    so the figure estimates the error of confidences calibrated on data they did not see
    (fitting and scoring on the same items would flatter it). Only :func:`held_out_rows`
    count.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.integers(0, 2, 400)
    >>> z = np.where(rng.random(400) < 0.7, t, 1 - t)       # 70 % right ...
    >>> p = np.eye(2)[z] * 0.98 + 0.01                      # ... at 0.99 confidence
    >>> fold = np.arange(400) % 4
    >>> expected_calibration_error(p, t) > 0.25 > cross_fitted_ece(p, t, fold) + 0.2
    True
    """
    rows = held_out_rows(targets)
    oof_proba, fold = np.asarray(oof_proba)[rows], np.asarray(fold)[rows]
    targets = np.asarray(targets, dtype=np.int64)[rows]
    calibrated = np.empty_like(np.asarray(oof_proba, dtype=np.float32))
    for f in np.unique(fold):
        out, held = fold != f, fold == f
        if not out.any():
            calibrated[held] = oof_proba[held]
            continue
        calibrated[held], _ = calibrate_proba(oof_proba[out], targets[out], oof_proba[held])
    return expected_calibration_error(calibrated, targets)
