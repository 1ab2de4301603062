"""Cache keys: the media's content (its bytes, never its path) and the encoder that embeds it."""

from __future__ import annotations

import hashlib
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.data import get_modality
from mmwidgets.data.media import open_file

if TYPE_CHECKING:
    from mmwidgets.encoders._base import Encoder

__all__ = ["content_key", "encoder_key"]

_CHUNK = 1 << 20


def content_key(value: Any, modality: str) -> str:
    """A hex SHA-256 of what ``value`` *contains*, the key of its cached embeddings.

    Two paths to files with the same bytes share a key; a file rewritten with other bytes gets a
    new one. The key does not name an encoder: the cache pairs it with an encoder key.

    Parameters
    ----------
    value : str, os.PathLike, bytes, numpy.ndarray, (array, sample_rate), PIL image or number
        A text (``str`` in a modality whose cells are not media files, e.g. ``"text"``), a
        media file path (``str`` in a media modality, or any ``os.PathLike``), encoded media
        bytes, a decoded array (its dtype and shape count too), an audio array with its sample
        rate, a PIL image (its pixels, mode and size count; not how it was compressed), or a
        number (its value and type: ``1`` and ``1.0`` differ).
    modality : str
        A registered modality; its spec's ``media`` flag says whether a ``str`` is the value
        itself or a path to a file.

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    UnknownModalityError
        When ``modality`` is not registered.
    TypeError
        For a value of any other type (``None`` included: a missing value has no key).
    OSError
        When a path cannot be read.

    Examples
    --------
    >>> from mmwidgets.encoders import content_key
    >>> content_key("a koala", "text") == content_key("a koala", "text")
    True
    >>> content_key(b"RIFF...", "audio") == content_key(b"RIFF....", "audio")
    False
    """
    media = get_modality(modality).media
    digest = hashlib.sha256()
    if isinstance(value, str) and not media:
        digest.update(b"text\0")
        digest.update(value.encode("utf-8", errors="surrogatepass"))
    elif isinstance(value, (str, os.PathLike)):
        # A file hashes like its bytes: the same media given as path or as bytes shares a key.
        digest.update(b"bytes\0")
        # only a regular file within the size cap: a FIFO or /dev/zero must not hang keying
        with open_file(value, modality) as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        digest.update(b"bytes\0")
        digest.update(value)
    elif isinstance(value, np.ndarray):
        _update_array(digest, value)
    elif _is_audio_pair(value):
        _update_array(digest, np.asarray(value[0]))
        digest.update(f"sr={int(value[1])}\0".encode())
    elif _is_pil_image(value):
        digest.update(f"pil\0{value.mode}\0{value.size}\0".encode())
        digest.update(value.tobytes())
    elif isinstance(value, int | float | complex | np.number | np.bool_):
        _update_array(digest, np.asarray(value))  # a number is its 0-d array
    else:
        raise TypeError(
            f"can't make a content key for a {type(value).__name__}; expected text, a path, "
            "bytes, a numpy array, (array, sample_rate), a PIL image or a number"
        )
    return digest.hexdigest()


def encoder_key(encoder: Encoder) -> str:
    """The cache's name for an encoder's output: ``"modality/name/version"``.

    An encoder's ``version`` changes whenever its weights or preprocessing do, so a changed
    encoder never reads embeddings that its earlier self wrote.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder, encoder_key
    >>> encoder_key(create_encoder("image", "pixels")).split("|")[0]
    'image/pixels/pixels-v1'
    """
    return f"{encoder.modality}/{encoder.name}/{encoder.version}"


def _update_array(digest: Any, array: np.ndarray) -> None:
    digest.update(f"array\0{array.dtype.str}\0{array.shape}\0".encode())
    digest.update(np.ascontiguousarray(array).data)


def _is_audio_pair(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], np.ndarray)
        and isinstance(value[1], (int, float, np.integer, np.floating))
    )


def _is_pil_image(value: Any) -> bool:
    # Without PIL imported, ``value`` cannot be a PIL image: don't pay for the import.
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(value, pil.Image)
