"""Check that a DataFrame fits a Dataset: which columns, which ids, which kinds of values.

Everything here is cheap type inspection; no file is opened. Each failure raises a
:class:`SchemaError` that names the column and shows a valid value.
"""

from __future__ import annotations

import math
import os
import reprlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from PIL import Image

from mmwidgets.data._errors import SchemaError, UnknownItemError

__all__ = [
    "MODALITIES",
    "ColumnsArg",
    "Modality",
    "cell_problem",
    "check_column_kind",
    "is_missing",
    "item_key",
    "normalize_ids",
    "resolve_columns",
]

Modality: TypeAlias = Literal["text", "image", "audio"]
ColumnsArg: TypeAlias = str | Sequence[str] | None
MODALITIES: tuple[Modality, ...] = ("text", "image", "audio")

_EXAMPLE: dict[Modality, str] = {
    "text": "'a cat asleep on a sofa'",
    "image": "'photos/cat.jpg'",
    "audio": "'sounds/meow.ogg'",
}
_KINDS: dict[Modality, str] = {
    "text": "str",
    "image": "a file path, bytes, a PIL image or a numpy array",
    "audio": "a file path, bytes or a (samples, sample_rate) tuple",
}
_COLUMN: dict[str, str] = {"text": "caption", "image": "photo", "audio": "sound", "id": "item_id"}
_PATHS = (str, os.PathLike)
_BYTES = (bytes, bytearray, memoryview)
_SHOWN = 5


