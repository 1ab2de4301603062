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
from mmwidgets.session._given import check_embeddings

__all__ = ["FUSED_DIM", "Pool", "PoolView", "fused_embeddings"]

#: width of the fused space the diversity and cold-start strategies work in
FUSED_DIM = 64


def fused_embeddings(
    X: Mapping[str, np.ndarray], presence: np.ndarray, dim: int = FUSED_DIM, seed: int = 0
) -> np.ndarray:
    """Each column L2-normalised, randomly projected to ``dim``, summed over present columns.

    A fixed Gaussian projection keeps cosine geometry (Johnson-Lindenstrauss) while making
    k-means and k-center cheap on wide concatenations (384 + 1280 + 128 dims); items with no
    usable column get NaN so strategies never pick them.

    Examples
    --------
    >>> import numpy as np
    >>> X = {"text": np.eye(3, dtype="float32")}
    >>> fused_embeddings(X, np.ones((3, 1), bool), dim=8).shape
    (3, 8)
    """
    rng = np.random.default_rng(seed)
    n = presence.shape[0]
    out = np.zeros((n, dim), dtype=np.float32)
    for j, (_name, matrix) in enumerate(X.items()):
        proj = (rng.standard_normal((matrix.shape[1], dim)) / np.sqrt(dim)).astype(np.float32)
        for start in range(0, n, 65536):
            block = np.nan_to_num(np.asarray(matrix[start : start + 65536], dtype=np.float32))
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            block = block / np.maximum(norms, 1e-12)
            out[start : start + 65536] += (block @ proj) * presence[
                start : start + 65536, j : j + 1
            ]
    out[~presence.any(axis=1)] = np.nan
    return out


@dataclass(frozen=True, eq=False)
class PoolView:
    """The embedded pool, published once: model inputs ``X``, ``presence`` (n, M), ``fused``.

    ``X`` holds one fp16 ``(n, d)`` matrix per column: the column's compact inputs, made by
    ``projections[column]`` from its embeddings (None: kept whole).
    """

    X: Mapping[str, np.ndarray]
    presence: np.ndarray
    fused: np.ndarray
    projections: Mapping[str, Projection | None] | None = None

    def usable(self) -> np.ndarray:
        """Bool per item: it has at least one embedded column."""
        return np.asarray(self.presence.any(axis=1))


class Pool:
    """Embeddings of every item, computed once (cached on disk) in the background."""

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
        self._lock = threading.Lock()
        self._job: EncodingJob | None = None
        self._view: PoolView | None = None
        self._error: str | None = None
        self._adopted = threading.Event()  # set once a view is published, or encoding failed
        self._started = threading.Event()  # start() was called
        self._cancelled = threading.Event()  # cancel() was called

    @property
    def ready(self) -> bool:
        """True once every item is embedded."""
        with self._lock:
            return self._view is not None

    @property
    def error(self) -> str | None:
        """Why encoding failed, or None."""
        with self._lock:
            return self._error

    def view(self) -> PoolView:
        """The embedded pool; raises :class:`NotReadyError` before encoding finished."""
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
                job = encode_dataset_async(self.dataset, **self._args)
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
            job, ready = self._job, self._view is not None
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
            job, ready = self._job, self._view is not None
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
        return self.view()

    def _not_ready(self) -> str:
        if self.error is not None:
            return f"the embeddings are not available: {self.error}"
        done, total = self.progress()
        return (
            f"the embeddings are still being computed ({done} of {total} cells done); "
            "try again shortly or pass a longer timeout"
        )

    def _adopt(self, encoded: EncodedDataset) -> None:
        self._publish(encoded.column_embeddings)

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
