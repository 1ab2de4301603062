"""FusionClassifier: a scikit-learn multimodal classifier over per-modality embeddings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from mmwidgets.exceptions import TrainingCancelledError
from mmwidgets.fusion._explain import Introspection
from mmwidgets.fusion._inputs import (
    Embeddings,
    check_embeddings,
    encode_targets,
    presence_from,
    rows_as_float32,
    rows_as_tensors,
)
from mmwidgets.fusion._registry import BUILTIN_FUSIONS, check_fusion, get_fusion
from mmwidgets.fusion._scaling import Scaling, check_standardize, fit_scaling
from mmwidgets.fusion._train import class_weights, train
from mmwidgets.fusion.calibration import apply_temperature
from mmwidgets.fusion.selection import AUTO, ModelChoice

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+, needed only by the type checker

    from torch import nn

    from mmwidgets.fusion._registry import FusionFactory

__all__ = ["FUSIONS", "FusionClassifier", "NotFittedError", "TrainingCancelledError"]

StopCheck = Callable[[], bool] | None

#: the built-in fusion modes (``list_fusions()`` also lists registered ones)
FUSIONS = BUILTIN_FUSIONS


# scikit-learn ships no type information, so its base classes are Any to mypy
class FusionClassifier(Introspection, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
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
        ``"gated"`` (experimental), a gated multimodal unit with per-item gates; ``"late"``,
        one head per modality with averaged probabilities; ``"stack"``, one logistic
        regression per modality combined by learned modality weights. ``"auto"`` (a
        Session's default) chooses one per task on out-of-fold predictions
        (:mod:`mmwidgets.fusion.selection`): a mode, or a single column. Add your own with
        :func:`~mmwidgets.fusion.register_fusion`.
    classes : sequence, optional
        The full label set; defaults to the labels seen in ``fit``.
    multi_label : bool
        Independent sigmoid per class instead of a softmax.
    modalities : sequence of str, optional
        Use only these columns of ``X`` (others are ignored); default all.
    standardize : {"modality", "feature", None}
        How inputs are scaled before the network, fitted on the labeled rows at every
        ``fit`` (see :mod:`mmwidgets.fusion._scaling`): one scale per column (default),
        per-feature z-scores, or not at all.
    hidden, dropout, epochs, batch_size, lr, weight_decay : training hyper-parameters.
    partial_epochs : int
        Epochs of a warm-start ``partial_fit``.
    modality_dropout : float
        Probability of hiding each present modality per training example.
    class_weight : {"balanced", None}
        Re-weight classes inversely to their frequency.
    select_by : {"accuracy", "log_loss"}
        What ``fusion="auto"`` ranks the candidates by.
    random_state : int
        Seed for initialisation and shuffling; equal seeds give equal models.

    Attributes
    ----------
    fusion_ : str
        The mode fitted (``fusion``, or what ``"auto"`` chose).
    modalities_ : list of str
        The columns the model uses.
    selection_ : ModelChoice or None
        With ``fusion="auto"``, the choice and its evidence.
    temperature_ : float
        Divides the logits in :meth:`predict_proba`: 1 after ``fit``, fitted by
        :meth:`calibrate` (``"auto"``: on the out-of-fold predictions of its choice).

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
        modalities: Sequence[str] | None = None,
        standardize: str | None = "modality",
        hidden: int = 128,
        dropout: float = 0.1,
        epochs: int = 60,
        partial_epochs: int = 15,
        batch_size: int = 64,
        lr: float = 2e-3,
        weight_decay: float = 1e-3,
        modality_dropout: float = 0.2,
        class_weight: str | None = "balanced",
        select_by: str = "accuracy",
        random_state: int = 0,
    ) -> None:
        self.fusion = fusion
        self.classes = classes
        self.multi_label = multi_label
        self.modalities = modalities
        self.standardize = standardize
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.partial_epochs = partial_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.modality_dropout = modality_dropout
        self.class_weight = class_weight
        self.select_by = select_by
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
        check_fusion(self.fusion)
        if self.class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        check_standardize(self.standardize)
        names, n = check_embeddings(X, self._columns(X))
        if n == 0:
            raise ValueError("cannot fit on zero items")
        self.classes_ = self._resolve_classes(y)
        self.selection_: ModelChoice | None = None
        self.temperature_ = 1.0
        self.fusion_ = self.fusion
        if self.fusion == AUTO:
            self.selection_ = self._select(X, y, presence, names, should_stop)
            self.fusion_ = str(self.selection_.fusion)
            names = list(self.selection_.modalities or names)
        self.modalities_ = names
        self.dims_ = [int(np.shape(X[m])[1]) for m in names]
        self.net_ = self._build(get_fusion(self.fusion_))
        self.scaling_: Scaling | None = None
        self._train(X, y, presence, self.epochs, self.random_state, should_stop, warm=False)
        if self.selection_ is not None:
            self.temperature_ = self.selection_.temperature
        return self

    def partial_fit(
        self, X: Embeddings, y: Any, presence: Any = None, *, should_stop: StopCheck = None
    ) -> Self:
        """Continue training from the current weights (a warm start) for ``partial_epochs``.

        The input scaling and (``"auto"``) the choice of model stay those of the last ``fit``.

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
        self._train(X, y, presence, self.partial_epochs, seed, should_stop, warm=True)
        return self

    def _columns(self, X: Embeddings) -> list[str]:
        if self.modalities is None:
            return sorted(X) if isinstance(X, Mapping) else []
        columns = list(self.modalities)
        if not columns or len(set(columns)) != len(columns):
            raise ValueError(f"modalities must name distinct columns of X, got {columns!r}")
        return sorted(columns)

    def _select(
        self, X: Embeddings, y: Any, presence: Any, names: list[str], should_stop: StopCheck
    ) -> ModelChoice:
        from mmwidgets.fusion.selection import AUTO_FUSIONS, candidates, select_model

        targets = encode_targets(y, self.classes_, self.multi_label)
        sub = {m: X[m] for m in names}
        choice, _ = select_model(
            self, sub, y, targets, presence_from(X, names, presence),
            pool=candidates(names, AUTO_FUSIONS, multi_label=self.multi_label),
            select_by=self.select_by, multi_label=self.multi_label, seed=self.random_state,
            should_stop=should_stop,
        )  # fmt: skip
        return choice

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
                f"fusion {self.fusion_!r} built a {type(net).__name__}, not a torch.nn.Module"
            )
        net.eval()
        return net

    def _train(
        self,
        X: Embeddings,
        y: Any,
        presence: Any,
        epochs: int,
        seed: int,
        should_stop: StopCheck,
        *,
        warm: bool,
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
        xs = rows_as_float32(X, names, 0, n)
        if self.scaling_ is None and self.standardize is not None:
            self.scaling_ = fit_scaling(xs, present, self.standardize)
        if self.scaling_ is not None:
            xs = self.scaling_.apply(xs, present)
        direct = getattr(self.net_, "fit_direct", None)
        if callable(direct):  # a closed-form mode (the stack) fits itself
            if should_stop is not None and should_stop():
                raise TrainingCancelledError("training was cancelled")
            sample = None if weights is None or self.multi_label else weights[targets]
            self.loss_curve_ = [direct(xs, present, targets, sample_weight=sample, seed=seed,
                                       warm=warm)]  # fmt: skip
        else:
            self.loss_curve_ = train(
                self.net_,
                xs,
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

        Inputs are scaled as in training (``standardize``) before the network sees them.

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
        scaling: Scaling | None = getattr(self, "scaling_", None)
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                xs = rows_as_tensors(X, names, start, stop)
                mask = torch.from_numpy(presence_from(X, names, presence, start, stop))
                if scaling is not None:
                    xs = scaling.apply_tensors(xs, mask)
                out[start:stop] = self.net_(xs, mask).numpy()
        return out

    def predict_proba(self, X: Embeddings, presence: Any = None) -> np.ndarray:
        """Class probabilities (n, C): softmax rows, or independent sigmoids if multi-label.

        The logits are divided by ``temperature_`` first (see :meth:`calibrate`).

        Examples
        --------
        >>> import numpy as np
        >>> X = {"text": np.eye(4, dtype="float32")}
        >>> p = FusionClassifier(epochs=5).fit(X, list("abab")).predict_proba(X)
        >>> bool(np.allclose(p.sum(axis=1), 1.0))
        True
        """
        return apply_temperature(self.logits(X, presence), self.temperature_, self.multi_label)

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