def is_missing(value: object, modality: Modality) -> bool:
    """Whether a cell means "this item lacks this modality".

    None, NaN, ``pd.NA`` and ``pd.NaT`` are missing everywhere; an empty or blank string is
    missing in image and audio columns (a blank path), but is text in a text column.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return modality != "text" and isinstance(value, str) and not value.strip()


def cell_problem(modality: Modality, value: object) -> str | None:
    """Say why a present cell holds the wrong type for its modality (no I/O), else None."""
    if modality == "text":
        ok = isinstance(value, str)
    elif modality == "image":
        ok = isinstance(value, _PATHS + _BYTES + (Image.Image, np.ndarray))
    else:
        ok = isinstance(value, _PATHS + _BYTES) or (
            isinstance(value, tuple | list) and len(value) == 2
        )
    if ok:
        return None
    return (
        f"{modality} cell holds {type(value).__name__} {reprlib.repr(value)}; "
        f"expected {_KINDS[modality]}, e.g. {_EXAMPLE[modality]}"
    )


def resolve_columns(
    frame: pd.DataFrame, text: ColumnsArg, image: ColumnsArg, audio: ColumnsArg
) -> dict[Modality, tuple[str, ...]]:
    """Turn the ``text=``/``image=``/``audio=`` arguments into column tuples, or raise."""
    given = {"text": text, "image": image, "audio": audio}
    columns: dict[Modality, tuple[str, ...]] = {}
    owner: dict[str, Modality] = {}
    for modality in MODALITIES:
        for column in _names(modality, given[modality]):
            check_column(frame, column, modality)
            if column in owner:
                raise SchemaError(
                    f"column {column!r} is given twice (as {owner[column]}= and {modality}=); "
                    f"each column holds one modality, e.g. {modality}={column!r} alone"
                )
            owner[column] = modality
            columns[modality] = (*columns.get(modality, ()), column)
    if not columns:
        raise SchemaError(
            "name at least one column with text=, image= or audio=, e.g. "
            "Dataset.from_pandas(df, text='caption', image='path'); "
            f"the DataFrame's columns are {_listing(frame)}"
        )
    return columns


def check_column(frame: pd.DataFrame, column: object, argument: str) -> None:
    """Raise unless ``column`` names exactly one column of ``frame`` (``argument`` says where)."""
    if not isinstance(column, str) or column not in frame.columns:
        raise SchemaError(
            f"{argument}={column!r} is not a column of the DataFrame; its columns are "
            f"{_listing(frame)} (names are str, e.g. {argument}={_COLUMN[argument]!r}; "
            "df.rename(columns=str) converts others)"
        )
    if isinstance(frame[column], pd.DataFrame):
        raise SchemaError(f"column {column!r} appears more than once in the DataFrame")


def check_column_kind(
    modality: Modality, column: str, values: list[object], ids: list[str]
) -> None:
    """Raise when no present cell of a column holds its modality's kind of value.

    A column whose every present value has the wrong type is the wrong column; a stray bad cell
    in an otherwise fine column is recorded as that cell's problem instead.
    """
    present = [(i, v) for i, v in zip(ids, values, strict=True) if not is_missing(v, modality)]
    if not present or any(cell_problem(modality, v) is None for _, v in present):
        return
    item_id, value = present[0]
    kinds = sorted({type(v).__name__ for _, v in present})
    hint = ""
    if modality == "text":
        hint = f"; if the values are meant as text, use df[{column!r}].astype(str)"
    elif modality == "audio" and isinstance(value, np.ndarray):
        hint = "; arrays need their sample rate: store (samples, sample_rate) tuples"
    raise SchemaError(
        f"{modality} column {column!r} holds {', '.join(kinds)} values (e.g. "
        f"{reprlib.repr(value)} for item {item_id!r}), not {modality}; each {modality} cell "
        f"is {_KINDS[modality]}, e.g. {_EXAMPLE[modality]}{hint}"
    )


def normalize_ids(frame: pd.DataFrame, id: str | None) -> list[str]:
    """Item ids as str, from the ``id`` column or the index; raise if missing or duplicated."""
    if id is None:
        if isinstance(frame.index, pd.MultiIndex):
            raise SchemaError(
                "the DataFrame index has several levels; pass id='item_id' naming one column, "
                "or use df.reset_index()"
            )
        where, raw = "the DataFrame index", frame.index.tolist()
    else:
        check_column(frame, id, "id")
        where, raw = f"id column {id!r}", frame[id].tolist()
    ids = [_id_str(value) for value in raw]
    missing = [row for row, value in enumerate(ids) if value is None]
    if missing:
        raise SchemaError(
            f"{where} has missing ids at rows {_rows(missing)}; every item needs an id, "
            "e.g. 'cat-001' or 17"
        )
    rows: dict[str, list[int]] = defaultdict(list)
    for row, value in enumerate(ids):
        rows[str(value)].append(row)
    duplicated = [(key, found) for key, found in rows.items() if len(found) > 1]
    if duplicated:
        shown = ", ".join(f"{key!r} (rows {_rows(found)})" for key, found in duplicated[:_SHOWN])
        more = f" and {len(duplicated) - _SHOWN} more" if len(duplicated) > _SHOWN else ""
        raise SchemaError(
            f"{where} has duplicate ids: {shown}{more}; ids must be unique, e.g. 'cat-001', "
            "'cat-002' (df.reset_index(drop=True) with id=None numbers the rows 0, 1, 2, …)"
        )
    return [str(value) for value in ids]


def item_key(item_id: object) -> str:
    """The str form of an item id a user passes to a lookup (str or int)."""
    if isinstance(item_id, str):
        return item_id
    if isinstance(item_id, int | np.integer) and not isinstance(item_id, bool):
        return str(int(item_id))
    raise UnknownItemError(f"item ids are str or int, got {type(item_id).__name__} {item_id!r}")


def _id_str(value: object) -> str | None:
    if is_missing(value, "text") or (isinstance(value, str) and not value):
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _names(modality: Modality, given: ColumnsArg) -> tuple[str, ...]:
    if given is None:
        return ()
    if isinstance(given, str):
        return (given,)
    if isinstance(given, Sequence) and all(isinstance(name, str) for name in given):
        return tuple(given)
    example = _COLUMN[modality]
    raise SchemaError(
        f"{modality}= takes a column name or a list of column names, e.g. {modality}={example!r} "
        f"or {modality}=[{example!r}, 'other_{example}']; got {reprlib.repr(given)}"
    )


def _listing(frame: pd.DataFrame) -> str:
    return ", ".join(repr(c) for c in frame.columns) or "(none)"


def _rows(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:_SHOWN])) + (", …" if len(rows) > _SHOWN else "")
