"""The session's view of the pool: per-column model inputs, presence, and a fused space.

Encoding runs on the encoder layer's background job (or the embeddings are given); until it
finishes ``ready`` is False and the session hands out random cold-start picks. Each column is
then projected once to compact fp16 inputs (:mod:`mmwidgets.encoders.compact`), which every
model of the session trains and scores on, and the whole is published once, as one immutable
:class:`PoolView`, under the pool's lock; readers take that view and keep it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmwidgets.data import Dataset
from mmwidgets.encoders import EncodedDataset, EncodingJob, encode_dataset, encode_dataset_async
from mmwidgets.encoders.compact import COMPACT_DIM, Projection, compact_inputs
from mmwidgets.exceptions import NotReadyError
from mmwidgets.session._fused import FUSED_DIM, fused_embeddings
from mmwidgets.session._given import check_embeddings
from mmwidgets.session._pool_stream import InputStream

__all__ = ["FUSED_DIM", "PARTIAL_EVERY_S", "Pool", "PoolView", "fused_embeddings"]

#: the shortest time between two partial views (each one makes the session retrain)
PARTIAL_EVERY_S = 2.0


@dataclass(frozen=True, eq=False)
class PoolView:
    """The embedded pool, published once: model inputs ``X``, ``presence`` (n, M), ``fused``.

    ``X`` holds one fp16 ``(n, d)`` matrix per column: the column's compact inputs, made by
    ``projections[column]`` from its embeddings (None: kept whole). ``pending`` is None once
    every item is encoded; while shards still arrive (an executor), it is True for the items
    not encoded yet, which are absent in ``presence``.
    """

    X: Mapping[str, np.ndarray]
    presence: np.ndarray
    fused: np.ndarray
    projections: Mapping[str, Projection | None] | None = None
    pending: np.ndarray | None = None

    def usable(self) -> np.ndarray:
        """Bool per item: it has at least one embedded column."""
        return np.asarray(self.presence.any(axis=1))


class Pool:
    """Embeddings of every item, computed once (cached on disk) in the background.

    With an ``executor``, partial views are published as shards arrive (at most one every
    ``PARTIAL_EVERY_S``), and ``on_grow(rows)`` is called after each with the rows that it
    added, so the model trains on the first shards; ``ready`` is then True before ``complete``.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        encoders: Mapping[str, Any] | None,
        cache_dir: str | os.PathLike[str] | None,
        progress: bool,
        on_progress: Callable[[int, int], None] | None = None,
        embeddings: Mapping[str, np.ndarray] | None = None,
        compact_dim: int | None = COMPACT_DIM,
        check_media: bool = False,
        executor: Any = None,
        shard_size: int = 256,
        on_grow: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        self.dataset = dataset
        self.checks_media = check_media
        self._given = None if embeddings is None else check_embeddings(dataset, embeddings)
        self._compact_dim = compact_dim
        self._args: dict[str, Any] = {
            "encoders": dict(encoders or {}),
            "cache": cache_dir if cache_dir is not None else True,
            "progress": progress,
            "on_progress": on_progress,
        }
        if executor is not None:
            self._args.update(executor=executor, shard_size=shard_size)
        self._on_grow = on_grow
        self._stream: InputStream | None = None  # owned by the encoding thread
        self._encoders: dict[str, Any] = {}  # modality -> the Encoder that embedded it
        self._column_encoders: dict[str, Any] = {}  # column -> the Encoder that embedded it
        self._last_partial = 0.0
        self._lock = threading.Lock()
        self._job: EncodingJob | None = None
        self._view: PoolView | None = None
        self._error: str | None = None
        self._adopted = threading.Event()  # set once a view is published, or encoding failed
        self._started = threading.Event()  # start() was called
        self._cancelled = threading.Event()  # cancel() was called

    @property
    def ready(self) -> bool:
        """True once a model can train: every item embedded, or (executor) the first shards."""
        with self._lock:
            return self._view is not None

    @property
    def complete(self) -> bool:
        """True once every item is embedded (no shard is still to come)."""
        with self._lock:
            return self._view is not None and self._view.pending is None

    @property
    def error(self) -> str | None:
        """Why encoding failed, or None."""
        with self._lock:
            return self._error

    def view(self) -> PoolView:
        """The embedded pool (maybe partial); raises :class:`NotReadyError` before any."""
        with self._lock:
            view = self._view
        if view is None:
            raise NotReadyError(self._not_ready())
        return view

    def start(self, on_done: Callable[[], None]) -> None:
        """Check media, then encode, on a background thread; then call ``on_done``.

        ``on_done`` is called after a failure too. With ``check_media`` (the Session built
        the dataset with ``validate=False`` to return at once), the media cells are checked
        first, so that encoding and ranking skip the broken ones. A Dataset the user built
        with ``validate=False`` is taken as it is.
        """
        self._started.set()
        threading.Thread(
            target=self._background, args=(on_done,), name="mmwidgets-encoding-wait", daemon=True
        ).start()

    def _background(self, on_done: Callable[[], None]) -> None:
        try:
            if self.checks_media and not self.dataset.media_checked:
                self.dataset.check_media(
                    progress=self._args["progress"], should_stop=self._cancelled.is_set
                )
            if self._given is not None:
                if not self._cancelled.is_set():
                    self._publish(self._given)
            else:
                arrived = self._arrived if "executor" in self._args else None
                job = encode_dataset_async(self.dataset, **self._args, on_items=arrived)
                with self._lock:
                    self._job = job
                if self._cancelled.is_set():  # close() came while the job was being set up
                    job.cancel()
                self._adopt(job.result())
        except Exception as exc:  # reported through status(); labeling goes on regardless
            with self._lock:
                self._error = f"encoding failed: {type(exc).__name__}: {exc}"
        self._adopted.set()
        on_done()

    def encode_now(self) -> None:
        """Encode on this thread, or wait for the background job if one is running."""
        with self._lock:
            job, ready = self._job, self._view is not None and self._view.pending is None
        if ready:
            return
        if job is not None or self._started.is_set():  # never twice: the running one counts
            self.wait_ready(timeout=None)
            return
        if self.checks_media and not self.dataset.media_checked:
            self.dataset.check_media(progress=self._args["progress"])
        if self._given is not None:
            self._publish(self._given)
            return
        self._adopt(encode_dataset(self.dataset, **self._args))

    def wait_ready(self, timeout: float | None, *, progress: bool = False) -> PoolView:
        """Block until the embeddings exist (a tqdm bar of cells encoded when ``progress``).

        Raises
        ------
        NotReadyError
            After ``timeout`` seconds (None waits as long as it takes), or at once when
            encoding failed; the message says how far it got.
        """
        with self._lock:
            job, ready = self._job, self._view is not None and self._view.pending is None
        if ready:
            return self.view()
        if job is None and not self._started.is_set():  # a foreground pool, never encoded
            self.encode_now()
            return self.view()
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = _progress_bar(self.progress()) if progress else None
        try:
            while not self._adopted.wait(0.1):
                if bar is not None:
                    bar.n, bar.total = self.progress()
                    bar.refresh()
                if deadline is not None and time.monotonic() > deadline:
                    break
        finally:
            if bar is not None:
                bar.close()
        if not self.complete:  # a partial view is for the trainer, not for whole-pool reads
            raise NotReadyError(self._not_ready())
        return self.view()

    def _not_ready(self) -> str:
        if self.error is not None:
            return f"the embeddings are not available: {self.error}"
        done, total = self.progress()
        return (
            f"the embeddings are still being computed ({done} of {total} cells done); "
            "try again shortly or pass a longer timeout"
        )

    def _arrived(self, rows: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Items finished by the executor's shards (on the encoding thread)."""
        if self._stream is None:
            self._stream = InputStream(len(self.dataset), self._compact_dim, FUSED_DIM)
        if not self._stream.add(rows, columns) or self._cancelled.is_set():
            return
        now = time.monotonic()
        if now - self._last_partial < PARTIAL_EVERY_S:
            return
        self._last_partial = now
        self._publish_stream(complete=False)

    def _publish_stream(self, complete: bool) -> None:
        stream = self._stream
        assert stream is not None, "only called once items arrived"
        view = PoolView(
            X=stream.X,  # shared: later items are written only where this view has them absent
            presence=stream.presence.copy(),
            fused=stream.fused,
            projections=stream.projections,
            pending=None if complete else stream.pending.copy(),
        )
        with self._lock:
            before, self._view = self._view, view
        if complete:
            self._adopted.set()
        partial_before = before is not None and before.pending is not None
        was = before.pending if partial_before else np.ones(stream.n, bool)  # type: ignore[union-attr]
        if self._on_grow is not None:
            self._on_grow(np.flatnonzero(was & ~stream.pending))

    def encoder(self, modality: str) -> Any:
        """The encoder that embedded ``modality`` (to embed a query alike); None if given."""
        with self._lock:
            return self._encoders.get(modality)

    def column_encoder(self, column: str) -> Any:
        """The encoder that embedded ``column`` (e.g. to read its transcripts); None if given."""
        with self._lock:
            return self._column_encoders.get(column)

    def _adopt(self, encoded: EncodedDataset) -> None:
        with self._lock:
            self._encoders = dict(encoded.encoders)
            self._column_encoders = dict(encoded.column_encoders)
        stream = self._stream
        if stream is not None:
            stream.start()  # fewer items than its fitting sample: fitted on all of them now
        if stream is None or not stream.started:  # no executor, or no item came back whole
            self._publish(encoded.column_embeddings)
            return
        self._publish_stream(complete=True)

    def _publish(self, embeddings: Mapping[str, np.ndarray]) -> None:
        # the only full pass over the wide embeddings: later work reads the compact inputs
        inputs = compact_inputs(embeddings, self._compact_dim)
        view = PoolView(
            X=inputs.X,
            presence=inputs.presence,
            fused=fused_embeddings(inputs.X, inputs.presence),
            projections=inputs.projections,
        )
        with self._lock:
            self._view = view
        self._adopted.set()

    def usable(self) -> np.ndarray:
        """Bool per item: it has at least one embedded column (False for all until ready)."""
        with self._lock:
            view = self._view
        if view is None:
            return np.zeros(len(self.dataset), dtype=bool)
        return view.usable()

    def progress(self) -> tuple[int, int]:
        """Cells embedded so far and in all."""
        with self._lock:
            job, ready = self._job, self._view is not None
        if job is None:
            if self._given is not None:  # given embeddings: only the compaction is left
                return (len(self.dataset) if ready else 0), len(self.dataset)
            n = len(self.dataset) if ready else 0
            return n, n
        snapshot = job.progress()
        return sum(d for d, _ in snapshot.values()), sum(t for _, t in snapshot.values())

    def cancel(self, wait: float = 0.0) -> None:
        """Stop the media check or encoding job (``Session.close``), waiting up to ``wait`` s."""
        self._cancelled.set()
        with self._lock:
            job = self._job
        if job is not None and not job.done():
            job.cancel()
        if self._started.is_set() and wait > 0:
            self._adopted.wait(wait)


def _progress_bar(state: tuple[int, int]) -> Any:
    from tqdm.auto import tqdm

    done, total = state
    return tqdm(total=total, initial=done, desc="waiting for embeddings", unit="cell")
