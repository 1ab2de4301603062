"""Exceptions raised by the data layer (defined in :mod:`mmwidgets.exceptions`)."""

from __future__ import annotations

from mmwidgets.exceptions import (
    DamagedEventWarning,
    MediaError,
    MMWidgetsError,
    SchemaError,
    StoreError,
    UnknownItemError,
    UnknownLabelError,
)

__all__ = [
    "DamagedEventWarning",
    "MMWidgetsError",
    "MediaError",
    "SchemaError",
    "StoreError",
    "UnknownItemError",
    "UnknownLabelError",
]
