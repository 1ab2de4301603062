"""Exact similarity search over fp16 embeddings, in chunks, and keyword matching over texts.

Cosine similarity of every row to a query vector, block by block (a million 128-d fp16 rows
never become one float32 copy), then the top ``k`` by ``argpartition``. Rows with NaN (a
missing cell) score NaN and are never returned. Exact search over compact inputs measured
well under the 2 s goal at a million rows (BENCHMARKS.md, "Search"), so no approximate index
is built by default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

__all__ = ["KeywordIndex", "cosine_scores", "query_words", "top_k"]

#: rows multiplied per step: 65 536 x 128 float32 is 32 MB
CHUNK = 65_536
_WORD = re.compile(r"\w+")


def cosine_scores(matrix: np.ndarray, query: np.ndarray, *, chunk: int = CHUNK) -> np.ndarray:
    """Cosine similarity of each row of ``matrix`` to ``query``: float32 ``(n,)``, NaN if missing.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import cosine_scores
    >>> X = np.array([[1, 0], [0, 2], [np.nan, np.nan]], dtype=np.float16)
    >>> [round(float(s), 3) for s in cosine_scores(X, np.array([1.0, 1.0]))]
    [0.707, 0.707, nan]
    """
    q = np.asarray(query, dtype=np.float32).ravel()
    if matrix.ndim != 2 or matrix.shape[1] != q.shape[0]:
        raise ValueError(f"query has {q.shape[0]} values; the rows have {matrix.shape[1:]}")
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    n = int(matrix.shape[0])
    out = np.empty(n, dtype=np.float32)
    for start in range(0, n, chunk):
        block = np.asarray(matrix[start : start + chunk], dtype=np.float32)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + len(block)] = (block @ q) / np.maximum(norms, 1e-12)
    return out


def query_words(text: str) -> list[str]:
    """The distinct words of a query, NFKC-normalised and case-folded, in order.

    Examples
    --------
    >>> from mmwidgets.active import query_words
    >>> query_words("A red, RED vehicle")
    ['a', 'red', 'vehicle']
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return list(dict.fromkeys(_WORD.findall(folded)))


class KeywordIndex:
    """Which rows' texts hold each word: built once per pool, then a query costs its matches.

    Words are runs of word characters after NFKC normalisation and case folding, as in
    :func:`query_words`. A regex scan of a million texts per query measured ~5 s here; the
    index answers the same query in milliseconds after a one-off build (BENCHMARKS.md).

    Examples
    --------
    >>> from mmwidgets.active import KeywordIndex
    >>> index = KeywordIndex(["A red bus", "a red-nosed Koala", None])
    >>> index.scores(["red", "bus"]).tolist()
    [1.0, 0.5, 0.0]
    """

    def __init__(self, texts: Sequence[str | None]) -> None:
        self.n = len(texts)
        postings: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            if isinstance(text, str):
                for word in set(query_words(text)):
                    postings.setdefault(word, []).append(row)
        self._rows = {w: np.asarray(r, dtype=np.int64) for w, r in postings.items()}

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """Share of ``words`` each row's text holds as whole words (float32 ``(n,)``)."""
        found = np.zeros(self.n, dtype=np.float32)
        for word in dict.fromkeys(words):
            rows = self._rows.get(word)
            if rows is not None:
                found[rows] += 1.0
        return found / max(1, len(dict.fromkeys(words)))


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Rows of the ``k`` highest finite scores, best first (ties: lower row first).

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import top_k
    >>> top_k(np.array([0.1, np.nan, 0.9, 0.5]), 2).tolist()
    [2, 3]
    """
    ok = np.isfinite(scores)
    if allowed is not None:
        ok &= allowed
    rows = np.flatnonzero(ok)
    if k < len(rows):
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    order = np.lexsort((rows, -scores[rows]))
    return rows[order]
