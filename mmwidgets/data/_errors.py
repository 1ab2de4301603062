"""Exceptions raised by the data layer.

Every error names the item or column at fault and, where it helps, shows a valid value.
"""

from __future__ import annotations

__all__ = [
    "MMWidgetsError",
    "MediaError",
    "SchemaError",
    "UnknownItemError",
    "UnknownLabelError",
]


class MMWidgetsError(Exception):
    """Base class of every error mmwidgets raises on purpose."""


class SchemaError(MMWidgetsError, ValueError):
    """A DataFrame does not fit the shape a Dataset needs (column, id or kind problem)."""


class MediaError(MMWidgetsError, ValueError):
    """An image or audio value cannot be used: missing file, undecodable data, too large, empty.

    The message names the value (a path, a byte count or an array shape) and the problem, so it
    can go straight into a dataset's problem table.
    """


class UnknownLabelError(MMWidgetsError, ValueError):
    """A label is not in the task's label set; nothing was written."""


class UnknownItemError(MMWidgetsError, KeyError):
    """An item id is not in the dataset."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown item"
