"""mmwidgets: label multimodal data in Jupyter while a fused model learns in the background.

Heavy dependencies (pandas, torch, timm, sentence-transformers) load only when first needed,
so ``import mmwidgets`` stays fast.

Examples
--------
>>> import mmwidgets
>>> mmwidgets.__version__
'0.1.0'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mmwidgets._lazy import lazy_exports

# torch's OpenMP threads spin while they wait for work. mmwidgets trains on background threads
# beside a notebook kernel, JupyterLab and a browser, and on a shared 2-core machine the
# spinning starved everyone: one small fit took 226 s instead of 6 s (measured, load ≈ 5).
# Must be set before torch loads (torch is imported lazily); a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = [
    "CacheDamagedWarning",
    "DamagedEventWarning",
    "Dashboard",
    "Dataset",
    "EmbeddingMap",
    "FusionClassifier",
    "Gallery",
    "ItemView",
    "LabelStore",
    "Labeler",
    "MMWidgetsError",
    "MediaError",
    "NotReadyError",
    "SchemaError",
    "Session",
    "StoreError",
    "UnknownItemError",
    "UnknownLabelError",
    "__version__",
    "load_sample",
]

# public name -> module that defines it; resolved on first attribute access (PEP 562)
_LAZY = {
    "Dashboard": "mmwidgets.widgets",
    "Dataset": "mmwidgets.data.dataset",
    "EmbeddingMap": "mmwidgets.widgets",
    "LabelStore": "mmwidgets.data.store",
    "FusionClassifier": "mmwidgets.fusion",
    "Gallery": "mmwidgets.widgets",
    "ItemView": "mmwidgets.widgets",
    "Labeler": "mmwidgets.widgets",
    "MMWidgetsError": "mmwidgets.exceptions",
    "MediaError": "mmwidgets.exceptions",
    "NotReadyError": "mmwidgets.exceptions",
    "Session": "mmwidgets.session",
    "SchemaError": "mmwidgets.exceptions",
    "StoreError": "mmwidgets.exceptions",
    "DamagedEventWarning": "mmwidgets.exceptions",
    "CacheDamagedWarning": "mmwidgets.exceptions",
    "UnknownItemError": "mmwidgets.exceptions",
    "UnknownLabelError": "mmwidgets.exceptions",
    "load_sample": "mmwidgets.datasets",
}

if TYPE_CHECKING:
    from mmwidgets.data.dataset import Dataset
    from mmwidgets.data.store import LabelStore
    from mmwidgets.datasets import load_sample
    from mmwidgets.exceptions import (
        CacheDamagedWarning,
        DamagedEventWarning,
        MediaError,
        MMWidgetsError,
        NotReadyError,
        SchemaError,
        StoreError,
        UnknownItemError,
        UnknownLabelError,
    )
    from mmwidgets.fusion import FusionClassifier
    from mmwidgets.session import Session
    from mmwidgets.widgets import Dashboard, EmbeddingMap, Gallery, ItemView, Labeler


__getattr__, __dir__ = lazy_exports("mmwidgets", _LAZY, globals())
