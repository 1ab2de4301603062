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
    "accept suggestions" (``y``) assigns each remaining tile its suggestion, and "save" (``Enter``)
    writes every assigned tile to the store as one batch (:meth:`Session.label_many`), then
    shows the next page.

    To find items, type in the search box (``/`` focuses it, ``Enter`` searches) or press
    ``m`` on a tile for more like it: the results (:meth:`Session.search`,
    :meth:`Session.similar`) become the pages to label, best match first, each tile showing
    why it matched.

    Parameters
    ----------
    session : Session
        The labeling session.
    n : int
        Tiles per page.
    items : DataFrame or sequence of ids, optional
        Review these items instead of the queue: e.g. the items behind a confusion-matrix
        cell, a map selection, or :meth:`Session.suspected_errors` (whose reasons are shown).
        Tiles of labeled items come pre-assigned their stored label, so "save" confirms it and
        a label key corrects it; saved items leave the review.
    max_side : int
        Longest side of the tile thumbnails, in pixels.
    query : str, optional
        Start on the results of ``session.search(query)`` instead of the queue.
    k : int
        How many results a search or "more like this" brings, at most.
    adjudicate : bool, optional
        Settle disputed labels instead of labeling: saving writes adjudications
        (:meth:`Session.adjudicate_many`, as this session's annotator) and the save button
        reads "adjudicate". Each tile shows its reason, which for
        :meth:`Session.disagreements` is every annotator's label ("ana: food · ben:
        vehicles"), and starts assigned the label training uses now (the majority, or the
        latest of a tie). None (the default) adjudicates when ``items`` is a
        :meth:`Session.disagreements` frame and labels otherwise. Needs ``items``.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> gallery = mm.Gallery(session, n=24)  # a session as in :class:`mmwidgets.Session`
    >>> gallery.close()
    >>> review = mm.Gallery(session, items=session.suspected_errors(k=5))
    >>> review.remaining == len(session.suspected_errors(k=5))
    True
    >>> review.close()
    >>> item = session.queue(1)[0].id
    >>> _ = session.store.set(item, "food", annotator="ana")
    >>> _ = session.store.set(item, "vehicles", annotator="ben")
    >>> settle = mm.Gallery(session, items=session.disagreements())
    >>> settle.mode, settle.remaining
    ('adjudicate', 1)
    >>> settle.close()
    """

    _entry = "gallery.js"
    n = t.Int(24).tag(sync=True)
    #: "queue" (label what the session ranks next), "review" (a given list of items) or
    #: "adjudicate" (a given list of disputed items, saved as adjudications)
    mode = t.Unicode("queue").tag(sync=True)
    #: items of a review not saved yet
    remaining = t.Int(0).tag(sync=True)
    #: the search whose results are shown ("" when none; "like <id>" for more like this)
    query = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        session: Session,
        n: int = 24,
        *,
        items: Any = None,
        query: str | None = None,
        k: int = 200,
        max_side: int = 200,
        adjudicate: bool | None = None,
    ) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n!r}")
        if query is not None:
            if items is not None:
                raise ValueError("give items or a query, not both")
            items = session.search(query, k=k)
        if adjudicate is None:
            adjudicate = _is_disagreements(items)
        if adjudicate and items is None:
            raise ValueError(
                "adjudicate=True needs the items to settle, e.g. items=session.disagreements()"
            )
        review = None if items is None else _review_items(session, items)
        packer = ItemPacker(session.dataset, max_side=max_side, n_peaks=None, cache_size=2 * n)
        super().__init__(
            session,
            packer,
            n=n,
            mode="queue" if review is None else "adjudicate" if adjudicate else "review",
            remaining=0 if review is None else len(review),
        )
        self._review = review
        self._k = k
        self.query = query or ""
        self._handle(kinds.PAGE, self._page)
        self._handle(kinds.LABEL_MANY, self._label_many)
        self._handle(kinds.SEARCH, self._search)
        self._handle(kinds.SIMILAR, self._similar)

    def _search(self, args: dict[str, Any], _out: Outbox) -> dict[str, Any]:
        query = args.get("query")
        if not isinstance(query, str):
            raise TypeError(f"query must be text, got {type(query).__name__}")
        if not query.strip():  # an emptied search box: back to the queue
            self._show(None, "")
            return {"n": 0}
        return self._show(self.session.search(query, k=self._k), query)

    def _similar(self, args: dict[str, Any], _out: Outbox) -> dict[str, Any]:
        item = args.get("item")
        if not isinstance(item, str):
            raise TypeError(f"item must be an item id, got {type(item).__name__}")
        return self._show(self.session.similar(item, k=self._k), f"like {item}")

    def _show(self, results: Any, query: str) -> dict[str, Any]:
        """Make ``results`` the items to label (None: the queue again); pages follow them."""
        self._review = None if results is None else _review_items(self.session, results)
        self.mode = "queue" if self._review is None else "review"
        self.remaining = 0 if self._review is None else len(self._review)
        self.query = query
        return {"n": self.remaining}

    def _page(self, _args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        if self._review is not None:
            return {"items": self._review_page(out)}
        items = []
        for queued in self.session.queue(self.n):
            payload = self._packer.pack(queued.id, out)
            payload["meta"] = jsonable(queued.as_dict())
            items.append(payload)
        return {"items": items}

    def _review_page(self, out: Outbox) -> list[dict[str, Any]]:
        assert self._review is not None
        items = []
        for iid, reason in list(self._review.items())[: self.n]:
            payload = self._packer.pack(iid, out)
            meta = self.session.describe(iid, reason).as_dict()
            meta["label"] = self.session.store.get(iid)
            payload["meta"] = jsonable(meta)
            items.append(payload)
        return items

    def _label_many(self, args: dict[str, Any], _out: Outbox) -> dict[str, Any]:
        labels = args.get("labels")
        if not isinstance(labels, dict):
            raise TypeError(f"labels must map item ids to labels, got {type(labels).__name__}")
        batch = {str(k): v for k, v in labels.items()}
        if self.mode == "adjudicate":
            self.session.adjudicate_many(batch)
        else:
            self.session.label_many(batch)
        if self._review is not None:
            for iid in labels:
                self._review.pop(str(iid), None)
            self.remaining = len(self._review)
        self._poke("progress", "status")
        return {"n": len(labels)}


def _is_disagreements(items: Any) -> bool:
    """Whether ``items`` is a :meth:`Session.disagreements` frame (it marks itself so)."""
    import pandas as pd

    return isinstance(items, pd.DataFrame) and items.attrs.get("review") == "disagreements"


def _review_items(session: Session, items: Any) -> dict[str, str]:
    """``{item id: reason}`` from a suspects/selection DataFrame or a sequence of ids."""
    import pandas as pd

    default = "chosen for review"
    pairs: list[tuple[Any, Any]]
    if isinstance(items, pd.DataFrame):
        if "id" not in items.columns:
            raise ValueError("a DataFrame of items needs an 'id' column")
        reasons = items["reason"] if "reason" in items.columns else [default] * len(items)
        pairs = list(zip(items["id"], reasons, strict=True))
    else:
        pairs = [(i, default) for i in items]
    out: dict[str, str] = {}
    for iid, reason in pairs:
        key = str(iid)
        session.dataset.item(key)  # UnknownItemError names a wrong id
        out[key] = str(reason)
    return out
