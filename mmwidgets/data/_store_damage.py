"""Malformed event rows: found as the log is read, reported once, and left out of every view.

A label store's rows are written only by mmwidgets, but a file can be edited by hand or by
another program. One row that does not have the shape mmwidgets writes (labels that are not
a JSON list of labels, a single-label event with no label, an item id or time of the wrong
type, an unknown kind) must not make the whole store unreadable, so each backend passes the
rows it reads through :func:`split_rows`: the good rows go on, the damaged ones are recorded
(``seq``, item, problem) in the store's :class:`DamageReport`, which warns once per row, and
the log reads as if they were not there. Kept apart from the backends so both check alike.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmwidgets.exceptions import DamagedEventWarning

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DamageReport",
    "DamagedEvent",
    "StoreDamage",
    "annotation_rows",
    "latest_rows",
    "split_rows",
]

Row = tuple[Any, ...]  # EVENT_COLUMNS order: seq, kind, item_id, labels, annotator, time, ...

_KINDS = frozenset({"set", "clear", "skip", "undo", "adjudicate"})
_LABELING = frozenset({"set", "adjudicate"})
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NAMED_IN_WARNING = 5


@dataclass(frozen=True)
class DamagedEvent:
    """One event row that every view skips, and why.

    Examples
    --------
    >>> DamagedEvent(seq=4, item_id="a", problem="labels are not JSON ('[cat')").seq
    4
    """

    seq: int
    item_id: object
    problem: str


def event_problem(row: Row, multi_label: bool, labels_seen: dict[object, str | None]) -> str | None:
    """Why ``row`` is not an event mmwidgets writes, or None; ``labels_seen`` caches by labels.

    Examples
    --------
    >>> event_problem((1, "set", "a", "[]", "ana", 0.0, None, None, None), False, {})
    'a single-label event carries 0 labels ([])'
    """
    _, kind, item, labels, annotator, when, version, reason, undoes = row
    if kind not in _KINDS:
        return f"unknown event kind {_short(kind)}"
    if not isinstance(item, str) or not item:
        return f"its item id is not a non-empty text ({_short(item)})"
    if not isinstance(annotator, str) or not annotator:
        return f"its annotator is not a non-empty text ({_short(annotator)})"
    if isinstance(when, bool) or not isinstance(when, int | float) or not math.isfinite(when):
        return f"its time is not a number of seconds ({_short(when)})"
    for name, value, kind_of in (("model_version", version, int), ("undoes", undoes, int)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind_of)):
            return f"its {name} is not an integer ({_short(value)})"
    if reason is not None and not isinstance(reason, str):
        return f"its reason is not text ({_short(reason)})"
    if labels is None:
        return f"a {kind} event without labels" if kind in _LABELING else None
    if labels not in labels_seen:
        labels_seen[labels] = _labels_problem(labels, multi_label)
    return labels_seen[labels]


def _labels_problem(labels: object, multi_label: bool) -> str | None:
    if not isinstance(labels, str):
        return f"its labels are not JSON text ({_short(labels)})"
    try:
        value = json.loads(labels)
    except ValueError:
        return f"its labels are not JSON ({_short(labels)})"
    if not isinstance(value, list) or not all(isinstance(one, str) and one for one in value):
        return f"its labels are not a list of labels ({_short(labels)})"
    if not multi_label and len(value) != 1:
        return f"a single-label event carries {len(value)} labels ({labels})"
    return None


def split_rows(rows: Sequence[Row], multi_label: bool) -> tuple[Sequence[Row], list[DamagedEvent]]:
    """The rows that are events as mmwidgets writes them, and the damaged ones.

    Examples
    --------
    >>> good, bad = split_rows([(1, "set", "a", '["cat"]', "ana", 0.0, None, None, None),
    ...                         (2, "set", "b", "[cat", "ana", 0.0, None, None, None)], False)
    >>> [row[0] for row in good], [(d.seq, d.item_id) for d in bad]
    ([1], [(2, 'b')])
    """
    labels_seen: dict[object, str | None] = {}
    damaged = []
    for row in rows:
        problem = event_problem(row, multi_label, labels_seen)
        if problem is not None:
            damaged.append(DamagedEvent(row[0], row[2], problem))
    if not damaged:
        return rows, []  # the common case: no copy
    skipped = {event.seq for event in damaged}
    return [row for row in rows if row[0] not in skipped], damaged


def latest_rows(history: Sequence[Row], good: Sequence[Row]) -> list[Row]:
    """Each annotator's latest event per item that still counts, as the backends' SQL picks.

    ``history`` is every row of the log (or of one item), oldest first; ``good`` the same
    without damaged rows, from which the latest are picked. An undo cancels the event it
    names whatever else is wrong with it, exactly as the SQL reads it.
    """
    undone = {row[8] for row in history if isinstance(row[8], int)}
    latest: dict[tuple[object, object, bool], Row] = {}
    for row in good:
        if row[1] != "undo" and row[0] not in undone:
            latest[(row[2], row[4], row[1] == "adjudicate")] = row
    return sorted(latest.values(), key=lambda row: row[0])


def annotation_rows(
    rows: Sequence[Row],
    history: Callable[[], Sequence[Row]],
    multi_label: bool,
    report: DamageReport | None = None,
) -> Sequence[Row]:
    """The backend's annotation ``rows`` without damaged ones, and what those hid.

    When a damaged row was some annotator's latest, their earlier events count again: the
    log (``history()``, called only then) is read again without the damaged rows.
    """
    _, damaged = split_rows(rows, multi_label)
    if not damaged:
        return rows
    every = history()
    kept, all_damaged = split_rows(every, multi_label)
    if report is not None:
        report.note(all_damaged)
    return latest_rows(every, kept)


class DamageReport:
    """The damaged rows a store has met, each warned about once (a DamagedEventWarning).

    Examples
    --------
    >>> import warnings
    >>> report = DamageReport("labels.sqlite")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     report.note([DamagedEvent(4, "a", "its labels are not JSON ('[cat')")])
    ...     report.note([DamagedEvent(4, "a", "its labels are not JSON ('[cat')")])
    >>> len(caught), report.found
    (1, True)
    """

    def __init__(self, where: str) -> None:
        self._where = where
        self._lock = threading.Lock()
        self._seen: dict[int, DamagedEvent] = {}

    @property
    def found(self) -> bool:
        """Whether any damaged row has been met."""
        return bool(self._seen)

    def note(self, damaged: Sequence[DamagedEvent]) -> None:
        """Remember ``damaged``; warn about the rows not met before."""
        with self._lock:
            new = [event for event in damaged if event.seq not in self._seen]
            self._seen.update((event.seq, event) for event in new)
        if not new:
            return
        named = "; ".join(
            f"seq {event.seq} (item {event.item_id!r}): {event.problem}"
            for event in new[:_NAMED_IN_WARNING]
        )
        more = f"; and {len(new) - _NAMED_IN_WARNING} more" if len(new) > _NAMED_IN_WARNING else ""
        warnings.warn(
            DamagedEventWarning(
                f"{self._where}: skipping {len(new)} malformed event row(s), which mmwidgets "
                f"did not write as they are: {named}{more}. Every view reads the log without "
                "them; store.damaged_events() lists them all."
            ),
            stacklevel=_caller_level(),
        )


class StoreDamage:
    """A label-store mixin: :meth:`damaged_events`; the backend supplies the raw rows.

    The backend keeps a :class:`DamageReport` in ``_damage`` and implements
    ``_raw_history_rows(item_id=None)``: every event row as stored, oldest first.
    """

    _multi_label: bool
    _damage: DamageReport

    def _raw_history_rows(self, item_id: str | None = None) -> list[Row]:
        raise NotImplementedError

    def _checked_history(self, item_id: str | None = None) -> Sequence[Row]:
        rows, damaged = split_rows(self._raw_history_rows(item_id), self._multi_label)
        self._damage.note(damaged)
        return rows

    def _checked_annotations(self, rows: Sequence[Row], item_id: str | None = None) -> list[Row]:
        return list(
            annotation_rows(
                rows,
                lambda: self._raw_history_rows(item_id),
                self._multi_label,
                self._damage,
            )
        )

    def damaged_events(self) -> pd.DataFrame:
        """Every event row the views skip because it is not as mmwidgets writes it.

        A row edited outside mmwidgets (labels that are not a JSON list of labels, a
        single-label event without a label, an id or time of the wrong type, an unknown
        kind) is never fatal: :meth:`current`, :meth:`annotations`, :meth:`history` and the
        rest read the log as if it were not there (the annotator's earlier label counts
        again), and a :class:`~mmwidgets.exceptions.DamagedEventWarning` names it once.

        Returns
        -------
        pandas.DataFrame
            Columns ``seq``, ``id`` and ``problem``, in log order; empty for a sound log.

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat"])
        >>> _ = store.set("a", "cat")
        >>> store.damaged_events().empty
        True
        """
        import pandas as pd

        _, damaged = split_rows(self._raw_history_rows(), self._multi_label)
        self._damage.note(damaged)
        return pd.DataFrame(
            {
                "seq": pd.Series([event.seq for event in damaged], dtype="int64"),
                "id": pd.Series([event.item_id for event in damaged], dtype=object),
                "problem": pd.Series([event.problem for event in damaged], dtype=object),
            }
        )


def _caller_level() -> int:
    """The ``stacklevel`` that attributes a warning to the first caller outside mmwidgets."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
