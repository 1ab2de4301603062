"""The fused space: every column of an item in one small vector, for diversity and cold start."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["FUSED_DIM", "fused_embeddings"]

#: width of the fused space the diversity and cold-start strategies work in
FUSED_DIM = 64


def fused_embeddings(
    X: Mapping[str, np.ndarray], presence: np.ndarray, dim: int = FUSED_DIM, seed: int = 0
) -> np.ndarray:
    """Each column L2-normalised, randomly projected to ``dim``, summed over present columns.

    A fixed Gaussian projection keeps cosine geometry (Johnson-Lindenstrauss) while making
    k-means and k-center cheap on wide concatenations (384 + 1280 + 128 dims); items with no
    usable column get NaN so strategies never pick them.

    Examples
    --------
    >>> import numpy as np
    >>> X = {"text": np.eye(3, dtype="float32")}
    >>> fused_embeddings(X, np.ones((3, 1), bool), dim=8).shape
    (3, 8)
    """
    rng = np.random.default_rng(seed)
    n = presence.shape[0]
    out = np.zeros((n, dim), dtype=np.float32)
    for j, (_name, matrix) in enumerate(X.items()):
        proj = (rng.standard_normal((matrix.shape[1], dim)) / np.sqrt(dim)).astype(np.float32)
        for start in range(0, n, 65536):
            block = np.nan_to_num(np.asarray(matrix[start : start + 65536], dtype=np.float32))
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            block = block / np.maximum(norms, 1e-12)
            out[start : start + 65536] += (block @ proj) * presence[
                start : start + 65536, j : j + 1
            ]
    out[~presence.any(axis=1)] = np.nan
    return out
