"""Input scaling, the stack mode, model selection on out-of-fold evidence, and calibration."""

import numpy as np
import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets.fusion import (
    FusionClassifier,
    apply_temperature,
    cross_fitted_ece,
    encode_targets,
    expected_calibration_error,
)
from mmwidgets.fusion._scaling import fit_scaling
from mmwidgets.fusion.selection import Candidate, candidates, choose, resolve_model


def _planted(n=300, seed=0, classes=3, noise_dims=12):
    """``signal`` separates the classes; ``noise`` is pure noise, at a thousand times the scale."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centres = rng.normal(size=(classes, 8)) * 2.0
    X = {
        "signal": (rng.normal(size=(n, 8)) + centres[y]).astype(np.float32),
        "noise": (1000.0 * rng.normal(size=(n, noise_dims))).astype(np.float32),
    }
    return X, np.array(["a", "b", "c", "d"][:classes], dtype=object)[y]


# ---------------------------------------------------------------- scaling
def test_scaling_is_fitted_on_present_rows_and_keeps_missing_rows_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)).astype(np.float32) * 7.0
    present = np.ones((50, 1), bool)
    present[::2] = False
    x[~present[:, 0]] = 0.0  # missing rows arrive as zeros
    s = fit_scaling([x], present, "modality")
    rms = np.sqrt((x[present[:, 0]].astype(np.float64) ** 2).sum(axis=1).mean())
    assert float(s.scale[0][0]) == pytest.approx(rms, rel=1e-5)  # zeros did not shrink it
    out = s.apply([x.copy()], present)[0]
    assert np.all(out[~present[:, 0]] == 0.0)
    assert np.sqrt((out[present[:, 0]] ** 2).sum(axis=1).mean()) == pytest.approx(1.0, rel=1e-4)
    feature = fit_scaling([x], present, "feature")
    z = feature.apply([x.copy()], present)[0]
    assert np.all(z[~present[:, 0]] == 0.0)
    assert np.abs(z[present[:, 0]].mean(axis=0)).max() < 1e-5


@pytest.mark.parametrize("standardize", ["modality", "feature"])
def test_standardized_models_predict_items_missing_a_modality(standardize):
    X, y = _planted()
    X["noise"][::3] = np.nan  # a third lack the loud column
    X["signal"][1::5] = np.nan
    clf = FusionClassifier("stack", standardize=standardize).fit(X, y)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    has_signal = ~np.isnan(X["signal"]).all(axis=1)
    assert (clf.predict(X)[has_signal] == y[has_signal]).mean() > 0.9
    # a missing row's values are never read: garbage there changes nothing
    junk = {m: v.copy() for m, v in X.items()}
    presence = {m: ~np.isnan(v).all(axis=1) for m, v in X.items()}
    junk["noise"][::3] = 1e6
    np.testing.assert_allclose(clf.predict_proba(junk, presence), proba, rtol=1e-5, atol=1e-6)


def test_scaling_lets_a_regularised_model_use_a_column_of_tiny_numbers():
    X, y = _planted(n=240, seed=1)
    X["signal"] = X["signal"] / 1e4  # the useful column's numbers are tiny
    Xtr, ytr = {m: v[:160] for m, v in X.items()}, y[:160]
    Xte, yte = {m: v[160:] for m, v in X.items()}, y[160:]
    rows = np.arange(len(yte))

    def p_true(clf):
        index = {c: i for i, c in enumerate(clf.classes_)}
        return clf.predict_proba(Xte)[rows, [index[v] for v in yte]].mean()

    scaled = FusionClassifier("stack").fit(Xtr, ytr)
    raw = FusionClassifier("stack", standardize=None).fit(Xtr, ytr)
    # unscaled, the penalty on the weights flattens the tiny column's evidence to the prior
    assert p_true(scaled) > 0.8 > 0.5 > p_true(raw)
    assert scaled.score(Xte, yte) > 0.9


def test_unknown_standardize_is_refused_in_fit():
    X, y = _planted(n=30)
    with pytest.raises(ValueError, match="standardize must be one of"):
        FusionClassifier("stack", standardize="minmax").fit(X, y)


# ---------------------------------------------------------------- the stack
def test_stack_weighs_the_informative_modality_and_ignores_a_missing_one():
    X, y = _planted(n=300, seed=2)
    clf = FusionClassifier("stack").fit(X, y)
    weights = clf.modality_weights_
    assert weights["signal"] > 0.8 > weights["noise"]
    # an item whose only column is the noise gets (nearly) the prior, not a confident guess
    only_noise = {"signal": np.full_like(X["signal"], np.nan), "noise": X["noise"]}
    assert clf.predict_proba(only_noise).max(axis=1).mean() < 0.6
    assert clf.loss_curve_
    assert clf.n_updates_ == 1


def test_stack_partial_fit_refits_the_regressions_and_keeps_the_weights():
    X, y = _planted(n=200, seed=3)
    clf = FusionClassifier("stack").fit({m: v[:120] for m, v in X.items()}, y[:120])
    before = clf.net_.weights.clone()
    clf.partial_fit(X, y)
    assert clf.n_updates_ == 2
    assert np.array_equal(clf.net_.weights.numpy(), before.numpy())
    assert clf.score(X, y) > 0.9


def test_stack_is_single_label():
    X, _ = _planted(n=40)
    y = [("a",) if v > 0 else ("b",) for v in X["signal"][:, 0]]
    with pytest.raises(ValueError, match="single-label"):
        FusionClassifier("stack", multi_label=True, classes=["a", "b"]).fit(X, y)


# ---------------------------------------------------------------- selection
def test_auto_picks_a_model_that_uses_the_signal_not_the_noise_column():
    X, y = _planted(n=240, seed=4)
    Xtr, ytr = {m: v[:160] for m, v in X.items()}, y[:160]
    Xte, yte = {m: v[160:] for m, v in X.items()}, y[160:]
    clf = FusionClassifier("auto", epochs=30).fit(Xtr, ytr)
    choice = clf.selection_
    scores = {name: s["accuracy"] for name, s in choice.scores.items()}
    assert set(scores) == {c.name for c in candidates(["noise", "signal"])}
    assert scores["noise only"] < 0.5 < 0.85 < scores["signal only"]  # chance is 1/3
    assert choice.name != "noise only"
    assert scores[choice.name] >= max(scores.values()) - 1.0 / len(ytr) - 1e-9
    assert clf.fusion_ == choice.fusion
    assert clf.temperature_ == choice.temperature
    assert clf.score(Xte, yte) > 0.85
    assert choice.reason.startswith(f"model: {choice.name} (OOF accuracy ")


def test_choose_breaks_a_tie_toward_the_simpler_model_and_otherwise_takes_the_best():
    t = np.array([0, 1] * 20)
    right = np.eye(2)[t] * 0.8 + 0.1
    one_wrong = right.copy()
    one_wrong[0] = one_wrong[0][::-1]
    two_wrong = one_wrong.copy()
    two_wrong[1] = two_wrong[1][::-1]
    pool = [Candidate("concat", "concat"), Candidate("text only", "stack", ("text",), 0)]
    # one item apart: a tie, the single column wins
    assert choose(pool, {"concat": right, "text only": one_wrong}, t).name == "text only"
    # two items apart: the better model wins, however complex
    assert choose(pool, {"concat": right, "text only": two_wrong}, t).name == "concat"
    with pytest.raises(ValueError, match="select_by"):
        choose(pool, {"concat": right}, t, select_by="f1")


def test_resolve_model_turns_auto_into_the_choice_and_leaves_other_models_alone():
    X, y = _planted(n=90)
    choice = FusionClassifier("auto", epochs=5).fit(X, y).selection_
    resolved = resolve_model(FusionClassifier("auto", epochs=5), choice)
    assert (resolved.fusion, resolved.modalities) == (choice.fusion, choice.modalities)
    assert choice.matches(resolved)
    assert resolve_model(FusionClassifier("late"), choice).fusion == "late"


# ---------------------------------------------------------------- calibration
def test_ece_matches_a_direct_count():
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(4), size=500)
    t = rng.integers(0, 4, 500)
    conf, hit = p.max(axis=1), p.argmax(axis=1) == t
    expected = 0.0
    for b in range(15):
        lo, hi = b / 15, (b + 1) / 15
        inside = (conf >= lo) & ((conf < hi) if b < 14 else (conf <= hi))
        if inside.any():
            expected += inside.mean() * abs(hit[inside].mean() - conf[inside].mean())
    assert expected_calibration_error(p, t) == pytest.approx(expected, abs=1e-9)


def test_cross_fitted_calibration_repairs_overconfident_predictions():
    rng = np.random.default_rng(6)
    t = rng.integers(0, 3, 600)
    correct = rng.random(600) < 0.6
    guess = np.where(correct, t, (t + 1) % 3)
    logits = np.eye(3)[guess] * 6.0  # 60 % right at ~0.99 confidence
    proba = apply_temperature(logits)
    assert expected_calibration_error(proba, t) > 0.3
    assert cross_fitted_ece(proba, t, np.arange(600) % 5) < 0.05


def _overconfident_session(tmp_path, n=360, seed=7):
    """A headless Session on planted embeddings whose labels are 70 % predictable."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = rng.normal(size=(3, 16)) * 2.5
    seen = np.where(rng.random(n) < 0.7, truth, rng.integers(0, 3, n))  # 30 % label noise
    emb = (rng.normal(size=(n, 16)) + centres[seen]).astype(np.float32)
    names = np.array(["a", "b", "c"], dtype=object)
    df = pd.DataFrame({"id": [f"i{i}" for i in range(n)], "text": [f"item {i}" for i in range(n)]})
    # a wide network trained long on noisy labels: confidently wrong a third of the time
    model = FusionClassifier("concat", hidden=256, epochs=150, dropout=0.0)
    session = mm.Session(
        df, labels=list(names), id="id", text="text", store=tmp_path / "labels.sqlite",
        embeddings={"text": emb}, model=model, background=False, progress=False,
        metrics_every=1000, full_refit_every=1,
    )  # fmt: skip
    return session, names[truth]


