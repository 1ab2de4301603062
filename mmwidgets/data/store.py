"""The durable label store: an append-only SQLite log of what annotators did to which item.

Labels are the one thing in mmwidgets that cannot be recomputed, so every write returns only
after SQLite has fsynced it, and the current state is derived from the log, never kept beside it.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from mmwidgets.data import _store_schema as schema
from mmwidgets.data._store_backends import open_store, register_store_backend
from mmwidgets.data._store_damage import DamageReport, StoreDamage, split_rows
from mmwidgets.data._store_protocol import LabelStoreProtocol
from mmwidgets.data._store_resolve import resolve
from mmwidgets.data._store_task import needs_labels, open_task, store_path
from mmwidgets.data._store_values import Event, EventKind, label_set, row_event
from mmwidgets.data._store_views import StoreViews
from mmwidgets.data._store_writes import StoreWrites
from mmwidgets.exceptions import StoreError

__all__ = ["Event", "LabelStore"]


class LabelStore(StoreViews, StoreWrites, StoreDamage):
    """A task's labels, kept as an append-only event log in one SQLite file.

    Every call that changes labels (:meth:`set`, :meth:`set_batch`, :meth:`clear`,
    :meth:`skip`, :meth:`undo`) appends events and returns only after they are committed with
    ``synchronous=FULL``, so an acknowledged label survives a killed kernel or a power cut.
    Opening the same path again resumes exactly where it was.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file; created (with its parent folder) if missing. ``":memory:"`` and ``""``
        are refused, because the labels would be lost.
    labels : iterable of str, optional
        The task's label set, in display order. Required when the file is new; when None, the
        stored set is used. A different set replaces the stored one: new labels are added, and
        a stored label may be dropped only while no item currently carries it.
    multi_label : bool, optional
        Whether an item takes a set of labels rather than one. Stored on creation (default
        False); when given for an existing store it must match the stored value.

    Raises
    ------
    ValueError
        For an in-memory path, a new store without ``labels``, a ``multi_label`` that conflicts
        with the stored one, a file that is not a label store, or one written by a newer
        mmwidgets (its ``schema_version`` is too high).
    UnknownLabelError
        If ``labels`` drops a label that items currently carry; the message names the label and
        how many items carry it.
    StoreError
        (a ValueError) If the file is not a label store as mmwidgets writes it: not SQLite,
        another program's database, modified outside mmwidgets (a trigger, a view, a foreign
        table or index, a changed column, a malformed meta value), or written by a newer
        mmwidgets. The message names every problem and what to do; the file is left as it was.

    Notes
    -----
    Each annotator's state of an item is their latest event on it that is neither an ``undo``
    nor undone by one: after ``set`` they label it, after ``clear`` they don't, after ``skip``
    they skipped it. The item's label (what :meth:`current` and training use) is its latest
    :meth:`adjudicate`-d label, else the label most annotators give it now, else (a tie) the
    latest of the tied labels; the item is skipped when nobody labels it and someone skipped it.
    With one annotator this is simply their latest event.
    Of meta keywords only ``model_version`` (int) and ``reason`` (str) are accepted; any other
    raises TypeError, so a misspelt keyword is never silently dropped.

    Opening checks the file's whole schema once (a few schema rows, whatever the log's size);
    an event row edited into a shape mmwidgets never writes is skipped by every view, named
    once in a :class:`~mmwidgets.exceptions.DamagedEventWarning` and listed by
    :meth:`damaged_events`.

    Several processes may write one file at once (each write takes SQLite's write lock with
    ``BEGIN IMMEDIATE``, waiting up to 30 s and then retrying), and one instance may be shared
    between threads. SQLite's lock is not fair: a script writing labels back-to-back can hold
    off another writer until it pauses, so bulk imports should use :meth:`set_batch`.

    Examples
    --------
    >>> import tempfile
    >>> from mmwidgets import LabelStore
    >>> path = tempfile.mkdtemp() + "/labels.sqlite"
    >>> with LabelStore(path, labels=["cat", "dog"]) as store:
    ...     _ = store.set("img-1", "cat", annotator="ann", model_version=3, reason="uncertain")
    >>> LabelStore(path).current()[["id", "label", "annotator", "model_version"]]
          id label annotator  model_version
    0  img-1   cat       ann              3
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        labels: Iterable[str] | None = None,
        multi_label: bool | None = None,
    ) -> None:
        self._path = store_path(path)
        # Checked before the file is touched, so bad arguments leave nothing on disk.
        wanted = None if labels is None else label_set(labels, bool(multi_label))
        if wanted is None and (not self._path.exists() or _empty_file(self._path)):
            raise needs_labels(self._path)
        self._lock = threading.RLock()
        self._damage = DamageReport(str(self._path))
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            conn = schema.connect(self._path)
            with schema.transaction(conn):
                self._labels, self._multi_label = open_task(conn, self._path, wanted, multi_label)
            schema.use_wal(conn)
        except sqlite3.DatabaseError as error:
            if conn is not None:
                conn.close()
            if isinstance(error, sqlite3.OperationalError) and schema.is_lock_error(error):
                raise
            raise StoreError(
                f"can't open {self._path} as a label store: SQLite can't read it as a database "
                f"({error}). Pick another path, or restore the file from a backup.",
                location=str(self._path),
                problems=[str(error)],
            ) from error
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | LabelStoreProtocol,
        labels: Iterable[str] | None = None,
        multi_label: bool | None = None,
    ) -> LabelStoreProtocol:
        """Open the store at a path (SQLite) or a URL of any registered backend.

        See :func:`mmwidgets.data.open_store`; ``sqlite:///path`` and a plain path are the same.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> LabelStore.open("sqlite:///" + tempfile.mkdtemp() + "/l.sqlite", ["cat"]).labels
        ('cat',)
        """
        return open_store(location, labels=labels, multi_label=multi_label)

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's label set, in display order.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"]).labels
        ('cat', 'dog')
        """
        return self._labels

    @property
    def multi_label(self) -> bool:
        """Whether an item takes a set of labels (a sorted tuple) rather than one str.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["a"], multi_label=True).multi_label
        True
        """
        return self._multi_label

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._conn is None

    def close(self) -> None:
        """Close the file; safe to call twice. Further reads or writes raise ValueError.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat"])
        >>> store.close()
        >>> store.closed
        True
        """
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> LabelStore:
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
        return f"<LabelStore {str(self._path)!r}: {kind}, labels={self._labels!r}, {state}>"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError(f"label store {self._path} is closed")
        return self._conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._lock, schema.transaction(self._connection()) as conn:
            yield conn

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        # One statement is one consistent snapshot, so reads need the lock only to share the
        # connection safely between threads.
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def _annotation_rows(self, item_id: str | None = None) -> list[tuple[Any, ...]]:
        if item_id is None:
            rows = self._read(schema.ANNOTATIONS, ())
        else:
            rows = self._read(schema.ITEM_ANNOTATIONS, (item_id, item_id))
        return self._checked_annotations(rows, item_id)

    def _raw_history_rows(self, item_id: str | None = None) -> list[tuple[Any, ...]]:
        if item_id is None:
            return self._read(schema.HISTORY, ())
        return self._read(schema.ITEM_HISTORY, (item_id,))

    def _history_rows(self) -> list[tuple[Any, ...]]:
        return list(self._checked_history())

    def _count_labeled(self) -> int:
        if self._damage.found:  # the SQL count would include the damaged rows
            return len(resolve(self._annotation_rows()).current)
        return int(self._read(schema.COUNT_LABELED, ())[0][0])

    def _undo_latest(self, annotator: str) -> Event | None:
        with self._writing() as conn:
            before = sys.maxsize
            while True:  # a damaged event is not there for undo either: step past it
                row = conn.execute(schema.LAST_UNDOABLE, (annotator, before)).fetchone()
                if row is None:
                    return None
                _, damaged = split_rows([row], self._multi_label)
                if not damaged:
                    break
                self._damage.note(damaged)
                before = row[0]
            undone = row_event(row, self._multi_label)
            conn.execute(
                schema.INSERT_EVENT,
                ("undo", undone.item_id, None, annotator, time.time(), None, None, undone.seq),
            )
        return undone

    def _claim(self, limits: Mapping[str, int], annotator: str, ttl: float) -> list[str]:
        now = time.time()
        granted = []
        with self._writing() as conn:
            conn.execute("DELETE FROM claims WHERE expires <= ?", (now,))
            for item_id, limit in limits.items():
                (others,) = conn.execute(
                    schema.OTHERS_ON_ITEM, (item_id, annotator, now, item_id, annotator, item_id)
                ).fetchone()
                if others < limit:
                    conn.execute(schema.UPSERT_CLAIM, (item_id, annotator, now + ttl))
                    granted.append(item_id)
        return granted

    def _release(self, annotator: str, item_ids: list[str] | None) -> None:
        with self._writing() as conn:
            if item_ids is None:
                conn.execute("DELETE FROM claims WHERE annotator = ?", (annotator,))
            else:
                conn.executemany(
                    "DELETE FROM claims WHERE annotator = ? AND item_id = ?",
                    [(annotator, item_id) for item_id in item_ids],
                )

    def _append(
        self,
        kind: EventKind,
        rows: Sequence[tuple[str, str | None]],
        annotator: str,
        model_version: int | None = None,
        reason: str | None = None,
    ) -> list[Event]:
        with self._writing() as conn:
            now = time.time()
            seqs = [
                conn.execute(
                    schema.INSERT_EVENT,
                    (kind, item_id, labels, annotator, now, model_version, reason, None),
                ).lastrowid
                for item_id, labels in rows
            ]
        return [
            row_event(
                (seq, kind, item_id, labels, annotator, now, model_version, reason, None),
                self._multi_label,
            )
            for seq, (item_id, labels) in zip(seqs, rows, strict=True)
        ]


def _empty_file(path: Path) -> bool:
    # SQLite takes a zero-byte file for an empty database: without labels it is no store yet
    return path.is_file() and path.stat().st_size == 0


@register_store_backend("sqlite")
def _open_sqlite(
    location: str, labels: Iterable[str] | None = None, multi_label: bool | None = None
) -> LabelStore:
    path = location.split("://", 1)[1] if "://" in location else location
    # sqlite:///abs/path keeps its leading slash; sqlite://rel/path is relative
    return LabelStore(path, labels, multi_label)
