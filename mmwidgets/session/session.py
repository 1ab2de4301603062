"""Session: a thin facade that wires the parts of the labeling loop together.

The parts each own their state: :class:`~mmwidgets.session._queue.QueueState` (done, pinned,
re-checks), :class:`~mmwidgets.session._pool.Pool` (embeddings), the
:class:`~mmwidgets.session._trainer.Trainer` (its thread and the published model), the
:class:`~mmwidgets.session._evaluator.Evaluator` (cross-validation, the learning curve) and
the label store. The person's thread only writes labels and edits the queue, so ``label()``
never waits for a model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mmwidgets.active import resolve_strategy
from mmwidgets.data import (
    DEFAULT_CLAIM_TTL_S,
    MODEL_ANNOTATOR,
    Dataset,
    LabelStoreProtocol,
    WatchesConnection,
    open_store,
)
from mmwidgets.session import _lifecycle
from mmwidgets.session._assignment import Assignment, check_overlap
from mmwidgets.session._auto_labeling import SessionAutoLabel
from mmwidgets.session._given import check_embeddings
from mmwidgets.session._model import model_template
from mmwidgets.session._state import Generation, QueuedItem
from mmwidgets.session._wiring import build_parts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_TIMEOUT", "Session"]

Columns = str | Sequence[str] | None
#: how long a read that needs the embeddings waits for them, in seconds
DEFAULT_TIMEOUT = 600.0


class Session(SessionAutoLabel):
    """Label a pool of multimodal items while a fused model learns from every label.

    Parameters
    ----------
    data : pandas.DataFrame or Dataset
        The items. A DataFrame is wrapped with :meth:`Dataset.from_pandas` using ``id``,
        ``text``, ``image`` and ``audio`` (each a column name or a list of them).
    labels : sequence of str, optional
        The task's label set; may be omitted when ``store`` already holds one.
    text, image, audio : str or list of str, optional
        The DataFrame's columns of each modality (only with a DataFrame).
    id : str, optional
        The DataFrame's id column (default: the index).
    columns : mapping, optional
        ``{modality: column(s)}`` for any registered modality (see
        :func:`mmwidgets.data.register_modality`), beside ``text``/``image``/``audio``.
    multi_label : bool
        Items take any number of labels instead of exactly one.
    store : path, URL or label store
        Where labels are written durably: a SQLite path (the default), a URL of a registered
        backend (see :func:`mmwidgets.data.open_store`) or a store object. Reopening resumes.
    model : estimator, optional
        The unfitted model, cloned for every full refit; default
        ``FusionClassifier("auto", random_state=seed)``, which chooses per task among the
        fusion modes and each column alone on the out-of-fold predictions of the session's
        cross-validation (``metrics().model_choice`` says which and why). Its ``classes``
        and ``multi_label`` are set from the store. All its settings (``epochs``, ``lr``,
        ``hidden`` …) are yours to choose. After each full refit its confidences are
        calibrated by a temperature fitted out of fold (``metrics().temperature``, ``ece``).
    fusion : str, optional
        Shorthand for ``model``'s fusion mode (see :func:`mmwidgets.fusion.list_fusions`).
    strategy : str or callable
        Query strategy by name (see :func:`mmwidgets.active.query`) or your own function
        with the strategies' keyword signature; ``"hybrid"`` mixes uncertainty, diversity and
        random checks.
    encoders : mapping, optional
        ``{modality: name}`` to override a modality's default encoder, or ``{column: name}``
        for one column alone, e.g. ``{"speech": "transcript"}`` to embed a spoken column's
        words (speech to text; :meth:`transcript` reads them and the Labeler shows them). An
        :class:`~mmwidgets.encoders.Encoder` instance works too, e.g.
        ``create_encoder("audio", "transcript", language="en")``.
    annotator : str
        Recorded with every label; undo acts on this annotator's own events.
    overlap : float, optional
        Label as a team: this share of the items goes to two annotators (so that agreement
        can be measured), the rest to one, and an item is handed to someone only after the
        store grants them a claim on it, so two people are never shown the same item at
        once unless it is overlapped. Each annotator's session passes the same value.
        None (the default) is one person: any label makes an item done.
    cache_dir : path, optional
        Embedding cache; defaults to ``embeddings/`` next to a SQLite store.
    executor : optional
        Encode the pool on workers: a Dask ``distributed.Client``, a
        ``ProcessPoolExecutor``, or any ``concurrent.futures`` executor (see
        :func:`~mmwidgets.encoders.encode_dataset`). Shards are cached as they arrive and the
        model trains on the first ones while the rest are encoded (``status()["encoding"]``
        says ``ready`` before ``complete``); items not encoded yet are neither queued by rank
        nor trained on. None (the default) encodes on a background thread here.
    shard_size : int
        Items per shard with an executor.
    queue_size : int
        How many ranked items each model's queue holds.
    background : bool
        Encode and train on background threads (default). With False every change retrains
        on the calling thread before returning (scripts, tests).
    progress : bool
        Show progress bars while encoding or waiting for the embeddings.
    seed : int
        Seeds the strategies, the cold start and the default model.
    retrain_delay : float
        Seconds the trainer waits after a label so that a burst trains once.
    full_refit_every : int
        After every n-th model a fresh fit is due; it runs (in the background) once no label
        waits, and gives way when one arrives. Labels are always served by a warm start of
        the last model, which takes a fraction of the time.
    metrics_every : int
        Cross-validate (in the background) each time this many new labels arrived.
    timeout : float
        How long reads that need the embeddings (``metrics()``, ``projection()`` …) wait
        for them before raising :class:`~mmwidgets.exceptions.NotReadyError`.
    embeddings : mapping, optional
        Embeddings you computed already: ``{column: (n_items, dim) array}`` for every
        modality column (memmaps are read in blocks, never loaded whole; NaN rows mark
        missing cells). Nothing is encoded then; the columns still show their media.
    rescore_top : int
        After each label, the new model rescores at once this many of the least sure items
        of the last full pass and as many random ones, and the queue is reranked among them;
        the rest of the pool is rescored in the background and ranked whole when done.
        Pools up to four times this size are rescored whole every time.
    train_on_model_labels : bool
        Train on the model's own labels (:meth:`auto_label`) as well as people's. Off by
        default: they add little the model does not know. Metrics and suspected errors are
        always computed on people's labels only.

    The models train and score on compact inputs: each embedding column wider than 128 is
    projected once, by a PCA fitted on a sample of the pool, to 128 fp16 dims
    (``session.embeddings().X``; see :mod:`mmwidgets.encoders.compact`).

    Raises
    ------
    UnknownStrategyError, UnknownFusionError, UnknownBackendError
        At construction, listing the valid names, before anything is written.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> df = mm.load_sample().head(60)
    >>> s = mm.Session(df, labels=sorted(df.category.unique()), id="id", text="text",
    ...                store=tmp_path / "labels.sqlite", background=False, progress=False,
    ...                encoders={"text": "hashing"}, model=mm.FusionClassifier(epochs=20))
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
        columns: Mapping[str, Columns] | None = None,
        multi_label: bool = False,
        store: str | os.PathLike[str] | LabelStoreProtocol = "labels.sqlite",
        model: Any = None,
        fusion: str | None = None,
        strategy: str | Callable[..., Any] = "hybrid",
        encoders: Mapping[str, Any] | None = None,
        annotator: str = "default",
        overlap: float | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        executor: Any = None,
        shard_size: int = 256,
        queue_size: int = 20,
        background: bool = True,
        progress: bool = True,
        seed: int = 0,
        retrain_delay: float = 0.2,
        full_refit_every: int = 5,
        metrics_every: int = 10,
        timeout: float = DEFAULT_TIMEOUT,
        embeddings: Mapping[str, Any] | None = None,
        rescore_top: int = 4096,
        train_on_model_labels: bool = False,
    ) -> None:
        if annotator == MODEL_ANNOTATOR:
            raise ValueError(
                f"annotator {MODEL_ANNOTATOR!r} is reserved for the model's own labels "
                "(auto_label); choose another name"
            )
        resolve_strategy(strategy)  # names are checked before anything is opened or written
        template = model_template(model, fusion, seed)
        dataset = _as_dataset(
            data, id=id, text=text, image=image, audio=audio, columns=columns,
            validate=not background,  # in the background, media are checked on its thread
        )  # fmt: skip
        if embeddings is not None:  # before the store is opened: a bad array writes nothing
            check_embeddings(dataset, embeddings)
        check_overlap(overlap)  # before the store is opened, like the names above
        store_ = open_store(store, labels=labels, multi_label=multi_label)
        self._assignment = Assignment(store_, annotator, overlap)
        #: the unfitted model, cloned for every full refit (``model`` with the store's classes)
        self.estimator = model_template(template, None, seed, store_.labels, store_.multi_label)
        self.strategy, self.annotator, self.seed = strategy, annotator, seed
        self.overlap = overlap
        self.background = background
        parts = build_parts(
            dataset, store_, estimator=self.estimator, strategy=strategy, encoders=encoders,
            cache_dir=cache_dir, progress=progress, background=background,
            queue_size=queue_size, seed=seed, retrain_delay=retrain_delay,
            full_refit_every=full_refit_every, metrics_every=metrics_every,
            embeddings=embeddings, rescore_top=rescore_top,
            executor=executor, shard_size=shard_size,
            train_on_model_labels=train_on_model_labels,
            check_media=not isinstance(data, Dataset) and background,
            assignment=self._assignment,
        )  # fmt: skip
        self._queue = parts.queue
        super().__init__(
            dataset=dataset, store=store_, events=parts.events, pool=parts.pool,
            trainer=parts.trainer, evaluator=parts.evaluator, candidates=parts.candidates,
            timeout=timeout, progress=progress,
        )  # fmt: skip
        if isinstance(store_, WatchesConnection):  # "reconnecting…" reaches the widgets
            store_.watch(lambda state: self.events.emit("connection", state=state))
        reason = "random pick while the embeddings are computed"
        first = self._candidates.refill(set(), queue_size, seed, reason)
        self._trainer.publish_queue(Generation(queue=first))
        _lifecycle.track(self)
        if background:
            self._pool.start(on_done=self._encoded)
            self._trainer.start()
            self._trainer.request()  # resume: train on what the store already holds
        else:
            self._pool.encode_now()
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
        """The next ``n`` items, best first (topped up with random picks if the ranking is short).

        Examples
        --------
        >>> len(session.queue(3))
        3
        """
        items = self._queue.compose(self._trainer.generation.queue, n, self._candidates.refill)
        for _ in range(3):  # in a team, items another annotator holds are swapped for others
            granted = set(self._assignment.claim(item.id for item in items))
            refused = [item.id for item in items if item.id not in granted]
            if not refused:
                break
            self._queue.mark_elsewhere(refused, DEFAULT_CLAIM_TTL_S)
            items = self._queue.compose(self._trainer.generation.queue, n, self._candidates.refill)
        return [item for item in items if item.id in granted]

    def recheck(self, items: Any = None, *, k: int = 10) -> int:
        """Put labeled items back at the front of the queue to be confirmed or corrected.

        ``items`` is a frame from :meth:`suspected_errors` (its reasons are kept), ids, or
        None for the top ``k`` suspected errors. Returns how many were queued; labeling one
        stores the new (or confirmed) label, skipping it keeps its label.

        Examples
        --------
        >>> n = session.recheck(k=2)
        >>> session.queue(n)[0].reason.startswith("re-check") if n else True
        True
        """
        pairs = self._inspector.recheck_pairs(self.suspected_errors(k) if items is None else items)
        queued = {self._candidates.check(i): self.describe(i, reason) for i, reason in pairs}
        self._queue.add_rechecks(queued)
        self.events.emit("queue_changed", version=self.model_version)
        return len(queued)

    def queue_similar(self, item_id: str | int, k: int = 10, *, modality: str = "fused") -> int:
        """Show the ``k`` unlabeled items most like ``item_id`` next ("more like this").

        The item itself stays first (so the one on screen stays on screen), then its
        neighbours by :meth:`similar`, each with its similarity as the reason, ahead of the
        ranked queue until labeled or skipped. Returns how many were queued.

        Examples
        --------
        >>> first = session.queue(1)[0].id
        >>> n = session.queue_similar(first, k=3)
        >>> [q.id for q in session.queue(1)] == [first], n
        (True, 4)
        """
        iid = self._candidates.check(item_id)
        done = self._queue.done()
        hits = self.similar(iid, k=4 * k, modality=modality)
        fresh = [(i, r) for i, r in zip(hits["id"], hits["reason"], strict=True) if i not in done]
        queued = {} if iid in done else {iid: self.describe(iid, "more like this: this item")}
        queued.update({i: self.describe(i, reason) for i, reason in fresh[:k]})
        self._queue.add_rechecks(queued)
        self.events.emit("queue_changed", version=self.model_version)
        return len(queued)

    # ------------------------------------------------------------------ labeling
    def label(self, item_id: str | int, label: str | Sequence[str]) -> None:
        """Store a label for an item; durable when this returns, then the model retrains.

        Raises ``UnknownItemError`` or ``UnknownLabelError`` (nothing is written).

        Examples
        --------
        >>> item = session.next()
        >>> session.label(item.id, "animals")
        >>> session.store.get(item.id)
        'animals'
        """
        iid = self._candidates.check(item_id)
        shown = self._queue.shown(iid)
        self.store.set(
            iid, label, annotator=self.annotator,
            model_version=shown.model_version if shown else self.model_version,
            reason=shown.reason if shown else "chosen by the annotator",
        )  # fmt: skip
        self._done([iid], "label", id=iid, label=label)

    def label_many(self, labels: Mapping[str, str | Sequence[str]]) -> None:
        """Store labels for several items in one transaction (all or nothing), e.g. a Gallery's.

        Examples
        --------
        >>> first, second = session.queue(2)
        >>> session.label_many({first.id: "animals", second.id: "food"})
        >>> session.store.get(second.id)
        'food'
        """
        pairs = [(self._candidates.check(item_id), label) for item_id, label in labels.items()]
        if pairs:
            self.store.set_batch(
                pairs, annotator=self.annotator, model_version=self.model_version,
                reason="batch labeled in a gallery",
            )  # fmt: skip
            self._done([iid for iid, _ in pairs], "label_many", ids=[iid for iid, _ in pairs])

    def skip(self, item_id: str | int) -> None:
        """Skip an item for now: it leaves the queue and is recorded as skipped.

        Examples
        --------
        >>> item = session.next()
        >>> session.skip(item.id)
        >>> item.id in session.store.skipped()
        True
        """
        iid = self._candidates.check(item_id)
        if self._queue.take_recheck(iid) is not None:  # a re-check skipped: the label stands
            self.events.emit("labeled", action="keep", id=iid, n_labeled=len(self.store))
            self.events.emit("queue_changed", version=self.model_version)
            return
        self.store.skip(iid, annotator=self.annotator)
        self._done([iid], "skip", id=iid)

    def undo(self) -> Any:
        """Undo this annotator's latest label, clear or skip; returns it (None if nothing).

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
        self._candidates.sync_done()
        back = self._queue.shown(iid) or QueuedItem(id=iid, reason="undone: label it again")
        self._queue.pin(back)
        self.events.emit("labeled", action="undo", id=iid, n_labeled=len(self.store))
        self.events.emit("queue_changed", version=self.model_version)
        self._request_update()
        return undone

    def adjudicate(self, item_id: str | int, label: str | Sequence[str]) -> None:
        """Settle a disputed item's label as this session's annotator (a separate event).

        The adjudicated label is the item's training target from then on; :meth:`undo`
        takes it back.

        Examples
        --------
        >>> item = session.next()
        >>> _ = session.store.set(item.id, "food", annotator="ana")
        >>> _ = session.store.set(item.id, "vehicles", annotator="ben")
        >>> session.adjudicate(item.id, "vehicles")
        >>> session.store.get(item.id), item.id in session.store.disputed()
        ('vehicles', False)
        """
        iid = self._candidates.check(item_id)
        self.store.adjudicate(iid, label, annotator=self.annotator)
        self._done([iid], "adjudicate", id=iid, label=label)

    def adjudicate_many(self, labels: Mapping[str, str | Sequence[str]]) -> None:
        """Adjudicate several items (a Gallery over :meth:`disagreements` saves with this).

        Examples
        --------
        >>> item = session.next()
        >>> session.adjudicate_many({item.id: "food"})
        >>> session.store.adjudications()["id"].tolist()[-1] == item.id
        True
        """
        for item_id, label in labels.items():
            self.adjudicate(item_id, label)

    def close(self) -> None:
        """Stop the background threads, give back this annotator's claims, close the store.

        Safe to call twice.

        Examples
        --------
        >>> session.close()
        >>> session.close()  # a second close is harmless
        """
        if not self.store.closed:
            self._assignment.release()
        super().close()

    def _done(self, done: list[str], action: str, **data: Any) -> None:
        self._queue.mark_done(done)
        self.events.emit("labeled", action=action, n_labeled=len(self.store), **data)
        self._request_update()

    # ------------------------------------------------------------------ the loop
    def _request_update(self) -> None:
        if self.background:
            self._trainer.request()
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
        self._trainer.refresh()


def _as_dataset(
    data: Any,
    *,
    id: str | None,
    text: Columns,
    image: Columns,
    audio: Columns,
    columns: Any,
    validate: bool,
) -> Dataset:
    if isinstance(data, Dataset):
        if any(v is not None for v in (id, text, image, audio, columns)):
            raise TypeError("pass columns (id, text, image, audio, columns) only with a DataFrame")
        return data
    return Dataset.from_pandas(
        data, id=id, text=text, image=image, audio=audio, columns=columns, validate=validate
    )
