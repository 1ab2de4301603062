"""2-D layouts of the fused embeddings, computed once per method and cached."""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["Projections", "project_2d"]


def project_2d(fused: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """A 2-D layout of the fused embeddings: PCA (default) or UMAP (``umap-learn``).

    Rows that are all-NaN (items with no usable column) stay NaN.

    Examples
    --------
    >>> import numpy as np
    >>> xy = project_2d(np.random.default_rng(0).normal(size=(50, 8)).astype("float32"))
    >>> xy.shape, xy.dtype.name
    ((50, 2), 'float32')
    """
    _check_method(method)
    out = np.full((len(fused), 2), np.nan, dtype=np.float32)
    ok = ~np.isnan(fused).any(axis=1)
    X = np.asarray(fused[ok], dtype=np.float64)
    if len(X) < 2:
        return out
    if method == "pca":
        X = X - X.mean(axis=0)
        _, vectors = np.linalg.eigh(X.T @ X)  # (d, d): cheap even for a million rows
        out[ok] = (X @ vectors[:, ::-1][:, :2]).astype(np.float32)
    else:
        try:
            import umap  # type: ignore[import-not-found]
        except ImportError as e:
            raise ImportError(
                "method='umap' needs the umap-learn package: pip install umap-learn"
            ) from e
        out[ok] = umap.UMAP(n_components=2, random_state=seed).fit_transform(X)
    return out


def _check_method(method: str) -> None:
    if method not in ("pca", "umap"):
        raise ValueError(f"unknown projection {method!r}; use 'pca' or 'umap'")


class Projections:
    """Layouts by method, each computed once.

    Computed outside the lock, so a slow UMAP never blocks a reader of another method (or
    the trainer); two callers asking for the same new method at once compute it once: the
    second waits for the first.

    Examples
    --------
    >>> import numpy as np
    >>> cache = Projections()
    >>> fused = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
    >>> cache.get(fused, "pca") is cache.get(fused, "pca")
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layouts: dict[str, np.ndarray] = {}
        self._computing: dict[str, threading.Lock] = {}

    def get(self, fused: np.ndarray, method: str = "pca") -> np.ndarray:
        """The layout for ``method``, computing it on this thread if nobody has yet."""
        _check_method(method)
        with self._lock:
            if method in self._layouts:
                return self._layouts[method]
            computing = self._computing.setdefault(method, threading.Lock())
        with computing:  # only callers of this one method wait here
            with self._lock:
                if method in self._layouts:
                    return self._layouts[method]
            xy = project_2d(fused, method)
            xy.setflags(write=False)
            with self._lock:
                self._layouts[method] = xy
        return xy
