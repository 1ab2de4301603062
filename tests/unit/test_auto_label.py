"""The statistics of model labels: thresholds from out-of-fold predictions, audits, intervals."""

import numpy as np
import pytest

from mmwidgets.session._auto_label import (
    audit_sample,
    confidence_thresholds,
    estimate,
    propose,
)


def _planted(n, rng, classes=3):
    """Predictions whose chance of being right grows with their confidence, as calibrated ones."""
    confidence = rng.uniform(1 / classes, 1.0, n)
    predicted = rng.integers(0, classes, n)
    right = rng.random(n) < confidence
    truth = np.where(right, predicted, (predicted + rng.integers(1, classes, n)) % classes)
    proba = np.full((n, classes), 0.0)
    proba[np.arange(n), predicted] = confidence
    rest = (1 - confidence) / (classes - 1)
    for c in range(classes):
        proba[predicted != c, c] = rest[predicted != c]
    return proba, truth


def test_the_wilson_interval_covers_the_true_precision_in_most_seeded_audits():
    covered = total = 0
    for true_precision in (0.8, 0.9, 0.95, 0.98):
        for seed in range(200):
            rng = np.random.default_rng(seed)
            proposals = rng.random(5000) < true_precision  # which proposed labels are right
            sample = audit_sample({"c": np.arange(5000)}, per_class=40, seed=seed)["c"]
            (e,) = estimate({"c": (int(proposals[sample].sum()), len(sample))}, target=0.5)
            covered += e.low <= proposals.mean() <= e.high
            total += 1
    assert covered / total >= 0.90, covered / total


def test_thresholds_from_out_of_fold_predictions_hold_on_fresh_items():
    names = ["a", "b", "c"]
    for seed in range(5):
        rng = np.random.default_rng(seed)
        proba, truth = _planted(3000, rng)
        labels = [names[t] for t in truth]
        thresholds = confidence_thresholds(labels, proba, names, 0.9)
        fresh, fresh_truth = _planted(20000, rng)
        proposed = propose(fresh, names, thresholds, np.zeros(len(fresh), bool))
        for c, name in enumerate(names):
            rows = proposed[name]
            assert thresholds[name] is not None
            assert len(rows) > 500
            assert (fresh_truth[rows] == c).mean() >= 0.9  # the target, on items never seen


def test_no_threshold_without_support_and_excluded_rows_are_never_proposed():
    proba = np.array([[0.9, 0.1]] * 80 + [[0.3, 0.7]] * 2)
    labels = ["a"] * 80 + ["b"] * 2
    thresholds = confidence_thresholds(labels, proba, ["a", "b"], 0.95)
    assert thresholds["b"] is None  # two predictions are no evidence
    assert confidence_thresholds(labels[70:], proba[70:], ["a", "b"], 0.95)["a"] is None
    excluded = np.zeros(82, bool)
    excluded[:75] = True
    proposed = propose(proba, ["a", "b"], thresholds, excluded)
    assert proposed["a"].tolist() == list(range(75, 80))  # 80 of 80 right: enough evidence
    assert proposed["b"].tolist() == []


def test_estimates_refuse_impossible_counts_and_an_empty_audit_never_meets():
    (empty,) = estimate({"a": (0, 0)}, target=0.9)
    assert np.isnan(empty.precision)
    assert not empty.meets
    with pytest.raises(ValueError, match="is not a count"):
        estimate({"a": (5, 3)}, target=0.9)
    with pytest.raises(ValueError, match="between 0 and 1"):
        estimate({"a": (5, 5)}, target=1.0)
