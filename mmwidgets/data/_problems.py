"""The per-cell problem log of a Dataset, and the media check that fills it at construction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import pandas as pd

from mmwidgets.data._modalities import ModalitySpec, get_modality

__all__ = ["PROGRESS_THRESHOLD", "ProblemLog", "check_media"]

PROGRESS_THRESHOLD = 200
"""Media checks over more cells than this show a progress bar."""

PROBLEM_COLUMNS = ["id", "column", "problem"]


class ProblemLog:
    """Which cells cannot be used and why; safe to write from a background thread.

    Examples
    --------
    >>> log = ProblemLog()
    >>> log.record("7", "photo", "image file not found: 'cat.png'")
    >>> log.has("7"), log.has("8"), len(log)
    (True, False, 1)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_item: dict[str, dict[str, str]] = {}

    def record(self, item_id: str, column: str, problem: str) -> None:
        """Remember ``problem`` for one cell, replacing an earlier one for the same cell."""
        with self._lock:
            self._by_item.setdefault(item_id, {})[column] = problem

    def get(self, item_id: str, column: str) -> str | None:
        """The problem recorded for one cell, or None."""
        with self._lock:
            return self._by_item.get(item_id, {}).get(column)

    def has(self, item_id: str) -> bool:
        """Whether any cell of the item has a problem."""
        with self._lock:
            return item_id in self._by_item

    def items(self, column: str | None = None) -> set[str]:
        """Ids of the items with at least one problem (in ``column``, when given)."""
        with self._lock:
            if column is None:
                return set(self._by_item)
            return {item for item, cells in self._by_item.items() if column in cells}

    def __len__(self) -> int:
        with self._lock:
            return sum(len(cells) for cells in self._by_item.values())

    def frame(self, ids: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
        """One row per bad cell, in item order then column order."""
        with self._lock:
            snapshot = {item: dict(cells) for item, cells in self._by_item.items()}
        rows = [
            (item_id, column, snapshot[item_id][column])
            for item_id in ids
            if item_id in snapshot
            for column in columns
            if column in snapshot[item_id]
        ]
        return pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=object)


def check_media(
    ids: Sequence[str],
    columns: Mapping[str, Sequence[str]],
    cells: Mapping[str, Sequence[object]],
    log: ProblemLog,
    max_pixels: int | None,
    *,
    rows: Iterable[int] | None = None,
    progress: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Decode every present media cell (image, audio, ...) of ``rows`` (all when None).

    Each distinct value of a column is decoded once (a path repeated on many rows is opened
    once); the problem, if any, is recorded for every cell holding it. Cells that are missing,
    or already have a problem (a wrong type), are not opened. ``should_stop`` is asked between
    cells; returns how many cells were checked.

    Examples
    --------
    >>> log = ProblemLog()
    >>> check_media(["a", "b"], {"image": ["photo"]}, {"photo": [None, b"junk"]}, log, None)
    1
    >>> log.get("b", "photo")
    'cannot decode image <4 bytes>: not a recognised image format'
    """
    wanted = None if rows is None else set(rows)
    work = [
        (spec, column, row)
        for spec, column, row in _media_cells(columns, cells)
        if (wanted is None or row in wanted) and log.get(ids[row], column) is None
    ]
    from tqdm.auto import tqdm  # only a check big enough for a progress bar needs it soon

    seen: dict[tuple[str, object], str | None] = {}
    done = 0
    with tqdm(
        total=len(work),
        desc="Checking media",
        unit="file",
        disable=not progress or len(work) <= PROGRESS_THRESHOLD,
    ) as bar:
        for spec, column, row in work:
            if should_stop is not None and should_stop():
                break
            value = cells[column][row]
            key = (column, value if isinstance(value, str | bytes) else id(value))
            if key not in seen:
                seen[key] = spec.decode_problem(value, max_pixels)
            problem = seen[key]
            if problem is not None:
                log.record(ids[row], column, problem)
            done += 1
            bar.update()
    return done


def _media_cells(
    columns: Mapping[str, Sequence[str]], cells: Mapping[str, Sequence[object]]
) -> Iterator[tuple[ModalitySpec, str, int]]:
    for modality, names in columns.items():
        spec = get_modality(modality)
        if not spec.media:
            continue
        for column in names:
            for row, value in enumerate(cells[column]):
                if value is not None:
                    yield spec, column, row
