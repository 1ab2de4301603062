"""Item ids in bulk: every id of a column (or index) as str, and the row of each id.

The rules for one id are those of :func:`id_str`; :func:`id_strings` applies them a whole column
at a time, with a vectorized path for the dtypes that allow one (a RangeIndex, integers, floats,
all-str columns) and a cell-by-cell path for anything else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from mmwidgets.data._errors import SchemaError
from mmwidgets.data._modalities import is_absent
from mmwidgets.data._storable import unstorable_rows

__all__ = ["ItemIds", "check_storable", "id_str", "id_strings"]

#: bad ids named in one error
_SHOWN = 5


def id_str(value: object) -> str | None:
    """One id as str (``7`` and ``7.0`` -> ``"7"``), or None when it is missing or empty.

    Examples
    --------
    >>> id_str(7), id_str(7.0), id_str(7.5), id_str("cat"), id_str(""), id_str(None)
    ('7', '7', '7.5', 'cat', None, None)
    """
    if is_absent(value) or (isinstance(value, str) and not value):
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def id_strings(source: pd.Index | pd.Series) -> list[str | None]:
    """:func:`id_str` of every value of an index or column, in order.

    Examples
    --------
    >>> id_strings(pd.RangeIndex(2)), id_strings(pd.Series([3.0, None, 4.5]))
    (['0', '1'], ['3', None, '4.5'])
    """
    if isinstance(source, pd.RangeIndex):
        return list(map(str, range(source.start, source.stop, source.step)))
    dtype = source.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":  # never missing; bools give 'True'
        return list(map(str, source.tolist()))
    raw = source.tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [_float_id(v) for v in raw]
    # every value a str (infer_dtype passes over a str dtype's NaN, hence hasnans): only ''
    # is missing
    if not source.hasnans and infer_dtype(source, skipna=False) == "string":
        return [str(v) if v else None for v in raw]
    return [id_str(v) for v in raw]


def check_storable(where: str, ids: list[str]) -> None:
    r"""Refuse ids that no label store can hold, naming their rows (``where`` says whose ids).

    A lone surrogate (``"\ud800"``) can't be written as UTF-8 and a NUL character can't go
    into PostgreSQL, so labeling such an item would fail in the store, far from its cause.

    Raises
    ------
    SchemaError
        Naming up to five such rows, their ids and what is wrong with each.

    Examples
    --------
    >>> check_storable("id column 'k'", ["a", "b"])
    >>> try:
    ...     check_storable("id column 'k'", ["a", "b\ud800"])
    ... except SchemaError as error:
    ...     print(str(error)[:75])
    id column 'k' has an id no label store can hold: row 1 (id 'b\ud800') holds
    """
    bad = unstorable_rows(ids)
    if not bad:
        return
    shown = "; ".join(
        f"row {row} (id {ids[row]!r}) {problem}" for row, problem in list(bad.items())[:_SHOWN]
    )
    more = f"; and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    some = "an id" if len(bad) == 1 else f"{len(bad)} ids"
    raise SchemaError(
        f"{where} has {some} no label store can hold: {shown}{more}; fix or drop those rows first"
    )


def _float_id(value: float) -> str | None:
    if value != value:  # NaN
        return None
    return str(int(value)) if value.is_integer() else str(value)


class ItemIds:
    """Unique item ids in row order, and the row of each id.

    A RangeIndex's ids are looked up by arithmetic, so the default index needs no id -> row
    table at all; any other ids get one dict.

    Parameters
    ----------
    ids : list of str
        The ids; the caller checks :meth:`unique` (a repeated id finds its last row).
    source : pandas.Index or Series, optional
        Where they came from; a RangeIndex enables the arithmetic lookup.

    Examples
    --------
    >>> index = ItemIds(["0", "1", "2"], pd.RangeIndex(3))
    >>> index.row("2"), index.row("02"), index.row("x")
    (2, None, None)
    >>> ItemIds(["b", "a"]).row("a")
    1
    """

    def __init__(self, ids: list[str], source: pd.Index | pd.Series | None = None) -> None:
        self.ids = ids
        self._range = source if isinstance(source, pd.RangeIndex) else None
        self._rows: dict[str, int] = {}
        if self._range is None:
            self._rows = dict(zip(ids, range(len(ids)), strict=True))

    def __len__(self) -> int:
        return len(self.ids)

    def unique(self) -> bool:
        """Whether no id appears twice (a RangeIndex never repeats)."""
        return self._range is not None or len(self._rows) == len(self.ids)

    def row(self, key: str) -> int | None:
        """The row of the id ``key`` (as str), or None when no item has it."""
        if self._range is not None:
            return _range_row(self._range, key)
        return self._rows.get(key)


def _range_row(index: pd.RangeIndex, key: str) -> int | None:
    # only the canonical spelling of an int is an id: '7', not '07', ' 7' or '7_0'
    digits = key[1:] if key[:1] == "-" else key
    if not digits.isascii() or not digits.isdigit() or len(digits) > 20:
        return None
    value = int(key)
    if str(value) != key:
        return None
    offset, step = value - index.start, index.step
    if offset % step:
        return None
    row = offset // step
    return row if 0 <= row < len(index) else None
