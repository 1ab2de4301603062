"""Load images and audio from whatever a DataFrame cell holds, and package them for the browser.

Every function takes one value and returns one result; nothing is cached, so memory holds one
item's media at a time however large the dataset. Failures raise :class:`MediaError` with a
message that names the value and the problem.

Paths are read only when they are regular files (a folder, device such as ``/dev/zero``, named
pipe, socket, symbolic link loop or URL is a :class:`MediaError` saying so, and nothing is
read) of at most :data:`MAX_FILE_BYTES` for their kind. Audio is streamed in blocks: checking
or featurizing a long recording never holds it whole, and the browser gets at most
:data:`PLAYER_MAX_SECONDS` of a clip too large to send as it is (:data:`PLAYER_MAX_BYTES`).
"""

from __future__ import annotations

from mmwidgets.data._audio import (
    PLAYER_MAX_BYTES,
    PLAYER_MAX_SECONDS,
    AudioClip,
    audio_for_browser,
    check_audio,
    load_audio,
)
from mmwidgets.data._audio_source import AudioStream, open_audio
from mmwidgets.data._image import Thumbnail, image_thumbnail, load_image
from mmwidgets.data._mediabase import (
    DEFAULT_MAX_PIXELS,
    MAX_FILE_BYTES,
    AudioValue,
    ImageValue,
    MediaError,
    open_file,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_FILE_BYTES",
    "PLAYER_MAX_BYTES",
    "PLAYER_MAX_SECONDS",
    "AudioClip",
    "AudioStream",
    "AudioValue",
    "ImageValue",
    "MediaError",
    "Thumbnail",
    "audio_for_browser",
    "check_audio",
    "check_image",
    "image_thumbnail",
    "load_audio",
    "load_image",
    "open_audio",
    "open_file",
]


def check_image(value: ImageValue, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> str | None:
    """Fully decode an image and say what is wrong with it, if anything.

    Parameters
    ----------
    value : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray
        Anything :func:`load_image` accepts.
    max_pixels : int or None, optional
        Passed to :func:`load_image`.

    Returns
    -------
    str or None
        The problem, in words, or None when the image decodes. A truncated file is caught,
        because every pixel is decoded; the decoded image is dropped at once.

    Examples
    --------
    >>> import numpy as np
    >>> check_image(np.zeros((4, 4, 3), dtype=np.uint8)) is None
    True
    >>> check_image(b"not an image")
    'cannot decode image <12 bytes>: not a recognised image format'
    """
    try:
        load_image(value, max_pixels)
    except MediaError as e:
        return str(e)
    return None
