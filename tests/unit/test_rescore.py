"""PoolScores: which rows a new model rescores at once, and how sweeps cover the rest."""

from __future__ import annotations

import numpy as np

from mmwidgets.encoders.compact import compact_inputs, fit_projection
from mmwidgets.session._rescore import PoolScores, uncertainty_order


def _scores(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(4), size=n).astype(np.float32)
    s = PoolScores(n)
    s.write_all(p, version=1)
    return s, p


def test_candidates_are_the_least_sure_open_rows_plus_a_random_slice():
    s, p = _scores()
    excluded = np.zeros(1000, dtype=bool)
    excluded[:100] = True
    rows = s.candidates(excluded, top=50, random=30, multi_label=False, seed=0)
    assert len(rows) == 80
    assert len(set(rows.tolist())) == 80
    assert not excluded[rows].any()
    sureness = uncertainty_order(p, False)
    sureness[excluded] = np.inf
    least = set(np.argsort(sureness)[:50].tolist())
    assert least <= set(rows.tolist())


def test_a_small_open_pool_is_rescored_whole():
    s, _ = _scores(n=50)
    excluded = np.zeros(50, dtype=bool)
    excluded[::2] = True
    rows = s.candidates(excluded, top=20, random=20, multi_label=False, seed=0)
    assert rows.tolist() == list(range(1, 50, 2))


def test_a_sweep_scores_each_stale_row_once_even_when_the_model_changes_midway():
    s, _ = _scores(n=10)
    seen = []
    first = s.next_block(version=2, size=4)
    seen += first.tolist()
    s.write(first, np.zeros((4, 4), np.float32), version=2)
    rest = s.next_block(version=3, size=100)  # a newer model: the sweep goes on from row 4
    assert rest.tolist() == list(range(4, 10))
    s.write(rest, np.zeros((6, 4), np.float32), version=3)
    assert s.next_block(version=3) is None  # the sweep ends; the next starts at row 0
    assert s.floor() == 2
    assert s.next_block(version=3).tolist() == [0, 1, 2, 3]  # those the older model scored


def test_multi_label_uncertainty_is_the_least_decided_label():
    p = np.array([[0.9, 0.52], [0.99, 0.01], [np.nan, np.nan]])
    assert np.allclose(uncertainty_order(p, True)[:2], [0.02, 0.49])
    assert uncertainty_order(p, True)[2] == np.inf


def test_the_pca_keeps_the_directions_that_vary():
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(3000, 2)) * [10.0, 5.0]
    X = np.concatenate([signal, rng.normal(size=(3000, 298)) * 0.1], axis=1).astype(np.float32)
    p = fit_projection(X, dim=128)
    # the first two components are the two wide axes, in order
    assert abs(p.components[0, 0]) > 0.99
    assert abs(p.components[1, 1]) > 0.99
    out = compact_inputs({"x": X}).X["x"].astype(np.float32)
    assert np.corrcoef(out[:, 0], X[:, 0])[0, 1] ** 2 > 0.99


def test_compact_inputs_never_write_to_the_callers_matrix():
    X = np.array([[1.0, 2.0], [np.nan, 3.0], [1e9, 0.0]], dtype=np.float32)
    before = X.copy()
    out = compact_inputs({"x": X}).X["x"]
    np.testing.assert_array_equal(X, before)
    assert out.dtype == np.float16
    assert np.isnan(out[1, 0])
    assert np.isfinite(out[2]).all()  # clipped to fp16's range, not inf
