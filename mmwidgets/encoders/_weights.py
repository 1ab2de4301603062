"""Identify model weights for encoder versions: a file's content hash, or a module's parameters."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["file_identity", "module_identity"]

# (real path, size, mtime_ns) -> identity; hashing a 90 MB file costs ~0.1 s, so do it once
_FILE_IDS: dict[tuple[str, int, int], str] = {}


def file_identity(path: str | os.PathLike[str], digits: int = 12) -> str:
    """``"sha256:<prefix>"`` of a weights file's contents, cached while the file is unchanged.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     _ = f.write(b"weights")
    ...     f.flush()
    ...     file_identity(f.name)
    'sha256:9a129038d9a0'
    """
    real = os.path.realpath(path)
    stat = os.stat(real)
    key = (real, stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_IDS:
        digest = hashlib.sha256()
        with open(real, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _FILE_IDS[key] = "sha256:" + digest.hexdigest()[:digits]
    return _FILE_IDS[key]


def module_identity(module: torch.nn.Module, digits: int = 12) -> str:
    """``"params:<prefix>"``: a hash of a module's state dict (names, shapes and values).

    Used where the weights came from somewhere we cannot name by a file (a hub cache, a
    seeded random initialisation), so that different weights never share a cache entry.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> module_identity(torch.nn.Linear(2, 2)).startswith("params:")
    True
    """
    import torch

    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        # viewed as bytes so that every dtype (bfloat16 included) hashes the same way
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return "params:" + digest.hexdigest()[:digits]
