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

__all__ = [
    "ColumnLookup",
    "ColumnResult",
    "ColumnWork",
    "encode_column",
    "encode_values",
    "lookup_column",
]

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


@dataclass
class ColumnLookup:
    """One column after its cache lookups: hits filled in, the distinct misses still to encode.

    ``misses`` maps a content key to the rows waiting for it (first-seen order), and
    ``first_value`` to the raw value to encode it from.
    """

    matrix: np.ndarray
    key: str
    misses: dict[str, list[int]]
    first_value: dict[str, Any]
    cached: int


def lookup_column(
    work: ColumnWork,
    n_items: int,
    encoder: Encoder,
    cache: EmbeddingCache | None,
    progress: Progress,
    report: Reporter,
) -> ColumnLookup:
    """Hash every cell of the column and read the cached ones into a float32 matrix.

    Each distinct content is looked up once; cells whose content can't be read are reported.
    """
    out = np.full((n_items, encoder.dim), np.nan, dtype=np.float32)
    found = ColumnLookup(out, encoder_key(encoder), {}, {}, 0)
    misses, first_value = found.misses, found.first_value
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
            rows_found, hit = cache.get_many(found.key, keys, dim=encoder.dim)
            out[np.asarray(rows, dtype=np.intp)[hit]] = rows_found[hit]
            found.cached += int(hit.sum())
            progress.advance(work.modality, int(hit.sum()))
        for content, row, was_hit in zip(keys, rows, hit.tolist(), strict=True):
            if not was_hit:
                misses.setdefault(content, []).append(row)
    return found


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
    found = lookup_column(work, n_items, encoder, cache, progress, report)
    out, misses, first_value = found.matrix, found.misses, found.first_value
    pending = list(misses)
    for start in range(0, len(pending), batch_size):
        progress.check_cancelled()
        batch = pending[start : start + batch_size]
        _encode_misses(batch, misses, first_value, encoder, out, report, cache is not None)
        if cache is not None:  # failed rows are NaN, which the cache does not store
            cache.put_many(found.key, batch, out[[misses[content][0] for content in batch]])
        progress.advance(work.modality, sum(len(misses[content]) for content in batch))
    return ColumnResult(out, found.cached, sum(len(rows) for rows in misses.values()))


def encode_values(
    encoder: Encoder, values: Sequence[Any], as_stored: bool
) -> tuple[np.ndarray, dict[int, str]]:
    """Encode raw values: float32 rows, and ``{index: problem}`` for those that failed.

    With ``as_stored`` the rows are rounded to fp16 as the cache stores them (a cold pass then
    equals every warm one); a row that overflows fp16 keeps its float32 values. A non-finite
    row is a problem, never an embedding.
    """
    failed: dict[int, str] = {}
    rows = encoder.encode(values, on_problem=lambda i, p: failed.__setitem__(i, p))
    if as_stored:
        with np.errstate(over="ignore"):
            half = rows.astype(np.float16).astype(np.float32)
        fits = np.isfinite(half).all(axis=1)
        rows[fits] = half[fits]
    for i in np.flatnonzero(~np.isfinite(rows).all(axis=1)).tolist():
        failed.setdefault(i, f"{encoder.name} returned a non-finite embedding")
    return rows, failed


def _encode_misses(
    contents: Sequence[str],
    misses: dict[str, list[int]],
    first_value: dict[str, Any],
    encoder: Encoder,
    out: np.ndarray,
    report: Reporter,
    as_stored: bool,
) -> None:
    rows, failed = encode_values(encoder, [first_value[c] for c in contents], as_stored)
    for i, content in enumerate(contents):
        problem = failed.get(i)
        targets = misses[content]
        if problem is None:
            out[targets] = rows[i]
        else:
            for row in targets:
                report(row, problem)
