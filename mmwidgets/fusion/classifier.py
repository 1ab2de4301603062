"""FusionClassifier: a scikit-learn multimodal classifier over per-modality embeddings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from mmwidgets.exceptions import TrainingCancelledError
from mmwidgets.fusion._inputs import (
    Embeddings,
    check_embeddings,
    encode_targets,
    presence_from,
    rows_as_float32,
    rows_as_tensors,
)
from mmwidgets.fusion._registry import BUILTIN_FUSIONS, get_fusion
from mmwidgets.fusion._train import class_weights, train

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+, needed only by the type checker

    from torch import nn

    from mmwidgets.fusion._registry import FusionFactory

__all__ = ["FUSIONS", "FusionClassifier", "NotFittedError", "TrainingCancelledError"]

StopCheck = Callable[[], bool] | None

#: the built-in fusion modes (``list_fusions()`` also lists registered ones)
FUSIONS = BUILTIN_FUSIONS


# scikit-learn ships no type information, so its base classes are Any to mypy
class FusionClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Classify items from several modalities' embeddings, tolerating missing modalities.

    ``X`` is always a mapping ``{modality: (n_items, dim) array}``; a row that is all NaN (or
    marked absent in ``presence``) means that item lacks that modality. ``presence`` is a
    mapping ``{modality: (n_items,) bool}`` or an ``(n_items, len(X))`` bool array whose columns
    follow ``X``'s key order.

    A scikit-learn estimator: ``get_params``/``set_params``/``sklearn.base.clone`` work,
    ``score`` is the accuracy (single-label), and using it before ``fit`` raises
    ``sklearn.exceptions.NotFittedError``. Parameters are checked in ``fit``.

    Parameters
    ----------
    fusion : str
        The name of a registered fusion mode (:func:`~mmwidgets.fusion.list_fusions`). Built in:
        ``"concat"``, concatenation of per-modality projections; ``"mapping"``, one affine map
        ``W x + b`` per modality into a shared space, averaged; ``"weighted"``, learned softmax
        modality weights ``Σ w_m proj_m(x_m)`` (readable as ``modality_weights_``);
        ``"gated"``, a gated multimodal unit with per-item gates; ``"late"``, one head per
        modality with averaged probabilities. Add your own with
        :func:`~mmwidgets.fusion.register_fusion`.
    classes : sequence, optional
        The full label set; defaults to the labels seen in ``fit``.
    multi_label : bool
        Independent sigmoid per class instead of a softmax.
    hidden, dropout, epochs, batch_size, lr, weight_decay : training hyper-parameters.
    partial_epochs : int
        Epochs of a warm-start ``partial_fit``.
    modality_dropout : float
        Probability of hiding each present modality per training example.
    class_weight : {"balanced", None}
        Re-weight classes inversely to their frequency.
    random_state : int
        Seed for initialisation and shuffling; equal seeds give equal models.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.fusion import FusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = {"text": rng.normal(size=(40, 8)).astype("float32"),
    ...      "image": rng.normal(size=(40, 4)).astype("float32")}
    >>> y = np.where(X["text"][:, 0] > 0, "cat", "dog")
    >>> clf = FusionClassifier(fusion="weighted", epochs=30).fit(X, y)
    >>> clf.predict_proba(X).shape
    (40, 2)
    """

    def __init__(
        self,
        fusion: str = "weighted",
        *,
        classes: Sequence[Any] | None = None,
        multi_label: bool = False,
        hidden: int = 128,
        dropout: float = 0.1,
        epochs: int = 60,
        partial_epochs: int = 15,
        batch_size: int = 64,
        lr: float = 2e-3,
        weight_decay: float = 1e-3,
        modality_dropout: float = 0.2,
        class_weight: str | None = "balanced",
        random_state: int = 0,
    ) -> None:
        self.fusion = fusion
        self.classes = classes
        self.multi_label = multi_label
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.partial_epochs = partial_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.modality_dropout = modality_dropout
        self.class_weight = class_weight
        self.random_state = random_state

    # ---------------------------------------------------------------- fitting
    def fit(
        self, X: Embeddings, y: Any, presence: Any = None, *, should_stop: StopCheck = None
    ) -> Self:
        """Train from scratch on ``X`` and labels ``y`` (labels, or label lists if multi-label).

        ``should_stop``, when given, is polled once per epoch; when it returns True training
        raises :class:`TrainingCancelledError` (a closing session uses this to stop promptly).
        An unknown ``fusion`` name raises :class:`~mmwidgets.exceptions.UnknownFusionError`.

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> FusionClassifier(epochs=5).fit(X, ["a", "b", "a", "b"]).classes_.tolist()
        ['a', 'b']
        """
        factory = get_fusion(self.fusion)
        if self.class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        names, n = check_embeddings(X)
        if n == 0:
            raise ValueError("cannot fit on zero items")
        self.modalities_ = names
        self.dims_ = [int(np.shape(X[m])[1]) for m in names]
        self.classes_ = self._resolve_classes(y)
        self.temperature_ = 1.0
        self.net_ = self._build(factory)
        self._train(X, y, presence, self.epochs, self.random_state, should_stop)
        return self

    def partial_fit(
        self, X: Embeddings, y: Any, presence: Any = None, *, should_stop: StopCheck = None
    ) -> Self:
        """Continue training from the current weights (a warm start) for ``partial_epochs``.

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> clf = FusionClassifier(epochs=5, classes=["a", "b"])
        >>> clf.partial_fit(X, ["a", "b", "a", "b"]).n_updates_
        1
        """
        if not hasattr(self, "net_"):
            return self.fit(X, y, presence, should_stop=should_stop)
        seed = self.random_state + self.n_updates_
        self._train(X, y, presence, self.partial_epochs, seed, should_stop)
        return self

    def _resolve_classes(self, y: Any) -> np.ndarray:
        if self.classes is not None:
            return np.asarray(list(self.classes), dtype=object)
        if self.multi_label:
            seen = {v for labels in y for v in ([labels] if isinstance(labels, str) else labels)}
            return np.asarray(sorted(seen, key=str), dtype=object)
        return np.asarray(sorted(set(y), key=str), dtype=object)

    def _build(self, factory: FusionFactory) -> nn.Module:
        import torch

        # the initial weights come from torch's global generator: fork it so equal seeds give
        # equal models without disturbing anyone else's random stream
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            net = factory(
                self.dims_,
                len(self.classes_),
                hidden=self.hidden,
                dropout=self.dropout,
                multi_label=self.multi_label,
            )
        if not isinstance(net, torch.nn.Module):
            raise TypeError(
                f"fusion {self.fusion!r} built a {type(net).__name__}, not a torch.nn.Module"
            )
        net.eval()
        return net

    def _train(
        self, X: Embeddings, y: Any, presence: Any, epochs: int, seed: int, should_stop: StopCheck
    ) -> None:
        names, n = check_embeddings(X, self.modalities_)
        targets = encode_targets(y, self.classes_, self.multi_label)
        if len(targets) != n:
            raise ValueError(f"X has {n} items but y has {len(targets)} labels")
        present = presence_from(X, names, presence)
        weights = (
            class_weights(targets, len(self.classes_), self.multi_label)
            if self.class_weight == "balanced"
            else None
        )
        self.loss_curve_ = train(
            self.net_,
            rows_as_float32(X, names, 0, n),
            present,
            targets,
            epochs=epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            modality_dropout=self.modality_dropout,
            weights=weights,
            multi_label=self.multi_label,
            seed=seed,
            should_stop=should_stop,
        )
        self.n_updates_ = getattr(self, "n_updates_", 0) + 1
        self.n_train_items_ = n

    # ------------------------------------------------------------- prediction
    def _check_fitted(self) -> None:
        check_is_fitted(self, "net_")

    def logits(self, X: Embeddings, presence: Any = None, *, batch_size: int = 65536) -> np.ndarray:
        """Raw (uncalibrated) logits, scored in chunks so a 1M-item pool stays in memory.

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> FusionClassifier(epochs=5).fit(X, list("abab")).logits(X).shape
        (4, 2)
        """
        import torch

        self._check_fitted()
        names, n = check_embeddings(X, self.modalities_)
        out = np.empty((n, len(self.classes_)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                xs = rows_as_tensors(X, names, start, stop)
                mask = torch.from_numpy(presence_from(X, names, presence, start, stop))
                out[start:stop] = self.net_(xs, mask).numpy()
        return out

    def predict_proba(self, X: Embeddings, presence: Any = None) -> np.ndarray:
        """Class probabilities (n, C): softmax rows, or independent sigmoids if multi-label.

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> p = FusionClassifier(epochs=5).fit(X, list("abab")).predict_proba(X)
        >>> bool(np.allclose(p.sum(axis=1), 1.0))
        True
        """
        z = self.logits(X, presence) / self.temperature_
        if self.multi_label:
            proba: np.ndarray = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
            return proba
        e = np.exp(z - z.max(axis=1, keepdims=True))
        proba = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return proba

    def predict(self, X: Embeddings, presence: Any = None, threshold: float = 0.5) -> Any:
        """Labels: an array (single-label) or a list of label tuples (multi-label).

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> len(FusionClassifier(epochs=5).fit(X, list("abab")).predict(X))
        4
        """
        proba = self.predict_proba(X, presence)
        if self.multi_label:
            return [tuple(self.classes_[row >= threshold].tolist()) for row in proba]
        return self.classes_[proba.argmax(axis=1)]

    # ------------------------------------------------------------ introspection
    @property
    def modality_weights_(self) -> dict[str, float]:
        """The learned weight of each modality (sums to 1), for modes that learn global ones.

        ``fusion="weighted"`` does; so does any registered mode whose network offers a
        ``modality_weights()`` method returning an ``(M,)`` tensor. Other modes raise
        ``AttributeError``.
        """
        self._check_fitted()
        weights = getattr(self.net_, "modality_weights", None)
        if not callable(weights):
            raise AttributeError(
                f"modality_weights_ exists only for modes with global modality weights, such as "
                f"fusion='weighted'; this model uses fusion={self.fusion!r}"
            )
        import torch

        with torch.inference_mode():
            w = weights().detach().cpu().numpy()
        return {m: float(v) for m, v in zip(self.modalities_, w, strict=True)}

    def attribution(self, X: Embeddings, presence: Any = None) -> np.ndarray:
        """How much each modality drove each prediction: (n, M), rows sum to 1 over present.

        Measured by ablation, the same way for every fusion mode: the drop in the predicted
        class's probability when that modality is hidden (clipped at 0, normalised); items
        where no single modality matters get equal shares.

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32"), "image": np.ones((4, 2), "float32")}
        >>> FusionClassifier(epochs=5).fit(X, list("abab")).attribution(X).shape
        (4, 2)
        """
        self._check_fitted()
        names, n = check_embeddings(X, self.modalities_)
        present = presence_from(X, names, presence)

        def by_name(mask: np.ndarray) -> dict[str, np.ndarray]:
            return {m: mask[:, j] for j, m in enumerate(names)}

        full = self.predict_proba(X, by_name(present))
        pick = np.asarray(full.argmax(axis=1))
        rows = np.arange(n)
        drops = np.zeros((n, len(names)), dtype=np.float32)
        for m in range(len(names)):
            hidden = present.copy()
            hidden[:, m] = False
            only = np.logical_not(
                hidden.any(axis=1)
            )  # hiding the sole modality: compare with no information
            p = self.predict_proba(X, by_name(np.where(only[:, None], present, hidden)))
            p_m = np.where(only, 1.0 / full.shape[1], p[rows, pick])
            drops[:, m] = np.clip(full[rows, pick] - p_m, 0.0, None) * present[:, m]
        total = drops.sum(axis=1, keepdims=True)
        equal = present / np.maximum(present.sum(axis=1, keepdims=True), 1)
        shares: np.ndarray = np.where(total > 1e-6, drops / np.maximum(total, 1e-12), equal)
        return shares.astype(np.float32)

    def calibrate(self, X: Embeddings, y: Any, presence: Any = None) -> Self:
        """Fit a temperature on held-out items so confidences match accuracy.

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> clf = FusionClassifier(epochs=5).fit(X, list("abab")).calibrate(X, list("abab"))
        >>> clf.temperature_ > 0
        True
        """
        from mmwidgets.fusion.calibration import fit_temperature

        self._check_fitted()
        targets = encode_targets(y, self.classes_, self.multi_label)
        self.temperature_ = fit_temperature(self.logits(X, presence), targets, self.multi_label)
        return self
