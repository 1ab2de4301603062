"""Exceptions raised by the data layer (defined in :mod:`mmwidgets.exceptions`)."""

from __future__ import annotations

from mmwidgets.exceptions import (
    MediaError,
    MMWidgetsError,
    SchemaError,
    UnknownItemError,
    UnknownLabelError,
)

__all__ = [
    "MMWidgetsError",
    "MediaError",
    "SchemaError",
    "UnknownItemError",
    "UnknownLabelError",
]
