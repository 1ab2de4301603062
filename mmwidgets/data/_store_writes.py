"""The write side of a label store: argument checks, then one backend call per change.

A mixin of every label-store backend. The backend supplies ``_append`` (write events in one
durable transaction), ``_undo_latest`` and the claim primitives; every check runs here before
it is called, so a rejected call writes nothing on any backend.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from mmwidgets.data._store_values import (
    Event,
    EventKind,
    ItemId,
    LabelArg,
    annotator_str,
    event_labels,
    event_meta,
    item_id_str,
)

__all__ = ["DEFAULT_CLAIM_TTL_S", "StoreWrites", "json_labels"]

#: how long an item handed to one annotator stays reserved for them
DEFAULT_CLAIM_TTL_S = 3600.0


def json_labels(labels: list[str]) -> str:
    """The stored form of a label list (JSON; non-ASCII labels kept readable)."""
    return json.dumps(labels, ensure_ascii=False)


class StoreWrites:
    """Label, clear, skip, adjudicate, undo and claim; see the backend class for promises."""

    _labels: tuple[str, ...]
    _multi_label: bool

    def _append(
        self,
        kind: EventKind,
        rows: Sequence[tuple[str, str | None]],
        annotator: str,
        model_version: int | None = None,
        reason: str | None = None,
    ) -> list[Event]:
        raise NotImplementedError

    def _undo_latest(self, annotator: str) -> Event | None:
        raise NotImplementedError

    def _claim(self, limits: Mapping[str, int], annotator: str, ttl: float) -> list[str]:
        raise NotImplementedError

    def _release(self, annotator: str, item_ids: list[str] | None) -> None:
        raise NotImplementedError

    def set(
        self, item_id: ItemId, label: LabelArg, annotator: str = "default", **meta: object
    ) -> Event:
        """Label one item; returns once the label is durable on disk.

        Parameters
        ----------
        item_id : str or int
            The item; ints are stored as ``str``.
        label : str or list of str
            One label; in a multi-label store, a list of labels (``[]`` means "none apply",
            which differs from :meth:`clear`).
        annotator : str, default "default"
            Who labeled it.
        **meta
            ``model_version`` (int) and ``reason`` (str) of the query that showed the item.

        Returns
        -------
        Event
            The ``set`` event written.

        Raises
        ------
        UnknownLabelError
            If a label is not in :attr:`labels` (nothing is written).
        ValueError
            If a single-label store gets several labels.
        TypeError
            For an unknown meta keyword or a wrongly typed argument.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> store.set(7, "dog", reason="uncertain").item_id
        '7'
        """
        return self.set_batch([(item_id, label)], annotator, **meta)[0]

    def set_batch(
        self,
        items: Iterable[tuple[ItemId, LabelArg]],
        annotator: str = "default",
        **meta: object,
    ) -> list[Event]:
        """Label several items in one transaction: all are written, or (on any error) none.

        Parameters
        ----------
        items : iterable of (item_id, label)
            Pairs as in :meth:`set`.
        annotator : str, default "default"
            Who labeled them.
        **meta
            As in :meth:`set`; applies to every item.

        Returns
        -------
        list of Event
            The ``set`` events written, in order. :meth:`undo` takes them back one at a time.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> len(store.set_batch([("a", "cat"), ("b", "cat"), ("c", "dog")]))
        3
        """
        who = annotator_str(annotator)
        version, reason = event_meta(meta)
        rows = []
        for item_id, label in items:
            key = item_id_str(item_id)
            chosen = event_labels(key, label, self._labels, self._multi_label)
            rows.append((key, json_labels(chosen)))
        return self._append("set", rows, who, version, reason)

    def clear(self, item_id: ItemId, annotator: str = "default") -> Event:
        """Remove an item's label (recorded as a ``clear`` event; :meth:`undo` restores it).

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat")
        >>> _ = store.clear("a")
        >>> len(store)
        0
        """
        return self.clear_batch([item_id], annotator)[0]

    def clear_batch(
        self, item_ids: Iterable[ItemId], annotator: str = "default", **meta: object
    ) -> list[Event]:
        """Remove several items' labels by ``annotator`` in one transaction (all or none).

        Each item gets a ``clear`` event; an item ``annotator`` never labeled gets one too,
        which changes nothing. ``Session.revoke_auto_labels`` takes a batch of model labels
        back this way (with ``reason``).

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set_batch([("a", "cat"), ("b", "dog")], annotator="ana")
        >>> len(store.clear_batch(["a", "b"], annotator="ana", reason="wrong batch")), len(store)
        (2, 0)
        """
        who = annotator_str(annotator)
        version, reason = event_meta(meta)
        rows = [(item_id_str(item), None) for item in item_ids]
        return self._append("clear", rows, who, version, reason) if rows else []

    def skip(self, item_id: ItemId, annotator: str = "default", **meta: object) -> Event:
        """Record that an annotator passed on an item; it ends up unlabeled and in :meth:`skipped`.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.skip("a", reason="unsure")
        >>> store.skipped()
        ['a']
        """
        who = annotator_str(annotator)
        version, reason = event_meta(meta)
        return self._append("skip", [(item_id_str(item_id), None)], who, version, reason)[0]

    def undo(self, annotator: str = "default") -> Event | None:
        """Undo ``annotator``'s latest set, clear or skip that is not undone yet.

        Appends an ``undo`` event pointing at it; successive calls walk further back. Other
        annotators' events are never touched.

        Returns
        -------
        Event or None
            The event that was undone, or None when there is nothing left to undo.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat")
        >>> store.undo().label
        'cat'
        >>> store.undo() is None
        True
        """
        return self._undo_latest(annotator_str(annotator))

    def adjudicate(self, item_id: ItemId, label: LabelArg, annotator: str = "default") -> Event:
        """Settle an item's label over what its annotators gave (a separate ``adjudicate`` event).

        The adjudicated label is the item's label from then on, whatever annotators give;
        :meth:`undo` by the same ``annotator`` takes it back.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat", annotator="ana")
        >>> _ = store.set("a", "dog", annotator="ben")
        >>> _ = store.adjudicate("a", "dog", annotator="lead")
        >>> store.get("a"), store.disputed()
        ('dog', [])
        """
        key = item_id_str(item_id)
        chosen = event_labels(key, label, self._labels, self._multi_label)
        return self._append("adjudicate", [(key, json_labels(chosen))], annotator_str(annotator))[0]

    def claim(
        self,
        limits: Mapping[str, int],
        annotator: str = "default",
        ttl: float = DEFAULT_CLAIM_TTL_S,
    ) -> list[str]:
        """Reserve items for ``annotator``; returns the ids granted, in the order given.

        An item is granted while fewer than ``limits[item]`` other annotators hold a live
        claim on it or have labeled it; a granted claim lasts ``ttl`` seconds (claiming
        again renews it). Claims arbitrate who is shown what; they are not labels.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> store.claim({"a": 1, "b": 2}, annotator="ana")
        ['a', 'b']
        >>> store.claim({"a": 1, "b": 2}, annotator="ben")
        ['b']
        """
        if ttl <= 0:
            raise ValueError(f"ttl must be positive seconds; got {ttl!r}")
        checked = {item_id_str(item): int(limit) for item, limit in limits.items()}
        return self._claim(checked, annotator_str(annotator), float(ttl)) if checked else []

    def release(self, annotator: str = "default", item_ids: Iterable[ItemId] | None = None) -> None:
        """Drop ``annotator``'s claims (all, or on ``item_ids``), e.g. when their session closes.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat"])
        >>> _ = store.claim({"a": 1}, annotator="ana")
        >>> store.release("ana")
        >>> store.claim({"a": 1}, annotator="ben")
        ['a']
        """
        ids = None if item_ids is None else [item_id_str(item) for item in item_ids]
        self._release(annotator_str(annotator), ids)
