"""What model debugging asks of a session: suspects, re-checks, drill-down, ablation, the map.

A part of the Session with no state of its own beyond the layout cache: it reads the pool,
the serving generation (through a callable), the evaluator and the label store it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.data import LabelStoreProtocol
from mmwidgets.session._evaluator import Evaluator
from mmwidgets.session._loop import read_proba
from mmwidgets.session._pool import Pool
from mmwidgets.session._projection import Projections
from mmwidgets.session._review import Evaluation, count_labels
from mmwidgets.session._state import Generation, QueuedItem

if TYPE_CHECKING:
    pass

__all__ = ["Inspector"]


class Inspector:
    """Reads for the Dashboard, the review Gallery and the EmbeddingMap."""

    def __init__(
        self,
        *,
        pool: Pool,
        store: LabelStoreProtocol,
        evaluator: Evaluator,
        generation: Callable[[], Generation],
        labeled: Callable[[], tuple[np.ndarray, list[Any]]],
        row: Callable[[str], int | None],
        ids: Sequence[str],
        class_names: Sequence[str],
        multi_label: bool,
        progress: bool = True,
    ) -> None:
        self._pool = pool
        self._store = store
        self._evaluator = evaluator
        self._generation = generation
        self._labeled = labeled
        self._ids = ids
        self._row = row  # the one id -> row map (Candidates'): a million-item pool has one
        self._classes = tuple(class_names)
        self._multi_label = multi_label
        self._progress = progress
        self._projections = Projections()

    def evaluation(self, timeout: float | None) -> Evaluation:
        """The out-of-fold evaluation of the labels stored now (computed here if stale)."""
        rows, labels = self._labeled()  # people's labels only: the model's are not evidence
        latest = self._evaluator.latest()
        if latest is not None and latest.n_labels == len(labels):
            return latest
        self._pool.wait_ready(timeout, progress=self._progress)
        if len(labels) < 2:
            raise ValueError("label at least two items (two classes) before asking for metrics")
        return self._evaluator.evaluate(rows, labels)

    def describe(self, iid: str, reason: str) -> QueuedItem:
        """Any item as a queue entry, with the serving model's prediction of it."""
        gen = self._generation()
        row = self._row(iid)  # the caller checked the id: None only for a foreign one
        if gen.proba is None or row is None:
            return QueuedItem(id=iid, reason=reason, model_version=gen.version)
        prediction, confidence, probabilities = read_proba(
            self._classes, gen.proba[row], self._multi_label
        )
        return QueuedItem(
            id=iid,
            reason=reason,
            prediction=prediction,
            confidence=confidence,
            probabilities=probabilities,
            model_version=gen.version,
        )

    def recheck_pairs(self, items: Any) -> list[tuple[str, str]]:
        """(id, reason) pairs of a suspects frame or a sequence of ids."""
        import pandas as pd

        if isinstance(items, pd.DataFrame):
            found = zip(items["id"], items["reason"], strict=True)
            return [(str(i), f"re-check: {r}") for i, r in found]
        return [(str(i), "re-check: chosen for review") for i in items]

    def modality_weights(self) -> dict[str, float] | None:
        """The serving model's learned column weights, when its fusion has them."""
        model = self._generation().model
        if model is None or getattr(model, "fusion", None) != "weighted":
            return None
        return dict(model.modality_weights_)

    def projection(self, method: str, timeout: float | None) -> np.ndarray:
        """(n_items, 2) layout of the fused embeddings, computed once per method."""
        view = self._pool.wait_ready(timeout, progress=self._progress)
        return self._projections.get(view.fused, method)

    def point_summary(self) -> dict[str, np.ndarray]:
        """Per item: stored label index, predicted label index (-1: none) and confidence."""
        n = len(self._ids)
        label = np.full(n, -1, dtype=np.int16)
        index = {c: i for i, c in enumerate(self._classes)}
        current = self._store.current()
        for iid, value in zip(current["id"], current["label"], strict=True):
            row = self._row(iid)
            if row is not None:
                first = value[0] if isinstance(value, list | tuple) and value else value
                label[row] = index.get(first, -1)
        proba = self._generation().proba
        if proba is None:
            prediction = np.full(n, -1, dtype=np.int16)
            confidence = np.zeros(n, dtype=np.float32)
        else:
            prediction = proba.argmax(axis=1).astype(np.int16)
            confidence = proba.max(axis=1).astype(np.float32)
        return {"label": label, "prediction": prediction, "confidence": confidence}

    def label_counts(self) -> dict[str, int]:
        """How many items carry each label now."""
        return count_labels(self._store.current()["label"], self._classes)
