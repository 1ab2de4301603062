"""Suspected errors and confusion drill-down on hand-built out-of-fold probabilities."""

import numpy as np
import pytest

from mmwidgets.session import project_2d
from mmwidgets.session._metrics import evaluate
from mmwidgets.session._review import Evaluation, confusion_items, suspected_errors

CLASSES = ("cat", "dog", "owl")


def _evaluation(targets, proba):
    targets = np.asarray(targets)
    proba = np.asarray(proba, dtype=np.float32)
    ids = tuple(f"i{k}" for k in range(len(targets)))
    return Evaluation(
        metrics=evaluate(proba, targets, CLASSES, 2),
        ids=ids,
        labels=tuple(CLASSES[t] for t in targets),
        targets=targets,
        proba=proba,
    )


def _confident(targets, rng, p=0.9):
    proba = np.full((len(targets), 3), (1 - p) / 2)
    proba[np.arange(len(targets)), targets] = p
    return proba + rng.uniform(0, 0.01, proba.shape)


def test_confidently_contradicted_labels_come_first():
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], 20)
    proba = _confident(truth, rng)
    given = truth.copy()
    given[[3, 25]] = [2, 0]  # two wrong labels; the model (built on the truth) disagrees
    proba[3] = [0.97, 0.02, 0.01]
    proba[25] = [0.04, 0.95, 0.01]
    found = suspected_errors(_evaluation(given, proba))
    assert list(found["id"][:2]) == ["i3", "i25"]  # lowest probability of the stored label first
    assert found.loc[0, "label"] == "owl"
    assert found.loc[0, "suggested"] == "cat"
    assert found.loc[0, "reason"] == "labeled owl, model says cat (p=0.97)"
    assert len(suspected_errors(_evaluation(given, proba), k=1)) == 1


def test_agreeing_labels_raise_no_suspicion():
    rng = np.random.default_rng(1)
    truth = np.repeat([0, 1, 2], 15)
    assert suspected_errors(_evaluation(truth, _confident(truth, rng))).empty


def test_confusion_items_are_the_cell_members():
    targets = [0, 0, 1, 1, 2]
    proba = [[0.9, 0.1, 0], [0.2, 0.8, 0], [0.1, 0.9, 0], [0.7, 0.3, 0], [0, 0, 1]]
    ev = _evaluation(targets, proba)
    assert confusion_items(ev, "cat", "dog") == ["i1"]
    assert confusion_items(ev, "dog", "cat") == ["i3"]
    assert confusion_items(ev, "owl", "owl") == ["i4"]
    with pytest.raises(KeyError, match="'emu' is not one of the labels"):
        confusion_items(ev, "emu", "cat")


def test_pca_layout_keeps_the_main_direction_and_nan_rows():
    rng = np.random.default_rng(2)
    t = rng.normal(size=200)
    X = np.stack([t * 10, rng.normal(size=200), rng.normal(size=200)], axis=1).astype(np.float32)
    X[5] = np.nan
    xy = project_2d(X)
    assert np.isnan(xy[5]).all()
    keep = ~np.isnan(xy[:, 0])
    assert abs(np.corrcoef(xy[keep, 0], t[keep])[0, 1]) > 0.99
    with pytest.raises(ValueError, match="unknown projection 'tsne'"):
        project_2d(X, "tsne")
