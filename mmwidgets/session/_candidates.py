"""Which items may be queued, and which are labeled, as pool rows.

Owns nothing mutable: it reads the label store, the queue state and the pool it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmwidgets.data import LabelStoreProtocol, UnknownItemError
from mmwidgets.session._assignment import Assignment
from mmwidgets.session._loop import random_queue
from mmwidgets.session._pool import Pool
from mmwidgets.session._queue import QueueState
from mmwidgets.session._state import QueuedItem
from mmwidgets.session._trainer import TrainingInput

__all__ = ["Candidates"]


class Candidates:
    """Row bookkeeping between item ids, the label store, the queue state and the pool.

    ``ids`` are the pool's dataset's ids in row order; ids are looked up in rows through that
    dataset's own index, so that a million-item pool is not indexed a second time. Items with
    problems are read from the dataset each time: a background media check adds them late.
    """

    def __init__(
        self,
        *,
        ids: Sequence[str],
        store: LabelStoreProtocol,
        queue: QueueState,
        pool: Pool,
        assignment: Assignment,
        train_on_model_labels: bool = False,
    ) -> None:
        self._ids = ids
        self._with_model = train_on_model_labels
        self._assignment = assignment
        self._dataset = pool.dataset
        self._store = store
        self._queue = queue
        self._pool = pool

    def check(self, item_id: str | int) -> str:
        """The item's id as stored; raises ``UnknownItemError`` when it is not in the pool."""
        iid = str(item_id)
        if self._dataset.row_of(iid) is None:
            raise UnknownItemError(f"item {item_id!r} is not in this session's dataset")
        return iid

    def row(self, item_id: str) -> int | None:
        """The item's row in the pool, or None when it is not in this dataset."""
        return self._dataset.row_of(item_id)

    def stored_done(self) -> set[str]:
        """Ids the store has as done for this annotator now (see :class:`Assignment`)."""
        return self._assignment.done()

    def sync_done(self) -> None:
        """Make the queue's done set what the store says (after undo, or before a retrain)."""
        self._queue.reset_done(self.stored_done())

    def labeled_rows(self, model: bool = False) -> tuple[np.ndarray, list[Any]]:
        """Pool rows and labels of the items people label now (``model``: and the model)."""
        current = self._store.current()
        if not model:
            current = current[current["source"] == "person"]
        found = [self.row(str(i)) for i in current["id"]]
        keep = np.array([row is not None for row in found], dtype=bool)
        rows = np.array([row for row in found if row is not None], dtype=np.int64)
        return rows, list(current["label"][keep])

    def excluded(self, extra: set[str] | None = None) -> np.ndarray:
        """Items that may not be queued: with problems, unembeddable, done, or in ``extra``."""
        mask: np.ndarray = self._dataset.problem_mask()  # a fresh array: ours to edit
        if self._pool.ready:
            mask |= ~self._pool.usable()  # every column failed to embed: nothing to show
        for iid in self._queue.done() | (extra or set()):
            row = self.row(iid)
            if row is not None:
                mask[row] = True
        return mask

    def refill(
        self, taken: set[str], n: int, seed: int, reason: str = "random pick (queue refilling)"
    ) -> tuple[QueuedItem, ...]:
        """Random picks among the items not excluded nor ``taken``, their media checked.

        While the background media check has not reached them, the picks' own cells are
        decoded here (a few files), and a broken one is replaced by another pick.
        """
        picks: tuple[QueuedItem, ...] = ()
        for attempt in range(5):
            # read before the mask: a check that ends after it may have found problems the
            # mask does not have yet
            checked = not self._pool.checks_media or self._dataset.media_checked
            candidates = ~self.excluded(taken | {item.id for item in picks})
            more = random_queue(self._ids, candidates, n - len(picks), seed + attempt, reason)
            if checked or not more:
                return picks + more
            self._dataset.check_media([item.id for item in more], progress=False)
            picks += tuple(item for item in more if not self._dataset.has_problem(item.id))
            if len(picks) >= n:
                break
        return picks

    def training_input(self) -> TrainingInput:
        """What the next refresh trains on (the done set synced from the store first).

        Labeled items still being encoded (while an executor's shards arrive) wait. The
        ``labeled`` mask holds the excluded items the model learns from: a strategy takes
        them for covered (k-center's centres); skipped items, items another annotator holds
        and broken ones are only excluded.
        """
        self.sync_done()
        rows, labels = self.training_labels()
        excluded = self.excluded()
        labeled = np.zeros(len(excluded), dtype=bool)
        labeled[rows] = True
        labeled &= excluded  # in a team, an item still open to this annotator covers nothing
        pending = self._pool.view().pending if self._pool.ready else None
        if pending is not None and len(rows):
            keep = ~pending[rows]
            rows, labels = rows[keep], [label for label, k in zip(labels, keep, strict=True) if k]
        return TrainingInput(rows=rows, labels=labels, excluded=excluded, labeled=labeled)

    def training_labels(self) -> tuple[np.ndarray, list[Any]]:
        """The labeled rows the model trains on: people's, and the model's own if asked."""
        return self.labeled_rows(model=self._with_model)
