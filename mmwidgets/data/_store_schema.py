"""SQLite layout of the label store: connection settings, tables, the meta row, and queries.

Kept apart from :mod:`mmwidgets.data.store` so the public class reads as behaviour, and so a
PostgreSQL backend can later mirror this file alone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mmwidgets.data._store_verify import read_checked_meta

# 2: the ``adjudicate`` event kind and the ``claims`` table (version-1 files are upgraded on open)
SCHEMA_VERSION = 2

# Long enough to wait out another annotator's commit (each holds the lock for milliseconds); short
# enough that a wedged process surfaces as an error instead of a silently frozen widget.
BUSY_TIMEOUT_S = 30.0
# Further attempts after a "database is locked": SQLite returns it without waiting where waiting
# could deadlock or while another connection recovers the WAL of a killed writer.
_RETRY_DEADLINE_S = 60.0

EVENTS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL
                  CHECK (kind IN ('set', 'clear', 'skip', 'undo', 'adjudicate')),
    item_id       TEXT    NOT NULL,
    labels        TEXT,
    annotator     TEXT    NOT NULL,
    time          REAL    NOT NULL,
    model_version INTEGER,
    reason        TEXT,
    undoes        INTEGER REFERENCES {name} (seq)
)"""

_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
{EVENTS_TABLE.format(name="events")};
CREATE TABLE IF NOT EXISTS claims (
    item_id   TEXT NOT NULL,
    annotator TEXT NOT NULL,
    expires   REAL NOT NULL,
    PRIMARY KEY (item_id, annotator)
);
CREATE INDEX IF NOT EXISTS events_by_item ON events (item_id, seq, kind);
CREATE INDEX IF NOT EXISTS events_by_annotator ON events (annotator, seq);
CREATE INDEX IF NOT EXISTS events_by_annotation ON events (item_id, annotator, kind, seq);
CREATE UNIQUE INDEX IF NOT EXISTS events_undone ON events (undoes) WHERE undoes IS NOT NULL;
"""

#: every statement that creates the schema, in order (each ``IF NOT EXISTS``)
DDL = tuple(statement.strip() for statement in _DDL.split(";") if statement.strip())

EVENT_COLUMNS = "seq, kind, item_id, labels, annotator, time, model_version, reason, undoes"

INSERT_EVENT = (
    "INSERT INTO events (kind, item_id, labels, annotator, time, model_version, reason, undoes)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

# Each annotator's latest event per item that still counts (and each adjudicator's latest
# adjudication): undo events and the events they undo drop out, then MAX(seq) per
# (item, annotator, adjudication or not) picks it. The inner query reads only the covering index
# (item_id, annotator, kind, seq), so ~100k events cost a fraction of a second.
_LATEST = """
SELECT MAX(seq) AS seq FROM events
WHERE kind != 'undo' {where}
  AND seq NOT IN (SELECT undoes FROM events WHERE undoes IS NOT NULL {where})
GROUP BY item_id, annotator, kind = 'adjudicate'
"""
_ANNOTATIONS = f"""
SELECT e.seq, e.kind, e.item_id, e.labels, e.annotator, e.time, e.model_version, e.reason,
       e.undoes
FROM events AS e JOIN ({_LATEST}) AS latest ON e.seq = latest.seq
ORDER BY e.seq
"""
ANNOTATIONS = _ANNOTATIONS.format(where="")
ITEM_ANNOTATIONS = _ANNOTATIONS.format(where="AND item_id = ?")
# labeled = someone's current label or an adjudication, whatever the labels say
COUNT_LABELED = f"""
SELECT COUNT(DISTINCT e.item_id)
FROM events AS e JOIN ({_LATEST.format(where="")}) AS latest ON e.seq = latest.seq
WHERE e.kind IN ('set', 'adjudicate')
"""

# other annotators holding a live claim on an item or having labeled it (a later clear is not
# looked for: a claim errs on the side of not handing an item out twice)
OTHERS_ON_ITEM = """
SELECT COUNT(*) FROM (
    SELECT annotator FROM claims WHERE item_id = ? AND annotator != ? AND expires > ?
    UNION
    SELECT annotator FROM events
    WHERE item_id = ? AND annotator != ? AND kind = 'set'
      AND seq NOT IN (SELECT undoes FROM events WHERE item_id = ? AND undoes IS NOT NULL)
)
"""
UPSERT_CLAIM = "INSERT OR REPLACE INTO claims (item_id, annotator, expires) VALUES (?, ?, ?)"

HISTORY = f"SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"
ITEM_HISTORY = f"SELECT {EVENT_COLUMNS} FROM events WHERE item_id = ? ORDER BY seq"

# an annotator's latest event before seq ? that is neither an undo nor undone
LAST_UNDOABLE = f"""
SELECT {EVENT_COLUMNS} FROM events AS e
WHERE e.annotator = ? AND e.kind != 'undo' AND e.seq < ?
  AND NOT EXISTS (SELECT 1 FROM events AS u WHERE u.undoes = e.seq)
