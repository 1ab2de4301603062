"""Exceptions raised by the query strategies (defined in :mod:`mmwidgets.exceptions`)."""

from __future__ import annotations

from mmwidgets.exceptions import (
    EmptyPoolError,
    MissingInputError,
    ShapeMismatchError,
    UnknownStrategyError,
)

__all__ = ["EmptyPoolError", "MissingInputError", "ShapeMismatchError", "UnknownStrategyError"]
