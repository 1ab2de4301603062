"""What a fitted FusionClassifier can say about itself: modality weights, attribution, calibration.

A mixin of :class:`~mmwidgets.fusion.FusionClassifier`; it reads the fitted state
(``net_``, ``modalities_``, ``classes_``) and the prediction methods of the class it is mixed into.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.fusion._inputs import Embeddings, check_embeddings, encode_targets, presence_from

if TYPE_CHECKING:
    from typing import Self

__all__ = ["Introspection"]


class Introspection:
    """Modality weights, per-item attribution and temperature calibration of a fitted model."""

    net_: Any
    modalities_: list[str]
    classes_: np.ndarray
    multi_label: bool
    fusion_: str
    temperature_: float

    if TYPE_CHECKING:  # provided by the class this is mixed into

        def _check_fitted(self) -> None: ...

        def predict_proba(self, X: Embeddings, presence: Any = None) -> np.ndarray: ...

        def logits(
            self, X: Embeddings, presence: Any = None, *, batch_size: int = 65536
        ) -> np.ndarray: ...

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
                f"fusion='weighted'; this model uses fusion={self.fusion_!r}"
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
        >>> from mmwidgets.fusion import FusionClassifier
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
        >>> from mmwidgets.fusion import FusionClassifier
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
