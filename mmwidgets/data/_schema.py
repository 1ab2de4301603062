"""Check that a DataFrame fits a Dataset: which columns, which ids, which kinds of values.

Everything here is cheap type inspection; no file is opened. Each failure raises a
:class:`SchemaError` that names the column and shows a valid value. What each modality accepts
comes from its registered :class:`~mmwidgets.data.ModalitySpec`.
"""

from __future__ import annotations

import reprlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TypeAlias, cast

import numpy as np
import pandas as pd

from mmwidgets.data._errors import SchemaError, UnknownItemError
from mmwidgets.data._ids import ItemIds, check_storable, id_strings
from mmwidgets.data._modalities import get_modality, list_modalities

__all__ = [  # noqa: F822 (MODALITIES comes from the module's __getattr__)
    "MODALITIES",
    "ColumnsArg",
    "ColumnsMapping",
    "Modality",
    "cell_problem",
    "is_missing",
    "item_ids",
    "item_key",
    "normalize_ids",
    "resolve_columns",
]

Modality: TypeAlias = str
"""A registered modality's name (see :func:`~mmwidgets.data.list_modalities`)."""
ColumnsArg: TypeAlias = str | Sequence[str] | None
ColumnsMapping: TypeAlias = Mapping[str, str | Sequence[str]]
_SHOWN = 5


def __getattr__(name: str) -> tuple[str, ...]:
    # MODALITIES was a constant; it is now whatever is registered when it is read
    if name == "MODALITIES":
        return tuple(list_modalities())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_missing(value: object, modality: Modality) -> bool:
    """Whether a cell means "this item lacks this modality".

    None, NaN, ``pd.NA`` and ``pd.NaT`` are missing everywhere; a modality may add its own
    (an empty or blank string is missing in image and audio columns, but is text in a text
    column).

    Examples
    --------
    >>> is_missing("", "image"), is_missing("", "text"), is_missing(pd.NA, "text")
    (True, False, True)
    """
    return get_modality(modality).is_missing(value)


def cell_problem(modality: Modality, value: object) -> str | None:
    """Say why a present cell holds the wrong type for its modality (no I/O), else None.

    Examples
    --------
    >>> cell_problem("text", 3.5)
    "text cell holds float 3.5; expected str, e.g. 'a cat asleep on a sofa'"
    """
    return get_modality(modality).problem(value)


def resolve_columns(
    frame: pd.DataFrame,
    text: ColumnsArg,
    image: ColumnsArg,
    audio: ColumnsArg,
    columns: ColumnsMapping | None = None,
) -> dict[Modality, tuple[str, ...]]:
    """Turn the ``text=``/``image=``/``audio=`` and ``columns=`` arguments into column tuples.

    The result follows the registry's order of modalities; it raises :class:`SchemaError`
    for a bad column and :class:`~mmwidgets.exceptions.UnknownModalityError` for a
    ``columns=`` key that is not a registered modality.

    Examples
    --------
    >>> df = pd.DataFrame({"t": ["a"], "p": ["cat.png"]})
    >>> resolve_columns(df, None, None, None, {"image": "p", "text": ["t"]})
    {'text': ('t',), 'image': ('p',)}
    """
    given = _given(text, image, audio, columns)
    resolved: dict[Modality, tuple[str, ...]] = {}
    owner: dict[str, Modality] = {}
    for modality in list_modalities():
        for column in _names(modality, given.get(modality)):
            check_column(frame, column, modality)
            if column in owner:
                raise SchemaError(
                    f"column {column!r} is given twice (as {owner[column]}= and {modality}=); "
                    f"each column holds one modality, e.g. {modality}={column!r} alone"
                )
            owner[column] = modality
            resolved[modality] = (*resolved.get(modality, ()), column)
    if not resolved:
        raise SchemaError(
            "name at least one column with text=, image= or audio=, e.g. "
            "Dataset.from_pandas(df, text='caption', image='path'); "
            f"the DataFrame's columns are {_listing(frame)}"
        )
    return resolved


def _given(
    text: ColumnsArg, image: ColumnsArg, audio: ColumnsArg, columns: ColumnsMapping | None
) -> dict[Modality, ColumnsArg]:
    """Modality -> its column argument, from the keyword shortcuts and the mapping together."""
    given: dict[Modality, ColumnsArg] = {
        m: arg for m, arg in (("text", text), ("image", image), ("audio", audio)) if arg is not None
    }
    if columns is None:
        return given
    if not isinstance(columns, Mapping):
        raise SchemaError(
            "columns= maps each modality to its column or columns, e.g. "
            f"columns={{'text': 'caption', 'image': ['photo', 'sketch']}}; got "
            f"{reprlib.repr(columns)}"
        )
    for modality, arg in columns.items():
        get_modality(modality)  # UnknownModalityError lists the registered ones
        if modality in given:
            raise SchemaError(
                f"the {modality} columns are given twice (as {modality}= and in columns=); "
                f"name them once, e.g. columns={{{modality!r}: {arg!r}}}"
            )
        given[modality] = arg
    return given


