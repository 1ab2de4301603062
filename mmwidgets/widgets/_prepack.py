"""Pack upcoming items' media on a worker thread, so no request waits for a thumbnail.

Decoding an image and an audio clip for the browser takes tens of milliseconds; done inside a
request it would hold up every label behind it. The widget names the items it will need
(:meth:`Prepacker.want`); a worker packs them into the :class:`ItemPacker` cache and, for the
ones the front end is waiting for, hands them to ``push`` (which sends them unasked).

Each call to :meth:`~Prepacker.want` replaces what was asked before (a rerank makes the old
plan stale), and items the front end waits for go before those only warmed for later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from mmwidgets.widgets._payload import ItemPacker

__all__ = ["Prepacker"]

log = logging.getLogger("mmwidgets.widgets")


class Prepacker:
    """A worker thread that packs items ahead of need.

    Parameters
    ----------
    packer : ItemPacker
        Where packed items are cached.
    push : callable
        Called (on the worker thread) with the id of each item asked for with ``push``, once
        it is packed.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmwidgets import Dataset
    >>> packer = ItemPacker(Dataset.from_pandas(pd.DataFrame({"t": ["a", "b"]}), text="t"))
    >>> pushed = []
    >>> worker = Prepacker(packer, pushed.append)
    >>> worker.want(push=["0", "1"])
    >>> worker.join()
    True
    >>> pushed
    ['0', '1']
    >>> worker.close()
    """

    def __init__(self, packer: ItemPacker, push: Callable[[str], None]) -> None:
        self._packer = packer
        self._push = push
        self._wake = threading.Condition()
        self._pushes: list[str] = []  # the front end waits for these
        self._warms: list[str] = []  # these only go into the cache, for a later reply
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="mmwidgets-prepack", daemon=True)
        self._thread.start()

    def want(self, push: Iterable[str] = (), warm: Iterable[str] = ()) -> None:
        """Pack these next, in order, instead of what was asked before; push the ``push`` ones."""
        with self._wake:
            self._pushes = list(dict.fromkeys(push))
            self._warms = [i for i in dict.fromkeys(warm) if i not in self._pushes]
            self._wake.notify()

    def join(self, timeout: float = 60.0) -> bool:
        """Wait until everything asked for is packed (for tests and scripts); False on timeout."""
        with self._wake:
            return self._wake.wait_for(
                lambda: self._closed or not (self._pushes or self._warms or self._busy), timeout
            )

    def close(self) -> None:
        """Stop the worker after the item it is packing; safe to call twice."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._busy = False
                self._wake.notify_all()  # for join()
                self._wake.wait_for(lambda: self._closed or bool(self._pushes or self._warms))
                if self._closed:
                    return
                push = bool(self._pushes)
                item_id = (self._pushes or self._warms).pop(0)
                self._busy = True
            try:
                self._packer.warm(item_id)
                if push:
                    self._push(item_id)
            except Exception:  # the request path packs it again and reports the error
                log.exception("packing item %r ahead of time failed", item_id)
