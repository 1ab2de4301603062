"""Per-modality encoders behind one interface, a registry by name, and the embedding cache.

torch, timm and sentence-transformers are imported only when an encoder that needs them is
created.
"""

from __future__ import annotations

from mmwidgets.encoders._base import (
    Encoder,
    create_encoder,
    list_encoders,
    register_encoder,
    resolve_device,
)

__all__ = [
    "Encoder",
    "create_encoder",
    "list_encoders",
    "register_encoder",
    "resolve_device",
]
