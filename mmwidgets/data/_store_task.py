"""The task a label store belongs to: its label set and multi-label flag, kept in ``meta``.

Resolving them runs inside the opening transaction, so two processes creating one store at the
same moment agree on a single label set.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mmwidgets.data import _store_schema as schema
from mmwidgets.data._errors import UnknownLabelError
from mmwidgets.data._store_damage import annotation_rows
from mmwidgets.data._store_values import decode_label, label_set


def needs_labels(path: object) -> ValueError:
    """The error for a new store opened without a label set."""
    what = "a new label store"
    if isinstance(path, Path) and path.is_file() and path.stat().st_size == 0:
        what = "an empty file (0 bytes) that holds no label store yet"
    return ValueError(
        f"{path} is {what}, so it needs its label set: LabelStore(path, labels=['cat', 'dog', ...])"
    )


def open_task(
    conn: sqlite3.Connection,
    path: Path,
    wanted: tuple[str, ...] | None,
    multi_label: bool | None,
) -> tuple[tuple[str, ...], bool]:
    """Create or check the schema, then return the store's ``(labels, multi_label)``.

    Runs in the caller's transaction. ``wanted`` replaces the stored label set unless that
    would drop a label an item currently carries.
    """
    meta = schema.ensure_schema(conn, str(path))
    if "labels" not in meta:
        task, multi = new_task(wanted, multi_label, path)
        schema.write_meta(
            conn,
            {
                "schema_version": schema.SCHEMA_VERSION,
                "labels": list(task),
                "multi_label": multi,
                "created": time.time(),
            },
        )
        return task, multi
    stored = (tuple(meta["labels"]), bool(meta["multi_label"]))

    def annotations() -> Sequence[tuple[Any, ...]]:
        rows = conn.execute(schema.ANNOTATIONS).fetchall()
        return annotation_rows(rows, lambda: conn.execute(schema.HISTORY).fetchall(), stored[1])

    task, multi = settle_task(stored, wanted, multi_label, path, annotations)
    if task != stored[0]:
        schema.write_meta(conn, {"labels": list(task)})
    return task, multi


def new_task(
    wanted: tuple[str, ...] | None, multi_label: bool | None, where: object
) -> tuple[tuple[str, ...], bool]:
    """The label set and flag of a task being created (it needs ``wanted``)."""
    if wanted is None:
        raise needs_labels(where)
    multi = bool(multi_label)
    return label_set(wanted, multi), multi


def settle_task(
    stored: tuple[tuple[str, ...], bool],
    wanted: tuple[str, ...] | None,
    multi_label: bool | None,
    where: object,
    annotations: Callable[[], Iterable[tuple[Any, ...]]],
) -> tuple[tuple[str, ...], bool]:
    """Check a reopened task's arguments against what is stored; the label set to keep.

    ``annotations`` reads the annotation rows, called only when a label would be dropped.
    """
    labels, multi = stored
    if multi_label is not None and bool(multi_label) != multi:
        raise ValueError(
            f"{where} is a {'multi' if multi else 'single'}-label store; it can't be reopened "
            f"with multi_label={multi_label!r} (pass multi_label=None to use the stored value, "
            "or use another path)"
        )
    if wanted is None or wanted == labels:
        return labels, multi
    task = label_set(wanted, multi)
    dropped = [label for label in labels if label not in task]
    if dropped:
        _check_drop(annotations(), where, dropped, multi)
    return task, multi


def _check_drop(
    rows: Iterable[tuple[Any, ...]], where: object, dropped: list[str], multi: bool
) -> None:
    items: dict[str, set[str]] = {}  # label -> items some annotator gives it now
    for row in rows:
        if row[1] in ("set", "adjudicate"):
            label = decode_label(row[3], multi)
            for one in (label,) if isinstance(label, str) else label or ():
                items.setdefault(one, set()).add(row[2])
    carried = Counter({label: len(ids) for label, ids in items.items()})
    in_use = {label: carried[label] for label in dropped if carried[label]}
    if in_use:
        named = ", ".join(
            f"{label!r} ({count} item{'s' if count > 1 else ''})" for label, count in in_use.items()
        )
        raise UnknownLabelError(
            f"can't drop label(s) {named} from {where}: items currently carry them. "
            "Keep them in labels=, or relabel or clear those items first."
        )


def store_path(path: str | os.PathLike[str]) -> Path:
    """Check a store path: a real file, never SQLite's in-memory database."""
    raw = os.fspath(path)
    if raw in ("", ":memory:"):
        raise ValueError(
            f"LabelStore needs a file path, got {raw!r}: an in-memory store would lose every "
            "label when the kernel stops. Pass a path such as 'labels.sqlite'."
        )
    resolved = Path(raw).expanduser()
    if resolved.is_dir():
        raise ValueError(f"{resolved} is a directory; pass a file path inside it instead")
    return resolved
