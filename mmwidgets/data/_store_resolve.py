"""One label per item from several annotators' labels: adjudicated, else majority, else latest.

Every backend reads the same rows, each annotator's latest event per item that still counts
(and each adjudicator's latest adjudication), and this module decides what an item's label
is. Kept in Python rather than SQL so both backends resolve exactly alike.

The rule, documented on :class:`~mmwidgets.data.LabelStore`: an adjudicated item takes its
latest adjudication; otherwise the label most people currently give; a tie goes to the
most recent of the tied labels (the item stays listed as disputed until adjudicated). The
model's own label (annotator :data:`~mmwidgets.data.MODEL_ANNOTATOR`) counts only where no
person labels the item, and never makes it disputed. An item nobody labels now but someone
skipped is skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mmwidgets.data._store_values import MODEL_ANNOTATOR

__all__ = ["Resolved", "resolve"]

Row = tuple[Any, ...]  # EVENT_COLUMNS order: seq, kind, item_id, labels, annotator, time, ...

_KIND, _ITEM, _LABELS, _ANNOTATOR = 1, 2, 3, 4


@dataclass
class Resolved:
    """The outcome per item, each list in log order (by the deciding event's seq).

    Attributes
    ----------
    current : list of rows
        The deciding ``set`` or ``adjudicate`` row of every labeled item.
    skipped : list of str
        Items nobody labels now and whose latest event by someone is a skip.
    disputed : list of str
        Items two or more people label differently, not adjudicated.
    annotations : list of rows
        Every annotator's current ``set`` row (adjudications excluded).
    adjudications : list of rows
        The latest adjudication of each adjudicated item.
    """

    current: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    disputed: list[str] = field(default_factory=list)
    annotations: list[Row] = field(default_factory=list)
    adjudications: list[Row] = field(default_factory=list)


def resolve(rows: Iterable[Row]) -> Resolved:
    """Resolve annotation rows (``set``/``clear``/``skip``/``adjudicate``, oldest first).

    Examples
    --------
    >>> rows = [(1, "set", "a", '["cat"]', "ana", 0.0, None, None, None),
    ...         (2, "set", "a", '["dog"]', "ben", 0.0, None, None, None),
    ...         (3, "set", "a", '["dog"]', "cy", 0.0, None, None, None),
    ...         (4, "skip", "b", None, "ana", 0.0, None, None, None),
    ...         (5, "set", "c", '["cat"]', "model", 0.0, 3, "auto-label x", None),
    ...         (6, "set", "a", '["cat"]', "model", 0.0, 3, "auto-label x", None)]
    >>> out = resolve(rows)
    >>> [(r[2], r[3], r[4]) for r in out.current], out.skipped, out.disputed
    ([('a', '["dog"]', 'cy'), ('c', '["cat"]', 'model')], ['b'], ['a'])
    """
    by_item: dict[str, list[Row]] = {}
    for row in rows:
        by_item.setdefault(row[_ITEM], []).append(row)
    out = Resolved()
    skipped: list[tuple[int, str]] = []
    disputed: list[tuple[int, str]] = []
    for item, item_rows in by_item.items():
        sets = [row for row in item_rows if row[_KIND] == "set"]
        adjudicated = [row for row in item_rows if row[_KIND] == "adjudicate"]
        out.annotations += sets
        if adjudicated:
            out.adjudications.append(adjudicated[-1])
            out.current.append(adjudicated[-1])
            continue
        if not sets:
            skips = [row for row in item_rows if row[_KIND] == "skip"]
            if skips:
                skipped.append((skips[-1][0], item))
            continue
        people = [row for row in sets if row[_ANNOTATOR] != MODEL_ANNOTATOR]
        deciding = people or sets  # a person's label always goes before the model's
        out.current.append(_decide(deciding))
        if len({row[_LABELS] for row in people}) > 1:
            disputed.append((people[-1][0], item))
    out.current.sort(key=lambda row: row[0])
    out.annotations.sort(key=lambda row: row[0])
    out.adjudications.sort(key=lambda row: row[0])
    out.skipped = [item for _, item in sorted(skipped)]
    out.disputed = [item for _, item in sorted(disputed)]
    return out


def _decide(sets: Sequence[Row]) -> Row:
    if len(sets) == 1:
        return sets[0]
    counts = Counter(row[_LABELS] for row in sets)
    top = max(counts.values())
    # rows are oldest first, so the last row carrying a top label is the latest of the tied
    return next(row for row in reversed(sets) if counts[row[_LABELS]] == top)
