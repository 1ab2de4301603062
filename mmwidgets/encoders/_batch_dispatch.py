"""Encoding shards on an executor: a Dask client, a process pool, or any ``submit()``-er.

The driver (the thread that runs :func:`dispatch`) keeps a window of shards in flight, and
commits each result to the cache the moment it arrives, before it counts as progress: a
driver or worker killed at any point loses only the shards in flight, and the next run
encodes only what the cache lacks. Workers either return fp16 rows, or (on a filesystem they
share with the driver) stage them as shard files that the driver then indexes; in both cases
only the driver writes the cache's index, and a shard is only ever read once indexed.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mmwidgets.encoders._batch_progress import Progress
from mmwidgets.encoders._shard_plan import ShardPlan
from mmwidgets.encoders._shard_task import PartResult, ShardResult, driver_marker, encode_shard
from mmwidgets.encoders.cache import EmbeddingCache

__all__ = [
    "DispatchStats",
    "ItemsCallback",
    "Transfer",
    "as_executor",
    "check_executor",
    "dispatch",
]

#: how shard results come back: "return" (pickled rows), "cache" (files in a shared cache
#: folder), or "auto" (files where the worker sees the cache folder, rows elsewhere)
Transfer = Literal["auto", "return", "cache"]
#: called as ``on_items(rows, {column: rows' embeddings})`` as items finish, from the driver
ItemsCallback = Callable[[np.ndarray, dict[str, np.ndarray]], None]
#: how often the driver wakes to check for cancellation while it waits for shards
_POLL_S = 0.2


@dataclass
class DispatchStats:
    """How a sharded run went: shards, the workers seen, and where the driver's time went.

    Examples
    --------
    >>> from mmwidgets.encoders import DispatchStats
    >>> DispatchStats(shards=4, slots=2).shards
    4
    """

    #: shards encoded in this run (0 when everything was cached)
    shards: int
    #: tasks the executor runs at once, as far as the driver could tell
    slots: int
    #: worker processes that returned shards
    workers: set[int] = field(default_factory=set)
    #: seconds from the first submission to the last result
    wall_s: float = 0.0
    #: seconds the driver spent committing results (the cache writes and index commits)
    commit_s: float = 0.0
    #: results that came back as shard files staged in a shared cache folder
    staged: int = 0


def as_executor(executor: Any) -> tuple[cf.Executor, int]:
    """A ``concurrent.futures`` executor for ``executor``, and how many tasks it runs at once.

    A Dask ``distributed.Client`` becomes its :meth:`get_executor` (``pure=False``, so
    identical shards are never merged); any object with ``submit`` is used as it is.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from mmwidgets.encoders._batch_dispatch import as_executor
    >>> with ThreadPoolExecutor(3) as pool:
    ...     as_executor(pool)[1]
    3
    """
    if callable(getattr(executor, "get_executor", None)) and callable(
        getattr(executor, "nthreads", None)
    ):  # a dask.distributed Client, without importing dask here
        slots = sum(int(n) for n in executor.nthreads().values())
        return executor.get_executor(pure=False), max(1, slots)
    check_executor(executor)
    return executor, int(getattr(executor, "_max_workers", None) or 4)


def check_executor(executor: Any) -> None:
    """Raise TypeError unless ``executor`` can ``submit`` work (checked before any work)."""
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (ProcessPoolExecutor, Ray's "
            f"RayExecutor, ...) or a dask.distributed Client, not {type(executor).__name__}"
        )


def dispatch(
    plan: ShardPlan,
    executor: Any,
    *,
    cache: EmbeddingCache | None,
    progress: Progress,
    transfer: Transfer,
    report: Callable[[str, int, str], None],
    on_finished: Callable[[list[int]], None],
) -> DispatchStats:
    """Run every shard of ``plan`` on ``executor``, committing results as they arrive."""
    pool, slots = as_executor(executor)
    stats = DispatchStats(shards=len(plan), slots=slots)
    if not len(plan):
        return stats
    if transfer == "cache" and cache is None:
        raise ValueError("transfer='cache' needs a cache folder the workers share")
    with _marker(cache, transfer) as token:
        folder = None if token is None or cache is None else os.fspath(cache.directory)
        tasks = plan.tasks(folder, token, require_shared=transfer == "cache")
        start = time.perf_counter()
        _drain(pool, tasks, 2 * slots, plan, stats, cache, progress, report, on_finished)
        stats.wall_s = time.perf_counter() - start
    return stats


@contextlib.contextmanager
def _marker(cache: EmbeddingCache | None, transfer: Transfer) -> Iterator[str | None]:
    if cache is None or transfer == "return":
        yield None
        return
    token = uuid.uuid4().hex
    marker = driver_marker(cache.directory, token)
    marker.write_text(f"{os.getpid()}\n")
    try:
        yield token
    finally:
        marker.unlink(missing_ok=True)


def _drain(
    pool: cf.Executor,
    tasks: Iterator[Any],
    window: int,
    plan: ShardPlan,
    stats: DispatchStats,
    cache: EmbeddingCache | None,
    progress: Progress,
    report: Callable[[str, int, str], None],
    on_finished: Callable[[list[int]], None],
) -> None:
    running: dict[cf.Future[ShardResult], int] = {}

    def fill() -> None:
        for task in tasks:
            running[pool.submit(encode_shard, task)] = task.index
            if len(running) >= window:
                return

    try:
        fill()
        while running:
            progress.check_cancelled()
            done, _ = cf.wait(running, timeout=_POLL_S, return_when=cf.FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:
                    raise RuntimeError(
                        f"encoding shard {index + 1} of {len(plan)} failed on a worker: "
                        f"{type(exc).__name__}: {exc} (finished shards are cached; a rerun "
                        "encodes only the rest)"
                    ) from exc
                began = time.perf_counter()
                finished = _commit(plan, result, cache, stats, report)
                stats.commit_s += time.perf_counter() - began
                stats.workers.add(result.pid)
                for modality, n in plan.cells(index).items():
                    progress.advance(modality, n)
                if finished:
                    on_finished(finished)
            fill()
    finally:
        for future in running:  # cancelled, or one failed: the rest is not waited for
            future.cancel()


def _commit(
    plan: ShardPlan,
    result: ShardResult,
    cache: EmbeddingCache | None,
    stats: DispatchStats,
    report: Callable[[str, int, str], None],
) -> list[int]:
    finished: list[int] = []
    for part in result.parts:
        planned = next(p for p in plan.columns if p.work.column == part.column)
        key, dim = planned.lookup.key, planned.lookup.matrix.shape[1]
        rows = _rows(part, dim, key, cache)
        if part.staged is not None:
            stats.staged += 1
        elif cache is not None and part.rows is not None:
            cache.put_many(key, part.keys, rows)  # NaN rows (failures) are not stored
        finished += plan.apply(part, rows, functools.partial(report, part.column))
    return finished


def _rows(part: PartResult, dim: int, key: str, cache: EmbeddingCache | None) -> np.ndarray:
    if part.rows is not None:
        rows = np.asarray(part.rows, dtype=np.float32)
        if rows.shape != (len(part.keys), dim):
            raise ValueError(
                f"a worker returned {rows.shape} rows for column {part.column!r}, "
                f"expected ({len(part.keys)}, {dim})"
            )
        return rows
    rows = np.full((len(part.keys), dim), np.nan, dtype=np.float32)
    if part.staged is not None:
        assert cache is not None, "only a worker that saw the cache folder stages files"
        staged_keys = [part.keys[i] for i in part.staged_rows]
        rows[part.staged_rows] = cache.adopt_shard(key, part.staged, staged_keys, dim)
    return rows
