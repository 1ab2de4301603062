"""One modality column read in one pass: which cells are missing, which hold the wrong type.

The rules are the modality's (:class:`~mmwidgets.data.ModalitySpec`); what is done here is to
apply them a column at a time: missing values are found with pandas' vectorized ``isna`` where
the dtype makes it exact, and a spec's own checks run through ``map`` over the cells that need
them, so a million-row column costs a few C-level passes rather than millions of Python frames.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmwidgets.data._errors import SchemaError
from mmwidgets.data._modalities import ModalitySpec, is_absent

__all__ = ["ColumnCells", "absent_mask", "read_column"]


@dataclass(frozen=True, eq=False)
class ColumnCells:
    """A column's cells as a Dataset keeps them.

    Attributes
    ----------
    values : list
        One cell per row, None where missing, normalised by the spec where it has a
        ``normalize``.
    present : numpy.ndarray
        Bool per row: the cell is not missing (a wrong-type cell is present).
    problems : dict
        Row -> why its cell cannot be used (a wrong type), in row order.
    """

    values: list[object]
    present: np.ndarray
    problems: dict[int, str]


def absent_mask(series: pd.Series, values: Sequence[object]) -> np.ndarray:
    """Bool per cell: :func:`~mmwidgets.data._modalities.is_absent` of ``series.tolist()``.

    ``values`` is that list. Numeric, datetime and string dtypes are answered by ``isna``;
    for object columns ``isna`` is a superset (it also flags e.g. ``np.datetime64("NaT")``),
    so its hits are confirmed one by one; other dtypes are checked cell by cell.

    Examples
    --------
    >>> s = pd.Series(["a", None, float("nan"), pd.NA, np.datetime64("NaT")], dtype=object)
    >>> absent_mask(s, s.tolist()).tolist()
    [False, True, True, True, False]
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return np.zeros(len(values), dtype=bool)
    if (isinstance(dtype, np.dtype) and dtype.kind in "fMm") or isinstance(dtype, pd.StringDtype):
        return np.array(series.isna().to_numpy(), dtype=bool)  # writable: a spec adds to it
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        mask = np.array(series.isna().to_numpy(), dtype=bool)
        for row in np.flatnonzero(mask).tolist():
            mask[row] = is_absent(values[row])
        return mask
    return np.fromiter(map(is_absent, values), dtype=bool, count=len(values))


def read_column(
    spec: ModalitySpec, column: str, series: pd.Series, ids: Sequence[str]
) -> ColumnCells:
    """Read one column of ``spec``'s modality; raise when it holds the wrong kind altogether.

    A column whose every present value has the wrong type is the wrong column (a
    :class:`SchemaError` naming the first such item); a stray bad cell in an otherwise fine
    column becomes that cell's problem instead.

    Examples
    --------
    >>> from mmwidgets.data import get_modality
    >>> cells = read_column(get_modality("text"), "t", pd.Series(["a", None, 3]), ["x", "y", "z"])
    >>> cells.values, cells.present.tolist()
    (['a', None, 3], [True, False, True])
    >>> cells.problems
    {2: "text cell holds int 3; expected str, e.g. 'a cat asleep on a sofa'"}
    """
    values: list[object] = series.tolist()
    missing = absent_mask(series, values)
    if spec.missing is not None:
        _add_own_missing(spec, values, missing)
    rows = np.flatnonzero(~missing)
    for row in np.flatnonzero(missing).tolist():
        values[row] = None
    present = values if len(rows) == len(values) else [values[r] for r in rows.tolist()]
    accepted = _accepted(spec, present)
    if len(present) and not accepted.any():
        raise _wrong_kind(spec, column, present, ids[int(rows[0])])
    problems: dict[int, str] = {}
    for i in np.flatnonzero(~accepted).tolist():
        problem = spec.problem(present[i])
        if problem is not None:
            problems[int(rows[i])] = problem
    if spec.normalize is not None:
        normalize = spec.normalize
        for i in np.flatnonzero(accepted).tolist():
            row = int(rows[i])
            values[row] = normalize(values[row])
    return ColumnCells(values, ~missing, problems)


def _accepted(spec: ModalitySpec, present: list[object]) -> np.ndarray:
    # one C-level pass over the cells' types can stand in for a Python call per cell
    if spec.accepted_types and set(map(type, present)) <= set(spec.accepted_types):
        return np.ones(len(present), dtype=bool)
    return np.fromiter(map(spec.accepts, present), dtype=bool, count=len(present))


def _add_own_missing(spec: ModalitySpec, values: list[object], missing: np.ndarray) -> None:
    # a modality's own "no value" (e.g. a blank path), asked only of the cells not absent
    own = spec.missing
    if own is None:
        return
    rows = np.flatnonzero(~missing)
    checked = values if len(rows) == len(values) else [values[r] for r in rows.tolist()]
    flags = np.fromiter(map(own, checked), dtype=bool, count=len(checked))
    missing[rows[flags]] = True


def _wrong_kind(
    spec: ModalitySpec, column: str, present: Sequence[object], item_id: str
) -> SchemaError:
    value = present[0]
    kinds = sorted({type(v).__name__ for v in present})
    hint = "" if spec.hint is None else spec.hint(column, value)
    modality = spec.name
    return SchemaError(
        f"{modality} column {column!r} holds {', '.join(kinds)} values (e.g. "
        f"{reprlib.repr(value)} for item {item_id!r}), not {modality}; each {modality} cell "
        f"is {spec.kinds}, e.g. {spec.example}{hint}"
    )