def test_the_temperature_fitted_out_of_fold_is_applied_after_each_full_refit(tmp_path):
    session, truth = _overconfident_session(tmp_path)
    try:
        labeled = {f"i{i}": truth[i] for i in range(200)}
        session.label_many(labeled)
        metrics = session.metrics()  # the out-of-fold evidence, and its temperature
        assert metrics.temperature > 1.5  # over-confident: softened
        assert metrics.ece < metrics.ece_uncalibrated
        session.label("i200", truth[200])  # a warm start, then a full refit is due ...
        session.label("i201", truth[201])  # ... and takes the temperature
        model = session.model
        assert model.temperature_ == pytest.approx(metrics.temperature)
        rest = np.arange(202, len(truth))
        X = session.embeddings().X
        raw = apply_temperature(model.logits({m: v[rest] for m, v in X.items()}))
        shown = session.predictions().iloc[rest].to_numpy()
        codes = encode_targets(list(truth[rest]), np.array(session.labels, object), False)
        assert expected_calibration_error(shown, codes) < expected_calibration_error(raw, codes)
        assert np.array_equal(shown.argmax(axis=1), raw.argmax(axis=1))  # ranks unchanged
        queued = session.queue(1)[0]  # the Labeler's suggestion shows the calibrated figure
        shown_there = float(session.predictions().loc[queued.id].max())
        assert queued.confidence == pytest.approx(shown_there, rel=1e-5)
    finally:
        session.close()


