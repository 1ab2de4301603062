"""The embedding cache's files: where the folder is, what it holds, and shards staged by workers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmwidgets.encoders._cache_shards import write_shard

__all__ = ["CacheStats", "default_cache_dir", "folder_bytes", "stage_rows"]


def default_cache_dir() -> Path:
    """Where embeddings are cached when no folder is given.

    ``$MMWIDGETS_CACHE/embeddings`` where that variable is set (the same root the sample data's
    rendered images use), else ``$XDG_CACHE_HOME/mmwidgets/embeddings``, else
    ``~/.cache/mmwidgets/embeddings``.

    Examples
    --------
    >>> from mmwidgets.encoders import default_cache_dir
    >>> default_cache_dir().name
    'embeddings'
    """
    root = os.environ.get("MMWIDGETS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mmwidgets"
    )
    return Path(root) / "embeddings"


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds, and what this instance did with it.

    Examples
    --------
    >>> import tempfile
    >>> from mmwidgets.encoders import EmbeddingCache
    >>> EmbeddingCache(tempfile.mkdtemp()).stats().entries
    {}
    """

    directory: Path
    #: cached rows per encoder key
    entries: dict[str, int]
    shards: int
    disk_bytes: int
    #: rows found, rows not found and rows written by this instance
    hits: int
    misses: int
    written: int
    #: rows this instance found damaged (served as misses, then rewritten), per lookup
    damaged: int = 0


def stage_rows(directory: str | os.PathLike[str], rows: np.ndarray) -> str:
    """Write fp16 ``rows`` as a durable shard file in a cache folder, without indexing it.

    What an encoding worker does on a filesystem it shares with the driver; the driver then
    indexes the file with :meth:`EmbeddingCache.adopt_shard`. Until then nobody reads it, and
    one never indexed is swept by :meth:`EmbeddingCache.remove_orphans`.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from mmwidgets.encoders.cache import stage_rows
    >>> len(stage_rows(tempfile.mkdtemp(), np.zeros((1, 2), np.float16)))
    36
    """
    folder = Path(directory) / "shards"
    folder.mkdir(parents=True, exist_ok=True)
    return write_shard(folder, np.asarray(rows, dtype=np.float16))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:  # swept by another process meanwhile
        return 0


def folder_bytes(directory: Path) -> int:
    """Bytes in every file under ``directory`` (files swept meanwhile count as 0)."""
    return sum(_size(p) for p in directory.rglob("*"))
