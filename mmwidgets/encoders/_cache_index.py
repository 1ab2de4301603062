"""The embedding cache's index: (encoder key, content key) -> (shard, row), in SQLite.

Encoder and shard rows are never updated or deleted once committed, so this process may keep
them in memory; embedding rows are added (``INSERT OR IGNORE``: the first writer of a key wins,
and a later writer's copy of the same row is merely unused), and only repointed when the row
they name turned out damaged.

The file is trusted no further than SQLite's own checks: a file that is not a database, is
corrupt, or holds tables that are not this schema (or triggers and views it never made) is moved
aside whole and replaced by an empty index (:func:`open_index`); values in it are checked where
they are used (:meth:`CacheIndex.locate` types every shard name and row number).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmwidgets.data import retry_locked
from mmwidgets.encoders._cache_check import (
    DamagedIndexError,
    as_int,
    check_schema,
    index_damage,
    move_aside,
)

__all__ = [
    "CacheIndex",
    "DamagedIndexError",
    "Shard",
    "connect",
    "index_damage",
    "open_index",
    "write_transaction",
]

INDEX_NAME = "index.sqlite"

SCHEMA_VERSION = 1
# well under SQLite's limit on bound parameters per statement
_CHUNK = 900
# SQLite's own wait for another writer's lock, then our retries for the busy codes it won't wait on
_BUSY_TIMEOUT_S = 30.0

_DDL = (
    """CREATE TABLE IF NOT EXISTS encoders (
        id  INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        dim INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS shards (
        id      INTEGER PRIMARY KEY,
        name    TEXT NOT NULL UNIQUE,
        encoder INTEGER NOT NULL REFERENCES encoders (id),
        rows    INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS embeddings (
        encoder INTEGER NOT NULL REFERENCES encoders (id),
        content TEXT NOT NULL,
        shard   INTEGER NOT NULL REFERENCES shards (id),
        row     INTEGER NOT NULL,
        PRIMARY KEY (encoder, content)) WITHOUT ROWID""",
)


def open_index(directory: Path, damage: str | None = None) -> tuple[CacheIndex, str | None]:
    """Open (creating if need be) ``directory/index.sqlite``; returns it and what was repaired.

    A damaged file (or one already known damaged: ``damage``) is renamed aside with its WAL
    files, never deleted, and an empty index takes its place; the second item then says what
    was wrong and where the old file went. Any other error raises.
    """
    path = directory / INDEX_NAME
    repaired = None
    for attempt in range(2):
        if damage is not None:
            moved = move_aside(path)
            repaired = f"{INDEX_NAME} ({damage}) is moved aside to {moved.name}"
        conn = None
        try:
            conn = connect(path)  # closes itself if it fails
            with write_transaction(conn):
                return CacheIndex(conn, directory), repaired
        except BaseException as exc:
            if conn is not None:
                conn.close()
            damage = index_damage(exc)
            if damage is None or attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def connect(path: os.PathLike[str]) -> sqlite3.Connection:
    """Open the index in WAL mode, autocommit (we BEGIN ourselves), usable from any thread."""
    conn = sqlite3.connect(
        os.fspath(path), timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        _retry(conn, "PRAGMA journal_mode=WAL")
        # NORMAL: a commit survives a killed process; a power cut may lose the last ones, which
        # then read as misses (their shards were fsynced first, so nothing is ever wrong)
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    _retry(conn, "BEGIN IMMEDIATE")
    try:
        yield
        _retry(conn, "COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _retry(conn: sqlite3.Connection, statement: str) -> None:
    # the label store's lock-retry loop (with its rollback of a half-open BEGIN) serves both
    retry_locked(statement, conn)


@dataclass(frozen=True)
class Shard:
    """A shard file's name and how many rows it holds."""

    name: str
    rows: int


class CacheIndex:
    """Queries on ``index.sqlite``; construct inside a transaction (it creates the tables)."""

    def __init__(self, conn: sqlite3.Connection, directory: Path) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"the embedding cache in {directory} has index version {version}; this "
                f"mmwidgets reads up to {SCHEMA_VERSION}: upgrade it, or use another folder"
            )
        for statement in _DDL:
            conn.execute(statement)
        check_schema(conn, _DDL)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.conn = conn
        self._encoders: dict[str, tuple[int, int]] = {}
        self._shards: dict[int, Shard] = {}

    def _encoder(self, key: str) -> tuple[int, int] | None:
        found = self._encoders.get(key)
        if found is None:
            row = self.conn.execute("SELECT id, dim FROM encoders WHERE key = ?", (key,)).fetchone()
            if row is not None:
                if as_int(row[1]) < 1:  # every row of this encoder is then unreadable
                    raise DamagedIndexError(f"encoder {key!r} has width {row[1]!r}")
                found = self._encoders[key] = (int(row[0]), int(row[1]))
        return found

    def dim(self, key: str) -> int | None:
        """The embedding width stored for this encoder key; None if nothing is stored."""
        found = self._encoder(key)
        return None if found is None else found[1]

    def _rows(self, encoder: int, keys: Sequence[str]) -> Iterator[tuple[str, int, int]]:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self.conn.execute(
                "SELECT content, shard, row FROM embeddings "
                f"WHERE encoder = ? AND content IN ({marks})",
                (encoder, *chunk),
            )

    def known(self, key: str, contents: Sequence[str]) -> set[str]:
        """The subset of ``contents`` already stored for this encoder key."""
        found = self._encoder(key)
        return set() if found is None else {row[0] for row in self._rows(found[0], contents)}

    def locate(
        self, key: str, contents: Sequence[str]
    ) -> list[tuple[Shard | None, np.ndarray, np.ndarray]]:
        """Group the stored ``contents`` by shard: (shard, positions in ``contents``, rows).

        As stored, unchecked against the files: the shard is None where the index names no
        such shard, and a row number that is not an integer comes back as -1.
        """
        found = self._encoder(key)
        if found is None:
            return []
        where = {c: (s, r) for c, s, r in self._rows(found[0], list(dict.fromkeys(contents)))}
        groups: dict[object, tuple[list[int], list[int]]] = {}
        for position, content in enumerate(contents):
            if (place := where.get(content)) is not None:
                positions, rows = groups.setdefault(place[0], ([], []))
                positions.append(position)
                rows.append(as_int(place[1]))
        self._learn_shards(shard for shard in groups if isinstance(shard, int))
        return [
            (
                self._shards.get(shard) if isinstance(shard, int) else None,
                np.asarray(positions, dtype=np.intp),
                np.asarray(rows, dtype=np.int64),
            )
            for shard, (positions, rows) in groups.items()
        ]

    def _learn_shards(self, ids: Iterable[int]) -> None:
        missing = [shard for shard in ids if shard not in self._shards]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for shard, name, rows in self.conn.execute(
                f"SELECT id, name, rows FROM shards WHERE id IN ({marks})", chunk
            ):
                self._shards[int(shard)] = Shard(str(name), as_int(rows))

    def add(
        self, key: str, dim: int, shard: str, contents: Sequence[str], repoint: Collection[str] = ()
    ) -> None:
        """Record a durable shard whose row ``i`` is ``contents[i]`` (inside a transaction).

        Contents already stored keep their first row, except those in ``repoint`` (found
        damaged), which are pointed at this shard. Nothing is remembered in memory here: the
        transaction may still roll back.
        """
        self.conn.execute("INSERT OR IGNORE INTO encoders (key, dim) VALUES (?, ?)", (key, dim))
        encoder, stored = self.conn.execute(
            "SELECT id, dim FROM encoders WHERE key = ?", (key,)
        ).fetchone()
        if stored != dim:  # another process stored this key first, with another width
            raise ValueError(f"{key!r} is cached with {stored}-d embeddings, not {dim}-d")
        shard_id = self.conn.execute(
            "INSERT INTO shards (name, encoder, rows) VALUES (?, ?, ?)",
            (shard, encoder, len(contents)),
        ).lastrowid
        rows = [(encoder, content, shard_id, row) for row, content in enumerate(contents)]
        self.conn.executemany(
            "INSERT OR IGNORE INTO embeddings (encoder, content, shard, row) VALUES (?, ?, ?, ?)",
            [row for row in rows if row[1] not in repoint],
        )
        self.conn.executemany(
            "INSERT INTO embeddings (encoder, content, shard, row) VALUES (?, ?, ?, ?) ON CONFLICT "
            "(encoder, content) DO UPDATE SET shard = excluded.shard, row = excluded.row",
            [row for row in rows if row[1] in repoint],
        )

    def entries(self) -> dict[str, int]:
        """Stored rows per encoder key."""
        return {
            str(key): int(count)
            for key, count in self.conn.execute(
                "SELECT e.key, COUNT(*) FROM embeddings AS m JOIN encoders AS e "
                "ON m.encoder = e.id GROUP BY e.key ORDER BY e.key"
            )
        }

    def shard_names(self) -> list[str]:
        """File names of every indexed shard."""
        return [str(row[0]) for row in self.conn.execute("SELECT name FROM shards")]