def test_dashboard_shows_the_model_choice_and_the_calibration(tmp_path):
    session, truth = _overconfident_session(tmp_path, n=160)
    try:
        session.label_many({f"i{i}": truth[i] for i in range(60)})
        dash = mm.Dashboard(session)
        try:
            dash.refresh()
            data = dash.data
            metrics = session.metrics()
            assert data["model_choice"] == metrics.model_choice
            assert data["model_choice"]["reason"].startswith("model: concat (OOF accuracy ")
            assert data["calibration"] == {
                "temperature": pytest.approx(metrics.temperature),
                "ece": pytest.approx(metrics.ece),
                "ece_uncalibrated": pytest.approx(metrics.ece_uncalibrated),
            }
            assert "weights" not in data
        finally:
            dash.close()
    finally:
        session.close()


def test_a_session_serves_the_model_its_evaluation_chose(tmp_path):
    X, y = _planted(n=200, seed=8)
    ids = [f"i{i}" for i in range(200)]
    df = pd.DataFrame({"id": ids, "t1": ids, "t2": ids})  # two text columns, embedded by us
    session = mm.Session(
        df, labels=["a", "b", "c"], id="id", text=["t1", "t2"], store=tmp_path / "l.sqlite",
        embeddings={"t1": X["signal"], "t2": X["noise"]}, background=False, progress=False,
        full_refit_every=1,
    )  # fmt: skip
    try:
        assert session.fusion == "auto"
        session.label_many(dict(zip(ids[:60], y[:60], strict=True)))
        choice = session.metrics().model_choice
        assert choice["name"] != "t2 only"  # the noise column alone is never the pick
        assert (
            choice["scores"]["t2 only"]["accuracy"] < 0.5 < choice["scores"]["t1 only"]["accuracy"]
        )
        session.label(ids[60], y[60])  # a warm start of the first model, then ...
        session.label(ids[61], y[61])  # ... a full refit: the chosen model
        model = session.model
        assert model.fusion == choice["fusion"]
        assert model.modalities == (
            None if choice["modalities"] is None else tuple(choice["modalities"])
        )
        assert model.temperature_ == pytest.approx(choice["temperature"])
        assert choice["temperature"] >= 0.25  # separable: sharpened, but within bounds
    finally:
        session.close()
