"""Session: dataset + label store + encoders + fused model + query strategy, run headless.

The person's thread only ever writes a label and edits the queue; encoding, training, scoring
and evaluation run on background threads and publish their results by swapping immutable
snapshots, so ``label()`` never waits for a model.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.data import Dataset, LabelStore, UnknownItemError
from mmwidgets.fusion import FusionClassifier, TrainingCancelledError
from mmwidgets.session._events import Event, EventHub
from mmwidgets.session._inspect import InspectMixin
from mmwidgets.session._loop import next_generation, random_queue
from mmwidgets.session._pool import Pool
from mmwidgets.session._state import Generation, QueuedItem
from mmwidgets.session._tracking import Tracking

if TYPE_CHECKING:
    import pandas as pd

    from mmwidgets.session._metrics import Metrics

__all__ = ["Session"]

log = logging.getLogger("mmwidgets.session")
Columns = str | Sequence[str] | None


class Session(InspectMixin):
    """Label a pool of multimodal items while a fused model learns from every label.

    Parameters
    ----------
    data : pandas.DataFrame or Dataset
        The items. A DataFrame is wrapped with :meth:`Dataset.from_pandas` using ``id``,
        ``text``, ``image`` and ``audio`` (each a column name or a list of them).
    labels : sequence of str, optional
        The task's label set; may be omitted when ``store`` already holds one.
    multi_label : bool
        Items take any number of labels instead of exactly one.
    store : path or LabelStore
        Where labels are written durably (SQLite). Reopening resumes where you left off.
    encoders : mapping, optional
        ``{modality: name}`` to override the default encoder of a modality (see
        :func:`mmwidgets.encoders.list_encoders`).
    fusion : str
        Fusion mode of the :class:`~mmwidgets.fusion.FusionClassifier`.
    strategy : str
        Query strategy (see :mod:`mmwidgets.active`); ``"hybrid"`` mixes uncertainty,
        diversity and random checks.
    annotator : str
        Recorded with every label; undo acts on this annotator's own events.
    cache_dir : path, optional
        Embedding cache; defaults to ``embeddings/`` next to the store.
    queue_size : int
        How many ranked items the queue holds.
    background : bool
        Run encoding and training on background threads (the default). With False, every
        call that needs fresh state computes it first (handy in scripts and tests).
    progress : bool
        Show a progress bar while encoding.
    seed : int
        Seeds the model, the strategies and the cold start.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> df = mm.load_sample().head(60)
    >>> s = mm.Session(df, labels=sorted(df.category.unique()), id="id", text="text",
    ...                store=tmp_path / "labels.sqlite", background=False, progress=False,
    ...                encoders={"text": "hashing"})
    >>> item = s.next()
    >>> s.label(item.id, df.set_index("id").category[item.id])
    >>> len(s.store)
    1
    >>> s.close()
    """

    def __init__(
        self,
        data: pd.DataFrame | Dataset,
        labels: Sequence[str] | None = None,
        *,
        text: Columns = None,
        image: Columns = None,
        audio: Columns = None,
        id: str | None = None,
        multi_label: bool = False,
        store: str | os.PathLike[str] | LabelStore = "labels.sqlite",
        encoders: Mapping[str, str] | None = None,
        fusion: str = "weighted",
        strategy: str = "hybrid",
        annotator: str = "default",
        cache_dir: str | os.PathLike[str] | None = None,
        queue_size: int = 20,
        background: bool = True,
        progress: bool = True,
        seed: int = 0,
        retrain_delay: float = 0.2,
        full_refit_every: int = 5,
        metrics_every: int = 10,
    ) -> None:
        self.dataset = _as_dataset(data, id=id, text=text, image=image, audio=audio)
        self.store = (
            store
            if isinstance(store, LabelStore)
            else LabelStore(store, labels=labels, multi_label=multi_label)
        )
        self.labels: tuple[str, ...] = tuple(self.store.labels)
        self.multi_label = self.store.multi_label
        self.fusion = fusion
        self.strategy = strategy
        self.annotator = annotator
        self.queue_size = queue_size
        self.seed = seed
        self.background = background
        self.retrain_delay = retrain_delay
        self.full_refit_every = max(1, full_refit_every)
        self.events = EventHub()
        self._lock = threading.RLock()
        self._generation = Generation()
        self._handed: dict[str, QueuedItem] = {}  # what the person was shown, for the log
        # undone items stay at the front across reranks until labeled or skipped again
        self._pinned: dict[str, QueuedItem] = {}
        self._done: set[str] = set()
        # labeled items sent back for a re-check (suspected errors), shown after the pinned
        self._recheck: dict[str, QueuedItem] = {}
        self._projections: dict[str, np.ndarray] = {}
        #: the latest simulate() result, drawn as a baseline by the Dashboard
        self.last_simulation: pd.DataFrame | None = None
        self._error: str | None = None
        self._training = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._ids = self.dataset.ids
        self._row = {item_id: i for i, item_id in enumerate(self._ids)}
        self._ok = set(self.dataset.ok_ids)
        self._refresh_done()
        self.tracking = Tracking(self, every=metrics_every)
        default_cache = Path(self.store.path).parent / "embeddings"
        self.pool = Pool(
            self.dataset,
            encoders=encoders,
            cache_dir=cache_dir if cache_dir is not None else default_cache,
            progress=progress,
            on_progress=lambda done, total: self.events.emit("progress", done=done, total=total),
        )
        self._generation = Generation(
            queue=random_queue(
                self._ids,
                self._candidates(),
                queue_size,
                seed,
                "random pick while the embeddings are computed",
            )
        )
        self._thread: threading.Thread | None = None
        if background:
            self.pool.start(on_done=self._wake.set)
            self._thread = threading.Thread(target=self._run, name="mmwidgets-trainer", daemon=True)
            self._thread.start()
            self._wake.set()  # resume: train on what the store already holds
        else:
            self.pool.encode_now()
            self.refresh()

    # ------------------------------------------------------------------ the queue
    def next(self) -> QueuedItem | None:
        """The item to label next, or None when every item is labeled or skipped.

        Examples
        --------
        >>> item = session.next()
        >>> item.prediction in session.labels, bool(item.reason)
        (True, True)
        """
        items = self.queue(1)
        return items[0] if items else None

    def queue(self, n: int = 5) -> list[QueuedItem]:
        """The next ``n`` items, best first.

        When the ranked queue runs short before the next model arrives, it is topped up with
        random picks.

        Examples
        --------
        >>> len(session.queue(3))
        3
        """
        with self._lock:
            pinned = [q for iid, q in reversed(self._pinned.items()) if iid not in self._done]
            pinned += [q for iid, q in self._recheck.items() if iid not in self._pinned]
            ahead = self._done | self._pinned.keys() | self._recheck.keys()
            ranked = pinned + [q for q in self._generation.queue if q.id not in ahead]
            if len(ranked) < n:
                taken = {q.id for q in ranked} | self._done
                mask = self._candidates(extra=taken)
                seed = self.seed + len(self._done)
                ranked += random_queue(
                    self._ids, mask, n - len(ranked), seed, "random pick (queue refilling)"
                )
            items = ranked[:n]
            for item in items:
                self._handed[item.id] = item
        return items

    # ------------------------------------------------------------------ labeling
    def label(self, item_id: str | int, label: str | Sequence[str]) -> None:
        """Store a label for an item; durable when this returns, then the model retrains.

        Raises
        ------
        UnknownItemError
            ``item_id`` is not in the dataset.
        UnknownLabelError
            A label is not in the label set (nothing is written).

        Examples
        --------
        >>> item = session.next()
        >>> session.label(item.id, "animals")
        >>> session.store.get(item.id)
        'animals'
        """
        iid = self._check_item(item_id)
        shown = self._handed.get(iid)
        self.store.set(
            iid,
            label,
            annotator=self.annotator,
            model_version=shown.model_version if shown else self._generation.version,
            reason=shown.reason if shown else "chosen by the annotator",
        )
        self._mark_done(iid, "label", label=label)

    def label_many(self, labels: Mapping[str, str | Sequence[str]]) -> None:
        """Store labels for several items in one transaction (all or nothing), e.g. a Gallery's.

        Raises
        ------
        UnknownItemError, UnknownLabelError
            Before anything is written.

        Examples
        --------
        >>> first, second = session.queue(2)
        >>> session.label_many({first.id: "animals", second.id: "food"})
        >>> session.store.get(second.id)
        'food'
        """
        pairs = [(self._check_item(item_id), label) for item_id, label in labels.items()]
        if not pairs:
            return
        self.store.set_batch(
            pairs,
            annotator=self.annotator,
            model_version=self._generation.version,
            reason="batch labeled in a gallery",
        )
        with self._lock:
            self._done.update(iid for iid, _ in pairs)
            for iid, _ in pairs:
                self._pinned.pop(iid, None)
                self._recheck.pop(iid, None)
        self.events.emit(
            "labeled",
            action="label_many",
            ids=[iid for iid, _ in pairs],
            n_labeled=len(self.store),
        )
        self._request_update()

    def skip(self, item_id: str | int) -> None:
        """Skip an item for now: it leaves the queue and is recorded as skipped.

        Examples
        --------
        >>> item = session.next()
        >>> session.skip(item.id)
        >>> item.id in session.store.skipped()
        True
        """
        iid = self._check_item(item_id)
        with self._lock:
            rechecked = self._recheck.pop(iid, None)
        if rechecked is not None:  # a re-check skipped: the stored label stands
            self.events.emit("labeled", action="keep", id=iid, n_labeled=len(self.store))
            self.events.emit("queue_changed", version=self._generation.version)
            return
        self.store.skip(iid, annotator=self.annotator)
        self._mark_done(iid, "skip")

    def undo(self) -> Any:
        """Undo this annotator's latest label, clear or skip; returns what was undone or None.

        The item goes back to the front of the queue so it can be labeled again.

        Examples
        --------
        >>> item = session.next()
        >>> session.label(item.id, "food")
        >>> session.undo().item_id == item.id, session.next().id == item.id
        (True, True)
        """
        undone = self.store.undo(annotator=self.annotator)
        if undone is None:
            return None
        iid = str(undone.item_id)
        with self._lock:
            self._refresh_done()
            back = self._handed.get(iid) or QueuedItem(id=iid, reason="undone: label it again")
            self._pinned.pop(iid, None)
            self._pinned[iid] = back  # the latest undo comes first
        self.events.emit("labeled", action="undo", id=iid, n_labeled=len(self.store))
        self.events.emit("queue_changed", version=self._generation.version)
        self._request_update()
        return undone

    def _mark_done(self, iid: str, action: str, **data: Any) -> None:
        with self._lock:
            self._done.add(iid)
            self._pinned.pop(iid, None)
            self._recheck.pop(iid, None)
        self.events.emit("labeled", action=action, id=iid, n_labeled=len(self.store), **data)
        self._request_update()

    # ------------------------------------------------------------------ the loop
    def _request_update(self) -> None:
        if self.background:
            self._wake.set()
        else:
            self.refresh()

    def refresh(self) -> None:
        """Retrain, rescore and rerank now, on this thread (background mode does it by itself).

        Examples
        --------
        >>> before = session.model_version
        >>> session.label(session.next().id, "food")
        >>> session.refresh()
        >>> session.model_version > before
        True
        """
        if not self.pool.ready:
            return
        with self._lock:
            previous = self._generation
            self._refresh_done()
            excluded = self._excluded()
        rows, labels = self._labeled_rows()
        self._training = True
        try:
            gen = next_generation(
                previous,
                X=self.pool.X,
                presence=self.pool.presence,
                fused=self.pool.fused,
                ids=self._ids,
                labeled_rows=rows,
                labels=labels,
                excluded=excluded,
                make_model=self._make_model,
                strategy=self.strategy,
                class_names=self.labels,
                multi_label=self.multi_label,
                queue_size=self.queue_size,
                full_refit=(previous.version + 1) % self.full_refit_every == 0,
                seed=self.seed + previous.version,
                should_stop=self._stop.is_set,
            )
            self._error = None
            with self._lock:
                self._generation = gen
            if gen.version != previous.version:
                self.events.emit("model_updated", version=gen.version, n_labels=gen.n_labels)
            self.events.emit("queue_changed", version=gen.version)
            self.tracking.after_update(rows, labels)
        except TrainingCancelledError:
            return  # the session is closing
        except Exception as exc:  # reported in status() and as an event; the loop goes on
            self._error = f"training failed: {type(exc).__name__}: {exc}"
            log.error("%s\n%s", self._error, traceback.format_exc())
            self.events.emit("error", message=self._error)
        finally:
            self._training = False

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                break
            time.sleep(self.retrain_delay)  # coalesce a burst of labels into one retrain
            self._wake.clear()
            if self.pool.error is not None and self._error != self.pool.error:
                self._error = self.pool.error
                self.events.emit("error", message=self.pool.error)
            self.refresh()

    def _make_model(self) -> FusionClassifier:
        return FusionClassifier(
            self.fusion, classes=self.labels, multi_label=self.multi_label, random_state=self.seed
        )

    # ------------------------------------------------------------------ helpers
    def _labeled_rows(self) -> tuple[np.ndarray, list[Any]]:
        """Pool rows and labels of every currently labeled item of this dataset."""
        current = self.store.current()
        keep = current["id"].isin(self._row)
        rows = np.array([self._row[i] for i in current["id"][keep]], dtype=np.int64)
        return rows, list(current["label"][keep])

    def _check_item(self, item_id: str | int) -> str:
        iid = str(item_id)
        if iid not in self._row:
            raise UnknownItemError(f"item {item_id!r} is not in this session's dataset")
        return iid

    def _refresh_done(self) -> None:
        self._done = {str(i) for i in self.store.labeled_ids()} | {
            str(i) for i in self.store.skipped()
        }

    def _candidates(self, extra: set[str] | None = None) -> np.ndarray:
        """Items that may be queued: problem-free, not labeled or skipped (nor in ``extra``)."""
        candidates: np.ndarray = np.logical_not(self._excluded(extra))
        return candidates

    def _excluded(self, extra: set[str] | None = None) -> np.ndarray:
        mask = np.ones(len(self._ids), dtype=bool)
        mask[[self._row[i] for i in self._ok]] = False
        if self.pool.ready:
            mask |= ~self.pool.usable()  # every column failed to embed: nothing to show
        for iid in self._done | (extra or set()):
            if iid in self._row:
                mask[self._row[iid]] = True
        return mask

    # ------------------------------------------------------------------ reading state
    def subscribe(
        self, listener: Callable[[Event], None], kinds: Sequence[str] | None = None
    ) -> Callable[[], None]:
        """Listen to session events (see ``EVENT_KINDS``); returns a function that unsubscribes.

        Examples
        --------
        >>> seen = []
        >>> stop = session.subscribe(seen.append, kinds=["labeled"])
        >>> session.skip(session.next().id)
        >>> [event.data["action"] for event in seen]
        ['skip']
        >>> stop()
        """
        return self.events.subscribe(listener, list(kinds) if kinds is not None else None)

    @property
    def model_version(self) -> int:
        """Version of the model now serving predictions (0 before the first one)."""
        return self._generation.version

    @property
    def model(self) -> FusionClassifier | None:
        """The model now serving predictions, or None before two classes are labeled."""
        model: FusionClassifier | None = self._generation.model
        return model

    def predictions(self) -> pd.DataFrame:
        """Probabilities of every class for every item, from the current model.

        One row per item id; empty before the first model.

        Examples
        --------
        >>> p = session.predictions()
        >>> list(p.columns) == list(session.labels), len(p) == len(session.dataset)
        (True, True)
        """
        import pandas as pd

        gen = self._generation
        if gen.proba is None:
            return pd.DataFrame(columns=list(self.labels), index=pd.Index([], name="id"))
        return pd.DataFrame(gen.proba, index=pd.Index(self._ids, name="id"), columns=self.labels)

    def metrics(self) -> Metrics:
        """Cross-validated quality of the fused model on the labels so far.

        Examples
        --------
        >>> m = session.metrics()
        >>> m.n_labels, 0.0 <= m.macro_f1 <= 1.0
        (12, True)
        """
        return self.tracking.metrics()

    def learning_curve(self) -> pd.DataFrame:
        """Cross-validated accuracy and macro-F1 recorded as labels accumulated.

        Examples
        --------
        >>> list(session.learning_curve().columns)
        ['n_labels', 'accuracy', 'macro_f1', 'mean_average_precision', 'time']
        """
        return self.tracking.curve()

    def status(self) -> dict[str, Any]:
        """Encoding progress, training state, model version, label counts and the last error.

        Examples
        --------
        >>> status = session.status()
        >>> status["n_labeled"], status["encoding"]["ready"], status["error"]
        (12, True, None)
        """
        done, total = self.pool.progress()
        gen = self._generation
        return {
            "encoding": {"done": done, "total": total, "ready": self.pool.ready},
            "training": self._training,
            "model_version": gen.version,
            "trained_on": gen.n_labels,
            "train_seconds": gen.seconds,
            "n_labeled": len(self.store),
            "n_items": len(self._ids),
            "n_problems": len(self.dataset.problems()),
            "error": self._error,
            "last_accuracy": self.tracking.last_accuracy(),
        }

    def simulate(
        self,
        oracle: str | Mapping[str, Any] | Callable[[str], Any],
        budget: int = 200,
        *,
        strategies: Sequence[str] | None = None,
        fusions: Sequence[str] | None = None,
        seeds: int | Sequence[int] = 3,
        step: int = 10,
        test_fraction: float = 0.3,
        progress: Callable[[str], None] | None = None,
    ) -> pd.DataFrame:
        """Label with known answers to compare strategies (and fusions) as learning curves.

        Nothing is written to the store. Each run holds out ``test_fraction`` of the items,
        labels ``step`` items at a time up to ``budget`` and records held-out accuracy.

        Parameters
        ----------
        oracle : str, mapping or callable
            The true labels: a column of the session's DataFrame, ``{item_id: label}``, or a
            function of the item id.
        strategies : sequence of str, optional
            Defaults to ``["random", <this session's strategy>]``.
        fusions : sequence of str, optional
            Defaults to this session's fusion.

        Returns
        -------
        pandas.DataFrame
            ``strategy, fusion, seed, n_labels, accuracy, macro_f1``.

        Examples
        --------
        >>> curves = session.simulate("category", budget=20, seeds=1)
        >>> sorted(curves["strategy"].unique()), int(curves["n_labels"].max())
        (['hybrid', 'random'], 20)
        """
        from mmwidgets.session._simulate import simulate_pool

        if self.multi_label:
            raise NotImplementedError("simulate() supports single-label tasks")
        if not self.pool.ready:
            self.pool.encode_now()
        if isinstance(oracle, str):
            column = self.dataset.frame[oracle]
            truth = [None if v is None or v != v else str(v) for v in column]
        elif isinstance(oracle, Mapping):
            truth = [oracle.get(i) for i in self._ids]
        else:
            truth = [oracle(i) for i in self._ids]
        truth = [t if i in self._ok else None for t, i in zip(truth, self._ids, strict=True)]
        self.last_simulation = simulate_pool(
            self.pool.X,
            self.pool.presence,
            self.pool.fused,
            truth,
            self.labels,
            budget=budget,
            strategies=list(strategies) if strategies else ["random", self.strategy],
            fusions=list(fusions) if fusions else [self.fusion],
            seeds=seeds,
            step=step,
            test_fraction=test_fraction,
            progress=progress,
        )
        return self.last_simulation

    def wait(self, version: int | None = None, timeout: float = 60.0) -> bool:
        """Block until the model reaches ``version`` (default: trained on every label so far).

        Returns False on timeout. For scripts, tests and notebooks that want a fresh model.

        Examples
        --------
        >>> session.wait(timeout=30)
        True
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            gen = self._generation
            caught_up = (
                gen.version >= version
                if version is not None
                else gen.n_labels == len(self.store) and not self._wake.is_set()
            )
            if caught_up and self.pool.ready and not self._training:
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        """Stop the background threads and close the store. Safe to call twice.

        Examples
        --------
        >>> session.close()
        >>> session.close()  # a second close is harmless
        """
        self._stop.set()
        self._wake.set()
        self.pool.cancel()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Session({len(self._ids)} items, {len(self.store)} labeled, "
            f"model v{self._generation.version}, fusion={self.fusion!r}, "
            f"strategy={self.strategy!r})"
        )


def _as_dataset(
    data: Any,
    *,
    id: str | None,
    text: Columns,
    image: Columns,
    audio: Columns,
) -> Dataset:
    if isinstance(data, Dataset):
        if any(v is not None for v in (id, text, image, audio)):
            raise TypeError("pass columns (id, text, image, audio) only with a DataFrame")
        return data
    return Dataset.from_pandas(data, id=id, text=text, image=image, audio=audio)
