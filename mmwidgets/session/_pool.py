"""The session's view of the pool: per-column embeddings, presence, and a compact fused space.

Encoding runs on the encoder layer's background job; until it finishes ``ready`` is False and
the session hands out random cold-start picks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mmwidgets.data import Dataset
from mmwidgets.encoders import EncodedDataset, EncodingJob, encode_dataset, encode_dataset_async

__all__ = ["FUSED_DIM", "Pool", "fused_embeddings"]

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
    ) -> None:
        self.dataset = dataset
        self._args: dict[str, Any] = {
            "encoders": dict(encoders or {}),
            "cache": cache_dir if cache_dir is not None else True,
            "progress": progress,
            "on_progress": on_progress,
        }
        self._job: EncodingJob | None = None
        self._lock = threading.Lock()
        self.encoded: EncodedDataset | None = None
        self.X: dict[str, np.ndarray] = {}
        self.presence = np.zeros((len(dataset), 0), dtype=bool)
        self.fused = np.zeros((len(dataset), FUSED_DIM), dtype=np.float32)
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        """True once every item is embedded."""
        return self.encoded is not None

    def start(self, on_done: Callable[[], None]) -> None:
        """Encode on a background thread, then call ``on_done`` (also after a failure)."""
        job = encode_dataset_async(self.dataset, **self._args)
        self._job = job

        def finish() -> None:
            try:
                self._adopt(job.result())
            except Exception as exc:  # reported through status(); labeling goes on regardless
                self.error = f"encoding failed: {type(exc).__name__}: {exc}"
            on_done()

        threading.Thread(target=finish, name="mmwidgets-encoding-wait", daemon=True).start()

    def encode_now(self) -> None:
        """Encode on this thread (scripts, tests, ``background=False``)."""
        if not self.ready:
            self._adopt(encode_dataset(self.dataset, **self._args))

    def _adopt(self, encoded: EncodedDataset) -> None:
        X = dict(encoded.column_embeddings)
        presence = encoded.column_presence
        fused = fused_embeddings(X, presence)
        with self._lock:
            self.X, self.presence, self.fused = X, presence, fused
            self.encoded = encoded

    def usable(self) -> np.ndarray:
        """Bool per item: it has at least one embedded column (False for all until ready)."""
        if not self.ready:
            return np.zeros(len(self.dataset), dtype=bool)
        return np.asarray(self.presence.any(axis=1))

    def progress(self) -> tuple[int, int]:
        """Cells embedded so far and in all."""
        if self._job is None:
            n = len(self.dataset) if self.ready else 0
            return n, n
        snapshot = self._job.progress()
        return sum(d for d, _ in snapshot.values()), sum(t for _, t in snapshot.values())

    def cancel(self) -> None:
        """Stop a running encoding job (used by ``Session.close``)."""
        if self._job is not None and not self._job.done():
            self._job.cancel()
