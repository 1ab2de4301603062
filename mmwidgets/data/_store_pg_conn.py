"""One PostgreSQL connection that survives the server going away: reconnect, check, retry.

A write carries a request token stored with its events. When the connection breaks, the
write is retried only after reconnecting and finding that its token is not in the table, so
a label is stored exactly once or reported as not stored; never silently dropped, never
written twice. Listeners hear ``"reconnecting"``, ``"connected"`` and ``"lost"``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mmwidgets.exceptions import LabelNotStoredError

if TYPE_CHECKING:
    import psycopg

__all__ = ["ConnectionListener", "Reconnecting"]

T = TypeVar("T")
ConnectionListener = Callable[[str], None]

_FIRST_PAUSE_S, _MAX_PAUSE_S = 0.05, 1.0


class Reconnecting:
    """A lock-guarded psycopg connection with retries until ``timeout`` seconds pass.

    Parameters
    ----------
    conninfo : str
        What ``psycopg.connect`` gets.
    shown : str
        The location without its password, for messages.
    timeout : float
        How long one call keeps reconnecting before it gives up.
    """

    def __init__(self, conninfo: str, shown: str, timeout: float) -> None:
        self._conninfo, self._shown, self._timeout = conninfo, shown, timeout
        self.lock = threading.RLock()  # the owner's lock: every use of the connection holds it
        self._conn: psycopg.Connection[Any] | None = None
        self._closed = False
        self._listeners: list[ConnectionListener] = []
        self._state = "connected"  # what listeners heard last
        self._wait = _FIRST_PAUSE_S
        self._conn = self._connect()  # the first connection fails at once: a wrong URL is no outage

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def watch(self, listener: ConnectionListener) -> Callable[[], None]:
        """Call ``listener(state)`` on every change of connection state; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        with self.lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def read(self, action: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run a read, reconnecting and repeating it while the server is away."""
        result: T = self._run(action, None, None)
        return result

    def write(
        self,
        action: Callable[[psycopg.Connection[Any], str], T],
        landed: Callable[[psycopg.Connection[Any], str], T | None],
        what: str,
    ) -> T:
        """Run ``action(conn, token)`` in a transaction, exactly once.

        After a broken connection, ``landed(conn, token)`` says whether the transaction
        committed after all (its result is returned) or not (the write is retried).

        Raises
        ------
        LabelNotStoredError
            The server stayed away for ``timeout`` seconds; ``what`` names the labels.
        """
        result: T = self._run(action, landed, what)
        return result

    def _run(self, action: Any, landed: Any, what: str | None) -> Any:
        token = uuid.uuid4().hex
        deadline: float | None = None
        unsure = False  # a COMMIT may have reached the server before the connection broke
        with self.lock:
            while True:
                try:
                    conn = self._live()
                    if unsure and landed is not None:
                        found = landed(conn, token)
                        if found is not None:
                            return self._recovered(found, deadline)
                    unsure = False
                    if landed is None:
                        return self._recovered(action(conn), deadline)
                    with conn.transaction():
                        result = action(conn, token)
                        unsure = True  # leaving the block sends COMMIT
                    return self._recovered(result, deadline)
                except _operational() as error:
                    deadline = self._pause(deadline, error, what, unsure)

    def _recovered(self, result: T, deadline: float | None) -> T:
        # also the first call to get through after one gave up ("lost"): it may not have had
        # to wait, but listeners still think the store is out of reach
        if deadline is not None or self._state != "connected":
            self._tell("connected")
        return result

    def _pause(
        self, deadline: float | None, error: Exception, what: str | None, unsure: bool
    ) -> float:
        # A refused statement on a live connection (a deadlock, say) rolled back and can be
        # tried again on it; a broken one is replaced.
        if self._conn is not None and (self._conn.broken or self._conn.closed):
            self._conn.close()
            self._conn = None
        if deadline is None:
            deadline = time.monotonic() + self._timeout
            self._tell("reconnecting")
            self._wait = _FIRST_PAUSE_S
        if time.monotonic() > deadline:
            self._tell("lost")
            if what is None:
                raise ConnectionError(
                    f"can't reach the label store at {self._shown} "
                    f"after {self._timeout:.0f} s: {error}"
                ) from error
            outcome = (
                "may or may not be stored (the server went away during COMMIT; reopen the "
                "store and look the items up)"
                if unsure
                else "was not stored"
            )
            raise LabelNotStoredError(
                f"{what} {outcome}: the label store at {self._shown} stayed out of reach for "
                f"{self._timeout:.0f} s ({error})"
            ) from error
        time.sleep(self._wait)
        self._wait = min(self._wait * 2, _MAX_PAUSE_S)
        return deadline

    def _live(self) -> psycopg.Connection[Any]:
        if self._closed:
            raise ValueError(f"label store {self._shown} is closed")
        if self._conn is not None and (self._conn.broken or self._conn.closed):
            self._conn = None
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        conn = psycopg.connect(self._conninfo, autocommit=True)
        # a label acknowledged to the user survives a server crash, whatever the server's default
        conn.execute("SET synchronous_commit = on")
        return conn

    def _tell(self, state: str) -> None:
        self._state = state
        for listener in list(self._listeners):
            listener(state)


def _operational() -> type[Exception]:
    import psycopg

    return psycopg.OperationalError
