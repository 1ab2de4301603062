"""Exceptions raised by the query strategies.

Every error says which argument is at fault and what would have been accepted.
"""

from __future__ import annotations

from mmwidgets.data._errors import MMWidgetsError

__all__ = ["EmptyPoolError", "MissingInputError", "ShapeMismatchError", "UnknownStrategyError"]


class EmptyPoolError(MMWidgetsError):
    """No item is left to pick: everything is labeled or has no usable inputs.

    Examples
    --------
    >>> from mmwidgets.active import EmptyPoolError
    >>> str(EmptyPoolError("all 3 items are labeled"))
    'all 3 items are labeled'
    """


class ShapeMismatchError(MMWidgetsError, ValueError):
    """An array argument has the wrong number of dimensions, rows or columns.

    Parameters
    ----------
    argument : str
        Name of the argument at fault, e.g. ``"proba"``.
    message : str
        What was expected and what was given.

    Examples
    --------
    >>> from mmwidgets.active import ShapeMismatchError
    >>> err = ShapeMismatchError("proba", "has 3 rows but labeled has 4")
    >>> err.argument, str(err)
    ('proba', 'proba has 3 rows but labeled has 4')
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument} {message}")
        self.argument = argument


class MissingInputError(MMWidgetsError, ValueError):
    """A strategy was asked for without the inputs it needs (probabilities or embeddings).

    Examples
    --------
    >>> from mmwidgets.active import MissingInputError
    >>> isinstance(MissingInputError("k_center needs embeddings"), ValueError)
    True
    """


class UnknownStrategyError(MMWidgetsError, ValueError):
    """No query strategy is registered under the requested name.

    Examples
    --------
    >>> from mmwidgets.active import UnknownStrategyError
    >>> isinstance(UnknownStrategyError("no strategy named 'x'"), ValueError)
    True
    """
