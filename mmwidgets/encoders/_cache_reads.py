"""Reading cached rows without trusting the index: what is served is checked, what is not is told.

The index says where a row lives (a shard file name and a row number); the file says what the
row is. Both may have been damaged or tampered with, so every row served has passed these
checks: the shard name is one the cache writes (anything else is never used as a path), the
file is a whole 2-d fp16 array of the shape the index says, the row number is inside it, and
the row is finite. A row that fails any of them is a miss, recomputed and rewritten by the
caller; the damage is reported once per cache instance, in one warning naming the folder.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmwidgets.encoders._cache_index import CacheIndex, Shard
from mmwidgets.encoders._cache_shards import ShardReader
from mmwidgets.exceptions import CacheDamagedWarning

__all__ = ["CacheDamagedWarning", "CheckedReads", "DamageLog", "check_dim", "read_rows"]

#: problems named in one warning; the rest are counted
_SHOWN = 5


@dataclass
class DamageLog:
    """Problems found in one cache folder; each is warned about once, then only counted."""

    directory: Path
    #: rows found damaged by lookups, each time (they are misses until rewritten)
    rows: int = 0
    _told: set[tuple[str, str]] = field(default_factory=set)

    def report(self, found: Iterable[tuple[str, str, int]], lookup: bool = True) -> None:
        """Warn about the ``(what, problem, rows)`` not reported before, in one warning.

        ``lookup``: the rows count in :attr:`rows` (not when a write checks them again).
        """
        new = []
        for what, problem, rows in found:
            self.rows += rows if lookup else 0
            if (what, problem) not in self._told:
                self._told.add((what, problem))
                new.append(f"{what} {problem}" + (f" ({_rows(rows)})" if rows else ""))
        if not new:
            return
        listed = "; ".join(new[:_SHOWN])
        if len(new) > _SHOWN:
            listed += f"; and {len(new) - _SHOWN} more"
        warnings.warn(
            f"the embedding cache in {self.directory} is damaged: {listed}. Those embeddings "
            "are recomputed and the cache rewrites them.",
            CacheDamagedWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside the cache's modules (whoever looked up)."""
    level, frame = 2, sys._getframe(2)  # 0: here, 1: DamageLog.report, which warns
    while frame is not None and _in_cache(frame.f_code.co_filename):
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    return level


def _in_cache(filename: str) -> bool:
    folder, name = os.path.split(filename)
    return folder == _HERE and (name.startswith("_cache") or name == "cache.py")


_HERE = os.path.dirname(__file__)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def read_rows(
    reader: ShardReader,
    located: Iterable[tuple[Shard | None, np.ndarray, np.ndarray]],
    out: np.ndarray,
    hit: np.ndarray,
) -> list[tuple[str, str, int]]:
    """Copy the checked rows of ``located`` into ``out`` (float32) and mark them in ``hit``.

    Returns ``(what, problem, rows)`` for every shard that held damage: the rows it cost.
    """
    width = out.shape[1]
    damage: list[tuple[str, str, int]] = []
    for shard, positions, rows in located:
        if shard is None:
            damage.append(("the index", "points rows at a shard it does not list", len(rows)))
            continue
        what = f"shard {shard.name!r}"
        try:
            data = reader.rows(shard.name)
        except ValueError as exc:
            damage.append((what, str(exc), len(rows)))
            continue
        if data.shape != (shard.rows, width):
            said = f"({shard.rows}, {width})" if shard.rows >= 0 else f"{width}-d rows"
            damage.append((what, f"holds {data.shape}, the index says {said}", len(rows)))
            continue
        inside = (rows >= 0) & (rows < data.shape[0])
        if not inside.all():
            problem = f"has no such rows (the index names rows outside its {data.shape[0]})"
            damage.append((what, problem, int((~inside).sum())))
            positions, rows = positions[inside], rows[inside]
        block = np.asarray(data[rows], dtype=np.float32)
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            damage.append((what, "holds non-finite rows", int((~finite).sum())))
            positions, block = positions[finite], block[finite]
        out[positions] = block
        hit[positions] = True
    return damage


class CheckedReads:
    """The cache's reads through its index: checked rows, damage told once per folder."""

    def __init__(self, shard_dir: Path, directory: Path) -> None:
        self.shards = ShardReader(shard_dir)
        self.damage = DamageLog(directory)

    def read(
        self,
        index: CacheIndex,
        encoder_key: str,
        keys: list[str],
        dim: int | None,
        lookup: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """float32 ``(len(keys), dim)`` rows (NaN where missed) and the hit mask."""
        stored = index.dim(encoder_key)
        width = check_dim(encoder_key, stored, dim) or 0
        out = np.full((len(keys), width), np.nan, dtype=np.float32)
        hit = np.zeros(len(keys), dtype=bool)
        if stored is not None:
            located = index.locate(encoder_key, keys)
            self.damage.report(read_rows(self.shards, located, out, hit), lookup)
        return out, hit

    def known(
        self, index: CacheIndex, encoder_key: str, keys: Collection[str], dim: int
    ) -> tuple[set[str], set[str]]:
        """Of ``keys``, those the index holds that read fine, and those it holds damaged."""
        known = list(index.known(encoder_key, list(keys)))
        hit = self.read(index, encoder_key, known, dim, lookup=False)[1].tolist() if known else []
        good = {key for key, ok in zip(known, hit, strict=True) if ok}
        return good, set(known) - good


def check_dim(encoder_key: str, stored: int | None, wanted: int | None) -> int | None:
    """The width rows of ``encoder_key`` have; ValueError if it is stored as another."""
    if stored is not None and wanted is not None and stored != wanted:
        raise ValueError(
            f"{encoder_key!r} is cached with {stored}-d embeddings, not {wanted}-d: an encoder "
            "whose output changes needs a new version"
        )
    return stored if stored is not None else wanted
