import numpy as np
import pytest

from mmwidgets.fusion import FUSIONS, FusionClassifier, NotFittedError, fit_temperature


def _blobs(n=240, seed=0, informative="text"):
    """Three classes; only ``informative`` carries the signal, the others are noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    dims = {"text": 16, "image": 24, "audio": 8}
    X = {m: rng.normal(size=(n, d)).astype(np.float32) for m, d in dims.items()}
    centers = rng.normal(size=(3, dims[informative])) * 3
    X[informative] += centers[y].astype(np.float32)
    labels = np.array(["cat", "dog", "fish"], dtype=object)[y]
    return X, labels


def _split(X, y, k=180):
    return {m: v[:k] for m, v in X.items()}, y[:k], {m: v[k:] for m, v in X.items()}, y[k:]


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_learns_and_has_the_right_shapes(fusion):
    Xtr, ytr, Xte, yte = _split(*_blobs())
    clf = FusionClassifier(fusion=fusion, epochs=40).fit(Xtr, ytr)
    proba = clf.predict_proba(Xte)
    assert proba.shape == (len(yte), 3)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert clf.classes_.tolist() == ["cat", "dog", "fish"]
    accuracy = (clf.predict(Xte) == yte).mean()
    # late fusion averages each modality's own opinion, and here two of three are pure noise:
    # by design it is the weakest mode on this data, well above chance (1/3) all the same
    assert accuracy > (0.65 if fusion == "late" else 0.85), (fusion, accuracy)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_items_missing_a_modality_still_get_predictions(fusion):
    X, y = _blobs()
    X["audio"][::3] = np.nan  # a third of the items have no audio
    X["image"][1::3] = np.nan
    Xtr, ytr, Xte, yte = _split(X, y)
    clf = FusionClassifier(fusion=fusion, epochs=40).fit(Xtr, ytr)
    proba = clf.predict_proba(Xte)
    assert np.isfinite(proba).all()
    assert (clf.predict(Xte) == yte).mean() > (0.6 if fusion == "late" else 0.8)


def test_text_only_items_are_predicted_from_text():
    Xtr, ytr, Xte, yte = _split(*_blobs())
    clf = FusionClassifier(fusion="gated", epochs=40).fit(Xtr, ytr)
    only_text = {m: (v if m == "text" else np.full_like(v, np.nan)) for m, v in Xte.items()}
    assert (clf.predict(only_text) == yte).mean() > 0.8


@pytest.mark.parametrize("fusion", FUSIONS)
def test_same_seed_same_model(fusion):
    Xtr, ytr, Xte, _ = _split(*_blobs())
    a = FusionClassifier(fusion=fusion, epochs=5, random_state=3).fit(Xtr, ytr)
    b = FusionClassifier(fusion=fusion, epochs=5, random_state=3).fit(Xtr, ytr)
    c = FusionClassifier(fusion=fusion, epochs=5, random_state=4).fit(Xtr, ytr)
    assert np.array_equal(a.predict_proba(Xte), b.predict_proba(Xte))
    assert not np.array_equal(a.predict_proba(Xte), c.predict_proba(Xte))


def test_weighted_fusion_learns_to_trust_the_informative_modality():
    X, y = _blobs(n=400, informative="image")
    clf = FusionClassifier(fusion="weighted", epochs=80, modality_dropout=0.0).fit(X, y)
    weights = clf.modality_weights_
    assert set(weights) == {"text", "image", "audio"}
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-5)
    assert max(weights, key=weights.get) == "image"


def test_modality_weights_only_for_weighted():
    X, y = _blobs()
    clf = FusionClassifier(fusion="concat", epochs=2).fit(X, y)
    with pytest.raises(AttributeError, match="weighted"):
        _ = clf.modality_weights_


@pytest.mark.parametrize("fusion", ["weighted", "gated", "concat"])
def test_attribution_points_at_the_modality_that_drove_the_prediction(fusion):
    X, y = _blobs(n=300, informative="audio")
    clf = FusionClassifier(fusion=fusion, epochs=60).fit(X, y)
    attr = clf.attribution(X)
    assert attr.shape == (300, 3)
    assert np.allclose(attr.sum(axis=1), 1.0, atol=1e-5)
    assert clf.modalities_[int(attr.mean(axis=0).argmax())] == "audio"


def test_attribution_is_zero_for_missing_modalities():
    X, y = _blobs(informative="image")
    X["image"][:50] = np.nan
    clf = FusionClassifier(epochs=10).fit(X, y)
    attr = clf.attribution(X)
    image = clf.modalities_.index("image")
    assert np.all(attr[:50, image] == 0.0)
    assert np.any(attr[50:, image] > 0.0)


def test_multi_label():
    rng = np.random.default_rng(1)
    n = 300
    X = {"text": rng.normal(size=(n, 12)).astype(np.float32)}
    y = [tuple(c for c, on in (("red", x[0] > 0), ("round", x[1] > 0)) if on) for x in X["text"]]
    clf = FusionClassifier(multi_label=True, classes=["red", "round"], epochs=60).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (n, 2)
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent sigmoids
    predicted = clf.predict(X)
    assert np.mean([set(p) == set(t) for p, t in zip(predicted, y, strict=True)]) > 0.85


def test_unseen_classes_from_the_label_set_are_kept():
    X, y = _blobs()
    clf = FusionClassifier(classes=["cat", "dog", "fish", "bird"], epochs=5).fit(X, y)
    assert clf.predict_proba(X).shape[1] == 4


def test_partial_fit_warm_starts():
    Xtr, ytr, Xte, yte = _split(*_blobs())
    clf = FusionClassifier(epochs=3, partial_epochs=20).fit(Xtr, ytr)
    before = (clf.predict(Xte) == yte).mean()
    clf.partial_fit(Xtr, ytr)
    assert clf.n_updates_ == 2
    assert (clf.predict(Xte) == yte).mean() >= before
    assert clf.loss_curve_[0] < 1.0  # continued from trained weights, not from scratch


def test_class_imbalance_is_weighted():
    rng = np.random.default_rng(2)
    n = 300
    y = np.where(rng.random(n) < 0.1, "rare", "common")
    X = {"text": (rng.normal(size=(n, 6)) + (y == "rare")[:, None] * 1.5).astype(np.float32)}
    balanced = FusionClassifier(epochs=40).fit(X, y)
    plain = FusionClassifier(epochs=40, class_weight=None).fit(X, y)
    rare = y == "rare"
    assert (balanced.predict(X)[rare] == "rare").mean() > (plain.predict(X)[rare] == "rare").mean()


def test_errors_are_clear():
    X, y = _blobs()
    with pytest.raises(NotFittedError):
        FusionClassifier().predict(X)
    with pytest.raises(ValueError, match="unknown fusion"):
        FusionClassifier(fusion="sum").fit(X, y)
    with pytest.raises(ValueError, match="disagree"):
        FusionClassifier().fit({"text": X["text"], "image": X["image"][:10]}, y)
    with pytest.raises(ValueError, match="not among"):
        FusionClassifier(classes=["cat", "dog"]).fit(X, y)
    with pytest.raises(TypeError, match="mapping"):
        FusionClassifier().fit(X["text"], y)
    clf = FusionClassifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="lacks modalities"):
        clf.predict({"text": X["text"]})


def test_temperature_calibration():
    z = np.array([[9.0, 0.0]] * 6 + [[0.0, 9.0]] * 6)
    targets = np.array([0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1])  # ~70% right at p≈1: soften
    assert fit_temperature(z, targets) > 2.0
    sharp = fit_temperature(z / 20, np.array([0] * 6 + [1] * 6))  # always right, timid: sharpen
    assert sharp < 1.0
    X, y = _blobs()
    clf = FusionClassifier(epochs=20).fit(X, y).calibrate(X, y)
    assert clf.temperature_ > 0


def test_training_can_be_cancelled_from_another_thread():
    import threading

    from mmwidgets.fusion import TrainingCancelledError

    X, y = _blobs()
    stop = threading.Event()
    outcome = []

    def run():
        try:
            FusionClassifier(epochs=100_000).fit(X, y, should_stop=stop.is_set)
            outcome.append("finished")
        except TrainingCancelledError:
            outcome.append("cancelled")

    worker = threading.Thread(target=run)
    worker.start()
    stop.set()
    worker.join(timeout=120)
    assert outcome == ["cancelled"]


def test_a_presence_array_follows_the_order_of_x_not_the_sorted_names():
    # regression: the model keeps its modalities sorted ("image" < "text") while a session's X
    # and presence array are in column order ("text" first); the array must be read in X's order
    rng = np.random.default_rng(3)
    n = 60
    y = np.repeat(["a", "b"], n // 2)
    text = (rng.normal(size=(n, 6)) + (y == "a")[:, None] * 3).astype(np.float32)
    image = rng.normal(size=(n, 5)).astype(np.float32)
    present_text = rng.random(n) > 0.5
    X = {"text": np.where(present_text[:, None], text, np.nan), "image": image}
    array = np.stack([present_text, np.ones(n, bool)], axis=1)  # columns: text, image
    clf = FusionClassifier("weighted", epochs=10, random_state=0).fit(X, list(y), array)
    by_array = clf.predict_proba(X, array)
    by_mapping = clf.predict_proba(X, {"text": present_text, "image": np.ones(n, bool)})
    by_nan = clf.predict_proba(X)
    np.testing.assert_allclose(by_array, by_mapping, rtol=1e-6)
    np.testing.assert_allclose(by_array, by_nan, rtol=1e-6)
    order = r"one column per entry of X in X's order \['text', 'image'\]"
    with pytest.raises(ValueError, match=order):
        clf.predict_proba(X, array[:, :1])
