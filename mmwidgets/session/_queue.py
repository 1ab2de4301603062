"""The queue's own state: what is done, pinned (undone), sent back for a re-check, and shown.

One owner, one lock, no threads. The trainer publishes ranked queues; this object lays the
person's own edits over the latest one (undone items first, then re-checks, then the ranking,
topped up with random picks when the ranking runs short).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from mmwidgets.session._state import QueuedItem

__all__ = ["QueueState", "Refill"]

#: ``refill(taken, n, seed)`` -> up to ``n`` random picks among items not in ``taken``
Refill = Callable[[set[str], int, int], Sequence[QueuedItem]]


class QueueState:
    """Done / pinned / re-check / handed bookkeeping of one labeling session.

    Examples
    --------
    >>> q = QueueState(seed=0)
    >>> ranked = [QueuedItem("a", "top"), QueuedItem("b", "next")]
    >>> no_refill = lambda taken, n, seed: []
    >>> [i.id for i in q.compose(ranked, 2, no_refill)]
    ['a', 'b']
    >>> q.mark_done(["a"])
    >>> q.pin(QueuedItem("a", "undone"))
    >>> q.mark_done(["b"])
    >>> [i.id for i in q.compose(ranked, 2, no_refill)]
    ['a']
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._done: set[str] = set()
        # undone items stay at the front across reranks until labeled or skipped again
        self._pinned: dict[str, QueuedItem] = {}
        # labeled items sent back for a re-check (suspected errors), shown after the pinned
        self._recheck: dict[str, QueuedItem] = {}
        self._handed: dict[str, QueuedItem] = {}  # what the person was shown, for the log
        # items the store would not grant us (another annotator holds them), until when
        self._elsewhere: dict[str, float] = {}

    def reset_done(self, done: Iterable[str]) -> None:
        """Replace the done set (labeled or skipped ids, as the store has them now)."""
        fresh = {str(i) for i in done}
        now = time.monotonic()
        with self._lock:
            self._elsewhere = {i: until for i, until in self._elsewhere.items() if until > now}
            self._done = fresh | self._elsewhere.keys()

    def done(self) -> frozenset[str]:
        """Ids labeled or skipped (never queued again unless undone or re-checked)."""
        with self._lock:
            return frozenset(self._done)

    def mark_done(self, ids: Iterable[str]) -> None:
        """Items were labeled or skipped: they leave the queue, their pin and their re-check."""
        with self._lock:
            for iid in ids:
                self._done.add(iid)
                self._pinned.pop(iid, None)
                self._recheck.pop(iid, None)

    def mark_elsewhere(self, ids: Iterable[str], seconds: float) -> None:
        """Items another annotator holds: kept out of this queue for ``seconds``."""
        until = time.monotonic() + seconds
        with self._lock:
            for iid in ids:
                self._elsewhere[iid] = until
                self._done.add(iid)

    def pin(self, item: QueuedItem) -> None:
        """Put an undone item at the very front (the latest undo first)."""
        with self._lock:
            self._done.discard(item.id)
            self._pinned.pop(item.id, None)
            self._pinned[item.id] = item

    def add_rechecks(self, items: Mapping[str, QueuedItem]) -> None:
        """Send labeled items back to be confirmed or corrected."""
        with self._lock:
            self._recheck.update(items)

    def take_recheck(self, item_id: str) -> QueuedItem | None:
        """Drop an item's re-check (it was skipped: its label stands); None if it had none."""
        with self._lock:
            return self._recheck.pop(item_id, None)

    def shown(self, item_id: str) -> QueuedItem | None:
        """The entry under which the item was last handed out, if it was."""
        with self._lock:
            return self._handed.get(item_id)

    def compose(self, ranked: Sequence[QueuedItem], n: int, refill: Refill) -> list[QueuedItem]:
        """The next ``n`` items: pinned, re-checks, then ``ranked``, then random top-ups.

        Every item returned is remembered as handed out (with its reason and model version).
        """
        with self._lock:
            pinned = [q for iid, q in reversed(self._pinned.items()) if iid not in self._done]
            pinned += [q for iid, q in self._recheck.items() if iid not in self._pinned]
            ahead = self._done | self._pinned.keys() | self._recheck.keys()
            items = pinned + [q for q in ranked if q.id not in ahead]
            taken = {q.id for q in items} | self._done
            seed = self._seed + len(self._done)
        if len(items) < n:  # outside the lock: the refill reads this state again
            items += refill(taken, n - len(items), seed)
        items = items[:n]
        with self._lock:
            for item in items:
                self._handed[item.id] = item
        return items
