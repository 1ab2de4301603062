"""One batch through an encoder's model, split in halves when it fails: one bad item never stops.

A model forward that raises is retried on each half of its batch, and so on down to single
items: a single item that still fails is that item's problem, and the rest of the batch is
encoded. A batch with ``k`` bad items costs at most about ``2·k·log2(batch)`` extra forwards.

A failure of the encoder itself (its model cannot load, every input fails alike) must not turn
every item of a pool into a "problem": when every item of a batch fails on its own and the
encoder has not encoded anything yet, or has now failed on twice its batch size of items in a
row, :class:`EncoderFailedError` stops the run once, with the first error, and nothing of that
batch is recorded against its items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.exceptions import EncoderFailedError

if TYPE_CHECKING:
    from mmwidgets.encoders._base import Encoder

__all__ = ["EncoderFailedError", "ForwardHealth", "forward_batch", "item_problem"]

#: longest exception message kept in a problem (a model may echo a huge input back)
_MESSAGE_CHARS = 500

Forward = Callable[[list[Any]], np.ndarray]
Reporter = Callable[[int, str], None]


@dataclass
class ForwardHealth:
    """How an encoder's forwards went: whether one ever succeeded, and the failures since.

    Examples
    --------
    >>> ForwardHealth()
    ForwardHealth(encoded_any=False, failing_streak=0)
    """

    encoded_any: bool = False
    #: items that failed on their own since the last forward that succeeded
    failing_streak: int = 0


@dataclass(frozen=True)
class _Encoder:
    modality: str
    name: str
    dim: int
    batch_size: int


def _words(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…"


def item_problem(modality: str, name: str, exc: BaseException) -> str:
    """The problem recorded for an item whose own forward raised ``exc``.

    Examples
    --------
    >>> item_problem("text", "minilm", TypeError("bad input"))
    "text encoder 'minilm' failed on this item: TypeError: bad input"
    """
    return f"{modality} encoder {name!r} failed on this item: {_words(exc)}"


def forward_batch(
    encoder: Encoder,
    forward: Forward,
    health: ForwardHealth,
    inputs: list[Any],
    rows: list[int],
    out: np.ndarray,
    report: Reporter,
) -> None:
    """Write ``forward(inputs)`` into ``out[rows]``, bisecting the batch when it raises.

    ``encoder`` supplies ``modality``, ``name``, ``dim`` and ``batch_size`` for messages and
    checks; items that fail on their own are reported as ``report(row, problem)``, in row order.

    Raises
    ------
    EncoderFailedError
        When every item of the batch (two or more) failed on its own and the encoder has not
        encoded anything yet, or has failed on ``2 * batch_size`` items in a row.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("text", "hashing", dim=4)
    >>> def forward(texts):
    ...     if "boom" in texts:
    ...         raise ValueError("boom")
    ...     return np.ones((len(texts), 4), dtype=np.float32)
    >>> out, seen = np.full((3, 4), np.nan, dtype=np.float32), []
    >>> health = ForwardHealth()
    >>> forward_batch(enc, forward, health, ["a", "boom", "c"], [0, 1, 2], out,
    ...               lambda row, problem: seen.append((row, problem)))
    >>> np.isnan(out).any(axis=1).tolist(), seen
    ([False, True, False], [(1, "text encoder 'hashing' failed on this item: ValueError: boom")])
    """
    about = _Encoder(encoder.modality, encoder.name, encoder.dim, encoder.batch_size)
    failures: list[tuple[int, Exception]] = []
    succeeded = False
    pending = [(inputs, rows)]
    while pending:
        part, where = pending.pop()
        try:
            embedded = _checked(about, forward, part)
        except Exception as exc:  # a model's errors are arbitrary; BaseException is not caught
            if len(part) == 1:
                failures.append((where[0], exc))
            else:  # the right half goes on the stack first, so rows are tried in order
                half = len(part) // 2
                pending += [(part[half:], where[half:]), (part[:half], where[:half])]
            continue
        out[where] = embedded
        succeeded = True
        health.encoded_any, health.failing_streak = True, 0
    if not failures:
        return
    health.failing_streak += len(failures)
    if not succeeded and len(failures) > 1:
        first = failures[0][1]
        if not health.encoded_any:
            raise _failed(about, len(failures), "before encoding anything", first) from first
        if health.failing_streak >= 2 * about.batch_size:
            why = f"after {health.failing_streak} failures in a row"
            raise _failed(about, len(failures), why, first) from first
    for row, error in failures:
        report(row, item_problem(about.modality, about.name, error))


def _checked(about: _Encoder, forward: Forward, inputs: list[Any]) -> np.ndarray:
    rows = np.asarray(forward(inputs), dtype=np.float32)
    if rows.shape != (len(inputs), about.dim):
        raise ValueError(
            f"{about.name} returned an array of shape {rows.shape} for {len(inputs)} "
            f"inputs; expected ({len(inputs)}, {about.dim})"
        )
    return rows


def _failed(about: _Encoder, n: int, why: str, first: Exception) -> EncoderFailedError:
    return EncoderFailedError(
        f"{about.modality} encoder {about.name!r} failed on each of the {n} items of a batch, "
        f"one by one, {why}: {_words(first)}. The encoder itself is failing, so these items "
        "are not recorded as problems; fix the encoder (its model, device or memory) and "
        "encode again"
    )
