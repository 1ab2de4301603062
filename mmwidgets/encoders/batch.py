"""Encode a whole Dataset through the embedding cache, in the foreground or a background thread."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.data import list_modalities
from mmwidgets.encoders._base import Encoder, create_encoder
from mmwidgets.encoders._batch_dispatch import (
    DispatchStats,
    ItemsCallback,
    Transfer,
    check_executor,
    dispatch,
)
from mmwidgets.encoders._batch_job import EncodingJob
from mmwidgets.encoders._batch_progress import EncodingCancelledError, Progress, ProgressCallback
from mmwidgets.encoders._batch_result import EncodedDataset, EncodingProblem
from mmwidgets.encoders._batch_run import ColumnWork, Reporter, encode_column, lookup_column
from mmwidgets.encoders._shard_plan import PlannedColumn, ShardPlan
from mmwidgets.encoders._shard_task import EncoderRef
from mmwidgets.encoders.cache import EmbeddingCache, default_cache_dir
from mmwidgets.exceptions import UnknownModalityError

if TYPE_CHECKING:
    from mmwidgets.data.dataset import Dataset

__all__ = [
    "DispatchStats",
    "EncodedDataset",
    "EncodingCancelledError",
    "EncodingJob",
    "EncodingProblem",
    "encode_dataset",
    "encode_dataset_async",
]

EncoderArg = Encoder | str | None
CacheArg = EmbeddingCache | str | os.PathLike[str] | bool
_TRANSFERS = ("auto", "return", "cache")


def encode_dataset(
    dataset: Dataset,
    encoders: Mapping[str, EncoderArg] | None = None,
    *,
    cache: CacheArg = True,
    progress: bool = True,
    batch_size: int = 32,
    on_progress: ProgressCallback | None = None,
    executor: Any = None,
    shard_size: int = 256,
    transfer: Transfer = "auto",
    on_items: ItemsCallback | None = None,
) -> EncodedDataset:
    """Embed every value of every modality column of ``dataset``, reading the cache first.

    Each distinct content is looked up in the cache; only the misses go to the encoder, in
    batches of ``batch_size``, and each finished batch is cached at once. A pass over data that
    is already cached never loads a model.

    Parameters
    ----------
    dataset : Dataset
        The items. Items with recorded problems are skipped (all-NaN rows, presence False);
        cells that fail now are recorded with :meth:`Dataset.record_problem`.
    encoders : dict, optional
        Modality -> an :class:`Encoder`, a registered encoder name, or None for the default
        (``create_encoder(modality)``). Modalities left out use their default. Any registered
        modality works. A key that names one of the dataset's columns instead sets that
        column's encoder alone (e.g. ``{"speech": "transcript"}`` for a spoken column beside
        a ``"sound"`` column that keeps log-mel). Each column's encoder is then asked for its
        :meth:`Encoder.for_column`. A key that is neither raises
        :class:`~mmwidgets.exceptions.UnknownModalityError`.
    cache : EmbeddingCache, path or bool, optional
        An open cache, a cache folder, True for :func:`default_cache_dir`, or False for none.
    progress : bool, optional
        Show a tqdm bar per modality (notebook-aware).
    batch_size : int, optional
        Values per encoder call and per cache write; also how often cancellation is checked.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` (cells, all modalities together) after every
        step, from the encoding thread.
    executor : optional
        Encode on workers: a Dask ``distributed.Client``, a ``ProcessPoolExecutor``, Ray's
        executor, or any object with ``submit(fn, *args)`` returning a future. The items
        left to encode are cut into shards of ``shard_size`` items, in the order of a content
        hash (so the first shards back are a random sample of the pool); each worker loads
        each encoder once, and every finished shard is committed to the cache as it arrives
        (a rerun after any failure encodes only what is missing). ``device="auto"``
        encoders use each worker's own GPU where it has one. None encodes on this thread.
    shard_size : int, optional
        Items per shard with an executor.
    transfer : {"auto", "return", "cache"}, optional
        How workers hand back their rows: "return" sends fp16 rows back; "cache" writes them
        as shard files into the cache folder (which the workers must see: a shared
        filesystem) for the driver to index; "auto" does the latter where a worker sees the
        folder and the former elsewhere.
    on_items : callable, optional
        With an executor: called as ``on_items(rows, {column: embeddings of those rows})``
        whenever items are finished (all their cells encoded), from the encoding thread; first
        for every item the cache already held. A session trains on them meanwhile.

    Returns
    -------
    EncodedDataset

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from mmwidgets import Dataset
    >>> from mmwidgets.encoders import encode_dataset
    >>> ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a koala", "a bus"]}), text="caption")
    >>> folder = tempfile.mkdtemp()
    >>> cold = encode_dataset(ds, {"text": "hashing"}, cache=folder, progress=False)
    >>> warm = encode_dataset(ds, {"text": "hashing"}, cache=folder, progress=False)
    >>> cold.computed, warm.cached, warm.computed
    ({'text': 2}, {'text': 2}, {'text': 0})
    """
    _check_batch_size(batch_size)
    options = _dispatch_options(executor, shard_size, transfer, on_items)
    run = _Run(dataset, encoders, cache, progress, on_progress, options)
    return run.execute(batch_size)


def encode_dataset_async(
    dataset: Dataset,
    encoders: Mapping[str, EncoderArg] | None = None,
    *,
    cache: CacheArg = True,
    progress: bool = True,
    batch_size: int = 32,
    on_progress: ProgressCallback | None = None,
    executor: Any = None,
    shard_size: int = 256,
    transfer: Transfer = "auto",
    on_items: ItemsCallback | None = None,
) -> EncodingJob:
    """Start :func:`encode_dataset` on a background thread; returns its :class:`EncodingJob`.

    The encoders are created, the cells counted (vectorized) and the progress bars shown
    before this returns; gathering the cells, the encoding itself and any model loading
    happen on the job's thread.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmwidgets import Dataset
    >>> from mmwidgets.encoders import encode_dataset_async
    >>> ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a koala", "a bus"]}), text="caption")
    >>> job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
    >>> job.result(timeout=60).embeddings["text"].shape, job.progress()
    ((2, 256), {'text': (2, 2)})
    """
    _check_batch_size(batch_size)
    options = _dispatch_options(executor, shard_size, transfer, on_items)
    run = _Run(dataset, encoders, cache, progress, on_progress, options)
    return EncodingJob(lambda: run.execute(batch_size), run.progress)


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")


@dataclass(frozen=True)
class _Dispatch:
    executor: Any
    shard_size: int
    transfer: Transfer
    on_items: ItemsCallback | None


def _dispatch_options(
    executor: Any, shard_size: int, transfer: str, on_items: ItemsCallback | None
) -> _Dispatch | None:
    if not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"shard_size must be a positive int, got {shard_size!r}")
    if transfer not in _TRANSFERS:
        raise ValueError(f"transfer must be one of {_TRANSFERS}, got {transfer!r}")
    if executor is None:
        if on_items is not None:
            raise ValueError("on_items is called as shards finish: it needs an executor")
        return None
    check_executor(executor)
    return _Dispatch(executor, shard_size, transfer, on_items)  # type: ignore[arg-type]


class _Run:
    """One encoding run: counted on the caller's thread, its cells gathered where it executes.

    Which cells to encode is decided here, as one bool mask per column (vectorized, so that
    even a million-row pool returns at once with honest progress totals); the per-cell work
    lists are built by :meth:`execute`, i.e. on the job's thread for an async run.
    """

    def __init__(
        self,
        dataset: Dataset,
        encoders: Mapping[str, EncoderArg] | None,
        cache: CacheArg,
        show: bool,
        on_progress: ProgressCallback | None,
        options: _Dispatch | None = None,
    ) -> None:
        self.dataset, self.ids = dataset, dataset.ids
        self.options = options
        self.encoders, self.column_encoders = _resolve_encoders(
            dataset.columns, encoders or {}, _cache_dir(cache)
        )
        skipped = dataset.problem_mask()  # items with a problem now are skipped whole
        self.plan: dict[str, list[tuple[str, np.ndarray]]] = {
            modality: [(column, dataset.present_mask(column) & ~skipped) for column in columns]
            for modality, columns in dataset.columns.items()
        }
        totals = {m: sum(int(mask.sum()) for _, mask in cols) for m, cols in self.plan.items()}
        single = None if options is None else "encoding " + "+".join(totals) + " on workers"
        self.progress = Progress(totals, show=show, on_progress=on_progress, single=single)
        self._cache_arg = cache
        self.problems: list[EncodingProblem] = []
        self.failed_rows: set[int] = set()
        self.stats: DispatchStats | None = None

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities encoded, in the dataset's order."""
        return tuple(self.plan)

    def execute(self, batch_size: int) -> EncodedDataset:
        try:
            work = self._gather()
            cache = _open_cache(self._cache_arg)
        except BaseException:
            self.progress.close()
            raise
        try:
            if self.options is not None:
                return self._dispatch(work, cache, self.options)
            return self._encode(work, cache, batch_size)
        finally:
            self.progress.close()
            if cache is not None and cache is not self._cache_arg:
                cache.close()

    def _gather(self) -> dict[str, list[ColumnWork]]:
        work: dict[str, list[ColumnWork]] = {}
        for modality, columns in self.plan.items():
            work[modality] = []
            for column, mask in columns:
                rows = np.flatnonzero(mask).tolist()
                cells = self.dataset.column_values(column)
                values = cells if len(rows) == len(cells) else [cells[r] for r in rows]
                work[modality].append(ColumnWork(modality, column, rows, values))
        return work

    def _encode(
        self, work: dict[str, list[ColumnWork]], cache: EmbeddingCache | None, batch_size: int
    ) -> EncodedDataset:
        matrices: dict[str, np.ndarray] = {}
        cached = dict.fromkeys(work, 0)
        computed = dict.fromkeys(work, 0)
        for modality, works in work.items():
            for column in works:
                encoder = self.column_encoders[column.column]
                report = self._reporter(column.column)
                done = encode_column(
                    column, len(self.ids), encoder, cache, self.progress, batch_size, report
                )
                matrices[column.column] = done.matrix
                cached[modality] += done.cached
                computed[modality] += done.computed
            self.progress.finish(modality)
        # as the next run will (the dataset now has problems for them), drop such items whole
        failed = sorted(self.failed_rows)
        for matrix in matrices.values():
            matrix[failed] = np.nan
        return _assemble(self, matrices, cached, computed)

    def _dispatch(
        self, work: dict[str, list[ColumnWork]], cache: EmbeddingCache | None, options: _Dispatch
    ) -> EncodedDataset:
        columns: list[PlannedColumn] = []
        for works in work.values():
            for column in works:
                encoder = self.column_encoders[column.column]
                ref = EncoderRef.of(encoder)
                report = self._reporter(column.column)
                found = lookup_column(column, len(self.ids), encoder, cache, self.progress, report)
                columns.append(PlannedColumn(column, found, ref))
        plan = ShardPlan(columns, options.shard_size)
        matrices = {p.work.column: p.lookup.matrix for p in columns}

        def finished(rows: list[int] | np.ndarray) -> None:
            keep = np.array([r for r in rows if r not in self.failed_rows], dtype=np.intp)
            if options.on_items is not None and len(keep):
                options.on_items(keep, {c: m[keep] for c, m in matrices.items()})

        finished([r for r in range(len(self.ids)) if r not in plan.waiting_rows])
        reporters = {p.work.column: self._reporter(p.work.column) for p in columns}
        self.stats = dispatch(
            plan,
            options.executor,
            cache=cache,
            progress=self.progress,
            transfer=options.transfer,
            report=lambda column, row, problem: reporters[column](row, problem),
            on_finished=finished,
        )
        cached = dict.fromkeys(work, 0)
        computed = dict.fromkeys(work, 0)
        for planned in columns:
            cached[planned.work.modality] += planned.lookup.cached
            computed[planned.work.modality] += sum(map(len, planned.lookup.misses.values()))
        failed = sorted(self.failed_rows)
        for matrix in matrices.values():
            matrix[failed] = np.nan
        return _assemble(self, matrices, cached, computed)

    def _reporter(self, column: str) -> Reporter:
        def report(row: int, problem: str) -> None:
            self.failed_rows.add(row)
            self.problems.append(EncodingProblem(self.ids[row], column, problem))
            self.dataset.record_problem(self.ids[row], column, problem)

        return report


def _assemble(
    run: _Run, matrices: dict[str, np.ndarray], cached: dict[str, int], computed: dict[str, int]
) -> EncodedDataset:
    columns = tuple(matrices)
    column_presence = np.zeros((len(run.ids), len(columns)), dtype=bool)
    for j, column in enumerate(columns):
        column_presence[:, j] = ~np.isnan(matrices[column]).any(axis=1)
    embeddings: dict[str, np.ndarray] = {}
    presence = np.zeros((len(run.ids), len(run.plan)), dtype=bool)
    for m, planned in enumerate(run.plan.values()):
        names = [name for name, _ in planned]
        present = column_presence[:, [columns.index(name) for name in names]]
        if len(names) == 1:
            embeddings[run.modalities[m]] = matrices[names[0]]
        elif len({matrices[name].shape[1] for name in names}) > 1:
            pass  # columns given encoders of different sizes: no mean (column_embeddings)
        else:
            stacked = np.stack([matrices[name] for name in names])
            with np.errstate(invalid="ignore"):  # items with no column present stay NaN
                counts = present.sum(axis=1, dtype=np.float32)[:, None]
                mean = np.nansum(stacked, axis=0) / counts
            mean[~present.any(axis=1)] = np.nan
            embeddings[run.modalities[m]] = mean
        presence[:, m] = present.any(axis=1)
    return EncodedDataset(
        ids=run.ids,
        modalities=run.modalities,
        columns=columns,
        embeddings=embeddings,
        column_embeddings=matrices,
        presence=presence,
        column_presence=column_presence,
        encoders={m: run.encoders[m] for m in run.modalities},
        column_encoders=dict(run.column_encoders),
        problems=list(run.problems),
        cached=cached,
        computed=computed,
        dispatch=run.stats,
    )


def _resolve_encoders(
    columns: Mapping[str, tuple[str, ...]],
    given: Mapping[str, EncoderArg],
    cache_dir: Path | None,
) -> tuple[dict[str, Encoder], dict[str, Encoder]]:
    """Each modality's encoder, and each column's (a key naming a column is that column's)."""
    registered = list_modalities()
    modality_of = {c: m for m, names in columns.items() for c in names}
    unknown = sorted(str(k) for k in given if k not in registered and k not in modality_of)
    if unknown:
        raise UnknownModalityError(
            f"encoders are given per modality {tuple(registered)} or per column "
            f"{tuple(modality_of)}, not for {unknown}"
        )
    encoders = {m: _encoder(m, given.get(m)) for m in columns}
    per_column: dict[str, Encoder] = {}
    for column, modality in modality_of.items():
        own = column in given and column not in registered  # a modality's name is the modality
        encoder = _encoder(modality, given[column], column) if own else encoders[modality]
        per_column[column] = encoder.for_column(column, cache_dir)
    return encoders, per_column


def _encoder(modality: str, arg: EncoderArg, column: str | None = None) -> Encoder:
    if isinstance(arg, Encoder):
        if arg.modality != modality:
            where = f"the {column!r} column's" if column else f"the {modality}"
            raise ValueError(f"{where} encoder given is a {arg.modality} encoder: {arg}")
        return arg
    return create_encoder(modality, arg)  # the registry's encoders load their model later


def _cache_dir(cache: CacheArg) -> Path | None:
    if isinstance(cache, EmbeddingCache):
        return cache.directory
    if cache is False:
        return None
    return default_cache_dir() if cache is True else Path(cache)


def _open_cache(cache: CacheArg) -> EmbeddingCache | None:
    if isinstance(cache, EmbeddingCache):
        return cache
    if cache is False:
        return None
    return EmbeddingCache(None if cache is True else cache)
