"""FusionClassifier as a scikit-learn estimator, and the fusion-mode registry."""

import subprocess
import sys

import numpy as np
import pytest
import sklearn.exceptions
from sklearn.base import clone, is_classifier

from mmwidgets.exceptions import UnknownFusionError
from mmwidgets.fusion import (
    FUSIONS,
    FusionClassifier,
    NotFittedError,
    _registry,
    get_fusion,
    list_fusions,
    register_fusion,
)


@pytest.fixture(autouse=True)
def _restore_registry():
    # modes registered by a test must not leak into the next one
    saved = dict(_registry._REGISTRY)
    yield
    _registry._REGISTRY.clear()
    _registry._REGISTRY.update(saved)


def _easy(n=200, seed=0):
    """Two classes, separable from the text column; the image column is noise."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.5, "cat", "dog")
    # distinct class centres, not one uniform shift: the LayerNorm would erase that
    centres = rng.normal(size=(2, 6)) * 3
    text = rng.normal(size=(n, 6)) + centres[(y == "cat").astype(int)]
    X = {"text": text.astype(np.float32), "image": rng.normal(size=(n, 5)).astype(np.float32)}
    return X, y


# ------------------------------------------------------------ scikit-learn estimator
def test_get_params_lists_every_init_parameter_and_set_params_updates_them():
    clf = FusionClassifier("gated", classes=["a", "b"], hidden=32)
    params = clf.get_params()
    assert params["fusion"] == "gated"
    assert params["classes"] == ["a", "b"]
    assert params["hidden"] == 32
    assert params["epochs"] == 60  # a default
    assert set(params) == {
        "fusion", "classes", "multi_label", "modalities", "standardize", "hidden", "dropout",
        "epochs", "partial_epochs", "batch_size", "lr", "weight_decay", "modality_dropout",
        "class_weight", "select_by", "random_state",
    }  # fmt: skip
    assert clf.set_params(hidden=16, fusion="late") is clf
    assert (clf.hidden, clf.fusion) == (16, "late")
    with pytest.raises(ValueError, match="hidden_size"):
        clf.set_params(hidden_size=3)


def test_clone_gives_an_unfitted_copy_that_refits_to_the_same_model():
    X, y = _easy()
    fitted = FusionClassifier("weighted", epochs=5, random_state=7).fit(X, y)
    copy = clone(fitted)
    assert copy is not fitted
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "net_")
    with pytest.raises(NotFittedError):
        copy.predict_proba(X)
    copy.fit(X, y)
    assert np.array_equal(copy.predict_proba(X), fitted.predict_proba(X))


def test_not_fitted_error_is_scikit_learns():
    X, _ = _easy()
    assert NotFittedError is sklearn.exceptions.NotFittedError
    for use in (
        lambda c: c.predict(X),
        lambda c: c.logits(X),
        lambda c: c.attribution(X),
        lambda c: c.modality_weights_,
    ):
        with pytest.raises(sklearn.exceptions.NotFittedError, match="not fitted"):
            use(FusionClassifier())


def test_score_is_the_accuracy_and_it_is_a_classifier():
    X, y = _easy()
    clf = FusionClassifier(epochs=20).fit(X, y)
    assert is_classifier(clf)
    expected = float((clf.predict(X) == y).mean())
    assert clf.score(X, y) == pytest.approx(expected)
    assert expected > 0.8


def test_init_only_stores_parameters_validation_happens_in_fit():
    X, y = _easy()
    clf = FusionClassifier("no_such_mode", class_weight="sometimes")  # no error yet
    assert clf.fusion == "no_such_mode"
    with pytest.raises(UnknownFusionError):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="class_weight"):
        clf.set_params(fusion="concat").fit(X, y)


# ------------------------------------------------------------ the registry
def test_list_fusions_starts_with_the_built_ins_in_order():
    assert FUSIONS == ("concat", "mapping", "weighted", "gated", "late", "stack")
    assert list_fusions()[: len(FUSIONS)] == list(FUSIONS)
    for name in FUSIONS:
        assert callable(get_fusion(name))


def test_an_unknown_fusion_name_lists_the_valid_names():
    with pytest.raises(UnknownFusionError, match="unknown fusion 'sum'") as info:
        get_fusion("sum")
    assert isinstance(info.value, ValueError)
    for name in FUSIONS:
        assert repr(name) in str(info.value)


def test_importing_the_fusion_package_does_not_import_torch():
    code = (
        "import sys, mmwidgets.fusion as f; f.list_fusions(); f.FusionClassifier('gated'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_built_in_names_cannot_be_replaced_and_only_callables_register():
    with pytest.raises(ValueError, match="built-in"):
        register_fusion("weighted")
    with pytest.raises(TypeError, match="class or function"):
        register_fusion("nothing")(42)
    assert "nothing" not in list_fusions()


def test_a_mode_that_builds_no_module_is_refused_at_fit():
    X, y = _easy()
    register_fusion("not_a_module")(lambda dims, n_classes, **kw: object())
    with pytest.raises(TypeError, match=r"not a torch\.nn\.Module"):
        FusionClassifier("not_a_module", epochs=1).fit(X, y)


def test_modality_weights_come_from_the_modes_public_method():
    X, y = _easy(n=300)
    clf = FusionClassifier("weighted", epochs=40, modality_dropout=0.0).fit(X, y)
    weights = clf.modality_weights_
    assert weights == pytest.approx(
        dict(zip(clf.modalities_, clf.net_.modality_weights().tolist(), strict=True))
    )
    assert weights["text"] > weights["image"]  # the informative one


def test_a_toy_fusion_mode_registered_by_the_user_trains_and_predicts():
    X, y = _easy()
    Xtr, ytr = {m: v[:150] for m, v in X.items()}, y[:150]
    Xte, yte = {m: v[150:] for m, v in X.items()}, y[150:]
    X, y = Xtr, ytr
    # --- the README snippet, verbatim ---
    import torch
    from torch import nn

    from mmwidgets.fusion import FusionClassifier, register_fusion

    @register_fusion("toy")
    class MeanOfProjections(nn.Module):
        """Project each modality to `hidden` units, average the present ones, classify."""

        def __init__(self, dims, n_classes, *, hidden, dropout, multi_label):
            super().__init__()
            self.proj = nn.ModuleList(nn.Linear(d, hidden) for d in dims)
            self.head = nn.Linear(hidden, n_classes)

        def forward(self, xs, present):  # xs: list of (n, d_m); present: (n, M) bool
            hs = torch.stack([p(x) for p, x in zip(self.proj, xs, strict=True)], dim=1)
            w = present.float().unsqueeze(-1)  # a missing modality counts zero
            return self.head((hs * w).sum(dim=1) / w.sum(dim=1).clamp_min(1.0))

    clf = FusionClassifier("toy", epochs=30).fit(X, y)  # X = {modality: (n, d) array}
    # --- end of snippet ---
    assert "toy" in list_fusions()
    assert get_fusion("toy") is MeanOfProjections
    assert isinstance(clf.net_, MeanOfProjections)
    assert clf.predict_proba(Xte).shape == (len(yte), 2)
    assert clf.score(Xte, yte) > 0.8  # chance is 0.5
    with pytest.raises(AttributeError, match="weighted"):
        _ = clf.modality_weights_  # the toy learns no global modality weights
