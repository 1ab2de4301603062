r"""Which strings a label store can hold: ids, labels and names round-trip through every backend.

Two kinds of str fail there, far from where they came in: a lone surrogate (``"\ud800"``, not
valid Unicode, so it cannot be written as UTF-8: SQLite and PostgreSQL both raise
``UnicodeEncodeError``) and a NUL character (PostgreSQL's text type refuses it, and CSV readers
cut a cell there). A Dataset refuses ids with either, naming their rows; a store refuses label
sets, names, reasons and ids that are not valid Unicode (an existing SQLite store may hold NUL
characters written before this check, so those still read).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["not_unicode", "unstorable", "unstorable_rows"]

#: strings checked per joined pass of :func:`unstorable_rows`
_CHUNK = 4096


def unstorable(text: str) -> str | None:
    r"""Why a label store could not hold ``text`` as a new id, or None.

    Examples
    --------
    >>> unstorable("cat-001") is None, unstorable("café") is None
    (True, True)
    >>> print(unstorable("a\x00b"))
    holds a NUL character at character 1 (PostgreSQL and CSV readers cut text there)
    """
    problem = not_unicode(text)
    if problem is not None:
        return problem
    at = text.find("\x00")
    return None if at < 0 else _nul(at)


def not_unicode(text: str) -> str | None:
    r"""Why ``text`` is not valid Unicode (a lone surrogate), or None: no backend can hold it.

    Examples
    --------
    >>> not_unicode("café") is None
    True
    >>> print(not_unicode("a\ud800")[:46])
    holds a lone surrogate '\ud800' at character 1
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds a lone surrogate {text[exc.start]!r} at character {exc.start}: not valid "
            "Unicode, so no file or database can hold it"
        )
    return None


def _nul(at: int) -> str:
    return f"holds a NUL character at character {at} (PostgreSQL and CSV readers cut text there)"


def unstorable_rows(texts: Sequence[str]) -> dict[int, str]:
    r"""Row -> :func:`unstorable` problem, for the rows of ``texts`` that have one.

    The strings are checked a few thousand at a time, joined, so a million good ids cost a
    few C-level passes; only a block with a bad string is looked at one string at a time.

    Examples
    --------
    >>> list(unstorable_rows(["a", "b\ud800", "c", "d\x00"]))
    [1, 3]
    """
    found: dict[int, str] = {}
    for start in range(0, len(texts), _CHUNK):
        block = texts[start : start + _CHUNK]
        if unstorable("".join(block)) is None:
            continue
        for offset, text in enumerate(block):
            problem = unstorable(text)
            if problem is not None:
                found[start + offset] = problem
    return found
