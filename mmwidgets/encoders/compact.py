"""Compact model inputs: each embedding column projected once to ~128 dims, kept as fp16.

Scoring a pool costs one pass of every row through the first layer of the fusion net, so its
cost is proportional to the input width: 1792 (text 384 + image 1280 + audio 128) in the
default setup. A PCA per column, fitted once on a seeded sample of the pool, keeps the
directions that vary (the ones a classifier can use) at a quarter of the width or less.

Wide matrices are read in blocks; a top-level ``numpy.memmap`` (as ``np.load(mmap_mode="r")``
returns for the cache's fp16 files) is read with plain file reads, so the pool's pages land in
the OS page cache and never in the process's resident memory.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "COMPACT_DIM",
    "CompactInputs",
    "Projection",
    "compact_column",
    "compact_inputs",
    "fit_projection",
    "iter_blocks",
    "read_rows",
]

#: width of each column's compact inputs
COMPACT_DIM = 128
#: rows the PCA of one column is fitted on (a seeded random sample of the present rows)
FIT_ROWS = 20_000
#: rows read, projected and written per step (8192 x 1280 float32 is 40 MB)
BLOCK_ROWS = 8_192
_FP16_MAX = float(np.finfo(np.float16).max)


@dataclass(frozen=True, eq=False)
class Projection:
    """A fitted linear map ``(x - mean) @ components.T``; ``components`` is ``(k, d)``.

    ``version`` names the method and its settings, so that inputs made by different
    projections are never mixed up.

    Examples
    --------
    >>> import numpy as np
    >>> p = Projection(np.zeros(3, "float32"), np.eye(2, 3, dtype="float32"), "pca-2-v1")
    >>> p.apply(np.ones((4, 3), "float32")).shape
    (4, 2)
    """

    mean: np.ndarray
    components: np.ndarray
    version: str

    @property
    def dim(self) -> int:
        """Width of the compact inputs."""
        return int(self.components.shape[0])

    def apply(self, block: np.ndarray) -> np.ndarray:
        """Project a ``(rows, d)`` block to float32 ``(rows, k)``; NaN rows stay NaN."""
        x = np.asarray(block, dtype=np.float32)
        return (x - self.mean) @ self.components.T  # type: ignore[no-any-return]


def iter_blocks(matrix: np.ndarray, size: int = BLOCK_ROWS) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, rows)`` blocks of ``matrix``, read without mapping a memmap's file.

    Examples
    --------
    >>> import numpy as np
    >>> [(s, b.shape) for s, b in iter_blocks(np.zeros((5, 2)), size=2)]
    [(0, (2, 2)), (2, (2, 2)), (4, (1, 2))]
    """
    n = int(matrix.shape[0])
    path = _file_backing(matrix)
    if path is None:
        for start in range(0, n, size):
            yield start, np.asarray(matrix[start : start + size])
        return
    assert isinstance(matrix, np.memmap)
    row_bytes = int(np.prod(matrix.shape[1:], dtype=np.int64)) * matrix.dtype.itemsize
    with open(path, "rb") as f:
        for start in range(0, n, size):
            rows = min(size, n - start)
            f.seek(int(matrix.offset) + start * row_bytes)
            data = f.read(rows * row_bytes)
            block = np.frombuffer(data, dtype=matrix.dtype).reshape((rows, *matrix.shape[1:]))
            yield start, block


def _file_backing(matrix: np.ndarray) -> str | None:
    """The file of a whole, C-ordered memmap (not a view into one), else None."""
    base = getattr(matrix, "base", None)
    filename = getattr(matrix, "filename", None)  # numpy types it as str, yet it may be None
    if not isinstance(matrix, np.memmap) or not isinstance(base, mmap.mmap) or not filename:
        return None
    return str(filename) if matrix.flags.c_contiguous else None


