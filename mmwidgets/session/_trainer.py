"""The trainer: the one thread that retrains, rescores and reranks, and the model it publishes.

It owns the published :class:`Generation` (replaced as a whole, never mutated), the pool's
scores (:class:`PoolScores`), its wake-up event and its thread. One refresh runs at a time
(the refresh lock), whether the thread or a caller of ``Session.refresh()`` started it, so
versions go up by exactly one per model. Each full refit trains a fresh
``sklearn.base.clone`` of the model template; in between, a copy of the serving model is
warm-started while the original keeps serving predictions.

On a pool larger than ``4 * rescore_top``, a refresh rescores only candidates (see
:mod:`mmwidgets.session._rescore`) and publishes their queue at once; the thread then rescores
the rest of the pool block by block between labels and publishes each finished sweep.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mmwidgets.exceptions import TrainingCancelledError
from mmwidgets.fusion.selection import ModelChoice, resolve_model
from mmwidgets.session._events import EventHub
from mmwidgets.session._lifecycle import SHUTTING_DOWN
from mmwidgets.session._loop import can_train, cold_generation, rank_queue, train_model
from mmwidgets.session._pool import Pool, PoolView
from mmwidgets.session._rescore import SWEEP_BLOCK, PoolScores
from mmwidgets.session._state import Generation

__all__ = ["Trainer", "TrainingInput"]

log = logging.getLogger("mmwidgets.session")


@dataclass(frozen=True, eq=False)
class TrainingInput:
    """What one refresh trains on: pool rows and labels, and the items never to queue.

    ``labeled`` marks the excluded items that carry a label (covered, to a strategy that
    asks where the labels are); the rest of ``excluded`` is skipped, claimed or broken.
    """

    rows: np.ndarray
    labels: list[Any]
    excluded: np.ndarray
    labeled: np.ndarray | None = None


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
    rescore_top : int
        After a label, rescore at once this many of the least sure items and as many random
        ones; the rest of the pool in the background. Pools up to four times as large are
        rescored whole on every refresh.
    selection : callable, optional
        Returns the evaluator's latest :class:`~mmwidgets.fusion.ModelChoice` (or None). A full
        refit fits that model (a ``fusion="auto"`` template resolved to it) and sets its
        temperature, fitted on its out-of-fold predictions; warm starts keep both.
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
        rescore_top: int = 4096,
        selection: Callable[[], ModelChoice | None] | None = None,
    ) -> None:
        self.model = model
        self._selection = selection
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
        # held from a refresh's start to its last event, so that events follow the order of
        # the generations; re-entrant, for a listener that calls refresh() itself
        self._announcing = threading.RLock()
        self._generation = Generation()
        self._scores = PoolScores(len(ids))  # under the refresh lock only
        self._rescore_top = max(1, rescore_top)
        self._sweeping = False  # rows wait for the serving model's scores
        self._retraining = 0  # refresh() calls running
        self._refit_due = False  # the next model is a fresh fit (under the refresh lock)
        self._error: str | None = None
        self._grown: list[np.ndarray] = []  # rows the pool added since the last scoring
        self._busy = 0  # refreshes requested or running
        self._wake = threading.Event()  # a label (or a caller) asks for a refresh
        # anything for the thread to do: a refresh asked for, or a refit or a sweep made due
        # (by a refresh on a caller's thread too, while the thread sleeps)
        self._work = threading.Event()
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
    def retraining(self) -> bool:
        """A new label's refresh is running or waiting to run (not a background sweep)."""
        with self._lock:
            return self._retraining > 0 or self._wake.is_set()

    @property
    def idle(self) -> bool:
        """No refresh is running or waiting to run, and every row has the serving scores."""
        with self._lock:
            busy = self._busy or self._wake.is_set() or self._sweeping or self._refit_due
            return not busy

    @property
    def rescoring(self) -> bool:
        """Some rows still wait for the serving model's scores (a background sweep is due)."""
        with self._lock:
            return self._sweeping

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
        self._work.set()

    def pool_grew(self, rows: np.ndarray) -> None:
        """The pool published a view with ``rows`` newly embedded: train on it, rescore them."""
        with self._lock:
            self._grown.append(rows)
        self.request()

    def _take_grown(self) -> None:
        """Mark the rows the pool added as unscored (under the refresh lock)."""
        with self._lock:
            grown, self._grown = self._grown, []
        if grown and self._scores.proba is not None:
            self._scores.invalidate(np.concatenate(grown))

    def refresh(self) -> None:
        """Retrain, rescore and rerank now, on this thread; a no-op before the embeddings.

        Without the background thread (``start()`` not called) a due fresh refit runs here
        and the whole pool is rescored before this returns.
        """
        self._refresh_now(fresh=self._thread is None and self.refit_due)

    @property
    def refit_due(self) -> bool:
        """A fresh fit is due (every ``full_refit_every`` models), to run when labels pause."""
        with self._lock:
            return self._refit_due

    def _refresh_now(self, fresh: bool) -> None:
        if not self._pool.ready or self.should_stop():
            return
        with self._lock:
            self._retraining += 0 if fresh else 1  # a fresh refit gives way; it is not urgent
        try:
            self._refresh(fresh)
        finally:
            with self._lock:
                self._retraining -= 0 if fresh else 1
        if self._thread is None:  # no thread to finish the sweep later: finish it now
            while self.rescoring and not self.should_stop():
                self.sweep_step()

    def _refresh(self, fresh: bool) -> None:
        with self._announcing:  # events leave in the order the generations were published
            self._refresh_announced(fresh)

    def _refresh_announced(self, fresh: bool) -> None:
        with self._refreshing:
            previous = self.generation
            job = self._inputs()
            try:
                gen = self._next(previous, job, self._pool.view(), fresh)
            except TrainingCancelledError:
                return  # the session is closing, or new labels came during a fresh refit
            except Exception as exc:  # reported in status() and as an event; the loop goes on
                if self.should_stop():
                    return  # closing (or the interpreter exiting) under a running fit
                message = f"training failed: {type(exc).__name__}: {exc}"
                with self._lock:
                    self._error = message
                    self._refit_due = False  # not again until the next label
                self._events.emit("error", message=message)  # status() and listeners agree
                log.error("%s\n%s", message, traceback.format_exc())
                return
            with self._lock:
                self._generation, self._error = gen, None
                self._sweeping = gen.model is not None and gen.scored_version < gen.version
                if self._sweeping or self._refit_due:
                    self._work.set()
        if gen.version != previous.version:
            self._events.emit("model_updated", version=gen.version, n_labels=gen.n_labels)
        self._events.emit("queue_changed", version=gen.version)
        self._on_update(job.rows, job.labels)

    def _next(
        self, previous: Generation, job: TrainingInput, view: PoolView, fresh: bool
    ) -> Generation:
        opts = self._options
        version, seed = previous.version + 1, self._seed + previous.version
        if not can_train(job.labels, bool(opts["multi_label"])):
            with self._lock:
                self._refit_due = False  # labels were undone: nothing to refit
            return cold_generation(
                previous, view=view, ids=self._ids, n_labels=len(job.labels),
                excluded=job.excluded, labeled=job.labeled, strategy=self.strategy, seed=seed,
                **opts,  # type: ignore[arg-type]
            )  # fmt: skip
        start = time.perf_counter()
        model = self._train(previous, job, view, fresh)
        with self._lock:
            if fresh or previous.model is None:
                self._refit_due = False
            elif version % self.full_refit_every == 0:
                self._refit_due = True
        self._take_grown()
        scores, rows = self._scores, None
        if scores.proba is None or scores.n <= 4 * self._rescore_top:
            scores.write_all(model.predict_proba(view.X, view.presence), version)
        else:  # the candidates now, the rest of the pool in the background
            rows = scores.candidates(
                job.excluded, top=self._rescore_top, random=self._rescore_top,
                multi_label=bool(opts["multi_label"]), seed=seed,
            )  # fmt: skip
            sub = {m: v[rows] for m, v in view.X.items()}
            scores.write(rows, model.predict_proba(sub, view.presence[rows]), version)
        proba = scores.snapshot()
        queue = rank_queue(
            model, view=view, ids=self._ids, proba=proba, rows=rows, excluded=job.excluded,
            labeled=job.labeled, strategy=self.strategy, version=version, seed=seed,
            **opts,  # type: ignore[arg-type]
        )  # fmt: skip
        return Generation(
            version=version,
            model=model,
            proba=proba,
            n_labels=len(job.labels),
            trained_at=time.time(),
            seconds=time.perf_counter() - start,
            queue=queue,
            scored_version=scores.floor(),
        )

    def _train(self, previous: Generation, job: TrainingInput, view: PoolView, fresh: bool) -> Any:
        """A warm start of the serving model, or a fresh fit (the first, or a due refit).

        A due refit runs (with four times the epochs) only when no label waits, and stops at
        the next epoch when one arrives: labels are always served by a quick warm start.
        """
        fit = functools.partial(
            train_model, previous, view=view, labeled_rows=job.rows, labels=job.labels,
            make_model=self.new_model,
        )  # fmt: skip
        if previous.model is None:  # nothing serves the labels meanwhile: never give way
            return self._calibrated(fit(full_refit=True, should_stop=self.should_stop))
        if fresh:
            return self._calibrated(
                fit(
                    full_refit=True,
                    should_stop=lambda: self.should_stop() or (
                        self._thread is not None and self._wake.is_set()
                    ),
                )
            )  # fmt: skip
        return fit(full_refit=False, should_stop=self.should_stop)  # keeps its temperature

    def choice(self) -> ModelChoice | None:
        """The evaluator's latest model choice (None before the first evaluation)."""
        return self._selection() if self._selection is not None else None

    def _calibrated(self, model: Any) -> Any:
        """A fresh fit with the temperature fitted on its own out-of-fold predictions."""
        choice = self.choice()
        if choice is not None and choice.matches(model) and hasattr(model, "temperature_"):
            model.temperature_ = choice.temperature
        return model

    def sweep_step(self) -> None:
        """Rescore the next block of rows with the serving model; rank the pool after the last.

        A no-op when no sweep is due. Each call holds the refresh lock for one block only,
        so a new label's refresh waits at most that long.
        """
        with self._announcing:
            self._sweep_step()

    def _sweep_step(self) -> None:
        with self._refreshing:
            gen = self.generation
            if gen.model is None or gen.proba is None or self.should_stop():
                with self._lock:
                    self._sweeping = False
                return
            self._take_grown()
            view, scores = self._pool.view(), self._scores
            rows = scores.next_block(gen.version, SWEEP_BLOCK)
            if rows is not None:
                # a run of rows (the usual case) is a slice: a view, not a copy
                pick: Any = rows
                if rows[-1] - rows[0] + 1 == len(rows):
                    pick = slice(int(rows[0]), int(rows[-1]) + 1)
                sub = {m: v[pick] for m, v in view.X.items()}
                scores.write(rows, gen.model.predict_proba(sub, view.presence[pick]), gen.version)
                return
            # the sweep is over: rank the whole pool on the scores it left
            proba, job = scores.snapshot(), self._inputs()
            queue = rank_queue(
                gen.model, view=view, ids=self._ids, proba=proba, rows=None,
                excluded=job.excluded, labeled=job.labeled, strategy=self.strategy,
                version=gen.version, seed=self._seed + gen.version - 1,
                **self._options,  # type: ignore[arg-type]
            )  # fmt: skip
            done = replace(gen, proba=proba, queue=queue, scored_version=scores.floor())
            with self._lock:
                self._generation = done
                self._sweeping = done.scored_version < done.version
        self._events.emit("queue_changed", version=done.version)

    def new_model(self) -> Any:
        """A fresh, unfitted copy of the model template (``"auto"``: of the chosen model)."""
        return resolve_model(self.model, self.choice())

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread (a running fit stops at its next epoch) and wait for it."""
        self._stop.set()
        self._wake.set()
        self._work.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self.should_stop():
            self._work.clear()  # whatever is made due after this wakes the wait below
            if not self._wake.is_set():  # labels first; then the work that improves the queue
                if self.rescoring:
                    self.sweep_step()  # one block, then look for new labels again
                    continue
                if self.refit_due and self._pool.ready:
                    self._refresh_now(fresh=True)
                    continue
                self._work.wait()
                continue
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
