"""The data layer: datasets of multimodal items, media loading, and the durable label store.

Nothing here imports torch or any higher layer.
"""

from __future__ import annotations

from mmwidgets.data._errors import (
    MMWidgetsError,
    SchemaError,
    UnknownItemError,
    UnknownLabelError,
)
from mmwidgets.data.dataset import Dataset
from mmwidgets.data.media import AudioClip, Thumbnail, audio_for_browser, image_thumbnail, load_audio, load_image
from mmwidgets.data.store import LabelStore

__all__ = [
    "AudioClip",
    "Dataset",
    "LabelStore",
    "MMWidgetsError",
    "SchemaError",
    "Thumbnail",
    "UnknownItemError",
    "UnknownLabelError",
    "audio_for_browser",
    "image_thumbnail",
    "load_audio",
    "load_image",
]
