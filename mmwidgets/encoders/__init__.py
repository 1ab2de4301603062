"""Per-modality encoders behind one interface, a registry by name, and the embedding cache.

torch, timm and sentence-transformers are imported only when an encoder that needs them is
created.
"""

from __future__ import annotations

from mmwidgets.encoders._base import (
    Encoder,
    EncoderFailedError,
    create_encoder,
    list_encoders,
    register_encoder,
    resolve_device,
    unregister_encoder,
)
from mmwidgets.encoders.batch import (
    DispatchStats,
    EncodedDataset,
    EncodingCancelledError,
    EncodingJob,
    EncodingProblem,
    encode_dataset,
    encode_dataset_async,
)
from mmwidgets.encoders.cache import (
    CacheStats,
    EmbeddingCache,
    content_key,
    default_cache_dir,
    encoder_key,
)
from mmwidgets.encoders.speech import NoSpeechModelWarning, TranscriptEncoder, speech_languages

__all__ = [
    "CacheStats",
    "DispatchStats",
    "EmbeddingCache",
    "EncodedDataset",
    "Encoder",
    "EncoderFailedError",
    "EncodingCancelledError",
    "EncodingJob",
    "EncodingProblem",
    "NoSpeechModelWarning",
    "TranscriptEncoder",
    "content_key",
    "create_encoder",
    "default_cache_dir",
    "encode_dataset",
    "encode_dataset_async",
    "encoder_key",
    "list_encoders",
    "register_encoder",
    "resolve_device",
    "speech_languages",
    "unregister_encoder",
]
