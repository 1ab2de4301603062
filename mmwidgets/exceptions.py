"""Every public error type mmwidgets raises, in one place.

All of them derive from :class:`MMWidgetsError`, so ``except mm.MMWidgetsError`` catches
anything the library raises on purpose; most also derive from the built-in type a caller
would expect (``ValueError``, ``KeyError``, ``TimeoutError`` …). This module imports nothing
from the rest of the package, so every layer may import it.

Examples
--------
>>> from mmwidgets.exceptions import MMWidgetsError, NotReadyError
>>> issubclass(NotReadyError, MMWidgetsError), issubclass(NotReadyError, TimeoutError)
(True, True)
"""

from __future__ import annotations

__all__ = [
    "BundleMissingError",
    "CacheDamagedWarning",
    "DamagedEventWarning",
    "EmptyPoolError",
    "EncoderFailedError",
    "EncodingCancelledError",
    "LabelNotStoredError",
    "MMWidgetsError",
    "MediaError",
    "MissingInputError",
    "NotReadyError",
    "ProtocolError",
    "SampleDataMissingError",
    "SchemaError",
    "ShapeMismatchError",
    "StoreError",
    "TrainingCancelledError",
    "UnknownBackendError",
    "UnknownFusionError",
    "UnknownItemError",
    "UnknownLabelError",
    "UnknownModalityError",
    "UnknownStrategyError",
]


class MMWidgetsError(Exception):
    """Base class of every error mmwidgets raises on purpose."""


# ---------------------------------------------------------------- data
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


class UnknownModalityError(MMWidgetsError, ValueError):
    """No modality is registered under the requested name; the message lists those that are."""


class UnknownBackendError(MMWidgetsError, ValueError):
    """No label-store backend handles the requested location (a path or URL scheme)."""


class StoreError(MMWidgetsError, ValueError):
    """A label store can't be opened: the file or database is not one mmwidgets wrote as it is.

    Raised when a location holds something else (another program's database, a file that is
    not SQLite), was modified outside mmwidgets (a trigger, a view, an extra table or index, a
    changed column, a meta value of the wrong type), or was written by a newer mmwidgets. The
    store is left exactly as it was. The message names the location, every problem found and
    what to do; ``location`` and ``problems`` hold the same for code.

    Examples
    --------
    >>> error = StoreError("can't open l.sqlite", location="l.sqlite", problems=["a trigger"])
    >>> isinstance(error, ValueError), error.problems
    (True, ('a trigger',))
    """

    def __init__(
        self, message: str, *, location: str = "", problems: tuple[str, ...] | list[str] = ()
    ) -> None:
        super().__init__(message)
        self.location = location
        self.problems = tuple(problems)


class DamagedEventWarning(UserWarning):
    """A label-store event row is malformed, so every view skips it (named by seq and item).

    ``damaged_events()`` on the store lists every such row; the rest of the log reads as if
    the row were not there.
    """


class SampleDataMissingError(MMWidgetsError, FileNotFoundError):
    """The Debian sample-data package is not installed."""


# ---------------------------------------------------------------- encoders
class CacheDamagedWarning(UserWarning):
    """Part of an embedding cache is damaged: those rows are recomputed and rewritten.

    Told once per problem, naming the cache folder; a damaged cache never stops encoding.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():  # a cache known to be damaged, repaired quietly
    ...     warnings.simplefilter("ignore", CacheDamagedWarning)
    >>> issubclass(CacheDamagedWarning, UserWarning)
    True
    """


class EncodingCancelledError(MMWidgetsError):
    """An encoding job was cancelled; what it had computed is already in the cache."""


class EncoderFailedError(MMWidgetsError, RuntimeError):
    """An encoder failed on every item it was given: the encoder is broken, not the items.

    Raised by :meth:`Encoder.encode` (and so by ``encode_dataset`` and a session's encoding,
    whose status then shows it) instead of recording a problem for every item. The message
    names the encoder and the first error, which is also the exception's ``__cause__``.

    Examples
    --------
    >>> from mmwidgets.exceptions import EncoderFailedError
    >>> isinstance(EncoderFailedError("text encoder 'minilm' failed"), RuntimeError)
    True
    """


# ---------------------------------------------------------------- fusion
class UnknownFusionError(MMWidgetsError, ValueError):
    """No fusion mode is registered under the requested name; the message lists those that are."""


class TrainingCancelledError(MMWidgetsError):
    """Training stopped early because ``should_stop()`` said so (e.g. the session closed)."""


# ---------------------------------------------------------------- active
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


# ---------------------------------------------------------------- session
class NotReadyError(MMWidgetsError, TimeoutError):
    """What was asked for needs the embeddings (or a model) and they were not ready in time.

    Raised by the Session's reading methods after their ``timeout``; the message says how far
    encoding got. Ask again later, or pass a longer ``timeout``.
    """


# ---------------------------------------------------------------- widgets
class BundleMissingError(MMWidgetsError, FileNotFoundError):
    """The widget's JavaScript bundle has not been built (a source checkout before `make`).

    Examples
    --------
    >>> issubclass(BundleMissingError, FileNotFoundError)
    True
    """


class ProtocolError(MMWidgetsError, ValueError):
    """A message from the front end does not follow the protocol."""


class LabelNotStoredError(MMWidgetsError, ConnectionError):
    """A label could not be stored: the database stayed out of reach past the retry deadline.

    Raised only when the label is known not to be in the store (a write whose fate is unknown
    is checked after reconnecting, never guessed); the message names the items.

    Examples
    --------
    >>> issubclass(LabelNotStoredError, ConnectionError)
    True
    """
