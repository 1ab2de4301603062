"""The label store in a PostgreSQL database: one shared log per task, for a team.

Opened by URL, ``postgresql://user@host/db?task=pets`` (or ``postgres://``), through
:func:`~mmwidgets.data.open_store`, ``LabelStore.open(url)`` or ``Session(store=url)``. It keeps
every promise of :class:`~mmwidgets.data.LabelStoreProtocol` that the SQLite store keeps; psycopg
3 is imported only when a store is opened (``pip install 'mmwidgets[teams]'``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mmwidgets.data import _store_pg_sql as sql
from mmwidgets.data._store_backends import register_store_backend
from mmwidgets.data._store_damage import DamageReport, StoreDamage, annotation_rows, split_rows
from mmwidgets.data._store_pg_conn import ConnectionListener, Reconnecting
from mmwidgets.data._store_pg_verify import check_tables, checked_task
from mmwidgets.data._store_resolve import resolve
from mmwidgets.data._store_task import new_task, settle_task
from mmwidgets.data._store_values import Event, EventKind, label_set, row_event
from mmwidgets.data._store_verify import newer_version_error
from mmwidgets.data._store_views import StoreViews
from mmwidgets.data._store_writes import StoreWrites

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresLabelStore"]

#: how long a call keeps reconnecting to a server that went away before it gives up
DEFAULT_RECONNECT_TIMEOUT_S = 30.0
_NO_SEQ_ABOVE = 2**63 - 1  # BIGINT's largest


class PostgresLabelStore(StoreViews, StoreWrites, StoreDamage):
    """A task's labels as an append-only event log in a PostgreSQL database several people share.

    Every call that changes labels returns after its transaction has committed (with
    ``synchronous_commit = on``, so the server has flushed it). When the connection breaks,
    the call reconnects, looks up whether its write committed, and writes it only if not: a
    label is stored exactly once, or :class:`~mmwidgets.exceptions.LabelNotStoredError` says
    it was not. Listeners given to :meth:`watch` hear ``"reconnecting"``, ``"connected"`` and
    ``"lost"`` (the Labeler shows "reconnecting…").

    Parameters
    ----------
    url : str
        ``postgresql://user@host/db?task=name``; ``task`` picks the task (``"default"``);
        other parameters go to libpq (``host=/socket/dir`` for a Unix socket).
    labels, multi_label
        As for :class:`~mmwidgets.data.LabelStore`; a task is created on first open.
    reconnect_timeout : float, default 30
        Seconds one call keeps reconnecting before it gives up.

    Raises
    ------
    ImportError
        psycopg is not installed; the message says how to install it.
    ConnectionError
        The server can't be reached when the store is opened.
    StoreError
        (a ValueError) mmwidgets' tables were modified outside it (a trigger or rule on them,
        a missing column, a changed type, row-level security), the task's row holds values of
        the wrong type, or the task was written by a newer mmwidgets. Nothing is changed.

    Notes
    -----
    Items' labels resolve across annotators as in :class:`~mmwidgets.data.LabelStore`. Writers of
    one task take the task's row lock for the length of their transaction (that numbers the
    events in commit order), so one task's labels are written one transaction at a time.
    An event row edited into a shape mmwidgets never writes is skipped by every view and listed
    by :meth:`damaged_events`, as in the SQLite store.

    Examples
    --------
    >>> store = PostgresLabelStore(pg_url + "&task=doc-example", labels=["cat", "dog"])
    >>> _ = store.set("img-1", "cat", annotator="ana")
    >>> store.get("img-1"), len(store)
    ('cat', 1)
    >>> store.close()
    """

    def __init__(
        self,
        url: str,
        labels: Iterable[str] | None = None,
        multi_label: bool | None = None,
        *,
        reconnect_timeout: float = DEFAULT_RECONNECT_TIMEOUT_S,
    ) -> None:
        conninfo, self._task, self._shown = sql.parse_url(url)
        self._damage = DamageReport(f"task {self._task!r} at {self._shown}")
        wanted = None if labels is None else label_set(labels, bool(multi_label))
        _require_psycopg()
        import psycopg

        try:
            self._db = Reconnecting(conninfo, self._shown, reconnect_timeout)
        except psycopg.OperationalError as error:
            raise ConnectionError(
                f"can't connect to the label store at {self._shown}: {error}"
            ) from error
        try:
            self._labels, self._multi_label = self._db.read(
                lambda conn: self._open_task(conn, wanted, multi_label)
            )
        except BaseException:
            self._db.close()
            raise

    @property
    def task(self) -> str:
        """The task's name in the database."""
        return self._task

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's label set, in display order."""
        return self._labels

    @property
    def multi_label(self) -> bool:
        """Whether an item takes a set of labels rather than one."""
        return self._multi_label

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._db.closed

    def watch(self, listener: ConnectionListener) -> Callable[[], None]:
        """Hear the connection's state changes; returns a function that stops listening."""
        return self._db.watch(listener)

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        self._db.close()

    def __enter__(self) -> PostgresLabelStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self)} labeled"
        kind = "multi-label" if self._multi_label else "single-label"
        return (
            f"<PostgresLabelStore {self._shown!r} task={self._task!r}: {kind}, "
            f"labels={self._labels!r}, {state}>"
        )

    # ------------------------------------------------------------------ the backend hooks
    def _open_task(
        self, conn: psycopg.Connection[Any], wanted: tuple[str, ...] | None, multi: bool | None
    ) -> tuple[tuple[str, ...], bool]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (sql.SCHEMA_LOCK,))
            where = f"task {self._task!r} at {self._shown}"
            check_tables(conn, where)
            for statement in sql.DDL:
                conn.execute(statement)
            row = conn.execute(sql.TASK, (self._task,)).fetchone()
            if row is None:
                task, flag = new_task(wanted, multi, where)
                conn.execute(
                    sql.INSERT_TASK,
                    (self._task, json.dumps(list(task)), flag, sql.SCHEMA_VERSION, time.time()),
                )
                return task, flag
            if row[2] > sql.SCHEMA_VERSION:
                raise newer_version_error(where, row[2], sql.SCHEMA_VERSION)
            stored = checked_task(row, where)

            def annotations() -> Sequence[tuple[Any, ...]]:
                rows = self._rows(conn, sql.ANNOTATIONS, {})
                return annotation_rows(
                    rows, lambda: conn.execute(sql.HISTORY, (self._task,)).fetchall(), stored[1]
                )

            task, flag = settle_task(stored, wanted, multi, where, annotations)
            if task != stored[0]:
                conn.execute(sql.SET_LABELS, (json.dumps(list(task)), self._task))
            return task, flag

    def _rows(
        self, conn: psycopg.Connection[Any], query: str, params: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        return conn.execute(query, {"task": self._task, **params}).fetchall()

    def _annotation_rows(self, item_id: str | None = None) -> list[tuple[Any, ...]]:
        if item_id is None:
            rows = self._db.read(lambda conn: self._rows(conn, sql.ANNOTATIONS, {}))
        else:
            params = {"item": item_id}
            rows = self._db.read(lambda conn: self._rows(conn, sql.ITEM_ANNOTATIONS, params))
        return self._checked_annotations(rows, item_id)

    def _raw_history_rows(self, item_id: str | None = None) -> list[tuple[Any, ...]]:
        if item_id is None:
            return self._db.read(lambda conn: conn.execute(sql.HISTORY, (self._task,)).fetchall())
        return self._db.read(
            lambda conn: conn.execute(sql.ITEM_HISTORY, (self._task, item_id)).fetchall()
        )

    def _history_rows(self) -> list[tuple[Any, ...]]:
        return list(self._checked_history())

    def _count_labeled(self) -> int:
        if self._damage.found:  # the SQL count would include the damaged rows
            return len(resolve(self._annotation_rows()).current)
        return int(self._db.read(lambda conn: self._rows(conn, sql.COUNT_LABELED, {}))[0][0])

    def _append(
        self,
        kind: EventKind,
        rows: Sequence[tuple[str, str | None]],
        annotator: str,
        model_version: int | None = None,
        reason: str | None = None,
    ) -> list[Event]:
        def write(conn: psycopg.Connection[Any], token: str) -> list[Event]:
            (last,) = conn.execute(sql.TAKE_SEQS, (len(rows), self._task)).fetchone() or (0,)
            now, first = time.time(), last - len(rows) + 1
            values = [
                (first + i, kind, item, labels, annotator, now, model_version, reason, None)
                for i, (item, labels) in enumerate(rows)
            ]
            with conn.cursor() as cur:
                cur.executemany(sql.INSERT_EVENT, [(self._task, *v, token) for v in values])
            return [row_event(v, self._multi_label) for v in values]

        what = _naming(kind, [item for item, _ in rows])
        return self._db.write(write, self._landed, what)

    def _landed(self, conn: psycopg.Connection[Any], token: str) -> list[Event] | None:
        found = conn.execute(sql.BY_REQUEST, (self._task, token)).fetchall()
        return [row_event(row, self._multi_label) for row in found] or None

    def _undo_latest(self, annotator: str) -> Event | None:
        def write(conn: psycopg.Connection[Any], token: str) -> list[Event]:
            conn.execute(sql.LOCK_TASK, (self._task,))
            before = _NO_SEQ_ABOVE
            while True:  # a damaged event is not there for undo either: step past it
                row = conn.execute(sql.LAST_UNDOABLE, (self._task, annotator, before)).fetchone()
                if row is None:
                    return []
                _, damaged = split_rows([row], self._multi_label)
                if not damaged:
                    break
                self._damage.note(damaged)
                before = row[0]
            undone = row_event(row, self._multi_label)
            (seq,) = conn.execute(sql.TAKE_SEQS, (1, self._task)).fetchone() or (0,)
            conn.execute(
                sql.INSERT_EVENT,
                (self._task, seq, "undo", undone.item_id, None, annotator, time.time(),
                 None, None, undone.seq, token),
            )  # fmt: skip
            return [undone]

        def landed(conn: psycopg.Connection[Any], token: str) -> list[Event] | None:
            undo = self._landed(conn, token)
            if not undo:
                return None
            row = conn.execute(sql.EVENT, (self._task, undo[0].undoes)).fetchone()
            return None if row is None else [row_event(row, self._multi_label)]

        undone = self._db.write(write, landed, f"undo by {annotator!r}")
        return undone[0] if undone else None

    def _claim(self, limits: Mapping[str, int], annotator: str, ttl: float) -> list[str]:
        def write(conn: psycopg.Connection[Any], token: str) -> list[str]:
            conn.execute(sql.LOCK_TASK, (self._task,))  # claims of one task are taken in turn
            now = time.time()
            conn.execute(sql.EXPIRE_CLAIMS, (self._task, now))
            granted = []
            for item, limit in limits.items():
                params = {"item": item, "who": annotator, "now": now}
                if self._rows(conn, sql.OTHERS_ON_ITEM, params)[0][0] < limit:
                    conn.execute(sql.UPSERT_CLAIM, (self._task, item, annotator, now + ttl))
                    granted.append(item)
            return granted

        # claims are no labels: one whose COMMIT went unanswered is simply taken again
        return self._db.write(write, lambda conn, token: None, f"claims by {annotator!r}")

    def _release(self, annotator: str, item_ids: list[str] | None) -> None:
        def write(conn: psycopg.Connection[Any], token: str) -> None:
            if item_ids is None:
                conn.execute(sql.RELEASE_ALL, (self._task, annotator))
            else:
                with conn.cursor() as cur:
                    cur.executemany(
                        sql.RELEASE_ONE, [(self._task, annotator, item) for item in item_ids]
                    )

        self._db.write(write, lambda conn, token: None, f"release by {annotator!r}")


def _naming(kind: str, items: list[str]) -> str:
    shown = ", ".join(repr(item) for item in items[:5]) + (" …" if len(items) > 5 else "")
    return f"the {kind} of item{'s' if len(items) > 1 else ''} {shown}"


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "a PostgreSQL label store needs psycopg 3: pip install 'mmwidgets[teams]' "
            "(or pip install 'psycopg[binary]')"
        ) from error


@register_store_backend("postgresql")
def _open_postgresql(
    location: str, labels: Iterable[str] | None = None, multi_label: bool | None = None
) -> PostgresLabelStore:
    return PostgresLabelStore(location, labels, multi_label)


register_store_backend("postgres")(_open_postgresql)
