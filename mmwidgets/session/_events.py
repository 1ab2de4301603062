"""A small thread-safe publish/subscribe hub: the widgets' only way into a Session."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EVENT_KINDS", "Event", "EventHub"]

log = logging.getLogger("mmwidgets.session")

#: every kind of event a Session emits
EVENT_KINDS = (
    "labeled",  # a label, skip or undo was stored
    "queue_changed",  # the ranked queue was replaced (new model or refill)
    "model_updated",  # a new model version is serving predictions
    "progress",  # encoding progress (done, total)
    "metrics",  # new cross-validated metrics
    "error",  # a background failure (training, encoding); the session keeps going
    "connection",  # the store's connection: state "reconnecting", "connected" or "lost"
)


@dataclass(frozen=True)
class Event:
    """One notification: its ``kind`` (see :data:`EVENT_KINDS`) and a payload dict."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]


class EventHub:
    """Deliver events to listeners on the emitting thread; a failing listener is logged.

    Examples
    --------
    >>> hub = EventHub()
    >>> seen = []
    >>> unsubscribe = hub.subscribe(seen.append, kinds=["labeled"])
    >>> hub.emit("labeled", id="a")
    >>> hub.emit("progress", done=1)
    >>> [e.kind for e in seen]
    ['labeled']
    >>> unsubscribe()
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[Listener, frozenset[str] | None]] = []

    def subscribe(
        self, listener: Listener, kinds: list[str] | tuple[str, ...] | None = None
    ) -> Callable[[], None]:
        """Call ``listener(event)`` for events of ``kinds`` (all when None); returns unsubscribe.

        Examples
        --------
        >>> EventHub().subscribe(print, kinds=["nonsense"])
        Traceback (most recent call last):
        ...
        ValueError: unknown event kinds ['nonsense']; known: labeled, queue_changed, \
model_updated, progress, metrics, error, connection
        """
        if kinds is not None:
            unknown = sorted(set(kinds) - set(EVENT_KINDS))
            if unknown:
                raise ValueError(f"unknown event kinds {unknown}; known: {', '.join(EVENT_KINDS)}")
        entry = (listener, frozenset(kinds) if kinds is not None else None)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def emit(self, kind: str, **data: Any) -> None:
        """Send one event to every interested listener.

        Examples
        --------
        >>> EventHub().emit("model_updated", version=1)
        """
        event = Event(kind, data)
        with self._lock:
            listeners = list(self._listeners)
        for listener, kinds in listeners:
            if kinds is None or kind in kinds:
                try:
                    listener(event)
                except Exception:  # a broken widget must not stop the session
                    log.exception("event listener %r failed on %s", listener, kind)
