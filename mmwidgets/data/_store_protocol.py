"""What a label store is, whatever holds it: the protocol the Session and the widgets rely on.

The SQLite :class:`~mmwidgets.data.store.LabelStore` implements it; a second backend (a
server database, say) implements the same methods with the same promises and registers an
opener with :func:`register_store_backend`. Nothing here imports a backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LabelStoreProtocol", "WatchesConnection"]


@runtime_checkable
class LabelStoreProtocol(Protocol):
    """The methods of a durable, append-only label log that a Session uses.

    Promises every backend keeps: a call that changes labels returns only once its events
    are durable; :meth:`undo` touches only the given annotator's own events; reads reflect
    every acknowledged write; all methods are safe to call from several threads; an item's
    label resolves across annotators alike (adjudicated, else majority, else the latest of a
    tie). A backend that can lose its connection may also offer ``watch(listener)``
    (:class:`WatchesConnection`), whose states the widgets show.

    Examples
    --------
    >>> import tempfile
    >>> from mmwidgets import LabelStore
    >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
    >>> isinstance(store, LabelStoreProtocol)
    True
    """

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's label set, in display order."""

    @property
    def multi_label(self) -> bool:
        """Whether an item takes a set of labels rather than one."""

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""

    def set(self, item_id: Any, label: Any, annotator: str = ..., **meta: object) -> Any:
        """Label one item; durable when this returns."""

    def set_batch(
        self, items: Iterable[tuple[Any, Any]], annotator: str = ..., **meta: object
    ) -> Any:
        """Label several items in one transaction (all or nothing)."""

    def clear_batch(self, item_ids: Iterable[Any], annotator: str = ..., **meta: object) -> Any:
        """Remove several items' labels by ``annotator`` in one transaction."""

    def skip(self, item_id: Any, annotator: str = ..., **meta: object) -> Any:
        """Record that an item was skipped."""

    def undo(self, annotator: str = ...) -> Any:
        """Undo ``annotator``'s latest event; returns it, or None when there is none."""

    def adjudicate(self, item_id: Any, label: Any, annotator: str = ...) -> Any:
        """Settle an item's label over its annotators' (a separate, undoable event)."""

    def claim(self, limits: Any, annotator: str = ..., ttl: float = ...) -> list[str]:
        """Reserve items for an annotator; the ids granted (see the SQLite store)."""

    def release(self, annotator: str = ..., item_ids: Any = None) -> None:
        """Drop an annotator's claims."""

    def get(self, item_id: Any) -> Any:
        """An item's current label (a tuple when multi-label), or None."""

    def current(self) -> pd.DataFrame:
        """One row per labeled item: id, label, annotator, time, model_version, reason, source."""

    def annotations(self) -> pd.DataFrame:
        """Every annotator's current label of every item: the columns of :meth:`current`."""

    def adjudications(self) -> pd.DataFrame:
        """The latest adjudication of each adjudicated item."""

    def disputed(self) -> list[str]:
        """Ids annotators label differently now, not adjudicated."""

    def done_by(self, annotator: str) -> list[str]:
        """Ids the annotator labels or has skipped now."""

    def history(self) -> pd.DataFrame:
        """Every event, oldest first."""

    def skipped(self) -> list[str]:
        """Ids whose current state is skipped."""

    def labeled_ids(self) -> list[str]:
        """Ids that carry a label now."""

    def export(self, path: Any, *, escape_formulas: bool = True) -> Any:
        """Write the current labels to a file (format from the suffix; CSV formulas escaped)."""

    def close(self) -> None:
        """Release the backend's resources; safe to call twice."""

    def __len__(self) -> int:
        """How many items carry a label now."""


@runtime_checkable
class WatchesConnection(Protocol):
    """A store whose connection can drop: ``watch(listener)`` hears its state changes.

    States are ``"reconnecting"``, ``"connected"`` and ``"lost"``; ``watch`` returns a
    function that stops listening.
    """

    def watch(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(state)`` on every change; returns an unsubscribe function."""
