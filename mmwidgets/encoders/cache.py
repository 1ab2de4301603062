"""The embedding cache: fp16 rows on disk, filed by media content and encoder, shared by processes.

Layout of a cache folder::

    index.sqlite        (encoder key, content key) -> (shard, row); one transaction per write
    shards/<uuid>.npy   immutable fp16 (rows, dim) arrays, read back memory-mapped

A write first makes its shard durable under its final name, then commits the index rows that
point into it; a reader only follows committed rows. So a writer killed at any moment leaves no
partial row to serve (only an orphan file, see :meth:`EmbeddingCache.remove_orphans`), and
writers in several processes at once are serialized by SQLite's write lock.

Neither file is trusted: a row is served only if its shard name is one the cache writes, the
file a whole fp16 array of the indexed shape, the row inside it and finite. Anything else is a
miss that the next write of that key repairs, and a damaged index is moved aside and started
afresh; either is told once in a :class:`CacheDamagedWarning` naming the folder, and never
stops the encoding.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np

from mmwidgets.encoders._cache_files import (
    CacheStats,
    default_cache_dir,
    folder_bytes,
    stage_rows,
)
from mmwidgets.encoders._cache_index import CacheIndex, index_damage, open_index, write_transaction
from mmwidgets.encoders._cache_keys import content_key, encoder_key
from mmwidgets.encoders._cache_reads import CacheDamagedWarning, CheckedReads, check_dim
from mmwidgets.encoders._cache_shards import read_staged, remove_orphans, write_shard

__all__ = [
    "CacheDamagedWarning",
    "CacheStats",
    "EmbeddingCache",
    "content_key",
    "default_cache_dir",
    "encoder_key",
    "stage_rows",
]

_T = TypeVar("_T")


class EmbeddingCache:
    """Embeddings filed by (encoder key, content key), kept as fp16 and read back memory-mapped.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        The cache folder, created if missing; :func:`default_cache_dir` when None. Every
        session and process that passes the same folder shares the cache.

    Notes
    -----
    ``get_many`` returns float32. Rows whose fp16 form is not finite (failed items, or values
    beyond ±65504) are never stored, and never served should a file hold one. One instance may
    be used from several threads.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from mmwidgets.encoders import EmbeddingCache, content_key
    >>> cache = EmbeddingCache(tempfile.mkdtemp())
    >>> key = content_key("a koala", "text")
    >>> cache.put_many("text/hashing/1", [key], np.ones((1, 4), np.float32))
    1
    >>> rows, hit = cache.get_many("text/hashing/1", [key, content_key("a bus", "text")])
    >>> hit.tolist(), rows[0].tolist(), bool(np.isnan(rows[1]).all())
    ([True, False], [1.0, 1.0, 1.0, 1.0], True)
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self._shard_dir = self.directory / "shards"
        self._shard_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._reads = CheckedReads(self._shard_dir, self.directory)
        self._index = self._open_index(None)
        self._hits = self._misses = self._written = 0

    def _open_index(self, damage: str | None) -> CacheIndex:
        index, repaired = open_index(self.directory, damage)
        if repaired is not None:
            self._reads.damage.report([(repaired, "(an empty index replaces it)", 0)])
        return index

    def _guarded(self, action: Callable[[], _T]) -> _T:
        """``action()``; if it finds the index file damaged, again on a fresh index (locked)."""
        try:
            return action()
        except Exception as exc:
            damage = index_damage(exc)
            if damage is None:
                raise
        self._index.conn.close()
        self._reads.shards.close()
        self._index = self._open_index(damage)
        return action()

    def get_many(
        self, encoder_key: str, content_keys: Sequence[str], dim: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Look up cached embeddings.

        Parameters
        ----------
        encoder_key : str
            ``"modality/name/version"`` of the encoder that made them.
        content_keys : sequence of str
            Keys from :func:`content_key`; repeats are fine.
        dim : int, optional
            The embedding width, for when nothing is cached yet for this encoder; without it
            such a lookup returns an ``(n, 0)`` array.

        Returns
        -------
        rows : numpy.ndarray
            float32 ``(n, dim)``; all-NaN rows where the key is not cached.
        hit : numpy.ndarray
            bool ``(n,)``, True where the row came from the cache.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets.encoders import EmbeddingCache
        >>> rows, hit = EmbeddingCache(tempfile.mkdtemp()).get_many("text/x/1", ["k"], dim=3)
        >>> rows.shape, hit.tolist()
        ((1, 3), [False])
        """
        keys = list(content_keys)
        with self._lock:
            # damage is a miss, never garbage; the caller's put_many then rewrites it
            out, hit = self._guarded(lambda: self._reads.read(self._index, encoder_key, keys, dim))
            self._hits += int(hit.sum())
            self._misses += len(keys) - int(hit.sum())
        return out, hit

    def put_many(self, encoder_key: str, content_keys: Sequence[str], embeddings: Any) -> int:
        """Store embeddings; returns how many rows were new (NaN rows and known keys are skipped).

        Returns once the rows' shard is fsynced and the index rows naming it are committed, so
        every process sees them.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from mmwidgets.encoders import EmbeddingCache
        >>> cache = EmbeddingCache(tempfile.mkdtemp())
        >>> cache.put_many("text/x/1", ["a", "b"], np.array([[1.0, 2.0], [np.nan, 0.0]]))
        1
        """
        keys = list(content_keys)
        rows = np.asarray(embeddings, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[0] != len(keys) or rows.shape[1] == 0:
            raise ValueError(
                f"expected a ({len(keys)}, dim) array for {len(keys)} keys, got {rows.shape}"
            )
        with np.errstate(over="ignore"):  # overflowing rows are dropped just below
            half = rows.astype(np.float16)
        finite = np.isfinite(half).all(axis=1)
        first: dict[str, int] = {}  # a key given twice is stored once
        for i in np.flatnonzero(finite):
            first.setdefault(keys[i], int(i))
        with self._lock:
            written = self._guarded(lambda: self._put(encoder_key, first, half))
            self._written += written
        return written

    def _put(self, encoder_key: str, first: dict[str, int], half: np.ndarray) -> int:
        dim = half.shape[1]
        check_dim(encoder_key, self._index.dim(encoder_key), dim)
        good, damaged = self._reads.known(self._index, encoder_key, first, dim)
        new = [key for key in first if key not in good]
        if not new:
            return 0
        shard = write_shard(self._shard_dir, half[[first[key] for key in new]])
        try:
            with write_transaction(self._index.conn):
                self._index.add(encoder_key, dim, shard, new, repoint=damaged)
        except Exception:  # rolled back, so nothing names the shard (an interrupt leaves it)
            (self._shard_dir / shard).unlink(missing_ok=True)
            raise
        return len(new)

    def adopt_shard(
        self, encoder_key: str, name: str, content_keys: Sequence[str], dim: int
    ) -> np.ndarray:
        """Index a shard file that another process wrote into ``shards/``; returns its rows.

        The writer (an encoding worker on a shared filesystem) made the file durable under its
        final name with :func:`stage_rows`; row ``i`` is ``content_keys[i]``. The file is read
        and checked first (its name, fp16, ``(len(content_keys), dim)``, all finite): a file
        that is not what it should be raises ValueError and is never indexed. Keys stored
        meanwhile keep their first copy (unless it is damaged: this one replaces it); a shard
        with nothing new is deleted.

        Returns
        -------
        numpy.ndarray
            float32 ``(len(content_keys), dim)``, the rows as stored.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from mmwidgets.encoders import EmbeddingCache
        >>> from mmwidgets.encoders.cache import stage_rows
        >>> cache = EmbeddingCache(tempfile.mkdtemp())
        >>> name = stage_rows(cache.directory, np.ones((2, 3), np.float16))
        >>> cache.adopt_shard("text/x/1", name, ["a", "b"], dim=3).shape
        (2, 3)
        >>> cache.get_many("text/x/1", ["b"])[1].tolist()
        [True]
        """
        keys = list(content_keys)
        data = read_staged(self._shard_dir, name, len(keys), dim)
        with self._lock:
            self._written += self._guarded(lambda: self._adopt(encoder_key, name, keys, dim))
        return data.astype(np.float32)

    def _adopt(self, encoder_key: str, name: str, keys: list[str], dim: int) -> int:
        check_dim(encoder_key, self._index.dim(encoder_key), dim)
        good, damaged = self._reads.known(self._index, encoder_key, keys, dim)
        new = len(set(keys) - good)
        if new == 0:
            (self._shard_dir / name).unlink(missing_ok=True)
        else:
            with write_transaction(self._index.conn):
                self._index.add(encoder_key, dim, name, keys, repoint=damaged)
        return new

    def stats(self) -> CacheStats:
        """Entries per encoder, files, bytes on disk, and this instance's hits/misses/writes.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets.encoders import EmbeddingCache
        >>> EmbeddingCache(tempfile.mkdtemp()).stats().hits
        0
        """
        with self._lock:
            entries = self._guarded(self._index.entries)
            shards = len(self._guarded(self._index.shard_names))
            hits, misses, written = self._hits, self._misses, self._written
        disk = folder_bytes(self.directory)
        return CacheStats(
            self.directory, entries, shards, disk, hits, misses, written, self._reads.damage.rows
        )

    def remove_orphans(self, min_age_s: float = 3600.0) -> int:
        """Delete files left by killed writers (older than ``min_age_s``); returns bytes freed.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets.encoders import EmbeddingCache
        >>> EmbeddingCache(tempfile.mkdtemp()).remove_orphans()
        0
        """
        with self._lock:
            indexed = self._guarded(self._index.shard_names)
            return remove_orphans(self._shard_dir, indexed, min_age_s)[1]

    def close(self) -> None:
        """Close the index; arrays already returned stay valid (they are copies)."""
        with self._lock:
            self._reads.shards.close()
            self._index.conn.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.directory)!r})"
