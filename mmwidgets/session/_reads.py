"""The reading half of the Session: the model, its scores, its evaluation, the map, status.

:class:`SessionReads` is the Session's base class. It is given the parts it reads in its own
``__init__`` and keeps them; it never writes labels and never touches the queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from mmwidgets.data import Dataset, LabelStoreProtocol
from mmwidgets.encoders.speech import TranscriptEncoder
from mmwidgets.session._candidates import Candidates
from mmwidgets.session._evaluator import Evaluator
from mmwidgets.session._events import Event, EventHub
from mmwidgets.session._inspector import Inspector
from mmwidgets.session._pool import Pool
from mmwidgets.session._state import QueuedItem
from mmwidgets.session._trainer import Trainer

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["SessionReads"]

_S = TypeVar("_S", bound="SessionReads")


class SessionReads:
    """What a Session answers about its model; see :class:`~mmwidgets.session.Session`."""

    def __init__(
        self,
        *,
        dataset: Dataset,
        store: LabelStoreProtocol,
        events: EventHub,
        pool: Pool,
        trainer: Trainer,
        evaluator: Evaluator,
        candidates: Candidates,
        timeout: float,
        progress: bool,
    ) -> None:
        self.dataset = dataset
        self.store = store
        self.labels: tuple[str, ...] = tuple(store.labels)
        self.multi_label = store.multi_label
        self.events = events
        self.timeout = timeout
        self._progress = progress
        self._pool = pool
        self._trainer = trainer
        self._evaluator = evaluator
        self._candidates = candidates
        self._inspector = Inspector(
            pool=pool, store=store, evaluator=evaluator,
            generation=lambda: trainer.generation, labeled=candidates.labeled_rows,
            row=candidates.row,
            ids=dataset.ids, class_names=self.labels, multi_label=self.multi_label,
            progress=progress,
        )  # fmt: skip

    def _fusion(self) -> str | None:
        fusion: str | None = self._trainer.model.get_params(deep=False).get("fusion")
        return fusion

    def _wait(self, timeout: float | None) -> float | None:
        return self.timeout if timeout is None else timeout

    # ------------------------------------------------------------ state
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
    def ready(self) -> bool:
        """True once every item is embedded (until then reads that need embeddings wait)."""
        return self._pool.ready

    @property
    def ids(self) -> list[str]:
        """Every item id, in pool-row order."""
        return list(self.dataset.ids)

    def problems(self) -> pd.DataFrame:
        """The cells the session cannot use and why: columns ``id``, ``column``, ``problem``.

        Filled at construction (media checks) and while encoding (an encoder that fails on one
        item); the items listed are never queued nor trained on, the rest carry on.

        Examples
        --------
        >>> session.problems().columns.tolist()
        ['id', 'column', 'problem']
        """
        return self.dataset.problems()

    def transcript(self, item_id: str | int, column: str) -> str | None:
        """The words the speech encoder heard in an item's audio column (``""``: none).

        None where the column is not embedded by the ``"transcript"`` encoder (see
        :class:`~mmwidgets.encoders.speech.TranscriptEncoder`), where the cell is missing, or
        while the clip is not transcribed yet. Reads stored transcripts; nothing runs here.

        Raises
        ------
        UnknownItemError
            For an id that is not in the pool.
        SchemaError
            For a column that is not one of the dataset's.

        Examples
        --------
        >>> print(session.transcript(session.ids[0], "speech"))  # log-mel: no words
        None
        """
        value = self.dataset.value(item_id, column)
        encoder = self._pool.column_encoder(column)
        if value is None or not isinstance(encoder, TranscriptEncoder):
            return None
        return encoder.transcript(value)

    @property
    def model_version(self) -> int:
        """Version of the model now serving predictions (0 before the first one)."""
        return self._trainer.generation.version

    @property
    def model(self) -> Any:
        """The fitted model now serving predictions, or None before two classes are labeled."""
        return self._trainer.generation.model

    def status(self) -> dict[str, Any]:
        """Encoding progress, training and evaluation state, model version, counts, last error.

        Examples
        --------
        >>> status = session.status()
        >>> status["n_labeled"], status["encoding"]["ready"], status["error"]
        (12, True, None)
        """
        done, total = self._pool.progress()
        gen = self._trainer.generation
        return {
            "encoding": {
                "done": done,
                "total": total,
                "ready": self._pool.ready,
                "complete": self._pool.complete,
            },
            "training": self._trainer.training,
            "evaluating": self._evaluator.running,
            "rescoring": self._trainer.rescoring,
            "model_version": gen.version,
            "trained_on": gen.n_labels,
            "train_seconds": gen.seconds,
            "n_labeled": len(self.store),
            "n_items": len(self.dataset),
            "n_problems": self.dataset.n_problems,  # O(1): widgets poll status()
            "error": self._trainer.error or self._pool.error,
            "last_accuracy": self._evaluator.last_accuracy(),
        }

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
            gen = self._trainer.generation
            caught_up = (
                gen.version >= version
                if version is not None
                else self._trainer.idle  # cheap first: the count reads the store
                and gen.n_labels == len(self._candidates.training_labels()[1])
            )
            if caught_up and self._pool.ready and not self._trainer.training:
                return True
            time.sleep(0.02)
        return False

    # ------------------------------------------------------------ the model's view
    def predictions(self) -> pd.DataFrame:
        """Probabilities of every class for every item, from the serving model (empty before).

        Examples
        --------
        >>> p = session.predictions()
        >>> list(p.columns) == list(session.labels), len(p) == len(session.dataset)
        (True, True)
        """
        import pandas as pd

        proba = self._trainer.generation.proba
        index = pd.Index(self.dataset.ids if proba is not None else [], name="id")
        return pd.DataFrame(proba, index=index, columns=list(self.labels))

    def describe(self, item_id: str | int, reason: str) -> QueuedItem:
        """Any item as a queue entry: the serving model's prediction of it, with ``reason``.

        Examples
        --------
        >>> item = session.describe(session.dataset.ids[0], "picked by hand")
        >>> item.prediction in session.labels, item.reason
        (True, 'picked by hand')
        """
        return self._inspector.describe(self._candidates.check(item_id), reason)

    def modality_weights(self) -> dict[str, float] | None:
        """The learned per-column weights of a ``"weighted"`` fusion model, else None.

        Examples
        --------
        >>> w = session.modality_weights()
        >>> w is None or abs(sum(w.values()) - 1) < 1e-5
        True
        """
        return self._inspector.modality_weights()

    def point_summary(self) -> dict[str, np.ndarray]:
        """Per item: stored label index, predicted label index (-1: none) and confidence.

        Multi-label items report their first label. For colouring maps.

        Examples
        --------
        >>> s = session.point_summary()
        >>> int((s["label"] >= 0).sum()) == len(session.store)
        True
        """
        return self._inspector.point_summary()

    def label_counts(self) -> dict[str, int]:
        """How many items carry each label now.

        Examples
        --------
        >>> sum(session.label_counts().values()) >= len(session.store)
        True
        """
        return self._inspector.label_counts()

    # ------------------------------------------------------------ lifecycle
    def _encoded(self) -> None:
        error = self._pool.error
        if error is not None and not self._trainer.should_stop():
            self.events.emit("error", message=error)
        self._trainer.request()

    @property
    def fusion(self) -> str | None:
        """The model's fusion mode (None for a model without one)."""
        return self._fusion()

    def close(self) -> None:
        """Stop the background threads and close the store. Safe to call twice.

        Examples
        --------
        >>> session.close()
        >>> session.close()  # a second close is harmless
        """
        self._trainer.stop(timeout=0)  # a running fit stops at its next epoch
        self._pool.cancel(wait=30)
        self._trainer.stop(timeout=30)
        self._evaluator.stop(timeout=30)
        self.store.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Session({len(self.dataset)} items, {len(self.store)} labeled, "
            f"model v{self.model_version}, fusion={self.fusion!r}, "
            f"strategy={self._trainer.strategy!r})"
        )
