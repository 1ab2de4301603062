"""What the media modules share: the error they raise, the value types they take, file reading."""

from __future__ import annotations

import os
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image

from mmwidgets.data._errors import MediaError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "AudioValue",
    "ImageValue",
    "MediaError",
    "describe",
    "is_blank_path",
    "read_file",
]

DEFAULT_MAX_PIXELS = 50_000_000
"""Largest image (width x height) loaded by default: a 50-megapixel photo decodes to ≈150 MB."""

ImageValue: TypeAlias = str | os.PathLike[str] | bytes | Image.Image | npt.NDArray[Any]
"""An image as a user hands it over: a file path, encoded bytes, a PIL image or a pixel array."""

AudioValue: TypeAlias = str | os.PathLike[str] | bytes | tuple[npt.NDArray[Any], int]
"""Audio as a user hands it over: a file path, encoded bytes, or ``(samples, sample_rate)``."""


def is_blank_path(value: object) -> bool:
    """Whether a media cell is an empty or blank path, which means "no file here".

    Examples
    --------
    >>> is_blank_path("  "), is_blank_path("cat.png"), is_blank_path(b"")
    (True, False, False)
    """
    return isinstance(value, str) and not value.strip()


def describe(value: object) -> str:
    """A short, human-readable name for a media value, for error messages.

    Examples
    --------
    >>> describe(b"abc")
    '<3 bytes>'
    >>> describe("cat.png")
    "'cat.png'"
    """
    if isinstance(value, str | os.PathLike):
        return repr(os.fspath(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Image.Image):
        return f"PIL image ({value.mode}, {value.width}x{value.height})"
    return type(value).__name__


def read_file(path: str | os.PathLike[str], kind: str) -> bytes:
    """Read a whole media file, turning OS errors into a :class:`MediaError` that names the path.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    kind : str
        ``"image"`` or ``"audio"``, used in the message.

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    MediaError
        If the file is missing, is a folder, or cannot be read.

    Examples
    --------
    >>> read_file("/no/such/file.png", "image")
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.MediaError: image file not found: '/no/such/file.png'
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise MediaError(f"{kind} file not found: {name!r}") from None
    except IsADirectoryError:
        raise MediaError(f"{kind} path is a folder, not a file: {name!r}") from None
    except OSError as e:
        raise MediaError(f"cannot read {kind} file {name!r}: {e.strerror or e}") from None
