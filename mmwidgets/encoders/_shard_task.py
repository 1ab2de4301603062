"""What an encoding worker runs: one shard of distinct contents, encoded by a cached encoder.

This module is what executors import on their workers (a Dask worker, a process of a
``ProcessPoolExecutor``); it needs only numpy and the encoder's own packages. An encoder
travels pickled without its model (:meth:`Encoder.__getstate__`) and is unpickled once per
worker process, so its model loads once per worker, not once per shard.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mmwidgets.encoders._base import Encoder
from mmwidgets.encoders._batch_run import encode_values
from mmwidgets.encoders._cache_files import stage_rows

__all__ = [
    "ColumnPart",
    "EncoderRef",
    "PartResult",
    "ShardResult",
    "ShardTask",
    "driver_marker",
    "encode_shard",
    "worker_stats",
]

#: encoders kept loaded per worker process (most recently used)
_CAPACITY = 4
_ENCODERS: OrderedDict[str, tuple[Encoder, threading.Lock]] = OrderedDict()
_LOCK = threading.Lock()
_STATS = {"encoders_loaded": 0, "shards": 0}


@dataclass(frozen=True)
class EncoderRef:
    """A pickled encoder and the digest workers cache it by."""

    digest: str
    blob: bytes

    @classmethod
    def of(cls, encoder: Encoder) -> EncoderRef:
        """Pickle ``encoder`` (its settings, never a loaded model) once, on the driver."""
        blob = pickle.dumps(encoder, protocol=pickle.HIGHEST_PROTOCOL)
        return cls(hashlib.sha256(blob).hexdigest(), blob)


@dataclass(frozen=True)
class ColumnPart:
    """The distinct contents of one column that a shard encodes."""

    column: str
    encoder: EncoderRef
    keys: list[str]
    values: list[Any]


@dataclass(frozen=True)
class ShardTask:
    """One unit of work: a few hundred items' missing contents, every column of them.

    ``cache_dir`` and ``token`` are set when the worker may write its rows into the cache
    folder itself (when it sees the driver's marker file there: a shared filesystem);
    ``require_shared`` makes not seeing it an error instead of a reason to return the rows.
    """

    index: int
    parts: tuple[ColumnPart, ...]
    cache_dir: str | None = None
    token: str | None = None
    require_shared: bool = False


@dataclass(frozen=True)
class PartResult:
    """One column's rows: returned as fp16 (``rows``) or staged as a shard file (``staged``).

    ``staged`` rows are ``keys[i]`` for ``i`` in ``staged_rows``, in file order. ``wide``
    holds the float32 rows too large for fp16 (never cached); ``problems`` the failures.
    """

    column: str
    keys: list[str]
    rows: np.ndarray | None
    staged: str | None = None
    staged_rows: list[int] = field(default_factory=list)
    wide: dict[int, np.ndarray] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShardResult:
    """A finished shard, and the worker process that ran it."""

    index: int
    parts: list[PartResult]
    pid: int


def driver_marker(cache_dir: str | os.PathLike[str], token: str) -> Path:
    """The file a driver leaves in its cache folder; a worker that sees it shares the folder."""
    return Path(cache_dir) / f".driver-{token}"


def _encoder(ref: EncoderRef) -> tuple[Encoder, threading.Lock]:
    with _LOCK:
        found = _ENCODERS.get(ref.digest)
        if found is None:
            encoder = pickle.loads(ref.blob)  # the driver's own object, sent by the executor
            found = _ENCODERS[ref.digest] = (encoder, threading.Lock())
            _STATS["encoders_loaded"] += 1
            if len(_ENCODERS) > _CAPACITY:
                _ENCODERS.popitem(last=False)
        else:
            _ENCODERS.move_to_end(ref.digest)
        return found


def encode_shard(task: ShardTask) -> ShardResult:
    """Encode every part of ``task``; the function executors run on their workers.

    A model forward runs under the encoder's lock: the worker's threads (Dask runs several
    per process) share one loaded model, and torch already uses every core for one batch.
    """
    shared = False
    if task.cache_dir is not None and task.token is not None:
        shared = driver_marker(task.cache_dir, task.token).exists()
        if task.require_shared and not shared:
            raise FileNotFoundError(
                f"the cache folder {task.cache_dir} is not visible on this worker (pid "
                f"{os.getpid()}); use transfer='return', or a filesystem the workers share"
            )
    parts = []
    for part in task.parts:
        encoder, lock = _encoder(part.encoder)
        with lock:
            rows, problems = encode_values(encoder, part.values, as_stored=True)
        parts.append(_result(part, rows, problems, task.cache_dir if shared else None))
    with _LOCK:
        _STATS["shards"] += 1
    return ShardResult(task.index, parts, os.getpid())


def _result(
    part: ColumnPart, rows: np.ndarray, problems: dict[int, str], cache_dir: str | None
) -> PartResult:
    with np.errstate(over="ignore"):
        half = rows.astype(np.float16)
    fits = np.isfinite(half).all(axis=1)
    wide = {
        int(i): rows[i] for i in np.flatnonzero(~fits).tolist() if i not in problems
    }  # finite, but beyond fp16's range: served, not cached (as in-process)
    if cache_dir is None:
        return PartResult(part.column, part.keys, half, wide=wide, problems=problems)
    keep = np.flatnonzero(fits).tolist()
    staged = stage_rows(cache_dir, half[keep]) if keep else None
    return PartResult(part.column, part.keys, None, staged, keep, wide, problems)


def worker_stats() -> dict[str, int]:
    """Counts of this process: encoders unpickled (so models loaded) and shards encoded.

    Examples
    --------
    >>> from mmwidgets.encoders._shard_task import worker_stats
    >>> sorted(worker_stats())
    ['encoders_loaded', 'shards']
    """
    with _LOCK:
        return dict(_STATS)
