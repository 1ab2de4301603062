"""DataFrames of label-store rows, and export of them to CSV, JSON Lines and Parquet."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mmwidgets.data._store_values import Label, decode_label, source_of

HISTORY_COLUMNS = (
    "seq",
    "kind",
    "id",
    "label",
    "annotator",
    "time",
    "model_version",
    "reason",
    "undoes",
)
CURRENT_COLUMNS = ("id", "label", "annotator", "time", "model_version", "reason", "source")

# Multi-label sets are joined with this in CSV; label_set() refuses labels that contain it.
CSV_LABEL_SEPARATOR = "|"

#: a cell starting with one of these is run as a formula by a spreadsheet (OWASP's list)
FORMULA_STARTS = frozenset("=+-@\t\r")
#: a plain number is never run, so "-5" or "+1.5e3" stay as they are
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def escape_formula(value: str) -> str:
    """``value`` as a spreadsheet shows it but never runs it: ``'`` before a formula start.

    A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, unless it is
    a plain number, gets a leading single quote (OWASP's advice against CSV injection); so does
    a value that starts with a quote already, so that removing one leading ``'`` from every
    value that has one gives back exactly what was written.

    Examples
    --------
    >>> [escape_formula(v) for v in ["=1+1", "@SUM(A1)", "-5", "cat", "'quoted"]]
    ["'=1+1", "'@SUM(A1)", '-5', 'cat', "''quoted"]
    """
    first = value[:1]
    if first == "'" or (first in FORMULA_STARTS and _NUMBER.fullmatch(value) is None):
        return "'" + value
    return value


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            out[name] = pd.Series(
                [escape_formula(v) if isinstance(v, str) else v for v in column.tolist()],
                index=column.index,
                dtype=object,
            )
    return out


def events_frame(
    rows: Sequence[tuple[Any, ...]], multi_label: bool, columns: Sequence[str] = HISTORY_COLUMNS
) -> pd.DataFrame:
    """One DataFrame row per event row (``EVENT_COLUMNS`` order), restricted to ``columns``."""
    seq, kind, item, labels, annotator, when, version, reason, undoes = (
        tuple(zip(*rows, strict=True)) if rows else ((),) * 9
    )
    # float epoch seconds carry ~0.2 µs of rounding noise; whole microseconds round-trip exactly
    # through every export format.
    times = pd.to_datetime(pd.Series(when, dtype="float64"), unit="s", utc=True)
    data: dict[str, Any] = {
        "seq": pd.Series(seq, dtype="int64"),
        "kind": pd.Series(kind, dtype=object),
        "id": pd.Series(item, dtype=object),
        "label": pd.Series(_decoded(labels, multi_label), dtype=object),
        "annotator": pd.Series(annotator, dtype=object),
        "time": times.dt.round("us").astype("datetime64[us, UTC]"),
        "model_version": pd.Series(version, dtype="Int64"),
        "reason": pd.Series(reason, dtype=object),
        "undoes": pd.Series(undoes, dtype="Int64"),
    }
    if "source" in columns:  # "model" for the model's own labels, else "person"
        data["source"] = pd.Series([source_of(a) for a in annotator], dtype=object)
    return pd.DataFrame({name: data[name] for name in columns})


def _decoded(stored: Sequence[str | None], multi_label: bool) -> list[Label | None]:
    # A task has few distinct label sets, so decoding each JSON string once instead of once per
    # row takes the JSON cost out of reading a large log.
    cache: dict[str | None, Label | None] = {}
    out = []
    for value in stored:
        if value not in cache:
            cache[value] = decode_label(value, multi_label)
        out.append(cache[value])
    return out


def _csv_frame(frame: pd.DataFrame, multi_label: bool) -> pd.DataFrame:
    if not multi_label:
        return frame
    out = frame.copy()
    out["label"] = [CSV_LABEL_SEPARATOR.join(labels) for labels in out["label"]]
    return out


def _list_frame(frame: pd.DataFrame, multi_label: bool) -> pd.DataFrame:
    if not multi_label:
        return frame
    out = frame.copy()
    out["label"] = pd.Series([list(labels) for labels in out["label"]], dtype=object)
    return out


def _write_csv(frame: pd.DataFrame, path: Path, multi_label: bool, escape: bool) -> None:
    written = _csv_frame(frame, multi_label)
    # RFC 4180's CRLF: the csv module quotes a field holding any line-terminator character,
    # so with "\n" alone a carriage return inside a value would end the row when read back
    (_escaped(written) if escape else written).to_csv(path, index=False, lineterminator="\r\n")


def _write_jsonl(frame: pd.DataFrame, path: Path, multi_label: bool, escape: bool) -> None:
    _list_frame(frame, multi_label).to_json(
        path, orient="records", lines=True, date_format="iso", date_unit="us"
    )


def _write_parquet(frame: pd.DataFrame, path: Path, multi_label: bool, escape: bool) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError(
            "exporting to Parquet needs pyarrow: pip install 'mmwidgets[export]' "
            "(or export to .csv or .jsonl)"
        ) from None
    _list_frame(frame, multi_label).to_parquet(path, index=False)


#: suffix -> ``writer(frame, path, multi_label, escape_formulas)``; only CSV escapes
WRITERS: dict[str, Callable[[pd.DataFrame, Path, bool, bool], None]] = {
    ".csv": _write_csv,
    ".jsonl": _write_jsonl,
    ".parquet": _write_parquet,
}


def export_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    multi_label: bool,
    escape_formulas: bool = True,
) -> Path:
    """Write ``frame`` in the format named by ``path``'s extension; return the path written.

    With ``escape_formulas``, CSV cells go through :func:`escape_formula`.
    """
    target = Path(path)
    writer = WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ValueError(
            f"can't export to {target.name!r}: unsupported extension {target.suffix!r}; "
            f"use one of {', '.join(WRITERS)}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename: a crash mid-export never leaves a truncated file
    # that looks complete.
    partial = target.with_name(f".{target.name}.partial")
    try:
        writer(frame, partial, multi_label, escape_formulas)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
