"""Load images and audio from whatever a DataFrame cell holds, and package them for the browser.

Every function takes one value and returns one result; nothing is cached, so memory holds one
item's media at a time however large the dataset. Failures raise :class:`MediaError` with a
message that names the value and the problem.
"""

from __future__ import annotations

from mmwidgets.data._audio import AudioClip, audio_for_browser, load_audio
from mmwidgets.data._image import Thumbnail, image_thumbnail, load_image
from mmwidgets.data._mediabase import DEFAULT_MAX_PIXELS, AudioValue, ImageValue, MediaError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "AudioClip",
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


def check_audio(value: AudioValue) -> str | None:
    """Fully decode audio and say what is wrong with it, if anything.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`load_audio` accepts.

    Returns
    -------
    str or None
        The problem, in words, or None when the audio decodes. Every sample is decoded, and Ogg
        and WAV containers are checked for truncation; the samples are dropped at once.

    Examples
    --------
    >>> import numpy as np
    >>> check_audio((np.zeros(100, dtype=np.float32), 8000)) is None
    True
    >>> check_audio((np.zeros(0, dtype=np.float32), 8000))
    'audio array of shape (0,) and dtype float32 is empty (zero-length audio)'
    """
    try:
        load_audio(value)
    except MediaError as e:
        return str(e)
    return None
