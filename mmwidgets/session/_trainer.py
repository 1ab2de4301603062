"""The trainer: the one thread that retrains, rescores and reranks, and the model it publishes.

It owns the published :class:`Generation` (replaced as a whole, never mutated), its wake-up
event and its thread. One refresh runs at a time (the refresh lock), whether the thread or a
caller of ``Session.refresh()`` started it, so versions go up by exactly one per model. Each
full refit trains a fresh ``sklearn.base.clone`` of the model template; in between, a copy of
the serving model is warm-started while the original keeps serving predictions.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmwidgets.exceptions import TrainingCancelledError
from mmwidgets.session._events import EventHub
from mmwidgets.session._lifecycle import SHUTTING_DOWN
from mmwidgets.session._loop import next_generation
from mmwidgets.session._pool import Pool
from mmwidgets.session._state import Generation

__all__ = ["Trainer", "TrainingInput"]

log = logging.getLogger("mmwidgets.session")


@dataclass(frozen=True, eq=False)
class TrainingInput:
    """What one refresh trains on: pool rows and labels, and the items never to queue."""

    rows: np.ndarray
    labels: list[Any]
    excluded: np.ndarray


class Trainer:
    """Retrain on every new label, in the background or on demand.

    Parameters
    ----------
    pool : Pool
        The embedded items.
    model : estimator
        The unfitted template (a :class:`~mmwidgets.fusion.FusionClassifier`); cloned per
        full refit.
    strategy : str or callable
        The query strategy (see :func:`mmwidgets.active.query`).
    inputs : callable
        Returns the :class:`TrainingInput` of the labels stored now.
    on_update : callable
        Called with ``(rows, labels)`` after a generation is published.
    """

    def __init__(
        self,
        *,
        pool: Pool,
        model: Any,
        strategy: Any,
        class_names: Sequence[str],
        multi_label: bool,
        ids: Sequence[str],
        events: EventHub,
        inputs: Callable[[], TrainingInput],
        on_update: Callable[[np.ndarray, list[Any]], None],
        queue_size: int = 20,
        seed: int = 0,
        full_refit_every: int = 5,
        retrain_delay: float = 0.2,
    ) -> None:
        self.model = model
        self.strategy = strategy
        self.full_refit_every = max(1, full_refit_every)
        self._pool = pool
        self._options = {
            "class_names": tuple(class_names),
            "multi_label": multi_label,
            "queue_size": queue_size,
        }
        self._ids = ids
        self._events = events
        self._inputs = inputs
        self._on_update = on_update
        self._seed = seed
        self._delay = retrain_delay
        self._lock = threading.Lock()  # guards the published state below
        self._refreshing = threading.Lock()  # one refresh at a time
        self._generation = Generation()
        self._error: str | None = None
        self._busy = 0  # refreshes requested or running
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ published state
    @property
    def generation(self) -> Generation:
        """The model, scores and ranked queue now serving."""
        with self._lock:
            return self._generation

    @property
    def error(self) -> str | None:
        """The last training failure, or None after a success."""
        with self._lock:
            return self._error

    @property
    def training(self) -> bool:
        """A refresh is running."""
        return self._refreshing.locked()

    @property
    def idle(self) -> bool:
        """No refresh is running or waiting to run."""
        with self._lock:
            return self._busy == 0 and not self._wake.is_set()

    def publish_queue(self, generation: Generation) -> None:
        """Serve a model-free queue (random picks while the embeddings are computed)."""
        with self._lock:
            self._generation = generation

    def should_stop(self) -> bool:
        """True once the trainer is stopping or the interpreter is exiting."""
        return self._stop.is_set() or SHUTTING_DOWN.is_set()

    # ------------------------------------------------------------ running
    def start(self) -> None:
        """Run refreshes on a daemon thread whenever :meth:`request` is called."""
        self._thread = threading.Thread(target=self._run, name="mmwidgets-trainer", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a refresh soon (bursts of requests coalesce into one)."""
        self._wake.set()

    def refresh(self) -> None:
        """Retrain, rescore and rerank now, on this thread; a no-op before the embeddings."""
        if not self._pool.ready or self.should_stop():
            return
        with self._refreshing:
            previous = self.generation
            job = self._inputs()
            try:
                gen = next_generation(
                    previous,
                    view=self._pool.view(),
                    ids=self._ids,
                    labeled_rows=job.rows,
                    labels=job.labels,
                    excluded=job.excluded,
                    make_model=self.new_model,
                    strategy=self.strategy,
                    full_refit=(previous.version + 1) % self.full_refit_every == 0,
                    seed=self._seed + previous.version,
                    should_stop=self.should_stop,
                    **self._options,  # type: ignore[arg-type]
                )
            except TrainingCancelledError:
                return  # the session is closing
            except Exception as exc:  # reported in status() and as an event; the loop goes on
                if self.should_stop():
                    return  # closing (or the interpreter exiting) under a running fit
                message = f"training failed: {type(exc).__name__}: {exc}"
                with self._lock:
                    self._error = message
                self._events.emit("error", message=message)  # status() and listeners agree
                log.error("%s\n%s", message, traceback.format_exc())
                return
            with self._lock:
                self._generation, self._error = gen, None
        if gen.version != previous.version:
            self._events.emit("model_updated", version=gen.version, n_labels=gen.n_labels)
        self._events.emit("queue_changed", version=gen.version)
        self._on_update(job.rows, job.labels)

    def new_model(self) -> Any:
        """A fresh, unfitted copy of the model template."""
        from sklearn.base import clone

        return clone(self.model)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread (a running fit stops at its next epoch) and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self.should_stop():
            self._wake.wait()
            if self.should_stop():
                break
            time.sleep(self._delay)  # coalesce a burst of labels into one retrain
            with self._lock:
                self._wake.clear()
                self._busy += 1
            try:
                self.refresh()
            finally:
                with self._lock:
                    self._busy -= 1
