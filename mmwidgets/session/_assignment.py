"""Who labels what in a team: overlap, claims, and each annotator's done set.

A share ``overlap`` of the items (picked by a hash of the id, so every annotator's session
agrees without talking to the others) is meant for two annotators; the rest for one. An item
is handed out only after the store grants a claim on it, and the store grants one only while
fewer annotators than the item needs hold a live claim on it or have labeled it, so two
people never get the same item at once unless it is overlapped.

Owns nothing mutable; the store holds the claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from mmwidgets.data import LabelStoreProtocol

__all__ = ["OVERLAP_ANNOTATORS", "Assignment", "check_overlap"]

#: how many annotators an overlapped item goes to
OVERLAP_ANNOTATORS = 2


def check_overlap(overlap: float | None) -> None:
    """Refuse an ``overlap`` outside [0, 1] (None, one person, is fine).

    Examples
    --------
    >>> check_overlap(1.5)
    Traceback (most recent call last):
    ...
    ValueError: overlap is a share of the items, in [0, 1]; got 1.5
    """
    if overlap is not None and not 0.0 <= overlap <= 1.0:
        raise ValueError(f"overlap is a share of the items, in [0, 1]; got {overlap!r}")


class Assignment:
    """One annotator's side of the team's assignment policy.

    Parameters
    ----------
    store : LabelStoreProtocol
        The shared store (claims and labels live there).
    annotator : str
        Who this session labels as.
    overlap : float or None
        Share of items meant for two annotators, in [0, 1]. None turns team assignment off
        (one person: any label makes an item done, nothing is claimed).

    Examples
    --------
    >>> import tempfile
    >>> from mmwidgets import LabelStore
    >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat"])
    >>> ana, ben = Assignment(store, "ana", 0.0), Assignment(store, "ben", 0.0)
    >>> ana.claim(["a", "b"]), ben.claim(["a", "b", "c"])
    (['a', 'b'], ['c'])
    """

    def __init__(self, store: LabelStoreProtocol, annotator: str, overlap: float | None) -> None:
        check_overlap(overlap)
        self._store, self.annotator, self.overlap = store, annotator, overlap

    @property
    def team(self) -> bool:
        """Whether items are claimed and shared out (``overlap`` was given)."""
        return self.overlap is not None

    def needed(self, item_id: str) -> int:
        """How many annotators the item is meant for (2 if it is overlapped, else 1).

        Examples
        --------
        >>> import tempfile
        >>> from mmwidgets import LabelStore
        >>> store = LabelStore(tempfile.mkdtemp() + "/l.sqlite", labels=["cat"])
        >>> Assignment(store, "ana", 1.0).needed("x"), Assignment(store, "ana", 0.0).needed("x")
        (2, 1)
        """
        if not self.overlap:
            return 1
        digest = hashlib.blake2b(item_id.encode(), digest_size=8).digest()
        share = int.from_bytes(digest, "big") / 2**64
        return OVERLAP_ANNOTATORS if share < self.overlap else 1

    def done(self) -> set[str]:
        """Items this annotator should not be handed: theirs, or with all the labels needed.

        Without team assignment: every item labeled or skipped by anyone (one person).
        """
        store = self._store
        if not self.team:
            return set(store.labeled_ids()) | set(store.skipped())
        done = set(store.done_by(self.annotator)) | set(store.adjudications()["id"])
        annotations = store.annotations()
        people = annotations[annotations["source"] == "person"]
        per_item = people.groupby("id")["annotator"].nunique()
        done.update(item for item, n in per_item.items() if n >= self.needed(str(item)))
        done.update(annotations.loc[annotations["source"] == "model", "id"])  # auto-labeled
        return done

    def claim(self, item_ids: Iterable[str]) -> list[str]:
        """Claim items for this annotator; the ids granted (all of them without a team)."""
        ids = list(item_ids)
        if not self.team or not ids:
            return ids
        return self._store.claim({item: self.needed(item) for item in ids}, self.annotator)

    def release(self) -> None:
        """Give back this annotator's claims (the session is closing)."""
        if self.team and not self._store.closed:
            self._store.release(self.annotator)
