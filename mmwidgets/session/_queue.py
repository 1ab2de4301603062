"""The queue's own state: what is done, pinned (undone), sent back for a re-check, and shown.

One owner, one lock, no threads. The trainer publishes ranked queues; this object lays the
person's own edits over the latest one (undone items first, then re-checks, then the ranking,
topped up with random picks when the ranking runs short).

Random checks (``hybrid``'s share of uniform picks) are placed by the count of items served,
not by rank: the queue is reranked after every label and the person sees its head, so a check
ranked fifth would never be shown. The ``k``-th served item is a check whenever
``floor(k * share)`` grows, so exactly that share of what is served is random.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from mmwidgets.active import RANDOM_CHECK
from mmwidgets.session._state import QueuedItem

__all__ = ["QueueState", "Refill", "is_random_check"]

#: ``refill(taken, n, seed)`` -> up to ``n`` random picks among items not in ``taken``
Refill = Callable[[set[str], int, int], Sequence[QueuedItem]]


def is_random_check(item: QueuedItem) -> bool:
    """Whether the item was queued as a uniform random check (its reason says so).

    Examples
    --------
    >>> is_random_check(QueuedItem("a", "random check")), is_random_check(QueuedItem("b", "x"))
    (True, False)
    """
    return item.reason.startswith(RANDOM_CHECK)


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

    With ``random_checks=0.5`` every second item served is a random check, whatever its rank:

    >>> q = QueueState(seed=0, random_checks=0.5)
    >>> ranked = [QueuedItem("a", "top"), QueuedItem("b", "next"), QueuedItem("c", "random check")]
    >>> [i.id for i in q.compose(ranked, 3, no_refill)]
    ['a', 'c', 'b']
    """

    def __init__(self, seed: int = 0, random_checks: float = 0.0) -> None:
        if isinstance(random_checks, bool) or not 0 <= random_checks < 1:
            raise ValueError(f"random_checks must be a share in [0, 1); got {random_checks!r}")
        self._lock = threading.Lock()
        self._seed = seed
        self._share = float(random_checks)
        self._served = 0  # items handed out here and then labeled or skipped
        self._checks = 0  # of which were handed out as random checks
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
        """Items were labeled or skipped: they leave the queue, their pin and their re-check.

        Those handed out here count as served (the random checks' schedule follows them).
        """
        with self._lock:
            for iid in ids:
                handed = self._handed.get(iid)
                if handed is not None and (iid not in self._done or iid in self._recheck):
                    self._served += 1
                    self._checks += is_random_check(handed)
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

    def served(self) -> tuple[int, int]:
        """How many items handed out here were labeled or skipped, and how many were checks."""
        with self._lock:
            return self._served, self._checks

    def compose(self, ranked: Sequence[QueuedItem], n: int, refill: Refill) -> list[QueuedItem]:
        """The next ``n`` items: pinned, re-checks, then ``ranked``, then random top-ups.

        With a share of random checks, the ranked items are interleaved with checks (the
        ranking's own, else random top-ups) at the places where they will be served. Every
        item returned is remembered as handed out (with its reason and model version).
        """
        with self._lock:
            pinned = [q for iid, q in reversed(self._pinned.items()) if iid not in self._done]
            pinned += [q for iid, q in self._recheck.items() if iid not in self._pinned]
            ahead = self._done | self._pinned.keys() | self._recheck.keys()
            rest = [q for q in ranked if q.id not in ahead]
            taken = {q.id for q in pinned + rest} | self._done
            seed = self._seed + len(self._done)
            served, checks = self._served, self._checks
        items = pinned + rest
        if self._share:  # outside the lock, like the refill below: it reads this state again
            slots = self._check_slots(served + len(pinned), checks, n - len(pinned))
            items = pinned + self._interleave(rest, slots, n - len(pinned), taken, seed, refill)
        if len(items) < n:
            items += refill(taken | {q.id for q in items}, n - len(items), seed)
        items = items[:n]
        with self._lock:
            for item in items:
                self._handed[item.id] = item
        return items

    def _check_slots(self, first: int, checks: int, n: int) -> set[int]:
        """Places (0-based, counted from the next item served) where random checks go.

        The ``k``-th item served (1-based) is due to be a check when ``floor(k * share)``
        exceeds the checks served or placed before it: a check that pinned items pushed
        back comes at the next free place, and one served early delays the next.
        """
        slots: set[int] = set()
        for j in range(max(0, n)):
            # the epsilon keeps k * share on the integer it should be (0.1 * 30 = 3.0000000004)
            if math.floor((first + j + 1) * self._share + 1e-9) > checks + len(slots):
                slots.add(j)
        return slots

    @staticmethod
    def _interleave(
        ranked: list[QueuedItem],
        slots: set[int],
        n: int,
        taken: set[str],
        seed: int,
        refill: Refill,
    ) -> list[QueuedItem]:
        """Up to ``n`` items: random checks at ``slots``, ranked picks elsewhere.

        The ranking's own checks fill the slots first (they carry the model's prediction);
        uniform random picks stand in for any it lacks. Checks not due are held back.
        """
        sure = [q for q in ranked if not is_random_check(q)]
        checks = [q for q in ranked if is_random_check(q)]
        if len(checks) < len(slots):
            extra = refill(taken, len(slots) - len(checks), seed + 1)
            checks += [dataclasses.replace(q, reason=RANDOM_CHECK) for q in extra]
        out: list[QueuedItem] = []
        sure_iter, check_iter = iter(sure), iter(checks)
        for j in range(n):
            item = next(check_iter if j in slots else sure_iter, None)
            if item is None:
                break  # the caller tops up with random picks
            out.append(item)
        return out
