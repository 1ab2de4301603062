"""Session methods for debugging a model: suspects, re-checks, ablation, drill-down, the map."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.session._loop import read_proba
from mmwidgets.session._review import (
    ablation_rows,
    confusion_items,
    count_labels,
    suspected_errors,
)
from mmwidgets.session._state import QueuedItem

if TYPE_CHECKING:
    import pandas as pd

    from mmwidgets.data import Dataset, LabelStore
    from mmwidgets.fusion import FusionClassifier
    from mmwidgets.session._events import EventHub
    from mmwidgets.session._pool import Pool
    from mmwidgets.session._state import Generation
    from mmwidgets.session._tracking import Tracking

__all__ = ["InspectMixin", "project_2d"]


def project_2d(fused: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """A 2-D layout of the fused embeddings: PCA (default) or UMAP (``umap-learn``).

    Rows that are all-NaN (items with no usable column) stay NaN.

    Examples
    --------
    >>> import numpy as np
    >>> xy = project_2d(np.random.default_rng(0).normal(size=(50, 8)).astype("float32"))
    >>> xy.shape, xy.dtype.name
    ((50, 2), 'float32')
    """
    out = np.full((len(fused), 2), np.nan, dtype=np.float32)
    ok = ~np.isnan(fused).any(axis=1)
    X = np.asarray(fused[ok], dtype=np.float64)
    if len(X) < 2:
        return out
    if method == "pca":
        X = X - X.mean(axis=0)
        _, vectors = np.linalg.eigh(X.T @ X)  # (d, d): cheap even for a million rows
        out[ok] = (X @ vectors[:, ::-1][:, :2]).astype(np.float32)
    elif method == "umap":
        try:
            import umap  # type: ignore[import-not-found]
        except ImportError as e:
            raise ImportError(
                "method='umap' needs the umap-learn package: pip install umap-learn"
            ) from e
        out[ok] = umap.UMAP(n_components=2, random_state=seed).fit_transform(X)
    else:
        raise ValueError(f"unknown projection {method!r}; use 'pca' or 'umap'")
    return out


class InspectMixin:
    """What the Dashboard, the review Gallery and the EmbeddingMap ask a Session for."""

    # provided by Session
    dataset: Dataset
    store: LabelStore
    labels: tuple[str, ...]
    multi_label: bool
    fusion: str
    pool: Pool
    tracking: Tracking
    events: EventHub
    _lock: threading.RLock
    _generation: Generation
    _recheck: dict[str, QueuedItem]
    _ids: list[str]
    _row: dict[str, int]
    _projections: dict[str, np.ndarray]
    last_simulation: pd.DataFrame | None

    def _check_item(self, item_id: str | int) -> str:
        raise NotImplementedError  # Session's

    @property
    def model(self) -> FusionClassifier | None:
        raise NotImplementedError  # Session's

    def suspected_errors(self, k: int | None = None) -> pd.DataFrame:
        """Labeled items whose label the model disagrees with, most suspicious first.

        Uses out-of-fold probabilities (every item scored by a model that never saw it) and
        cleanlab's confident learning (:func:`cleanlab.filter.find_label_issues`).

        Examples
        --------
        >>> found = session.suspected_errors(k=3)
        >>> list(found.columns[:3]), len(found) <= 3
        (['id', 'label', 'suggested'], True)
        """
        return suspected_errors(self.tracking.evaluation(), k)

    def recheck(self, items: Any = None, *, k: int = 10) -> int:
        """Put labeled items back at the front of the queue to be confirmed or corrected.

        Parameters
        ----------
        items : DataFrame, sequence of ids, or None
            A frame from :meth:`suspected_errors` (its reasons are kept), ids, or None for
            the top ``k`` suspected errors.

        Returns
        -------
        int
            How many items were queued for a re-check. Labeling one again stores the new
            (or the same, confirmed) label; skipping it keeps its label.

        Examples
        --------
        >>> n = session.recheck(k=2)
        >>> session.queue(n)[0].reason.startswith("re-check") if n else True
        True
        """
        import pandas as pd

        if items is None:
            items = self.suspected_errors(k)
        if isinstance(items, pd.DataFrame):
            found = zip(items["id"], items["reason"], strict=True)
            pairs = [(str(i), f"re-check: {r}") for i, r in found]
        else:
            pairs = [(str(i), "re-check: chosen for review") for i in items]
        queued = {self._check_item(iid): self.describe(iid, reason) for iid, reason in pairs}
        with self._lock:
            self._recheck.update(queued)
        self.events.emit("queue_changed", version=self._generation.version)
        return len(queued)

    def describe(self, item_id: str | int, reason: str) -> QueuedItem:
        """Any item as a queue entry: the current model's prediction of it, with ``reason``.

        Examples
        --------
        >>> item = session.describe(session.dataset.ids[0], "picked by hand")
        >>> item.prediction in session.labels, item.reason
        (True, 'picked by hand')
        """
        iid = self._check_item(item_id)
        gen = self._generation
        if gen.proba is None:
            return QueuedItem(id=iid, reason=reason, model_version=gen.version)
        prediction, confidence, probabilities = read_proba(
            self.labels, gen.proba[self._row[iid]], self.multi_label
        )
        return QueuedItem(
            id=iid,
            reason=reason,
            prediction=prediction,
            confidence=confidence,
            probabilities=probabilities,
            model_version=gen.version,
        )

    def confusion_items(self, true: str, predicted: str) -> list[str]:
        """Ids behind one confusion-matrix cell: labeled ``true``, predicted ``predicted``.

        Examples
        --------
        >>> ids = session.confusion_items("food", "food")
        >>> all(session.store.get(i) == "food" for i in ids)
        True
        """
        return confusion_items(self.tracking.evaluation(), true, predicted)

    def modality_ablation(self) -> pd.DataFrame:
        """Cross-validated quality with every column, then with each column masked out.

        Columns: ``masked`` ("none" first), ``accuracy``, ``macro_f1``, ``accuracy_drop``.

        Examples
        --------
        >>> table = session.modality_ablation()
        >>> table["masked"].iloc[0], "image" in set(table["masked"])
        ('none', True)
        """
        import pandas as pd

        return pd.DataFrame(ablation_rows(self.tracking.evaluation()))

    def modality_weights(self) -> dict[str, float] | None:
        """The learned per-column weights of a ``"weighted"`` fusion model, else None.

        Examples
        --------
        >>> w = session.modality_weights()
        >>> w is None or abs(sum(w.values()) - 1) < 1e-5
        True
        """
        model = self.model
        if model is None or self.fusion != "weighted":
            return None
        return dict(model.modality_weights_)

    def projection(self, method: str = "pca") -> np.ndarray:
        """(n_items, 2) float32 layout of the fused embeddings, cached per method.

        Examples
        --------
        >>> session.projection().shape == (len(session.dataset), 2)
        True
        """
        if not self.pool.ready:
            raise RuntimeError("embeddings are still being computed; try again shortly")
        with self._lock:
            if method not in self._projections:
                self._projections[method] = project_2d(self.pool.fused, method)
            return self._projections[method]

    def point_summary(self) -> dict[str, np.ndarray]:
        """Per item: stored label index, predicted label index (-1: none) and confidence.

        Multi-label items report their first label. For colouring maps.

        Examples
        --------
        >>> s = session.point_summary()
        >>> int((s["label"] >= 0).sum()) == len(session.store)
        True
        """
        n = len(self._ids)
        label = np.full(n, -1, dtype=np.int16)
        index = {c: i for i, c in enumerate(self.labels)}
        current = self.store.current()
        for iid, value in zip(current["id"], current["label"], strict=True):
            if iid in self._row:
                first = value[0] if isinstance(value, list | tuple) and value else value
                label[self._row[iid]] = index.get(first, -1)
        proba = self._generation.proba
        if proba is None:
            prediction = np.full(n, -1, dtype=np.int16)
            confidence = np.zeros(n, dtype=np.float32)
        else:
            prediction = proba.argmax(axis=1).astype(np.int16)
            confidence = proba.max(axis=1).astype(np.float32)
        return {"label": label, "prediction": prediction, "confidence": confidence}

    def label_counts(self) -> dict[str, int]:
        """How many items carry each label now.

        Examples
        --------
        >>> sum(session.label_counts().values()) >= len(session.store)
        True
        """
        return count_labels(self.store.current()["label"], self.labels)
