"""The data layer: datasets of multimodal items, media loading, and the durable label store.

Nothing here imports torch or any higher layer. Names load on first use (PEP 562), so importing
an error class from here does not pull in pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmwidgets._lazy import lazy_exports

__all__ = [
    "DEFAULT_CLAIM_TTL_S",
    "MODEL_ANNOTATOR",
    "RENDERERS",
    "AudioClip",
    "Dataset",
    "Event",
    "Item",
    "LabelStore",
    "LabelStoreProtocol",
    "MMWidgetsError",
    "MediaError",
    "ModalitySpec",
    "PostgresLabelStore",
    "SchemaError",
    "Thumbnail",
    "UnknownItemError",
    "UnknownLabelError",
    "UnknownModalityError",
    "WatchesConnection",
    "audio_for_browser",
    "check_audio",
    "check_image",
    "get_modality",
    "image_thumbnail",
    "list_modalities",
    "list_store_backends",
    "load_audio",
    "load_image",
    "open_store",
    "register_modality",
    "register_store_backend",
    "retry_locked",
    "unregister_modality",
    "unregister_store_backend",
]

_ERRORS = ("MMWidgetsError", "MediaError", "SchemaError", "UnknownItemError", "UnknownLabelError")
_MEDIA = (
    "AudioClip", "Thumbnail", "audio_for_browser", "check_audio", "check_image",
    "image_thumbnail", "load_audio", "load_image",
)  # fmt: skip
_MODALITIES = (
    "RENDERERS", "ModalitySpec", "get_modality", "list_modalities", "register_modality",
    "unregister_modality",
)  # fmt: skip
_LAZY = {
    **dict.fromkeys(_ERRORS, "mmwidgets.exceptions"),
    **dict.fromkeys(_MEDIA, "mmwidgets.data.media"),
    "Dataset": "mmwidgets.data.dataset",
    "Item": "mmwidgets.data.dataset",
    "UnknownModalityError": "mmwidgets.exceptions",
    **dict.fromkeys(_MODALITIES, "mmwidgets.data._modalities"),
    "LabelStore": "mmwidgets.data.store",
    "Event": "mmwidgets.data.store",
    "LabelStoreProtocol": "mmwidgets.data._store_protocol",
    "PostgresLabelStore": "mmwidgets.data._store_pg",
    "WatchesConnection": "mmwidgets.data._store_protocol",
    "DEFAULT_CLAIM_TTL_S": "mmwidgets.data._store_writes",
    "MODEL_ANNOTATOR": "mmwidgets.data._store_values",
    "retry_locked": "mmwidgets.data._store_schema",
    **dict.fromkeys(
        ("list_store_backends", "open_store", "register_store_backend", "unregister_store_backend"),
        "mmwidgets.data._store_backends",
    ),
}

if TYPE_CHECKING:
    from mmwidgets.data._errors import (
        MediaError,
        MMWidgetsError,
        SchemaError,
        UnknownItemError,
        UnknownLabelError,
    )
    from mmwidgets.data._modalities import (
        RENDERERS,
        ModalitySpec,
        get_modality,
        list_modalities,
        register_modality,
        unregister_modality,
    )
    from mmwidgets.data._store_backends import (
        list_store_backends,
        open_store,
        register_store_backend,
        unregister_store_backend,
    )
    from mmwidgets.data._store_pg import PostgresLabelStore
    from mmwidgets.data._store_protocol import LabelStoreProtocol, WatchesConnection
    from mmwidgets.data._store_schema import retry_locked
    from mmwidgets.data._store_values import MODEL_ANNOTATOR
    from mmwidgets.data._store_writes import DEFAULT_CLAIM_TTL_S
    from mmwidgets.data.dataset import Dataset, Item
    from mmwidgets.data.media import (
        AudioClip,
        Thumbnail,
        audio_for_browser,
        check_audio,
        check_image,
        image_thumbnail,
        load_audio,
        load_image,
    )
    from mmwidgets.data.store import Event, LabelStore
    from mmwidgets.exceptions import UnknownModalityError


__getattr__, __dir__ = lazy_exports("mmwidgets.data", _LAZY, globals())
