"""Closing sessions when the interpreter exits, before torch and the thread pools go away.

A script that builds a Session and ends without ``close()`` used to abort
(``terminate called without an active exception``): the trainer thread was still inside
torch while the interpreter tore down. ``atexit`` handlers run before that teardown, so every
live session is closed (its threads stopped and joined) there.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import weakref
from typing import Protocol

__all__ = ["SHUTTING_DOWN", "track"]

#: set once interpreter shutdown begins; background loops check it before touching torch
SHUTTING_DOWN = threading.Event()


class _Closable(Protocol):
    def close(self) -> None: ...


_LIVE: weakref.WeakSet[_Closable] = weakref.WeakSet()
_LOCK = threading.Lock()


def track(session: _Closable) -> None:
    """Close ``session`` at interpreter exit unless it was closed (or collected) before."""
    with _LOCK:
        _LIVE.add(session)


def _close_all() -> None:
    SHUTTING_DOWN.set()
    with _LOCK:
        live = list(_LIVE)
    for session in live:
        # exiting anyway: one failing close must not keep the others open
        with contextlib.suppress(Exception):
            session.close()


atexit.register(_close_all)
