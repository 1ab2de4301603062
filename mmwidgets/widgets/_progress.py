"""What the widgets show about the labeling so far, read from the session's label store."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from mmwidgets.session import Session

__all__ = ["RATE_WINDOW", "history_ids", "label_progress"]

#: labels per minute is measured over this many seconds of recent labeling
RATE_WINDOW = 300.0


def label_progress(session: Session, now: float | None = None) -> dict[str, Any]:
    """Labeled / total, the count per class and the recent labeling rate.

    Examples
    --------
    >>> progress = label_progress(session)
    >>> progress["labeled"], sum(progress["per_class"].values())
    (12, 12)
    """
    current = session.store.current()
    per_class = session.label_counts()
    return {
        "labeled": len(current),
        "skipped": len(session.store.skipped()),
        "total": len(session.dataset),
        "per_class": per_class,
        "per_minute": _per_minute(current["time"], time.time() if now is None else now),
    }


def _per_minute(times: pd.Series, now: float) -> float:
    if times.empty:
        return 0.0
    seconds = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    recent = seconds[seconds > now - RATE_WINDOW]
    if recent.empty:
        return 0.0
    # over the window, or since the first recent label when labeling began within it (but at
    # least a minute, so the first few labels don't read as hundreds per minute)
    span = max(60.0, now - float(recent.min()))
    return round(len(recent) * 60.0 / span, 1)


def history_ids(session: Session, limit: int = 1000) -> list[str]:
    """The session annotator's labeled or skipped items, in the order they were first done.

    Ordered by first action rather than latest, so fixing a label while walking back through
    the history does not move the item.

    Examples
    --------
    >>> len(history_ids(session))
    12
    """
    log = session.store.history()
    undone = set(log["undoes"].dropna().astype(int))
    mine = log[
        (log["annotator"] == session.annotator)
        & log["kind"].isin(["set", "skip"])
        & ~log["seq"].isin(undone)
    ]
    live = set(session.store.labeled_ids()) | set(session.store.skipped())
    known = set(session.dataset.ids)
    ordered = mine.drop_duplicates("id", keep="first")["id"]
    ids = [str(i) for i in ordered if i in live and i in known]
    return ids[-limit:]
