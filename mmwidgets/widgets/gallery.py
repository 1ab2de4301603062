"""Gallery: a grid of queued items pre-filled with the model's suggestions, labeled in a batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from mmwidgets.widgets import _protocol as kinds
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._payload import ItemPacker, jsonable
from mmwidgets.widgets._session_widget import SessionWidget

if TYPE_CHECKING:
    from mmwidgets.session import Session

__all__ = ["Gallery"]


class Gallery(SessionWidget):
    """Label many queued items at once: a grid with the model's suggestion on every tile.

    Each tile shows the item's thumbnail, a text snippet and a small play button per audio
    column. Select tiles with a click, shift-click (a range) or ctrl-click (toggle), or with the
    arrow keys and ``Space``; a label button or key assigns that label to the selection,
    "accept suggestions" assigns each remaining tile its suggestion, and "save" (``Enter``)
    writes every assigned tile to the store as one batch (:meth:`Session.label_many`), then
    shows the next page.

    Parameters
    ----------
    session : Session
        The labeling session.
    n : int
        Tiles per page.
    max_side : int
        Longest side of the tile thumbnails, in pixels.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> gallery = mm.Gallery(session, n=24)  # a session as in :class:`mmwidgets.Session`
    >>> gallery.close()
    """

    _entry = "gallery.js"
    n = t.Int(24).tag(sync=True)

    def __init__(self, session: Session, n: int = 24, *, max_side: int = 200) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n!r}")
        packer = ItemPacker(session.dataset, max_side=max_side, n_peaks=None, cache_size=2 * n)
        super().__init__(session, packer, n=n)
        self._handle(kinds.PAGE, self._page)
        self._handle(kinds.LABEL_MANY, self._label_many)

    def _page(self, _args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        items = []
        for queued in self.session.queue(self.n):
            payload = self._packer.pack(queued.id, out)
            payload["meta"] = jsonable(queued.as_dict())
            items.append(payload)
        return {"items": items}

    def _label_many(self, args: dict[str, Any], _out: Outbox) -> dict[str, Any]:
        labels = args.get("labels")
        if not isinstance(labels, dict):
            raise TypeError(f"labels must map item ids to labels, got {type(labels).__name__}")
        self.session.label_many({str(k): v for k, v in labels.items()})
        self._poke("progress", "status")
        return {"n": len(labels)}
