"""Cross-validated metrics and the learning curve, recorded as labels accumulate."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.fusion._inputs import encode_targets
from mmwidgets.session._metrics import Metrics, evaluate, out_of_fold_proba
from mmwidgets.session._review import Evaluation

if TYPE_CHECKING:
    import pandas as pd

    from mmwidgets.session.session import Session

__all__ = ["Tracking"]

CURVE_COLUMNS = ["n_labels", "accuracy", "macro_f1", "mean_average_precision", "time"]


class Tracking:
    """Evaluates the session's model family by k-fold cross-validation on its labels.

    Runs after a model update once ``every`` new labels have arrived (on the trainer thread),
    or on demand; results are cached per label count.
    """

    def __init__(self, session: Session, every: int = 10) -> None:
        self._session = session
        self.every = max(1, every)
        self._lock = threading.Lock()
        self._latest: Evaluation | None = None
        self._curve: list[dict[str, float]] = []

    def after_update(self, rows: np.ndarray, labels: list[Any]) -> None:
        """Called after each retrain; evaluates when enough new labels have arrived."""
        last = self._curve[-1]["n_labels"] if self._curve else 0
        if len(labels) >= 4 and (len(labels) - last >= self.every or not self._curve):
            try:
                self._evaluate(rows, labels)
            except ValueError:
                return  # too few labels per class to cross-validate yet
            self._session.events.emit("metrics", **self._curve[-1])

    def _evaluate(self, rows: np.ndarray, labels: list[Any]) -> Evaluation:
        s = self._session
        classes = np.asarray(s.labels, dtype=object)
        targets = encode_targets(labels, classes, s.multi_label)
        X = {m: np.asarray(v[rows], dtype=np.float32) for m, v in s.pool.X.items()}
        proba, k, masked = out_of_fold_proba(
            X, targets, s._make_model, labels, seed=s.seed, should_stop=s._stop.is_set, ablate=True
        )
        classes_t = tuple(s.labels)
        evaluation = Evaluation(
            metrics=evaluate(proba, targets, classes_t, k),
            ids=tuple(s._ids[r] for r in rows),
            labels=tuple(labels),
            targets=targets,
            proba=proba,
            masked={m: evaluate(p, targets, classes_t, k) for m, p in masked.items()},
        )
        metrics = evaluation.metrics
        point = {
            "n_labels": float(len(labels)),
            "accuracy": metrics.accuracy,
            "macro_f1": metrics.macro_f1,
            "mean_average_precision": metrics.mean_average_precision,
            "time": time.time(),
        }
        with self._lock:
            self._latest = evaluation
            if self._curve and self._curve[-1]["n_labels"] == point["n_labels"]:
                self._curve[-1] = point  # same labels evaluated again: one point per count
            else:
                self._curve.append(point)
        return evaluation

    def latest(self) -> Evaluation | None:
        """The most recent evaluation, however many labels it saw (None before the first)."""
        with self._lock:
            return self._latest

    def evaluation(self) -> Evaluation:
        """The out-of-fold evaluation of the labels stored now (computed here if stale)."""
        s = self._session
        with self._lock:
            latest = self._latest
        if latest is not None and latest.n_labels == len(s.store):
            return latest
        if not s.pool.ready:
            raise RuntimeError("embeddings are still being computed; try again shortly")
        rows, labels = s._labeled_rows()
        if len(labels) < 2:
            raise ValueError("label at least two items (two classes) before asking for metrics")
        return self._evaluate(rows, labels)

    def metrics(self) -> Metrics:
        """Metrics for the labels stored now (computed here if the cache is stale)."""
        return self.evaluation().metrics

    def curve(self) -> pd.DataFrame:
        """The learning curve as a DataFrame (one row per evaluation)."""
        import pandas as pd

        with self._lock:
            return pd.DataFrame(self._curve, columns=CURVE_COLUMNS)

    def last_accuracy(self) -> float | None:
        """The latest cross-validated accuracy, if any."""
        with self._lock:
            return self._curve[-1]["accuracy"] if self._curve else None
