"""A widget over a Session: mirrors its task, progress, model status and errors as traits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import traitlets as t

from mmwidgets.widgets._base import RequestWidget
from mmwidgets.widgets._mirror import Mirror
from mmwidgets.widgets._payload import ItemPacker, jsonable
from mmwidgets.widgets._progress import label_progress
from mmwidgets.widgets._shortcuts import shortcut_keys

if TYPE_CHECKING:
    from mmwidgets.session import Event, Session

__all__ = ["SessionWidget"]

# which traits each session event makes stale
_STALE = {
    "labeled": ("progress", "status"),
    "queue_changed": ("queue",),
    "model_updated": ("status",),
    "progress": ("status",),
    "metrics": ("status",),
    "error": ("status",),
}


class SessionWidget(RequestWidget):
    """Traits every session widget shares; subclasses add requests and their front end.

    The traits only mirror the session (Python sets them; the front end reads them):
    ``labels``, ``shortcuts``, ``multi_label``, ``columns``, ``progress`` (see
    :func:`~mmwidgets.widgets._progress.label_progress`), ``status`` (``Session.status()``),
    ``error`` (the latest background failure, "" when none), ``queue_version`` (bumped
    whenever the session's queue changes, so the front end asks for the new order) and
    ``connection`` (the label store's connection: ``"connected"``, ``"reconnecting"`` while a
    PostgreSQL store waits for its server, ``"lost"`` once it gave up; the front end shows a
    banner for the last two).

    Examples
    --------
    >>> labeler.progress["labeled"], labeler.status["model_version"] >= 1
    (12, True)
    """

    labels = t.List(t.Unicode()).tag(sync=True)
    shortcuts = t.List(t.Unicode()).tag(sync=True)
    multi_label = t.Bool(False).tag(sync=True)
    columns = t.Dict().tag(sync=True)
    progress = t.Dict().tag(sync=True)
    status = t.Dict().tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    queue_version = t.Int(0).tag(sync=True)
    connection = t.Unicode("connected").tag(sync=True)

    _mirror: Mirror | None = None
    _unsubscribe: Callable[[], None] | None = None

    def __init__(self, session: Session, packer: ItemPacker, **traits: Any) -> None:
        super().__init__(
            labels=list(session.labels),
            shortcuts=shortcut_keys(session.labels),
            multi_label=session.multi_label,
            columns={m: list(c) for m, c in session.dataset.columns.items()},
            **traits,
        )
        self.session = session
        self._packer = packer
        # progress and status at most twice a second: each refresh reads the whole store
        self._mirror = Mirror(self._refresh, interval=0.5)
        self._refresh({"progress", "status"})
        self._unsubscribe = session.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        # on a session thread: only mark what went stale; the mirror's thread does the work
        if event.kind == "connection":
            self._show_connection(str(event.data.get("state", "")))
        elif event.kind == "error":
            self._poke("status", "error:" + str(event.data.get("message", "")))
        else:
            self._poke(*_STALE.get(event.kind, ()))

    def _show_connection(self, state: str) -> None:
        # On the store's thread while it holds the store's lock: set the trait and read
        # nothing (a store read here would wait for the lock this thread holds, or block on
        # a reconnect). The mirror's thread may be inside hold_sync, waiting for this very
        # store, and a held trait would only reach the browser once the store is back: send it.
        self.connection = state
        if self._holding_sync:
            self.send_state("connection")
        if state == "connected":  # what was written meanwhile shows once the mirror runs
            self._poke("progress", "status")

    def _poke(self, *parts: str) -> None:
        if self._mirror is not None:
            self._mirror.poke(*parts)

    def _refresh(self, stale: set[str]) -> None:
        if self.session.store.closed:
            return
        with self.hold_sync():
            if "progress" in stale:
                self.progress = label_progress(self.session)
            if any(s == "status" or s.startswith("error:") for s in stale):
                status = jsonable(self.session.status())
                self.status = status
                events = [s[len("error:") :] for s in stale if s.startswith("error:")]
                # the latest error event, else the session's standing error ("" once it recovers)
                self.error = events[-1] if events else str(status.get("error") or "")
            if "queue" in stale:
                self.queue_version += 1

    def refresh(self) -> None:
        """Bring the progress and model status up to date now (they also follow by themselves).

        Examples
        --------
        >>> labeler.refresh()
        """
        if self._mirror is not None:
            self._mirror.poke("progress", "status")
            self._mirror.flush_now()

    def close(self) -> None:
        """Stop listening to the session and close the widget (the session stays open).

        Examples
        --------
        >>> labeler.close()
        """
        # (also reached from ipywidgets' __del__ when __init__ failed half way)
        if self._mirror is not None:
            self._mirror.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        super().close()
