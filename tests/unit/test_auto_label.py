"""The statistics of model labels: calibration, proposals, audits and their intervals."""

import numpy as np
import pytest

from mmwidgets.session._auto_label import (
    audit_sample,
    calibrate,
    default_audit_size,
    estimate,
    propose,
)


def _planted(n, rng, classes=3, sharpen=1.0):
    """Predictions right as often as their confidence says, then made over-confident.

    ``sharpen`` > 1 raises every probability to that power (renormalised): the ranking stays,
    the confidences lie, as an uncalibrated network's do.
    """
    confidence = rng.uniform(1 / classes, 1.0, n)
    predicted = rng.integers(0, classes, n)
    right = rng.random(n) < confidence
    truth = np.where(right, predicted, (predicted + rng.integers(1, classes, n)) % classes)
    proba = np.full((n, classes), 0.0)
    proba[np.arange(n), predicted] = confidence
    rest = (1 - confidence) / (classes - 1)
    for c in range(classes):
        proba[predicted != c, c] = rest[predicted != c]
    proba = proba**sharpen
    return proba / proba.sum(axis=1, keepdims=True), truth


def test_the_wilson_interval_covers_the_true_precision_in_most_seeded_audits():
    covered = below = total = 0
    for true_precision in (0.8, 0.9, 0.95, 0.98):
        for seed in range(200):
            rng = np.random.default_rng(seed)
            proposals = rng.random(5000) < true_precision  # which proposed labels are right
            sample = audit_sample({"c": np.arange(5000)}, per_class=40, seed=seed)["c"]
            (e,) = estimate({"c": (int(proposals[sample].sum()), len(sample))}, target=0.5)
            covered += e.low <= proposals.mean() <= e.high
            below += e.low <= proposals.mean()
            total += 1
    assert covered / total >= 0.90, covered / total
    assert below / total >= 0.95, below / total  # the lower bound that gates a commit


def test_calibrated_proposals_reach_the_target_on_fresh_items():
    names = ["a", "b", "c"]
    for seed in range(5):
        rng = np.random.default_rng(seed)
        oof, oof_truth = _planted(600, rng, sharpen=3.0)  # over-confident, as a network is
        fresh, fresh_truth = _planted(20000, rng, sharpen=3.0)
        raw = propose(fresh, names, 0.9, np.zeros(len(fresh), bool))
        calibrated, temperature = calibrate(oof, oof_truth, fresh)
        assert temperature > 1.5  # it saw the over-confidence and softened it
        proposed = propose(calibrated, names, 0.9, np.zeros(len(fresh), bool))
        for c, name in enumerate(names):
            rows = proposed[name]
            assert len(rows) > 500
            assert (fresh_truth[rows] == c).mean() >= 0.88  # the target, on unseen items
            assert (fresh_truth[raw[name]] == c).mean() < 0.85  # uncalibrated overshoots


def test_excluded_rows_are_never_proposed_and_a_hopeless_class_gets_none():
    proba = np.array([[0.99, 0.01]] * 80 + [[0.3, 0.7]] * 5)
    excluded = np.zeros(85, bool)
    excluded[:75] = True
    proposed = propose(proba, ["a", "b"], 0.95, excluded)
    assert proposed["a"].tolist() == list(range(75, 80))
    assert proposed["b"].tolist() == []  # 0.7 confident: expected precision 0.7
    with pytest.raises(ValueError, match="between 0 and 1"):
        propose(proba, ["a", "b"], 1.0, excluded)


def test_the_default_audit_can_prove_the_target_with_one_error():
    for target in (0.8, 0.9, 0.95, 0.98):
        n = default_audit_size(target)
        (one_wrong,) = estimate({"c": (n - 1, n)}, target)
        (half_as_many,) = estimate({"c": (n // 2 - 1, n // 2 - 1)}, target)
        assert one_wrong.meets, (target, n)
        assert not half_as_many.meets  # the fewest all-correct items that can, minus one


def test_estimates_refuse_impossible_counts_and_an_empty_audit_never_meets():
    (empty,) = estimate({"a": (0, 0)}, target=0.9)
    assert np.isnan(empty.precision)
    assert not empty.meets
    with pytest.raises(ValueError, match="is not a count"):
        estimate({"a": (5, 3)}, target=0.9)
    with pytest.raises(ValueError, match="between 0 and 1"):
        estimate({"a": (5, 5)}, target=1.0)
    with pytest.raises(ValueError, match="confidence"):
        estimate({"a": (5, 5)}, target=0.9, confidence=0.4)