def fit_projection(
    matrix: np.ndarray, dim: int = COMPACT_DIM, *, seed: int = 0
) -> Projection | None:
    """A PCA of ``matrix`` to ``dim`` components, or None where it would not shrink the column.

    Fitted on a seeded random sample of at most ``FIT_ROWS`` rows (rows with NaN, the missing
    ones, left out). None when the column is no wider than ``dim`` or the sample has fewer than
    ``2 * dim`` usable rows: that column's inputs are then kept whole.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 40)).astype("float32")
    >>> fit_projection(X, dim=8).dim
    8
    >>> fit_projection(X, dim=64) is None  # 40 columns are narrow enough already
    True
    """
    n, width = int(matrix.shape[0]), int(matrix.shape[1])
    if width <= dim or n < 2 * dim:
        return None
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(FIT_ROWS, n), replace=False))
    # The covariance, summed block by block, then its top eigenvectors: the same components as
    # sklearn's PCA (up to sign), whose randomized SVD of a 20 000 x 1280 sample measured
    # 750 MB of transient copies here against ~20 MB for this.
    total = np.zeros(width, dtype=np.float64)
    scatter = np.zeros((width, width), dtype=np.float64)
    count = 0
    for start in range(0, len(sample), 4096):
        x = read_rows(matrix, sample[start : start + 4096])
        x = x[~np.isnan(x).any(axis=1)]
        total += x.sum(axis=0, dtype=np.float64)
        scatter += x.T @ x
        count += len(x)
    if count < 2 * dim:
        return None
    mean = total / count
    cov = scatter / count - np.outer(mean, mean)
    _, vectors = np.linalg.eigh(cov)  # ascending eigenvalues
    components = vectors[:, ::-1][:, :dim].T
    signs = np.sign(components[np.arange(dim), np.abs(components).argmax(axis=1)])
    return Projection(
        mean=mean.astype(np.float32),
        components=(components * signs[:, None]).astype(np.float32),  # a fixed sign per axis
        version=f"pca-{dim}-v1",
    )


def read_rows(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Float32 copies of some rows, read from a memmap's file without mapping its pages.

    Examples
    --------
    >>> import numpy as np
    >>> read_rows(np.arange(6.0).reshape(3, 2), np.array([0, 2])).tolist()
    [[0.0, 1.0], [4.0, 5.0]]
    """
    path = _file_backing(matrix)
    if path is None:
        return np.array(matrix[rows], dtype=np.float32)
    assert isinstance(matrix, np.memmap)
    width = int(matrix.shape[1])
    row_bytes = width * matrix.dtype.itemsize
    out = np.empty((len(rows), width), dtype=np.float32)
    with open(path, "rb") as f:
        for k, row in enumerate(rows.tolist()):
            f.seek(int(matrix.offset) + row * row_bytes)
            out[k] = np.frombuffer(f.read(row_bytes), dtype=matrix.dtype)
    return out


def compact_column(
    matrix: np.ndarray, projection: Projection | None
) -> tuple[np.ndarray, np.ndarray]:
    """The column's fp16 compact inputs and its presence (row is not NaN), in one read.

    Without a projection the rows are copied as fp16 (they are kept whole).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [np.nan, np.nan]], dtype="float32")
    >>> out, present = compact_column(X, None)
    >>> out.dtype, present.tolist()
    (dtype('float16'), [True, False])
    """
    n = int(matrix.shape[0])
    width = int(matrix.shape[1]) if projection is None else projection.dim
    out = np.empty((n, width), dtype=np.float16)
    present = np.zeros(n, dtype=bool)
    for start, block in iter_blocks(matrix):
        present[start : start + len(block)] = ~np.isnan(block).any(axis=1)
        # a fresh float32 array either way: the caller's matrix is never written to
        rows = np.array(block, dtype=np.float32) if projection is None else projection.apply(block)
        np.clip(rows, -_FP16_MAX, _FP16_MAX, out=rows)  # NaN passes through: missing stays NaN
        out[start : start + len(rows)] = rows
    return out, present


@dataclass(frozen=True, eq=False)
class CompactInputs:
    """Every column's fp16 compact inputs, presence ``(n, M)`` in ``X``'s order, projections."""

    X: dict[str, np.ndarray]
    presence: np.ndarray
    projections: dict[str, Projection | None]


def compact_inputs(
    X: Mapping[str, np.ndarray], dim: int | None = COMPACT_DIM, *, seed: int = 0
) -> CompactInputs:
    """Fit a projection per column (see :func:`fit_projection`) and apply it to every row.

    ``dim=None`` keeps every column whole (still as fp16, presence computed the same way).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = {"text": rng.normal(size=(600, 300)), "audio": rng.normal(size=(600, 16))}
    >>> c = compact_inputs(X, dim=128)
    >>> {m: v.shape for m, v in c.X.items()}, c.presence.shape
    ({'text': (600, 128), 'audio': (600, 16)}, (600, 2))
    >>> c.projections["text"].version, c.projections["audio"]
    ('pca-128-v1', None)
    """
    out: dict[str, np.ndarray] = {}
    projections: dict[str, Projection | None] = {}
    columns = []
    for j, (name, matrix) in enumerate(X.items()):
        projection = None if dim is None else fit_projection(matrix, dim, seed=seed + j)
        out[name], present = compact_column(matrix, projection)
        projections[name] = projection
        columns.append(present)
    n = next(iter(out.values())).shape[0] if out else 0
    presence = np.stack(columns, axis=1) if columns else np.zeros((n, 0), dtype=bool)
    return CompactInputs(out, presence, projections)
