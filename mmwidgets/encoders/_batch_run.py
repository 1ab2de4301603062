"""The encoding loop of one dataset column: content keys, cache lookups, then batches of misses."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmwidgets.encoders._base import Encoder
from mmwidgets.encoders._batch_progress import Progress
from mmwidgets.encoders._cache_keys import content_key
from mmwidgets.encoders.cache import EmbeddingCache, encoder_key

__all__ = ["ColumnResult", "ColumnWork", "encode_column"]

#: cells hashed and looked up per cache query; big enough that a warm pass makes few queries
LOOKUP_BLOCK = 1024

#: called as ``report(row, problem)`` for a cell that could not be encoded
Reporter = Callable[[int, str], None]


@dataclass(frozen=True)
class ColumnWork:
    """The cells of one column to encode: their rows in the result and their raw values."""

    modality: str
    column: str
    rows: list[int]
    values: list[Any]


@dataclass(frozen=True)
class ColumnResult:
    """One column's float32 ``(n_items, dim)`` matrix, and how many cells were hit or computed."""

    matrix: np.ndarray
    cached: int
    computed: int


def _blocks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(start + size, n))


def encode_column(
    work: ColumnWork,
    n_items: int,
    encoder: Encoder,
    cache: EmbeddingCache | None,
    progress: Progress,
    batch_size: int,
    report: Reporter,
) -> ColumnResult:
    """Embed one column's cells into a float32 ``(n_items, dim)`` matrix, NaN where absent.

    Each distinct content is looked up once and, on a miss, encoded once; computed rows are
    cached batch by batch, so a cancelled or killed run keeps what it finished, and (with a
    cache) rounded to fp16 as stored, so that every pass gives the same numbers. The encoder's
    model is only touched when a batch of misses reaches :meth:`Encoder.encode`.
    """
    out = np.full((n_items, encoder.dim), np.nan, dtype=np.float32)
    key = encoder_key(encoder)
    misses: dict[str, list[int]] = {}  # content key -> rows waiting for it, in first-seen order
    first_value: dict[str, Any] = {}
    cached = 0
    for block in _blocks(len(work.rows), LOOKUP_BLOCK):
        progress.check_cancelled()
        keys, rows = [], []
        for i in block:
            row, value = work.rows[i], work.values[i]
            try:
                content = content_key(value, work.modality)
            except (OSError, TypeError, ValueError) as exc:
                report(row, f"can't read {work.modality}: {type(exc).__name__}: {exc}")
                progress.advance(work.modality, 1)
                continue
            if content in misses:  # already known to be missing: no second lookup
                misses[content].append(row)
                continue
            keys.append(content)
            rows.append(row)
            first_value.setdefault(content, value)
        hit = np.zeros(len(keys), dtype=bool)
        if cache is not None and keys:
            found, hit = cache.get_many(key, keys, dim=encoder.dim)
            out[np.asarray(rows, dtype=np.intp)[hit]] = found[hit]
            cached += int(hit.sum())
            progress.advance(work.modality, int(hit.sum()))
        for content, row, was_hit in zip(keys, rows, hit.tolist(), strict=True):
            if not was_hit:
                misses.setdefault(content, []).append(row)
    pending = list(misses)
    for start in range(0, len(pending), batch_size):
        progress.check_cancelled()
        batch = pending[start : start + batch_size]
        _encode_misses(batch, misses, first_value, encoder, out, report, cache is not None)
        if cache is not None:  # failed rows are NaN, which the cache does not store
            cache.put_many(key, batch, out[[misses[content][0] for content in batch]])
        progress.advance(work.modality, sum(len(misses[content]) for content in batch))
    return ColumnResult(out, cached, sum(len(rows) for rows in misses.values()))


def _encode_misses(
    contents: Sequence[str],
    misses: dict[str, list[int]],
    first_value: dict[str, Any],
    encoder: Encoder,
    out: np.ndarray,
    report: Reporter,
    as_stored: bool,
) -> None:
    failed: dict[int, str] = {}
    rows = encoder.encode(
        [first_value[c] for c in contents], on_problem=lambda i, p: failed.__setitem__(i, p)
    )
    if as_stored:  # round as the cache stores them: a cold pass then equals every warm one
        with np.errstate(over="ignore"):
            half = rows.astype(np.float16).astype(np.float32)
        fits = np.isfinite(half).all(axis=1)
        rows[fits] = half[fits]
    for i, content in enumerate(contents):
        problem = failed.get(i)
        if problem is None and not np.isfinite(rows[i]).all():
            problem = f"{encoder.name} returned a non-finite embedding"
        targets = misses[content]
        if problem is None:
            out[targets] = rows[i]
        else:
            for row in targets:
                report(row, problem)
