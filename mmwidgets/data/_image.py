"""Images: decode any accepted value to an RGB/RGBA PIL image, and make browser thumbnails."""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from mmwidgets.data._mediabase import (
    DEFAULT_MAX_PIXELS,
    ImageValue,
    MediaError,
    describe,
    read_file,
)

__all__ = ["Thumbnail", "image_thumbnail", "load_image"]

# what Pillow raises for broken files varies by plugin; all of these mean "cannot decode"
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


@dataclass(frozen=True)
class Thumbnail:
    """A small encoded image, ready to send to a browser as a binary buffer.

    Attributes
    ----------
    data : bytes
        The encoded image.
    mime : str
        ``"image/png"`` (when some pixel is transparent) or ``"image/jpeg"``.
    width, height : int
        Size in pixels of the encoded image.
    """

    data: bytes
    mime: str
    width: int
    height: int


def load_image(value: ImageValue, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode an image value into an RGB or RGBA PIL image.

    Parameters
    ----------
    value : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray
        A file path, an encoded file's bytes, a PIL image, or a pixel array of shape (H, W),
        (H, W, 1), (H, W, 3) or (H, W, 4): uint8 (or any integer type with values in 0-255),
        or float with values in [0, 1]. A path must be a regular file of at most
        :data:`~mmwidgets.data.media.MAX_FILE_BYTES` ``["image"]`` (256 MiB by default).
    max_pixels : int or None, optional
        Refuse images with more than this many pixels (width x height) before decoding them.
        None turns the check off; Pillow's own decompression-bomb guard
        (``PIL.Image.MAX_IMAGE_PIXELS``) still applies to files and bytes.

    Returns
    -------
    PIL.Image.Image
        A fully decoded image in mode ``"RGBA"`` when the source has an alpha channel or a
        transparent colour, else ``"RGB"``. EXIF rotation is applied.

    Raises
    ------
    MediaError
        For a missing file, a path that is not a regular file (a folder, a device such as
        ``/dev/zero``, a named pipe, a socket, a symbolic link loop, a URL), an empty file or
        one over the size limit, undecodable data, an image over ``max_pixels``, or an array
        of the wrong shape, dtype or range.

    Examples
    --------
    >>> import numpy as np
    >>> load_image(np.zeros((2, 3), dtype=np.uint8)).size
    (3, 2)
    >>> load_image(np.full((2, 2, 4), 0.5)).mode
    'RGBA'
    """
    return _load(value, max_pixels)


def _load(value: object, max_pixels: int | None, draft_side: int | None = None) -> Image.Image:
    if isinstance(value, np.ndarray):
        return _from_array(value, max_pixels)
    if isinstance(value, Image.Image):
        return _finish(value, max_pixels, describe(value))
    if isinstance(value, str | os.PathLike):
        data = read_file(value, "image")
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    else:
        raise MediaError(
            f"cannot read an image from a {type(value).__name__}; give a file path, bytes, "
            "a PIL image or a numpy array"
        )
    return _decode(data, max_pixels, describe(value), draft_side)


def image_thumbnail(
    value: ImageValue, max_side: int = 512, *, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> Thumbnail:
    """Encode a small copy of an image for the browser.

    Parameters
    ----------
    value : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray
        Anything :func:`load_image` accepts.
    max_side : int, optional
        Longest side of the thumbnail in pixels. The aspect ratio is kept and small images are
        never enlarged.
    max_pixels : int or None, optional
        Passed to :func:`load_image`.

    Returns
    -------
    Thumbnail
        PNG bytes when some pixel is not fully opaque, else JPEG (quality 85).

    Raises
    ------
    MediaError
        Whatever :func:`load_image` raises.

    Examples
    --------
    >>> import numpy as np
    >>> thumb = image_thumbnail(np.zeros((300, 1200, 3), dtype=np.uint8), max_side=400)
    >>> thumb.mime, thumb.width, thumb.height
    ('image/jpeg', 400, 100)
    """
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    image = _load(value, max_pixels, draft_side=max_side)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if image.mode == "RGBA" and np.asarray(image.getchannel("A")).min() < 255:
        image.save(buffer, format="PNG")
        mime = "image/png"
    else:
        image.convert("RGB").save(buffer, format="JPEG", quality=85)
        mime = "image/jpeg"
    return Thumbnail(buffer.getvalue(), mime, image.width, image.height)


def _decode(
    data: bytes, max_pixels: int | None, name: str, draft_side: int | None = None
) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # we enforce our own limit below; Pillow's warning would only repeat it
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise MediaError(f"image {name} is too large to decode safely: {e}") from None
    except _DECODE_ERRORS as e:
        raise MediaError(f"cannot decode image {name}: {_reason(e)}") from None
    with opened:
        _check_size(opened.width, opened.height, max_pixels, name)
        if draft_side is not None and opened.format == "JPEG":
            # decode a JPEG at 1/2, 1/4 or 1/8 scale when a thumbnail needs no more
            opened.draft("RGB", (draft_side, draft_side))
        return _finish(opened, max_pixels, name)


def _finish(image: Image.Image, max_pixels: int | None, name: str) -> Image.Image:
    """Check size, decode, apply EXIF rotation and convert to RGB/RGBA (always a new image)."""
    _check_size(image.width, image.height, max_pixels, name)
    try:
        image.load()
        image = _upright(image)
        if image.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}:
            image = _wide_to_l(image)
        transparent = image.mode in _ALPHA_MODES or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB")
    except _DECODE_ERRORS as e:
        raise MediaError(f"cannot decode image {name}: {_reason(e)}") from None


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a broken EXIF block leaves the image as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except (*_DECODE_ERRORS, KeyError, TypeError):
        return image


def _wide_to_l(image: Image.Image) -> Image.Image:
    """16-bit and float grayscale: scale to 8 bits instead of letting convert() clip at 255."""
    pixels = np.asarray(image, dtype=np.float64)
    top = 1.0 if image.mode == "F" and pixels.max(initial=0.0) <= 1.0 else 255.0
    if image.mode != "F" and pixels.max(initial=0.0) > 255:
        top = 65535.0
    scaled = np.clip(np.nan_to_num(pixels) * (255.0 / top), 0, 255).round().astype(np.uint8)
    return Image.fromarray(scaled)


def _from_array(array: npt.NDArray[Any], max_pixels: int | None) -> Image.Image:
    name = describe(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise MediaError(f"image {name} has the wrong shape; give (H, W), (H, W, 3) or (H, W, 4)")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise MediaError(f"image {name} is empty")
    _check_size(array.shape[1], array.shape[0], max_pixels, name)
    if array.dtype == np.uint8:
        pixels = array
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0.0 or array.max() > 1.0:
            raise MediaError(
                f"image {name} is a float array with values outside [0, 1] (or NaN); "
                "float pixels must lie in [0, 1], or give uint8 values 0-255"
            )
        pixels = (array * 255.0).round().astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise MediaError(
                f"image {name} has integer values outside 0-255; scale it to uint8 "
                "or to floats in [0, 1]"
            )
        pixels = array.astype(np.uint8)
    else:
        raise MediaError(f"image {name} has an unsupported dtype; give uint8 or float in [0, 1]")
    image = Image.fromarray(np.ascontiguousarray(pixels))
    return image.convert("RGBA" if image.mode == "RGBA" else "RGB")


def _check_size(width: int, height: int, max_pixels: int | None, name: str) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise MediaError(
            f"image {name} is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,} (max_pixels)"
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, UnidentifiedImageError):
        return "not a recognised image format"  # Pillow's message shows a memory address
    return str(error) or type(error).__name__
