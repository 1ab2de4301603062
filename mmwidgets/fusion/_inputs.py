"""Validate and convert the inputs of a FusionClassifier: per-modality matrices and masks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Embeddings = Mapping[str, np.ndarray]


def check_embeddings(
    X: Embeddings, modalities: Sequence[str] | None = None
) -> tuple[list[str], int]:
    """Modality names (in a stable order) and the common row count; raises on bad shapes."""
    if not isinstance(X, Mapping) or not X:
        raise TypeError(
            "X must be a non-empty mapping of modality name -> (n_items, dim) array, "
            "e.g. {'text': text_emb, 'image': image_emb}"
        )
    names = list(modalities) if modalities is not None else sorted(X)
    missing = [m for m in names if m not in X]
    if missing:
        raise ValueError(f"X lacks modalities {missing} that the model was fitted on")
    rows = {m: np.shape(X[m]) for m in names}
    bad = {m: s for m, s in rows.items() if len(s) != 2}
    if bad:
        raise ValueError(f"each modality must be a 2-D (n_items, dim) array; got shapes {bad}")
    counts = {s[0] for s in rows.values()}
    if len(counts) != 1:
        raise ValueError(f"modalities disagree on the number of items: {rows}")
    return names, counts.pop()


def presence_from(
    X: Embeddings, names: Sequence[str], presence: Any, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """(rows, M) bool mask in the order of ``names``: given, or 'row is not all-NaN'.

    ``presence`` is None, a mapping ``{modality: (n,) bool}``, or an ``(n, len(X))`` bool array
    whose columns follow the key order of ``X`` (the order the caller built ``X`` in, which need
    not be the model's own order ``names``).

    Examples
    --------
    >>> import numpy as np
    >>> X = {"text": np.zeros((2, 3)), "audio": np.zeros((2, 4))}
    >>> presence_from(X, ["audio", "text"], np.array([[True, False], [True, True]])).tolist()
    [[False, True], [True, True]]
    """
    if presence is None:
        cols = [
            ~np.isnan(np.asarray(X[m][start:stop], dtype=np.float32)).all(axis=1) for m in names
        ]
        return np.stack(cols, axis=1)
    if isinstance(presence, Mapping):
        return np.stack([np.asarray(presence[m][start:stop], dtype=bool) for m in names], axis=1)
    mask = np.asarray(presence, dtype=bool)[start:stop]
    order = list(X)
    if mask.ndim != 2 or mask.shape[1] != len(order):
        raise ValueError(
            f"presence must be (n_items, {len(order)}), one column per entry of X in X's "
            f"order {order}; got {mask.shape}"
        )
    return mask[:, [order.index(m) for m in names]]


def rows_as_float32(X: Embeddings, names: Sequence[str], start: int, stop: int) -> list[np.ndarray]:
    """One chunk of every modality as float32, NaN (missing) and infinities set to zero.

    Always a fresh array (the caller's matrices are never written to). One ``isfinite`` pass
    measured a third of ``np.nan_to_num``'s time, which scans three times.

    Examples
    --------
    >>> rows_as_float32({"t": np.array([[np.nan, 1.0]], "float16")}, ["t"], 0, 1)[0].tolist()
    [[0.0, 1.0]]
    """
    out = []
    for m in names:
        block = np.array(X[m][start:stop], dtype=np.float32)  # a copy, whatever the dtype
        np.copyto(block, 0.0, where=~np.isfinite(block))
        out.append(block)
    return out


def rows_as_tensors(X: Embeddings, names: Sequence[str], start: int, stop: int) -> list[Any]:
    """:func:`rows_as_float32` as torch tensors, converted by torch (fp16 twice as fast).

    Examples
    --------
    >>> rows_as_tensors({"t": np.array([[np.nan, 1.0]], "float16")}, ["t"], 0, 1)[0].tolist()
    [[0.0, 1.0]]
    """
    import warnings

    import torch

    out = []
    for m in names:
        block = np.asarray(X[m][start:stop])
        with warnings.catch_warnings():  # a read-only memmap: the copy below is writable
            warnings.simplefilter("ignore", UserWarning)
            source = torch.from_numpy(block)
        tensor = source.to(torch.float32, copy=True)
        out.append(torch.nan_to_num_(tensor, nan=0.0, posinf=0.0, neginf=0.0))
    return out


def encode_targets(y: Any, classes: np.ndarray, multi_label: bool) -> np.ndarray:
    """Class indices (single-label) or an indicator matrix (multi-label); unknown labels raise.

    Examples
    --------
    >>> import numpy as np
    >>> encode_targets(["b", "a"], np.array(["a", "b"], dtype=object), False).tolist()
    [1, 0]
    >>> encode_targets([("a", "b"), ()], np.array(["a", "b"], dtype=object), True).tolist()
    [[1.0, 1.0], [0.0, 0.0]]
    """
    index = {c: i for i, c in enumerate(classes.tolist())}
    if not multi_label:
        labels = list(y)
        unknown = sorted({str(v) for v in labels if v not in index})
        if unknown:
            raise ValueError(f"labels {unknown} are not among the classes {classes.tolist()}")
        return np.array([index[v] for v in labels], dtype=np.int64)
    arr = np.asarray(y) if not isinstance(y, list) else None
    if arr is not None and arr.ndim == 2 and arr.dtype != object:
        if arr.shape[1] != len(classes):
            raise ValueError(f"indicator y has {arr.shape[1]} columns for {len(classes)} classes")
        return arr.astype(np.float32)
    out = np.zeros((len(y), len(classes)), dtype=np.float32)
    for row, labels in enumerate(y):
        for v in [labels] if isinstance(labels, str) else labels:
            if v not in index:
                raise ValueError(f"label {v!r} (item {row}) is not among {classes.tolist()}")
            out[row, index[v]] = 1.0
    return out
