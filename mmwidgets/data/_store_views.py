"""Read-only views of the label log: current labels, annotations, history, export, id lists.

A mixin of every label-store backend, kept apart because reading the log is one concept and
writing it is another; the backend supplies rows, :mod:`._store_resolve` decides labels.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from mmwidgets.data._store_frames import CURRENT_COLUMNS, events_frame, export_frame
from mmwidgets.data._store_resolve import Resolved, resolve
from mmwidgets.data._store_values import ItemId, Label, item_id_str, row_event


class StoreViews:
    """The read side of a label store; the backend supplies the rows.

    A backend implements ``_annotation_rows`` (each annotator's latest event per item that
    still counts, plus each adjudicator's latest adjudication, oldest first; one item's
    only when ``item_id`` is given), ``_history_rows`` and ``_count_labeled``; every view is
    built from them here, so all backends read alike.
    """

    _multi_label: bool

    def _annotation_rows(self, item_id: str | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _history_rows(self) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _count_labeled(self) -> int:
        raise NotImplementedError

    def _resolved(self) -> Resolved:
        return resolve(self._annotation_rows())

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
        current = resolve(self._annotation_rows(item_id_str(item_id))).current
        return row_event(current[0], self._multi_label).label if current else None

    def current(self) -> pd.DataFrame:
        """One row per item that currently has a label, in the order they were labeled.

        With several annotators, an item's label is its latest adjudication, else the label
        most people give it now, else (a tie) the latest of the tied labels; ``annotator``
        is whoever gave the deciding label. The model's own labels (annotator
        :data:`~mmwidgets.data.MODEL_ANNOTATOR`, written by ``Session.auto_label``) count
        only where no person labels the item. :meth:`annotations` has everyone's.

        Returns
        -------
        pandas.DataFrame
            Columns ``id``, ``label`` (str, or sorted tuple of str in a multi-label store),
            ``annotator``, ``time`` (UTC), ``model_version`` (nullable int), ``reason``,
            ``source`` (``"model"`` for the model's labels, else ``"person"``).

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
        return events_frame(self._resolved().current, self._multi_label, CURRENT_COLUMNS)

    def annotations(self) -> pd.DataFrame:
        """Every annotator's current label of every item (adjudications not included).

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`current`, one row per (item, annotator), in log order.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat", annotator="ana")
        >>> _ = store.set("a", "dog", annotator="ben")
        >>> store.annotations()[["id", "label", "annotator"]]
          id label annotator
        0  a   cat       ana
        1  a   dog       ben
        """
        return events_frame(self._resolved().annotations, self._multi_label, CURRENT_COLUMNS)

    def adjudications(self) -> pd.DataFrame:
        """The latest adjudication of each adjudicated item (columns of :meth:`current`).

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat", annotator="ana")
        >>> _ = store.adjudicate("a", "dog", annotator="lead")
        >>> store.adjudications()[["id", "label", "annotator"]]
          id label annotator
        0  a   dog      lead
        """
        return events_frame(self._resolved().adjudications, self._multi_label, CURRENT_COLUMNS)

    def done_by(self, annotator: str) -> list[str]:
        """Ids ``annotator`` labels or has skipped now (their own latest events), in log order.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat", annotator="ana")
        >>> _ = store.skip("b", annotator="ana")
        >>> _ = store.set("c", "dog", annotator="ben")
        >>> store.done_by("ana")
        ['a', 'b']
        """
        return [
            str(row[2])
            for row in self._annotation_rows()
            if row[4] == annotator and row[1] in ("set", "skip")
        ]

    def disputed(self) -> list[str]:
        """Ids that annotators label differently now and nobody has adjudicated, in log order.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("a", "cat", annotator="ana")
        >>> _ = store.set("a", "dog", annotator="ben")
        >>> store.disputed()
        ['a']
        """
        return self._resolved().disputed

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
        return events_frame(self._history_rows(), self._multi_label)

    def export(self, path: str | os.PathLike[str], *, escape_formulas: bool = True) -> Path:
        """Write :meth:`current` to ``.csv``, ``.jsonl`` or ``.parquet`` (chosen by extension).

        CSV joins a multi-label set with ``"|"``; JSON Lines and Parquet hold lists. Parquet
        needs ``pyarrow``.

        Parameters
        ----------
        path : str or path-like
            The file to write; its extension picks the format.
        escape_formulas : bool, optional
            CSV only: a value that a spreadsheet would run as a formula (one that starts with
            ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and is not a plain number
            such as ``-5``) is written with a leading ``'``, as OWASP advises against CSV
            injection, so ``=HYPERLINK(...)`` in an id or a reason is shown, never run. A
            value that starts with ``'`` gets one more, so removing one leading ``'``
            restores every value exactly. False writes the values as they are.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        ValueError
            For any other extension; the message lists the supported ones.

        Notes
        -----
        Read a CSV export back as text, so that ids such as ``NA``, ``null``, ``007`` or ``""``
        stay what they were, and undo the escaping::

            labels = pd.read_csv(path, dtype=str, keep_default_na=False)
            labels = labels.apply(lambda column: column.str.removeprefix("'"))

        Examples
        --------
        >>> import tempfile
        >>> import pandas as pd
        >>> from mmwidgets import LabelStore
        >>> folder = tempfile.mkdtemp()
        >>> store = LabelStore(folder + "/l.sqlite", labels=["cat", "dog"])
        >>> _ = store.set("=1+1", "cat")
        >>> written = store.export(folder + "/labels.csv")
        >>> pd.read_csv(written, dtype=str, keep_default_na=False)["id"].tolist()
        ["'=1+1"]
        """
        return export_frame(self.current(), path, self._multi_label, escape_formulas)

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
        return self._resolved().skipped

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
        return [str(row[2]) for row in self._resolved().current]

    def __len__(self) -> int:
        return self._count_labeled()
