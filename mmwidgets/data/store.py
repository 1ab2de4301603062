"""The durable label store: an append-only SQLite log of what annotators did to which item.

Labels are the one thing in mmwidgets that cannot be recomputed, so every write returns only
after SQLite has fsynced it, and the state is derived from the log rather than kept beside it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from mmwidgets.data import _store_schema as schema
from mmwidgets.data._errors import UnknownLabelError
from mmwidgets.data._store_frames import CURRENT_COLUMNS, events_frame, export_frame
from mmwidgets.data._store_values import (
    Event,
    EventKind,
    ItemId,
    Label,
    LabelArg,
    annotator_str,
    decode_label,
    event_labels,
    event_meta,
    item_id_str,
    label_set,
    row_event,
)

__all__ = ["Event", "LabelStore"]

_STATE = f"SELECT * FROM ({schema.LATEST_EFFECTIVE}) WHERE kind = ? ORDER BY seq"


def _store_path(path: str | os.PathLike[str]) -> Path:
    raw = os.fspath(path)
    if not isinstance(raw, str) or raw in ("", ":memory:") or raw.startswith("file:"):
        raise ValueError(
            f"LabelStore needs a file path, got {raw!r}: an in-memory store would lose every "
            "label when the kernel stops. Pass e.g. 'labels.sqlite'."
        )
    resolved = Path(raw).expanduser()
    if resolved.is_dir():
        raise ValueError(f"{resolved} is a directory; pass a file path such as {resolved}/labels.sqlite")
    return resolved
