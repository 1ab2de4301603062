"""Transcripts filed by (speech model, audio content), in a small SQLite file beside the cache.

A transcript depends only on the audio's bytes and the recognizer (its model and language), not
on the text encoder that embeds it: changing the text encoder re-embeds the stored words without
running the recognizer again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["TRANSCRIPTS_FILE", "TranscriptStore"]

#: the store's file name inside a cache folder
TRANSCRIPTS_FILE = "transcripts.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transcripts (
    model TEXT NOT NULL,
    content TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (model, content)
) WITHOUT ROWID
"""
#: keys per ``IN (...)`` query, below SQLite's smallest host-parameter limit
_CHUNK = 500


class TranscriptStore:
    """Transcripts by (model identity, content key): a SQLite file, or memory only.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        Folder of ``transcripts.sqlite`` (created if missing); None keeps transcripts in this
        process's memory only.

    Notes
    -----
    One instance may be used from several threads; processes sharing the folder share the
    store (SQLite serializes their writes).

    Examples
    --------
    >>> import tempfile
    >>> store = TranscriptStore(tempfile.mkdtemp())
    >>> store.put_many("model-1", {"k1": "a koala"})
    >>> store.get_many("model-1", ["k1", "k2"])
    {'k1': 'a koala'}
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = None if directory is None else Path(directory)
        self._lock = threading.Lock()
        self._memory: dict[tuple[str, str], str] = {}
        self._db: sqlite3.Connection | None = None
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.directory / TRANSCRIPTS_FILE, timeout=30.0, check_same_thread=False
            )
            with self._db:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(_SCHEMA)

    def get_many(self, model: str, keys: Iterable[str]) -> dict[str, str]:
        """The stored transcripts among ``keys`` (a key not transcribed yet is left out)."""
        wanted = list(dict.fromkeys(keys))
        with self._lock:
            found = {k: self._memory[(model, k)] for k in wanted if (model, k) in self._memory}
            if self._db is None:
                return found
            rest = [k for k in wanted if k not in found]
            for start in range(0, len(rest), _CHUNK):
                chunk = rest[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))  # placeholders only; values are bound
                query = (
                    f"SELECT content, text FROM transcripts WHERE model=? AND content IN ({marks})"
                )
                rows = self._db.execute(query, (model, *chunk)).fetchall()
                found.update(rows)
            return found

    def put_many(self, model: str, transcripts: Mapping[str, str]) -> None:
        """Store transcripts (one transaction); a key stored before keeps its first text."""
        with self._lock:
            if self._db is None:
                for key, text in transcripts.items():
                    self._memory.setdefault((model, key), text)
                return
            with self._db:
                self._db.executemany(
                    "INSERT OR IGNORE INTO transcripts (model, content, text) VALUES (?, ?, ?)",
                    [(model, key, text) for key, text in transcripts.items()],
                )

    def close(self) -> None:
        """Close the SQLite connection (the store answers from memory only afterwards)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __repr__(self) -> str:
        where = "memory" if self.directory is None else str(self.directory / TRANSCRIPTS_FILE)
        return f"TranscriptStore({where})"
