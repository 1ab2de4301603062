"""Finding items: search by text (meaning and keywords) and "more like this" by embedding.

Both rank the pool's compact inputs (the PCA space every model of the session uses) exactly,
chunk by chunk (:mod:`mmwidgets.active._search`). A query's text is embedded by the same
encoder that embedded the pool's texts and projected by the same projection, so it lands in
the same space. The pool's texts are indexed by word once, on the first search.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mmwidgets.active import KeywordIndex, cosine_scores, query_words, top_k
from mmwidgets.session._team import SessionTeam

if TYPE_CHECKING:
    from mmwidgets.session._pool import PoolView

__all__ = ["KEYWORD_WEIGHT", "SessionSearch"]

#: a search's score is similarity (cosine, -1..1) + KEYWORD_WEIGHT x the share of query words
#: found in the item's text: an item that has every word outranks any that has none
KEYWORD_WEIGHT = 1.0
SimilarBy = Literal["fused", "text", "image", "audio"] | str


class SessionSearch(SessionTeam):
    """Search reads of a Session; see :class:`~mmwidgets.session.Session`."""

    def __init__(self, **parts: Any) -> None:
        super().__init__(**parts)
        self._indexing = threading.Lock()  # guards _keywords: built on the first search
        self._keywords: KeywordIndex | None = None

    def search(self, query: str, k: int = 50, *, timeout: float | None = None) -> pd.DataFrame:
        """The ``k`` items whose text best matches ``query``, best first.

        Score = cosine similarity of the item's text embedding to the query's (the text
        encoder of the session; the best of several text columns) + ``KEYWORD_WEIGHT`` times
        the share of the query's words found as whole words in the item's text (case- and
        accent-form-insensitive). Without a text encoder (``embeddings=`` were given) only
        keywords count. Waits for the embeddings like :meth:`embeddings`.

        Returns
        -------
        pandas.DataFrame
            ``id``, ``score``, ``similarity`` (NaN without an encoder), ``keywords`` (0..1),
            ``reason`` (shown on the tiles of ``Gallery(session, items=hits)``).

        Examples
        --------
        >>> hits = session.search("a bus", k=5)
        >>> list(hits.columns), len(hits)
        (['id', 'score', 'similarity', 'keywords', 'reason'], 5)
        """
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f"search needs a non-empty text query, got {query!r}")
        columns = self.dataset.columns.get("text", ())
        if not columns:
            raise ValueError("this dataset has no text column to search; use similar()")
        view = self.embeddings(timeout=timeout)
        similarity = self._text_similarity(view, query, columns)
        keywords = self._keyword_index(columns).scores(query_words(query))
        score = np.nan_to_num(similarity, nan=-1.0) + KEYWORD_WEIGHT * keywords
        usable = view.usable() & (np.isfinite(similarity) | (keywords > 0))
        rows = top_k(score, _check_k(k), usable)
        n_words = max(1, len(query_words(query)))
        reasons = [
            f"search {query!r}: "
            + ("" if np.isnan(similarity[r]) else f"similarity {similarity[r]:.2f}, ")
            + f"{round(keywords[r] * n_words)}/{n_words} words"
            for r in rows.tolist()
        ]
        frame = _frame(self.dataset.ids, rows, score, similarity=similarity, keywords=keywords)
        frame["reason"] = reasons
        return frame

    def similar(
        self,
        item_id: str | int,
        k: int = 50,
        *,
        modality: SimilarBy = "fused",
        timeout: float | None = None,
    ) -> pd.DataFrame:
        """The ``k`` items most like ``item_id`` ("more like this"), best first, itself left out.

        ``modality="fused"`` compares whole items (every column, in the session's fused
        space); ``"image"``, ``"text"``, ``"audio"`` (any modality of the dataset) compare
        that modality's embeddings only. Waits for the embeddings like :meth:`embeddings`.

        Returns
        -------
        pandas.DataFrame
            ``id``, ``score`` (cosine similarity) and ``reason``.

        Examples
        --------
        >>> first = session.dataset.ids[0]
        >>> more = session.similar(first, k=3, modality="image")
        >>> len(more), first in set(more["id"])
        (3, False)
        """
        iid = self._candidates.check(item_id)
        row = self.dataset.row_of(iid)
        assert row is not None, "check() found it"
        view = self.embeddings(timeout=timeout)
        if modality == "fused":
            if not np.isfinite(view.fused[row]).all():
                raise ValueError(f"item {iid!r} has no embedding to compare (see problems())")
            score = cosine_scores(view.fused, view.fused[row])
        else:
            score = self._modality_similarity(view, iid, row, modality)
        allowed = view.usable()
        allowed[row] = False
        rows = top_k(score, _check_k(k), allowed)
        frame = _frame(self.dataset.ids, rows, score)
        frame["reason"] = [f"like {iid} ({modality}): similarity {score[r]:.2f}" for r in rows]
        return frame

    # ------------------------------------------------------------ helpers
    def _text_similarity(self, view: PoolView, query: str, columns: tuple[str, ...]) -> np.ndarray:
        out = np.full(len(self.dataset), np.nan, dtype=np.float32)
        encoder = self._pool.encoder("text")
        if encoder is None:
            return out
        embedded = encoder.encode([query], on_problem=_raise_problem)
        projections = view.projections or {}
        for column in columns:
            projection = projections.get(column)
            q = embedded if projection is None else projection.apply(embedded)
            out = np.fmax(out, cosine_scores(view.X[column], q[0]))
        return out

    def _modality_similarity(self, view: PoolView, iid: str, row: int, modality: str) -> np.ndarray:
        columns = self.dataset.columns.get(modality)
        if not columns:
            known = ("fused", *self.dataset.columns)
            raise ValueError(f"modality must be one of {known}, not {modality!r}")
        out = np.full(len(self.dataset), np.nan, dtype=np.float32)
        for column in columns:
            q = np.asarray(view.X[column][row], dtype=np.float32)
            if np.isfinite(q).all():
                out = np.fmax(out, cosine_scores(view.X[column], q))
        if not np.isfinite(out[row]):
            raise ValueError(f"item {iid!r} has no {modality} embedding to compare")
        return out

    def _keyword_index(self, columns: tuple[str, ...]) -> KeywordIndex:
        with self._indexing:
            if self._keywords is None:
                cells = [self.dataset.column_values(c) for c in columns]
                self._keywords = KeywordIndex([_joined(v) for v in zip(*cells, strict=True)])
            return self._keywords


def _joined(values: tuple[Any, ...]) -> str | None:
    texts = [v for v in values if isinstance(v, str)]
    return "\n".join(texts) if texts else None


def _raise_problem(index: int, problem: str) -> None:
    raise ValueError(f"the query could not be embedded: {problem}")


def _check_k(k: int) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    return k


def _frame(
    ids: list[str], rows: np.ndarray, score: np.ndarray, **extra: np.ndarray
) -> pd.DataFrame:
    data: dict[str, Any] = {"id": [ids[r] for r in rows.tolist()], "score": score[rows]}
    data.update({name: values[rows] for name, values in extra.items()})
    return pd.DataFrame(data)
