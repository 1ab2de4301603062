"""Values that go into the label store: the :class:`Event` record and argument checks.

Every check here runs before a transaction opens, so a rejected call writes nothing.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from mmwidgets.data._errors import UnknownLabelError
from mmwidgets.data._storable import not_unicode

ItemId: TypeAlias = str | int
LabelArg: TypeAlias = str | Iterable[str]
EventKind: TypeAlias = Literal["set", "clear", "skip", "undo", "adjudicate"]
Label: TypeAlias = str | tuple[str, ...]

META_KEYS = ("model_version", "reason")


@dataclass(frozen=True)
class Event:
    """One entry of the label log, as returned by ``set``, ``skip``, ``clear`` and ``undo``.

    Attributes
    ----------
    seq : int
        Position in the log (1, 2, …); ``undo`` events point at one through ``undoes``.
    kind : {"set", "clear", "skip", "undo", "adjudicate"}
        What happened; ``adjudicate`` settles what annotators disagree on.
    item_id : str
        The item it happened to.
    label : str, tuple of str or None
        The label (single-label store) or sorted label set (multi-label store) of a ``set``
        or ``adjudicate`` event; None for the other kinds.
    annotator : str
        Who did it.
    time : float
        UTC epoch seconds.
    model_version : int or None
        Version of the model whose query led to the item, when known.
    reason : str or None
        Why the item was shown (the query strategy's reason), when known.
    undoes : int or None
        For ``undo`` events, the ``seq`` of the event it cancels.

    Examples
    --------
    >>> Event(seq=1, kind="set", item_id="a", label="cat", annotator="ann", time=0.0).label
    'cat'
    """

    seq: int
    kind: EventKind
    item_id: str
    label: Label | None
    annotator: str
    time: float
    model_version: int | None = None
    reason: str | None = None
    undoes: int | None = None


def item_id_str(item_id: object) -> str:
    """Normalize an item id to the ``str`` mmwidgets uses everywhere (ints are accepted)."""
    if not isinstance(item_id, bool) and isinstance(item_id, numbers.Integral):
        return str(int(item_id))
    if isinstance(item_id, str) and item_id:
        problem = not_unicode(item_id)
        if problem is not None:
            raise ValueError(f"item id {item_id!r} {problem}")
        return item_id
    raise TypeError(f"item ids are non-empty str or int; got {item_id!r}")


#: the annotator name of labels the model gives itself (``Session.auto_label``): their
#: ``source`` is "model"; every other annotator's is "person"
MODEL_ANNOTATOR = "model"


def source_of(annotator: str) -> str:
    """``"model"`` for :data:`MODEL_ANNOTATOR`'s events, ``"person"`` for everyone else's.

    Examples
    --------
    >>> source_of("model"), source_of("ana")
    ('model', 'person')
    """
    return "model" if annotator == MODEL_ANNOTATOR else "person"


def annotator_str(annotator: object) -> str:
    """Check an annotator name."""
    if isinstance(annotator, str) and annotator:
        problem = not_unicode(annotator)
        if problem is not None:
            raise ValueError(f"annotator name {annotator!r} {problem}")
        return annotator
    raise TypeError(f"annotator must be a non-empty str; got {annotator!r}")


def label_set(labels: Iterable[str], multi_label: bool) -> tuple[str, ...]:
    """Validate a task's label set; keep its order (it drives key shortcuts), drop repeats."""
    if isinstance(labels, str | bytes):
        raise TypeError(f"labels must be a list of str, not one string; got {labels!r}")
    result = tuple(dict.fromkeys(labels))
    bad = [label for label in result if not isinstance(label, str) or not label]
    if bad:
        raise TypeError(f"labels must be non-empty str; got {bad!r}")
    if not result:
        raise ValueError("labels is empty; a task needs at least one label")
    for position, label in enumerate(result):
        problem = not_unicode(label)
        if problem is not None:
            raise ValueError(f"label {position} of the label set, {label!r}, {problem}")
    if multi_label:
        # CSV export joins a multi-label set with "|", so a label holding "|" would not round-trip.
        piped = [label for label in result if "|" in label]
        if piped:
            raise ValueError(f"multi-label labels may not contain '|'; got {piped!r}")
    return result


def event_labels(
    item_id: str, value: object, valid: tuple[str, ...], multi_label: bool
) -> list[str]:
    """Turn a ``set`` argument into the stored label list, or raise before anything is written."""
    if isinstance(value, str):
        chosen = [value]
    elif isinstance(value, bytes) or not isinstance(value, Iterable):
        raise TypeError(f"label for item {item_id!r} must be a str or a list of str; got {value!r}")
    else:
        chosen = list(value)
    not_str = [label for label in chosen if not isinstance(label, str)]
    if not_str:
        raise TypeError(f"labels for item {item_id!r} must be str; got {not_str!r}")
    unknown = [label for label in chosen if label not in valid]
    if unknown:
        raise UnknownLabelError(
            f"unknown label {unknown[0]!r} for item {item_id!r}; "
            f"valid labels are {', '.join(map(repr, valid))}"
        )
    if multi_label:
        return sorted(set(chosen))
    if len(chosen) != 1:
        raise ValueError(
            f"this store is single-label, so item {item_id!r} takes exactly one label; got "
            f"{chosen!r} (use clear() to remove a label, or open the store with multi_label=True)"
        )
    return chosen


def event_meta(meta: Mapping[str, object]) -> tuple[int | None, str | None]:
    """Check ``**meta`` of ``set``/``skip``; unknown keys are refused so typos don't vanish."""
    extra = sorted(set(meta) - set(META_KEYS))
    if extra:
        raise TypeError(
            f"unexpected meta keyword(s) {', '.join(extra)}; recognised: {', '.join(META_KEYS)}"
        )
    version = meta.get("model_version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, numbers.Integral)
    ):
        raise TypeError(f"model_version must be an int or None; got {version!r}")
    reason = meta.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise TypeError(f"reason must be a str or None; got {reason!r}")
    problem = None if reason is None else not_unicode(reason)
    if problem is not None:
        raise ValueError(f"reason {reason!r} {problem}")
    return (None if version is None else int(version)), reason


def decode_label(stored: str | None, multi_label: bool) -> Label | None:
    """The user-facing label of a stored JSON label list (None for events without labels)."""
    if stored is None:
        return None
    labels: list[str] = json.loads(stored)
    return tuple(labels) if multi_label else labels[0]


def row_event(row: tuple[Any, ...], multi_label: bool) -> Event:
    """Build an :class:`Event` from a row in ``EVENT_COLUMNS`` order."""
    seq, kind, item_id, labels, annotator, when, version, reason, undoes = row
    return Event(
        seq=seq,
        kind=kind,
        item_id=item_id,
        label=decode_label(labels, multi_label),
        annotator=annotator,
        time=when,
        model_version=version,
        reason=reason,
        undoes=undoes,
    )
