"""What a Session answers about a team: agreement and the disagreements to adjudicate.

:class:`SessionTeam` sits between the review reads and the Session; it only reads the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmwidgets.session._agreement import Agreement, agreement
from mmwidgets.session._review_reads import SessionReview

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SessionTeam"]


class SessionTeam(SessionReview):
    """Team reads of a Session; see :class:`~mmwidgets.session.Session`."""

    def agreement(self) -> Agreement:
        """Inter-annotator agreement on the items two or more people labeled (never the model).

        Cohen's kappa per annotator pair (scikit-learn), Fleiss' kappa (statsmodels) and
        Krippendorff's alpha (the ``krippendorff`` package), overall and per class, and the
        number of overlapped items; the Dashboard shows them.

        Examples
        --------
        >>> item = session.next()
        >>> session.store.set(item.id, "food", annotator="second-annotator")
        ... # doctest: +ELLIPSIS
        Event(...)
        >>> session.agreement().n_overlapped >= 0
        True
        """
        return agreement(_people(self.store.annotations()), self.labels)

    def disagreements(self) -> pd.DataFrame:
        """Items annotators label differently and nobody adjudicated: a review queue.

        Returns
        -------
        pandas.DataFrame
            ``id``, ``labels`` (``{annotator: label}``), ``label`` (what training uses now:
            the majority, or the latest of a tie) and ``reason`` (every annotator's label, as
            text). Open it in a Gallery, ``Gallery(session, items=session.disagreements())``:
            each tile shows who said what, and saving adjudicates.

        Examples
        --------
        >>> first = session.queue(1)[0]
        >>> _ = session.store.set(first.id, "food", annotator="ana")
        >>> _ = session.store.set(first.id, "vehicles", annotator="ben")
        >>> session.disagreements().loc[lambda d: d.id == first.id, "reason"].item()
        'ana: food · ben: vehicles'
        """
        import pandas as pd

        disputed = self.store.disputed()
        annotations = _people(self.store.annotations())
        annotations = annotations[annotations["id"].isin(disputed)]
        current = self.store.current().set_index("id")["label"]
        rows: list[dict[str, Any]] = []
        by_item = {item: frame for item, frame in annotations.groupby("id", sort=False)}
        for item in disputed:
            given = dict(zip(by_item[item]["annotator"], by_item[item]["label"], strict=True))
            rows.append(
                {
                    "id": item,
                    "labels": given,
                    "label": current.get(item),
                    "reason": " · ".join(f"{who}: {_shown(label)}" for who, label in given.items()),
                }
            )
        frame = pd.DataFrame(rows, columns=["id", "labels", "label", "reason"])
        frame.attrs["review"] = "disagreements"  # a Gallery over it adjudicates
        return frame


def _people(annotations: pd.DataFrame) -> pd.DataFrame:
    """The people's annotations: the model's own labels are not a second opinion."""
    return annotations[annotations["source"] == "person"]


def _shown(label: Any) -> str:
    if isinstance(label, tuple):
        return ", ".join(label) if label else "none"
    return str(label)
