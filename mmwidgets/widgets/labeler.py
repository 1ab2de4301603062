"""Labeler: one item at a time, its modalities side by side, keyboard-first, never waiting."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import traitlets as t

from mmwidgets.widgets import _protocol as kinds
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._payload import ItemPacker, jsonable
from mmwidgets.widgets._prepack import Prepacker
from mmwidgets.widgets._progress import history_ids
from mmwidgets.widgets._session_widget import SessionWidget

if TYPE_CHECKING:
    from mmwidgets.session import Session

__all__ = ["Labeler"]

#: items packed into the cache beyond the prefetch window, so a label's reply can carry the
#: next item to prefetch without decoding anything
WARM = 3


class Labeler(SessionWidget):
    """Label a session's items one at a time while its model learns in the background.

    The card shows the item's text, image and one player per audio column (with the words heard,
    under it, for a column embedded by the ``"transcript"`` speech encoder); buttons (and their
    keys) pick labels. The front end holds the next ``prefetch`` items with their media already
    decoded, so a key press shows the next item at once and the label travels to the session
    behind it; the session refills the queue and replaces entries when its model reranks.

    Keys, while the widget has focus: ``1``-``9`` then letters pick a label (in multi-label mode
    they toggle labels and ``Enter`` submits), ``Backspace`` or ``z`` undoes, ``s`` skips,
    ``m`` puts the items most like this one next (:meth:`Session.queue_similar`),
    ``←``/``→`` walk through the history to fix a label, ``Space`` plays the first audio and
    ``Esc`` hands the keys back to the notebook.

    Parameters
    ----------
    session : Session
        The labeling session; the widget only mirrors and asks it, it never computes.
    prefetch : int
        How many upcoming items the front end keeps ready.
    max_side : int
        Longest side of the image thumbnails sent, in pixels (click an image to zoom).
    n_peaks : int
        Waveform buckets per audio clip.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> labeler = mm.Labeler(session)  # a session as in :class:`mmwidgets.Session`
    >>> labeler.labels == list(session.labels)
    True
    """

    _entry = "labeler.js"
    prefetch = t.Int(5).tag(sync=True)
    # anywidget hands initialize() and render() different model proxies; the front end joins
    # a view to its model's queue by this key
    _key = t.Unicode().tag(sync=True)
    _prepack: Prepacker | None = None

    def __init__(
        self, session: Session, *, prefetch: int = 5, max_side: int = 512, n_peaks: int = 400
    ) -> None:
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, got {prefetch!r}")
        packer = ItemPacker(
            session.dataset, max_side=max_side, n_peaks=n_peaks, transcripts=session.transcript
        )
        super().__init__(session, packer, prefetch=prefetch, _key=uuid.uuid4().hex)
        self._handle(kinds.SYNC, self._sync)
        self._handle(kinds.LABEL, self._label)
        self._handle(kinds.SKIP, self._skip)
        self._handle(kinds.UNDO, self._undo)
        self._handle(kinds.SIMILAR, self._similar)
        self._handle(kinds.HISTORY, self._history)
        self._handle(kinds.ITEM, self._item)
        self._handle(kinds.IMAGE, self._image)
        self._prepack = Prepacker(packer, self._push)

    # ------------------------------------------------------------------ requests
    def _sync(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        """The queue now: every entry's meta, and payloads of the items the front end lacks.

        Only items already packed travel in the reply; the others are packed on the worker
        and pushed when ready, so no request waits for media (except the very first item).
        """
        have = {str(i) for i in args.get("have", [])}
        depth = min(max(int(args.get("depth", self.prefetch)), 1), 50)
        ranked = self.session.queue(depth + 1 + WARM)
        queue, warm = ranked[: depth + 1], ranked[depth + 1 :]  # + 1: the item on screen
        items: list[dict[str, Any]] = []
        missing: list[str] = []
        for q in queue:
            if q.id in have:
                continue
            payload = self._cached_payload(q.id, out)
            if payload is None and not have and not items:
                payload = self._payload(q.id, out)  # nothing on screen yet: don't wait
            if payload is None:
                missing.append(q.id)
            else:
                items.append(payload)
        if self._prepack is not None:
            self._prepack.want(push=missing, warm=[q.id for q in warm])
        return {"queue": [jsonable(q.as_dict()) for q in queue], "items": items}

    def _label(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        item = str(args["item"])
        self.session.label(item, args["label"])
        self._poke("progress", "status")
        return {"done": item, **self._sync(args, out)}

    def _skip(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        item = str(args["item"])
        self.session.skip(item)
        self._poke("progress", "status")
        return {"done": item, **self._sync(args, out)}

    def _similar(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        self.session.queue_similar(str(args["item"]))
        return self._sync(args, out)

    def _undo(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        undone = self.session.undo()
        self._poke("progress", "status")
        result = self._sync(args, out)
        if undone is not None:
            item = str(undone.item_id)
            have = {str(i) for i in args.get("have", [])}
            if item not in have and all(p["id"] != item for p in result["items"]):
                result["items"].append(self._payload(item, out))
            result["undone"] = {"id": item, "label": self._label_of(item)}
        return result

    def _history(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        """The item ``step`` places after ``item`` in the history (``item`` None: the end)."""
        ids = history_ids(self.session)
        item, step = args.get("item"), int(args.get("step", -1))
        position = ids.index(str(item)) if item is not None and str(item) in ids else len(ids)
        target = position + step
        if target >= len(ids) or not ids:
            return {"item": None, "index": len(ids), "total": len(ids)}
        target = max(target, 0)
        return {"item": self._payload(ids[target], out), "index": target, "total": len(ids)}

    def _item(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        return {"item": self._payload(str(args["item"]), out)}

    def _image(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        item, column = str(args["item"]), str(args["column"])
        return self._packer.large_image(item, column, int(args.get("max_side", 1600)), out)

    # ------------------------------------------------------------------ helpers
    def _payload(self, item_id: str, out: Outbox) -> dict[str, Any]:
        payload = self._packer.pack(item_id, out)
        payload["label"] = self._label_of(item_id)
        return payload

    def _cached_payload(self, item_id: str, out: Outbox) -> dict[str, Any] | None:
        payload = self._packer.cached(item_id, out)
        if payload is not None:
            payload["label"] = self._label_of(item_id)
        return payload

    def _push(self, item_id: str) -> None:
        # on the prepack worker: media the front end waits for are ready
        out = Outbox()
        self.send({"kind": kinds.ITEMS, "items": [self._payload(item_id, out)]}, out.buffers)

    def close(self) -> None:
        """Stop listening to the session and close the widget (the session stays open).

        Examples
        --------
        >>> labeler.close()
        """
        if self._prepack is not None:  # (None when __init__ failed half way)
            self._prepack.close()
        super().close()

    def _label_of(self, item_id: str) -> Any:
        if item_id in self.session.store.skipped():
            return {"skipped": True}
        return jsonable(self.session.store.get(item_id))
