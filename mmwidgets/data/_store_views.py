"""Read-only views of the label log: current labels, history, export, and id lists.

A mixin of :class:`mmwidgets.data.store.LabelStore`, kept apart because reading the log is one
concept (every view is one SQL statement over ``events``) and writing it is another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from mmwidgets.data import _store_schema as schema
from mmwidgets.data._store_frames import CURRENT_COLUMNS, events_frame, export_frame
from mmwidgets.data._store_values import ItemId, Label, item_id_str, row_event

_ITEM_STATE = f"""
SELECT {schema.EVENT_COLUMNS} FROM events
WHERE item_id = ? AND kind != 'undo'
  AND seq NOT IN (SELECT undoes FROM events WHERE item_id = ? AND undoes IS NOT NULL)
ORDER BY seq DESC LIMIT 1
"""


class StoreViews:
    """The read side of a label store; the subclass supplies ``_read`` and ``_multi_label``."""

    _multi_label: bool

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def get(self, item_id: ItemId) -> Label | None:
        """The item's current label (a tuple in a multi-label store), or None if unlabeled.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> path = tempfile.mkdtemp() + "/l.sqlite"
        >>> store = LabelStore(path, labels=["a", "b"], multi_label=True)
        >>> _ = store.set(1, ["b", "a", "b"])
        >>> store.get(1), store.get(2)
        (('a', 'b'), None)
        """
        key = item_id_str(item_id)
        rows = self._read(_ITEM_STATE, (key, key))
        return row_event(rows[0], self._multi_label).label if rows else None

    def current(self) -> pd.DataFrame:
        """One row per item that currently has a label, in the order they were labeled.

        Returns
        -------
        pandas.DataFrame
            Columns ``id``, ``label`` (str, or sorted tuple of str in a multi-label store),
            ``annotator``, ``time`` (UTC), ``model_version`` (nullable int), ``reason``.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set_batch([("a", "cat"), ("b", "dog")])
        >>> _ = store.set("a", "dog")
        >>> store.current()[["id", "label"]]
          id label
        0  b   dog
        1  a   dog
        """
        return events_frame(self._read(schema.STATE, ("set",)), self._multi_label, CURRENT_COLUMNS)

    def to_pandas(self) -> pd.DataFrame:
        """Same as :meth:`current`.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat"]).to_pandas().empty
        True
        """
        return self.current()

    def history(self) -> pd.DataFrame:
        """Every event in log order, undone ones included.

        Returns
        -------
        pandas.DataFrame
            Columns ``seq``, ``kind``, ``id``, ``label``, ``annotator``, ``time``,
            ``model_version``, ``reason``, ``undoes`` (the ``seq`` an undo cancels).

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat")
        >>> _ = store.undo()
        >>> store.history()[["seq", "kind", "id", "undoes"]]
           seq  kind id  undoes
        0    1   set  a    <NA>
        1    2  undo  a       1
        """
        sql = f"SELECT {schema.EVENT_COLUMNS} FROM events ORDER BY seq"
        return events_frame(self._read(sql, ()), self._multi_label)

    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`current` to ``.csv``, ``.jsonl`` or ``.parquet`` (chosen by extension).

        CSV joins a multi-label set with ``"|"``; JSON Lines and Parquet hold lists. Parquet
        needs ``pyarrow``.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        ValueError
            For any other extension; the message lists the supported ones.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> folder = tempfile.mkdtemp()
        >>> store = LabelStore(folder + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat")
        >>> store.export(folder + "/labels.csv").name
        'labels.csv'
        """
        return export_frame(self.current(), path, self._multi_label)

    def skipped(self) -> list[str]:
        """Ids whose latest (not undone) event is a skip, in the order they were skipped.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.skip("a")
        >>> _ = store.set("a", "cat")
        >>> store.skipped()
        []
        """
        return [str(row[2]) for row in self._read(schema.STATE, ("skip",))]

    def labeled_ids(self) -> list[str]:
        """Ids that currently have a label, in the order they were labeled.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set_batch([(2, "cat"), (1, "dog")])
        >>> store.labeled_ids()
        ['2', '1']
        """
        return [str(row[2]) for row in self._read(schema.STATE, ("set",))]

    def __len__(self) -> int:
        return int(self._read(f"SELECT COUNT(*) FROM ({schema.STATE})", ("set",))[0][0])
