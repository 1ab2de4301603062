"""The driver's side of sharded encoding: which items go in which shard, and which are done.

Items with something left to encode are ordered by a content hash (the key of their first
missing cell) and cut into shards of ``shard_size`` items, so that the first shards to finish
are a uniform random sample of the pool, whatever order the DataFrame is in: a model trained
on them is trained on the pool, not on its first rows. A content shared by several items is
encoded once, in the shard of the first of them; an item is finished when every one of its
contents has come back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from mmwidgets.encoders._batch_run import ColumnLookup, ColumnWork
from mmwidgets.encoders._shard_task import ColumnPart, EncoderRef, PartResult, ShardTask

__all__ = ["PlannedColumn", "ShardPlan"]


@dataclass(frozen=True)
class PlannedColumn:
    """A column to encode: its cells, its lookups done, and the encoder workers will use."""

    work: ColumnWork
    lookup: ColumnLookup
    encoder: EncoderRef


class ShardPlan:
    """Shards to submit, and the bookkeeping that turns their results into finished items.

    Owned by the one thread that runs the dispatch loop: not thread-safe, by design.
    """

    def __init__(self, columns: Sequence[PlannedColumn], shard_size: int) -> None:
        self.columns = list(columns)
        owner: dict[int, str] = {}  # row -> the content key that places it
        per_row: list[dict[int, str]] = []  # column -> {row: its missing content}
        for planned in self.columns:
            mine: dict[int, str] = {}
            for content, rows in planned.lookup.misses.items():
                for row in rows:
                    mine[row] = content
                    owner.setdefault(row, content)
            per_row.append(mine)
        order = sorted(owner, key=owner.__getitem__)
        self._shards: list[list[tuple[str, ...]]] = []
        self.pending = np.zeros(max(owner, default=-1) + 1, dtype=np.int32)
        assigned: list[set[str]] = [set() for _ in self.columns]
        for start in range(0, len(order), shard_size):
            keys: list[list[str]] = [[] for _ in self.columns]
            for row in order[start : start + shard_size]:
                for c, mine in enumerate(per_row):
                    needed = mine.get(row)
                    if needed is None:
                        continue
                    self.pending[row] += 1
                    if needed not in assigned[c]:
                        assigned[c].add(needed)
                        keys[c].append(needed)
            self._shards.append([tuple(k) for k in keys])
        self.waiting_rows = set(owner)

    def __len__(self) -> int:
        return len(self._shards)

    def tasks(
        self, cache_dir: str | None, token: str | None, require_shared: bool
    ) -> Iterator[ShardTask]:
        """The shards as tasks, in hash order (values read from the columns' first cells)."""
        for index, keys in enumerate(self._shards):
            parts = tuple(
                ColumnPart(
                    planned.work.column,
                    planned.encoder,
                    list(column_keys),
                    [planned.lookup.first_value[k] for k in column_keys],
                )
                for planned, column_keys in zip(self.columns, keys, strict=True)
                if column_keys
            )
            yield ShardTask(index, parts, cache_dir, token, require_shared)

    def cells(self, index: int) -> dict[str, int]:
        """Cells (rows waiting, not distinct contents) that shard ``index`` covers, by modality."""
        out: dict[str, int] = {}
        for planned, keys in zip(self.columns, self._shards[index], strict=True):
            n = sum(len(planned.lookup.misses[k]) for k in keys)
            out[planned.work.modality] = out.get(planned.work.modality, 0) + n
        return out

    def apply(
        self,
        part: PartResult,
        rows: np.ndarray,
        report: Callable[[int, str], None],
    ) -> list[int]:
        """Write one column's returned rows (float32, as stored) into its matrix.

        ``rows[i]`` is ``part.keys[i]``'s embedding (NaN where it failed). Returns the items
        this finished (every content of theirs is back).
        """
        planned = next(p for p in self.columns if p.work.column == part.column)
        out, misses = planned.lookup.matrix, planned.lookup.misses
        finished: list[int] = []
        for i, content in enumerate(part.keys):
            targets = misses[content]
            problem = part.problems.get(i)
            if problem is None:
                out[targets] = part.wide.get(i, rows[i])
            else:
                for row in targets:
                    report(row, problem)
            for row in targets:
                self.pending[row] -= 1
                if self.pending[row] == 0:
                    finished.append(row)
                    self.waiting_rows.discard(row)
        return finished
