"""What encoding a dataset gives: embedding matrices, presence masks, and the problems met."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mmwidgets.encoders._base import Encoder

if TYPE_CHECKING:
    from mmwidgets.encoders._batch_dispatch import DispatchStats

__all__ = ["EncodedDataset", "EncodingProblem"]


@dataclass(frozen=True)
class EncodingProblem:
    """A cell that could not be encoded, and why (also recorded in the dataset's problems)."""

    item_id: str
    column: str
    problem: str


@dataclass(frozen=True, eq=False)
class EncodedDataset:
    """Embeddings of every item of a dataset, per column and per modality, with presence masks.

    Row ``i`` of every matrix and mask is item ``ids[i]``. Matrices are float32 in memory
    (100 000 images at 1280-d take 512 MB) with all-NaN rows where a value is absent.

    Attributes
    ----------
    ids : list of str
        Item ids, in the dataset's order.
    modalities, columns : tuple of str
        The order of the columns of :attr:`presence` and :attr:`column_presence`.
    embeddings : dict
        Modality -> ``(n, dim)``: the mean over the modality's present columns (the column's
        own matrix, not a copy, where the modality has one column). A modality whose columns
        were given encoders of different sizes has no mean and is left out (see
        :attr:`column_embeddings`).
    column_embeddings : dict
        Column -> ``(n, dim)``, e.g. one matrix each for two audio columns; in the order of
        :attr:`columns`.
    presence, column_presence : numpy.ndarray
        bool ``(n, len(modalities))`` and ``(n, len(columns))``: True where embedded.
    encoders : dict
        Modality -> the modality's :class:`Encoder` (its model loaded only if something missed).
    column_encoders : dict
        Column -> the :class:`Encoder` that embedded it: the modality's, one given for the
        column, or what :meth:`Encoder.for_column` made of it (e.g. the speech encoder bound
        to the cache's transcripts).
    problems : list of EncodingProblem
        Cells that failed in this run. An item with any problem, found now or before, is
        absent in every column: the dataset skips such items downstream.
    cached, computed : dict
        Modality -> cells served by the cache, and cells sent to the encoder.
    dispatch : DispatchStats or None
        With an executor: shards, workers seen, and the driver's commit time.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmwidgets import Dataset
    >>> from mmwidgets.encoders import encode_dataset
    >>> ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a koala", None]}), text="caption")
    >>> enc = encode_dataset(ds, {"text": "hashing"}, cache=False, progress=False)
    >>> enc.embeddings["text"].shape, enc.presence[:, 0].tolist()
    ((2, 256), [True, False])
    """

    ids: list[str]
    modalities: tuple[str, ...]
    columns: tuple[str, ...]
    embeddings: dict[str, np.ndarray]
    column_embeddings: dict[str, np.ndarray]
    presence: np.ndarray
    column_presence: np.ndarray
    encoders: dict[str, Encoder]
    problems: list[EncodingProblem] = field(default_factory=list)
    cached: dict[str, int] = field(default_factory=dict)
    computed: dict[str, int] = field(default_factory=dict)
    dispatch: DispatchStats | None = None
    column_encoders: dict[str, Encoder] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        dims = ", ".join(f"{m}: {e.shape[1]}-d" for m, e in self.embeddings.items())
        return f"EncodedDataset({len(self.ids)} items | {dims} | {len(self.problems)} problems)"
