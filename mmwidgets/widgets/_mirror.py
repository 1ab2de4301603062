"""Mirror session events into widget traits: coalesced, off the session's threads.

Session events arrive on its trainer and encoder threads, sometimes dozens a second. A widget
only marks what went stale; one timer thread then recomputes each stale part once and sets the
traits, so a burst of events costs one trait update and the session's threads never wait on a
comm message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Mirror"]

log = logging.getLogger("mmwidgets.widgets")


class Mirror:
    """Run ``flush(stale_parts)`` at most once per ``interval`` seconds after :meth:`poke`.

    Parameters
    ----------
    flush : callable
        Called with the set of parts marked stale since the last call; it sets the traits.
    interval : float
        Seconds to wait after the first poke, gathering more.

    Examples
    --------
    >>> seen = []
    >>> mirror = Mirror(seen.append, interval=0.01)
    >>> mirror.poke("status"); mirror.poke("status"); mirror.poke("progress")
    >>> mirror.flush_now()
    >>> [sorted(parts) for parts in seen]
    [['progress', 'status']]
    >>> mirror.close()
    """

    def __init__(self, flush: Callable[[set[str]], None], interval: float = 0.1) -> None:
        self._flush = flush
        self.interval = interval
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: traits are set from one thread
        self._stale: set[str] = set()
        self._timer: threading.Timer | None = None
        self._closed = False

    def poke(self, *parts: str) -> None:
        """Mark ``parts`` stale; a flush follows within ``interval`` seconds. Thread-safe."""
        with self._lock:
            if self._closed:
                return
            self._stale.update(parts)
            if self._timer is None:
                self._timer = threading.Timer(self.interval, self.flush_now)
                self._timer.daemon = True
                self._timer.name = "mmwidgets-mirror"
                self._timer.start()

    def flush_now(self) -> None:
        """Flush whatever is stale, on this thread."""
        with self._flushing:
            with self._lock:
                stale, self._stale = self._stale, set()
                self._timer = None
                if self._closed or not stale:
                    return
            try:
                self._flush(stale)
            except Exception:  # a failed refresh must not kill the timer thread; shown next time
                log.exception("widget refresh of %s failed", sorted(stale))

    def close(self) -> None:
        """Stop flushing; pending pokes are dropped. Safe to call twice."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
