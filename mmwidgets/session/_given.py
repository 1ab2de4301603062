"""Embeddings the user gives a Session (``embeddings=``), checked against its dataset."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mmwidgets.data import Dataset
from mmwidgets.exceptions import SchemaError, ShapeMismatchError

__all__ = ["check_embeddings"]


def check_embeddings(
    dataset: Dataset, embeddings: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Given embeddings, one ``(len(dataset), d)`` array per modality column, in column order.

    Arrays may be memmaps (read in blocks, never copied whole); NaN rows mark missing cells.

    Raises
    ------
    SchemaError
        A modality column of the dataset has no embeddings, or a key is not such a column.
    ShapeMismatchError
        An array is not 2-D, not floating point, or has another row count than the dataset.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mmwidgets import Dataset
    >>> ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a", "b"]}), text="caption")
    >>> check_embeddings(ds, {"caption": np.zeros((2, 4))})["caption"].shape
    (2, 4)
    """
    columns = [c for cols in dataset.columns.values() for c in cols]
    missing = [c for c in columns if c not in embeddings]
    extra = sorted(str(k) for k in embeddings if k not in columns)
    if missing or extra:
        raise SchemaError(
            f"embeddings= needs one array per modality column {columns}; "
            + (f"missing {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"{extra} are not modality columns of the dataset" if extra else "")
        )
    out = {}
    for column in columns:
        matrix = embeddings[column]
        shape = tuple(getattr(matrix, "shape", ()))
        dtype = getattr(matrix, "dtype", None)
        if len(shape) != 2 or shape[0] != len(dataset):
            raise ShapeMismatchError(
                "embeddings",
                f"[{column!r}] must be ({len(dataset)}, dim), one row per item; got shape {shape}",
            )
        if dtype is None or not np.issubdtype(dtype, np.floating):
            raise ShapeMismatchError(
                "embeddings", f"[{column!r}] must be floating point; got {dtype}"
            )
        out[column] = matrix
    return out
