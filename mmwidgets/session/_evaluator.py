"""The evaluator: cross-validated quality of the model family, model selection, calibration.

It owns the latest :class:`Evaluation`, the curve and the :class:`ModelChoice` (one lock for
all three). In background mode it cross-validates on its own thread, so evaluating never
delays the trainer's rerank; on demand (``Session.metrics()`` with fresh labels) it evaluates
on the caller's thread.

Every evaluation cross-validates the model that serves; with a ``fusion="auto"`` template
some evaluations are *selections*: every candidate (:func:`mmwidgets.fusion.selection.
candidates`) is cross-validated on the same folds and the best is chosen on that out-of-fold
evidence (see :mod:`mmwidgets.session._evidence`). Selections run when the labels have grown
by half (and by ``every``) since the last one: at 4, 14, 24, 44, 74, 114, 174 … labels with
``every=10``, never per label. Each costs some dozens of fits, run here (this thread gives way
to the trainer and holds none of its locks). The trainer reads :meth:`choice` at its next full
refit (never at a warm start): it fits the chosen model and sets its temperature, fitted on
the chosen model's out-of-fold predictions in the latest evaluation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.exceptions import TrainingCancelledError
from mmwidgets.fusion import encode_targets
from mmwidgets.fusion.selection import ModelChoice
from mmwidgets.session._events import EventHub
from mmwidgets.session._evidence import cross_validate
from mmwidgets.session._metrics import evaluate
from mmwidgets.session._pool import Pool
from mmwidgets.session._review import Evaluation

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CURVE_COLUMNS", "Evaluator"]

CURVE_COLUMNS = ["n_labels", "accuracy", "macro_f1", "mean_average_precision", "time"]


class Evaluator:
    """k-fold cross-validation of fresh clones of the model on the labels so far.

    Runs after a model update once ``every`` new labels have arrived, or on demand; results
    are kept per label count.
    """

    def __init__(
        self,
        *,
        pool: Pool,
        template: Any,
        class_names: Sequence[str],
        multi_label: bool,
        ids: Sequence[str],
        events: EventHub,
        should_stop: Callable[[], bool],
        every: int = 10,
        seed: int = 0,
        background: bool = True,
        yield_to: Callable[[], bool] | None = None,
    ) -> None:
        self.every = max(1, every)
        self._yield_to = yield_to
        self._pool = pool
        self._template = template
        self._choice: ModelChoice | None = None
        self._classes = tuple(class_names)
        self._multi_label = multi_label
        self._ids = ids
        self._events = events
        self._should_stop = should_stop
        self._seed = seed
        self._lock = threading.Lock()
        self._latest: Evaluation | None = None
        self._curve: list[dict[str, float]] = []
        self._pending: tuple[np.ndarray, list[Any]] | None = None
        self._running = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(
                target=self._run, name="mmwidgets-evaluator", daemon=True
            )
            self._thread.start()

    def after_update(self, rows: np.ndarray, labels: list[Any]) -> None:
        """A model was published; evaluate (soon, in the background) if enough labels came."""
        with self._lock:
            last = self._curve[-1]["n_labels"] if self._curve else 0
            due = len(labels) >= 4 and (len(labels) - last >= self.every or not self._curve)
            if due:
                self._pending = (rows, labels)
        if not due:
            return
        if self._thread is not None:
            self._wake.set()
        else:
            self._evaluate_pending()

    def _run(self) -> None:
        while not self._should_stop():
            self._wake.wait()
            self._wake.clear()
            if self._should_stop():
                break
            self._evaluate_pending()

    @property
    def running(self) -> bool:
        """A cross-validation is running (in the background or on a caller's thread)."""
        with self._lock:
            return self._running > 0

    def _evaluate_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            background = threading.current_thread() is self._thread
            self.evaluate(*pending, should_stop=self._stop_or_yield if background else None)
        except (ValueError, TrainingCancelledError):
            return  # too few labels per class to cross-validate yet, or closing
        except Exception:
            if self._should_stop():
                return  # the interpreter is exiting under us
            raise
        with self._lock:
            point = dict(self._curve[-1])
        self._events.emit("metrics", **point)

    def _stop_or_yield(self) -> bool:
        # asked at every epoch of every fold: the queue goes first (a retrain for a new label,
        # a rescoring sweep), so the background cross-validation waits while they run (on two
        # cores it would halve their speed); it catches up when labeling pauses
        while self._yield_to is not None and self._yield_to() and not self._should_stop():
            time.sleep(0.01)
        return self._should_stop()

    def evaluate(
        self,
        rows: np.ndarray,
        labels: Sequence[Any],
        *,
        should_stop: Callable[[], bool] | None = None,
    ) -> Evaluation:
        """Cross-validate on the given labeled rows now, on this thread, and record it."""
        targets = encode_targets(list(labels), np.asarray(self._classes, object), self._multi_label)
        view = self._pool.view()
        X = {m: np.asarray(v[rows], dtype=np.float32) for m, v in view.X.items()}
        with self._lock:
            self._running += 1
            previous = self._choice
        try:
            evidence = cross_validate(
                self._template, X, targets, list(labels), view.presence[rows], previous,
                seed=self._seed, every=self.every, multi_label=self._multi_label,
                should_stop=should_stop or self._should_stop,
            )  # fmt: skip
        finally:
            with self._lock:
                self._running -= 1
        proba, masked = evidence.proba, evidence.masked
        evaluation = Evaluation(
            metrics=evidence.annotate(evaluate(proba, targets, self._classes, evidence.folds)),
            ids=tuple(self._ids[r] for r in rows),
            labels=tuple(labels),
            targets=targets,
            proba=proba,
            masked={
                m: evaluate(p, targets, self._classes, evidence.folds) for m, p in masked.items()
            },
        )
        m = evaluation.metrics
        point = {
            "n_labels": float(len(labels)),
            "accuracy": m.accuracy,
            "macro_f1": m.macro_f1,
            "mean_average_precision": m.mean_average_precision,
            "time": time.time(),
        }
        with self._lock:
            if self._latest is None or self._latest.n_labels <= evaluation.n_labels:
                self._latest = evaluation
                self._choice = evidence.choice
            # one point per label count (the latest wins), in label order: an on-demand
            # evaluation may finish before a background one that saw fewer labels
            curve = [p for p in self._curve if p["n_labels"] != point["n_labels"]]
            self._curve = sorted([*curve, point], key=lambda p: p["n_labels"])
        return evaluation

    def choice(self) -> ModelChoice | None:
        """The model the trainer fits at its next full refit, with its temperature (or None)."""
        with self._lock:
            return self._choice

    def latest(self) -> Evaluation | None:
        """The most recent evaluation, however many labels it saw (None before the first)."""
        with self._lock:
            return self._latest

    def curve(self) -> pd.DataFrame:
        """The learning curve as a DataFrame (one row per evaluation)."""
        import pandas as pd

        with self._lock:
            return pd.DataFrame(list(self._curve), columns=CURVE_COLUMNS)

    def last_accuracy(self) -> float | None:
        """The latest cross-validated accuracy, if any."""
        with self._lock:
            return self._curve[-1]["accuracy"] if self._curve else None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the background thread (the caller has made ``should_stop`` true)."""
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)
