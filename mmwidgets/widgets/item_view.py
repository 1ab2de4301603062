"""ItemView: show one item, its text, image and audio side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from mmwidgets.data.dataset import Dataset
from mmwidgets.widgets import _protocol as kinds
from mmwidgets.widgets._base import Outbox, RequestWidget
from mmwidgets.widgets._payload import ItemPacker, jsonable

if TYPE_CHECKING:
    from mmwidgets.session import Session

__all__ = ["ItemView"]


class ItemView(RequestWidget):
    """Show any single item of a dataset or a session, e.g. one the model gets wrong.

    Set :attr:`item_id` to show another item. Given a session, the item's current label is
    shown too, and the transcripts of its spoken audio columns.

    Parameters
    ----------
    source : Session or Dataset
        Where the item lives.
    item_id : str or int
        The item.
    max_side : int
        Longest side of the image thumbnail, in pixels.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> df = mm.load_sample().head(5)
    >>> ds = mm.Dataset(df, id="id", text="text", image="image", audio=["speech", "sound"])
    >>> view = mm.ItemView(ds, df["id"][0])
    >>> view.item_id = df["id"][1]
    """

    _entry = "item_view.js"
    item_id = t.Unicode().tag(sync=True)
    columns = t.Dict().tag(sync=True)

    def __init__(self, source: Session | Dataset, item_id: str | int, *, max_side: int = 512):
        self._session = None if isinstance(source, Dataset) else source
        self._dataset = source if isinstance(source, Dataset) else source.dataset
        columns = {m: list(c) for m, c in self._dataset.columns.items()}
        super().__init__(item_id=str(item_id), columns=columns)
        reader = None if self._session is None else self._session.transcript
        self._packer = ItemPacker(self._dataset, max_side=max_side, transcripts=reader)
        self._handle(kinds.ITEM, self._item)
        self._handle(kinds.IMAGE, self._image)

    @t.validate("item_id")
    def _check_item(self, proposal: dict[str, Any]) -> str:
        return self._dataset.item(proposal["value"]).id  # UnknownItemError for a wrong id

    def _item(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        item_id = str(args.get("item", self.item_id))
        payload = self._packer.pack(item_id, out)
        if self._session is not None:
            payload["label"] = jsonable(self._session.store.get(item_id))
        return {"item": payload}

    def _image(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        item, column = str(args["item"]), str(args["column"])
        return self._packer.large_image(item, column, int(args.get("max_side", 1600)), out)
