"""Shard files of the embedding cache: immutable fp16 ``.npy`` files, written atomically.

A shard only ever gets its final name once its bytes are on disk (temp name, fsync, rename,
fsync of the folder), so a name that exists always holds a whole array. The index is written
after that, which is what makes a killed writer harmless: at worst it leaves an unnamed temp
file or a named shard that no index row points to, and :func:`remove_orphans` sweeps both.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "ShardReader",
    "check_shard_name",
    "map_shard",
    "read_staged",
    "remove_orphans",
    "write_shard",
]

TEMP_PREFIX = ".tmp-"
SUFFIX = ".npy"
_NAME = re.compile(r"[0-9a-f]{32}\.npy")


def write_shard(folder: Path, rows: npt.NDArray[np.float16]) -> str:
    """Write ``rows`` as a new shard in ``folder``; returns its file name once durable."""
    name = uuid.uuid4().hex + SUFFIX
    temp = folder / f"{TEMP_PREFIX}{name}"
    try:
        # "xb": a unique name that nobody else may have opened; never truncate another's file
        with open(temp, "xb") as file:
            np.save(file, np.ascontiguousarray(rows), allow_pickle=False)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)  # the rename itself must survive a crash before the index names it
    return name


def check_shard_name(name: str) -> str:
    """``name`` if it is a shard file name as :func:`write_shard` makes them, else ValueError.

    A name that came from elsewhere (a worker's reply) is never used as a path otherwise: no
    folder part, no ``..``, nothing but 32 hex digits and ``.npy``.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"not a shard file name: {name!r}")
    return name


def read_staged(folder: Path, name: str, rows: int, dim: int) -> npt.NDArray[np.float16]:
    """A shard another process wrote, read whole and checked: ``(rows, dim)`` finite fp16.

    Raises ValueError (naming the file and what is wrong) for anything else; the file is
    then deleted, since no index row names it.
    """
    path = folder / check_shard_name(name)
    try:
        data = np.array(map_shard(path))
    except ValueError as exc:
        path.unlink(missing_ok=True)
        raise ValueError(f"shard {name} {exc}") from exc
    problem = None
    if data.shape != (rows, dim):
        problem = f"holds float16 {data.shape}, not float16 ({rows}, {dim})"
    elif not np.isfinite(data).all():
        problem = "holds non-finite values"
    if problem is not None:
        path.unlink(missing_ok=True)
        raise ValueError(f"shard {name} {problem}")
    return data


def map_shard(path: Path) -> np.ndarray[Any, Any]:
    """Memory-map the 2-d fp16 ``.npy`` file at ``path``, or say what is wrong with it.

    Only a regular file is opened (never through a symlink, never a FIFO or device, which could
    block or never end), and its header is read before anything is mapped: a file that is
    truncated, not an ``.npy`` file, or holds anything but a C-ordered 2-d float16 array raises
    ValueError with a phrase such as ``"is missing"`` or ``"is truncated (...)"``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ValueError("is missing") from None
    except OSError as exc:
        why = "is a symbolic link" if exc.errno == errno.ELOOP else f"can't be read: {exc}"
        raise ValueError(why) from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("is not a regular file")
        try:
            version = np.lib.format.read_magic(file)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
            else:
                raise ValueError(f".npy version {version}")
        except (ValueError, EOFError, SyntaxError, TypeError) as exc:
            raise ValueError(f"is not a whole .npy file ({exc})") from None
        if dtype != np.float16 or fortran or len(shape) != 2:
            order = "Fortran-ordered " if fortran else ""
            raise ValueError(f"holds {order}{dtype} {shape}, not a 2-d float16 array")
        offset = file.tell()
        needed = offset + 2 * shape[0] * shape[1]
        if info.st_size < needed:
            raise ValueError(f"is truncated ({info.st_size} of {needed} bytes)")
        if shape[0] * shape[1] == 0:  # nothing to map (mmap refuses a zero length)
            return np.zeros(shape, dtype=np.float16)
        return np.memmap(file, dtype=np.float16, mode="r", offset=offset, shape=shape)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ShardReader:
    """Memory-mapped shards, the ``capacity`` most recently used kept open (each holds an fd)."""

    def __init__(self, folder: Path, capacity: int = 128) -> None:
        self._folder = folder
        self._capacity = capacity
        self._open: OrderedDict[str, np.ndarray[Any, Any]] = OrderedDict()

    def rows(self, name: str) -> np.ndarray[Any, Any]:
        """The shard's ``(rows, dim)`` fp16 memmap; ValueError saying what is wrong otherwise.

        ``name`` comes from the index, which may be damaged: one that is not a name
        :func:`write_shard` makes is never used as a path.
        """
        if name in self._open:
            self._open.move_to_end(name)
            return self._open[name]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError("is not a shard file name this cache writes (never opened)")
        shard = map_shard(self._folder / name)
        self._open[name] = shard
        if len(self._open) > self._capacity:
            self._open.popitem(last=False)
        return shard

    def close(self) -> None:
        """Drop every open map (the OS frees each once no array taken from it is alive)."""
        self._open.clear()


def remove_orphans(folder: Path, indexed: Iterable[str], min_age_s: float) -> tuple[int, int]:
    """Delete temp files and unindexed shards older than ``min_age_s``; returns (files, bytes).

    The age guard keeps a live writer's files safe: between its rename and its index commit a
    shard is legitimately unindexed for a few milliseconds.
    """
    keep = set(indexed)
    cutoff = time.time() - min_age_s
    files = freed = 0
    for path in folder.iterdir():
        is_orphan = path.name.startswith(TEMP_PREFIX) or (
            path.suffix == SUFFIX and path.name not in keep
        )
        try:
            stat = path.stat()
            if is_orphan and stat.st_mtime < cutoff:
                path.unlink()
                files, freed = files + 1, freed + stat.st_size
        except FileNotFoundError:  # another process swept it first
            continue
    return files, freed