ORDER BY e.seq DESC LIMIT 1
"""


def is_lock_error(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` means another connection holds the lock (worth retrying)."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


def retry_locked(action: str, conn: sqlite3.Connection) -> None:
    """Run the statement ``action`` on ``conn``, retrying while the database is locked.

    Shared by the label store and the embedding cache's index (both SQLite files that
    several processes write).

    Examples
    --------
    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> retry_locked("BEGIN IMMEDIATE", conn)
    >>> conn.in_transaction
    True
    """
    deadline = time.monotonic() + _RETRY_DEADLINE_S
    pause = 0.005
    while True:
        try:
            conn.execute(action)
            return
        except sqlite3.OperationalError as error:
            if not is_lock_error(error) or time.monotonic() > deadline:
                raise
            # An extended busy code (WAL recovery after a killed writer, a stale snapshot) can
            # fail BEGIN yet leave its transaction open; retrying inside it would then fail with
            # "cannot start a transaction within a transaction".
            if action.startswith("BEGIN") and conn.in_transaction:
                conn.execute("ROLLBACK")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def connect(path: os.PathLike[str]) -> sqlite3.Connection:
    """Open ``path`` with the durability settings every store connection needs.

    Call :func:`use_wal` once the file is known to be a label store: switching the journal
    mode rewrites the file's header, and a file that is refused must be left as it was.
    """
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so the write lock is taken up
    # front and a transaction never fails half-way on a read-to-write lock upgrade.
    conn = sqlite3.connect(
        os.fspath(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        # FULL fsyncs the WAL on every commit: a label acknowledged to the user survives power loss.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def use_wal(conn: sqlite3.Connection) -> None:
    """Put the store in WAL mode (kept in the file; a no-op for a store already in it)."""
    retry_locked("PRAGMA journal_mode=WAL", conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any error so nothing partial is written."""
    retry_locked("BEGIN IMMEDIATE", conn)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        retry_locked("COMMIT", conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def ensure_schema(conn: sqlite3.Connection, path: str) -> dict[str, Any]:
    """Check the file, create the tables if missing, and return the stored meta values.

    Runs inside the caller's transaction. The whole schema is checked first
    (:mod:`._store_verify`), so a foreign, modified or newer file is refused before any
    DDL runs and is left exactly as it was.

    Raises
    ------
    StoreError
        If the file is some other SQLite database, was modified outside mmwidgets (a
        trigger, a view, a foreign table or index, a changed table, a malformed meta
        value), or was written by a newer mmwidgets.
    """
    meta = read_checked_meta(conn, path, DDL, SCHEMA_VERSION)
    if meta and meta["schema_version"] < 2:
        _upgrade_events(conn)
    # executescript() would COMMIT the caller's transaction first, so run statements one by one.
    for statement in DDL:
        conn.execute(statement)
    return meta


def _upgrade_events(conn: sqlite3.Connection) -> None:
    # SQLite cannot widen a CHECK constraint in place, so version-1 events are copied into a
    # table with the new one (SQLite's documented table-rebuild procedure, in the caller's
    # transaction: a crash half-way leaves the version-1 file as it was). The copy's
    # ``undoes`` refers to the copy itself, so dropping the old table breaks no reference;
    # the rename then points it at ``events``.
    conn.execute("PRAGMA defer_foreign_keys = ON")
    conn.execute(EVENTS_TABLE.format(name="events_v2"))
    conn.execute(f"INSERT INTO events_v2 ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM events")
    conn.execute("DROP TABLE events")
    conn.execute("ALTER TABLE events_v2 RENAME TO events")
    write_meta(conn, {"schema_version": SCHEMA_VERSION})


def write_meta(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    """Insert or replace meta values, JSON-encoded."""
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [(key, json.dumps(value)) for key, value in values.items()],
    )
