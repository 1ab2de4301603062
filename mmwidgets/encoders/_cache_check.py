"""Checks on what the embedding cache's index file holds: its schema, and the values read from it.

The index is a file on disk that anything may have rewritten, so nothing read from it is used
unchecked: a schema that is not the one the cache writes is damage (:class:`DamagedIndexError`),
as are SQLite's own corruption codes (:func:`index_damage`); a value of the wrong type in a
column becomes -1 (:func:`as_int`), which no check accepts.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DamagedIndexError", "as_int", "check_schema", "index_damage", "move_aside"]

# the parts of SQLite's result codes that mean the file itself is damaged
_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class DamagedIndexError(ValueError):
    """The index file holds something this cache did not write (a foreign schema, a trigger)."""


def index_damage(exc: BaseException) -> str | None:
    """What is wrong with the index file if ``exc`` says it is damaged; None for other errors.

    A locked or busy database, a full disk, or a bug of ours is not damage: those still raise.
    """
    if isinstance(exc, DamagedIndexError):
        return str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.DatabaseError) and code is not None and code & 0xFF in _DAMAGE_CODES:
        return str(exc)
    return None


def as_int(value: object) -> int:
    """``value`` if it is an integer, else -1."""
    # SQLite keeps whatever was written into a column; only a real integer is a row or a width
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def check_schema(conn: sqlite3.Connection, ddl: Sequence[str]) -> None:
    """Raise :class:`DamagedIndexError` unless ``conn``'s tables are exactly what ``ddl`` makes.

    Every table ``ddl`` creates must have the same columns (names, types, constraints), and
    there may be no trigger or view: nothing may run or rewrite rows behind the cache's back.
    """
    for table, columns in _tables(tuple(ddl)).items():
        found = _columns(conn, table)
        if found != columns:
            raise DamagedIndexError(f"table {table} is not the cache's ({found or 'missing'})")
    extra = conn.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
    ).fetchall()
    if extra:
        raise DamagedIndexError(f"it holds {', '.join(f'{t} {n!r}' for t, n in extra)}")


@functools.lru_cache(maxsize=4)
def _tables(ddl: tuple[str, ...]) -> dict[str, list[tuple[object, ...]]]:
    # the schema as SQLite itself reports it, from a scratch database: nothing to keep in sync
    scratch = sqlite3.connect(":memory:")
    try:
        for statement in ddl:
            scratch.execute(statement)
        names = [
            row[0] for row in scratch.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {name: _columns(scratch, name) for name in names}
    finally:
        scratch.close()


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    # table names come from our own DDL, never from the file
    return [tuple(row) for row in conn.execute(f"PRAGMA table_info({table})")]


def move_aside(path: Path) -> Path:
    """Rename the SQLite file ``path`` and its WAL files to ``<name>.damaged-<time>-<pid>``."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):  # a stale WAL must never be replayed into a new file
        try:
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
        except FileNotFoundError:
            continue
    return target