def check_column(frame: pd.DataFrame, column: object, argument: str) -> None:
    """Raise unless ``column`` names exactly one column of ``frame`` (``argument`` says where)."""
    if not isinstance(column, str) or column not in frame.columns:
        raise SchemaError(
            f"{argument}={column!r} is not a column of the DataFrame; its columns are "
            f"{_listing(frame)} (names are str, e.g. {argument}={_column_example(argument)!r}; "
            "df.rename(columns=str) converts others)"
        )
    if isinstance(frame[column], pd.DataFrame):
        raise SchemaError(f"column {column!r} appears more than once in the DataFrame")


def normalize_ids(frame: pd.DataFrame, id: str | None) -> list[str]:
    """Item ids as str, from the ``id`` column or the index; raise if missing or duplicated.

    Examples
    --------
    >>> normalize_ids(pd.DataFrame({"k": [7, 8.0]}), "k")
    ['7', '8']
    """
    return item_ids(frame, id).ids


def item_ids(frame: pd.DataFrame, id: str | None) -> ItemIds:
    """The ids of :func:`normalize_ids` with the row of each, checked in bulk.

    Examples
    --------
    >>> item_ids(pd.DataFrame({"t": ["a", "b"]}, index=[10, 20]), None).row("20")
    1
    """
    source: pd.Index | pd.Series
    if id is None:
        if isinstance(frame.index, pd.MultiIndex):
            raise SchemaError(
                "the DataFrame index has several levels; pass id='item_id' naming one column, "
                "or use df.reset_index()"
            )
        where, source = "the DataFrame index", frame.index
    else:
        check_column(frame, id, "id")
        where, source = f"id column {id!r}", frame[id]
    found = id_strings(source)
    if None in found:
        missing = [row for row, value in enumerate(found) if value is None]
        raise SchemaError(
            f"{where} has missing ids at rows {_rows(missing)}; every item needs an id, "
            "e.g. 'cat-001' or 17"
        )
    ids = cast("list[str]", found)
    check_storable(where, ids)
    index = ItemIds(ids, source)
    if not index.unique():
        raise SchemaError(_duplicates(where, ids))
    return index


def _duplicates(where: str, ids: list[str]) -> str:
    rows: dict[str, list[int]] = defaultdict(list)
    for row, value in enumerate(ids):
        rows[value].append(row)
    duplicated = [(key, found) for key, found in rows.items() if len(found) > 1]
    shown = ", ".join(f"{key!r} (rows {_rows(found)})" for key, found in duplicated[:_SHOWN])
    more = f" and {len(duplicated) - _SHOWN} more" if len(duplicated) > _SHOWN else ""
    return (
        f"{where} has duplicate ids: {shown}{more}; ids must be unique, e.g. 'cat-001', "
        "'cat-002' (df.reset_index(drop=True) with id=None numbers the rows 0, 1, 2, …)"
    )


def item_key(item_id: object) -> str:
    """The str form of an item id a user passes to a lookup (str or int)."""
    if isinstance(item_id, str):
        return item_id
    if isinstance(item_id, int | np.integer) and not isinstance(item_id, bool):
        return str(int(item_id))
    raise UnknownItemError(f"item ids are str or int, got {type(item_id).__name__} {item_id!r}")


def _names(modality: Modality, given: ColumnsArg) -> tuple[str, ...]:
    if given is None:
        return ()
    if isinstance(given, str):
        return (given,)
    if isinstance(given, Sequence) and all(isinstance(name, str) for name in given):
        return tuple(given)
    example = _column_example(modality)
    raise SchemaError(
        f"{modality}= takes a column name or a list of column names, e.g. {modality}={example!r} "
        f"or {modality}=[{example!r}, 'other_{example}']; got {reprlib.repr(given)}"
    )


def _column_example(argument: str) -> str:
    return "item_id" if argument == "id" else get_modality(argument).column_example


def _listing(frame: pd.DataFrame) -> str:
    return ", ".join(repr(c) for c in frame.columns) or "(none)"


def _rows(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:_SHOWN])) + (", …" if len(rows) > _SHOWN else "")
