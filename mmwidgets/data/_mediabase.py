"""What the media modules share: the error they raise, the value types they take, file reading.

Media files are read only when they are regular files, and only up to a size limit per kind
(:data:`MAX_FILE_BYTES`): a device such as ``/dev/zero`` never ends, a named pipe blocks its
reader until someone writes, and a folder or socket has no bytes to give, so each of those is a
:class:`MediaError` that names the path and says what it is, raised before anything is read.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from typing import Any, BinaryIO, TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image

from mmwidgets.data._errors import MediaError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_FILE_BYTES",
    "AudioValue",
    "ImageValue",
    "MediaError",
    "describe",
    "is_blank_path",
    "open_file",
    "read_file",
]

DEFAULT_MAX_PIXELS = 50_000_000
"""Largest image (width x height) loaded by default: a 50-megapixel photo decodes to ≈150 MB."""

MAX_FILE_BYTES: dict[str, int | None] = {"image": 256 << 20, "audio": 4 << 30}
"""Largest media file opened, in bytes, by kind (None: no limit); a bigger file is a problem.

``"image"``: 256 MiB. Image files are read whole before they are decoded; 256 MiB holds a
:data:`DEFAULT_MAX_PIXELS` image stored uncompressed with an alpha channel (50 megapixels x 4
bytes = 200 MB, a BMP or TIFF), so only files whose pixels would be refused anyway are refused;
photos (JPEG, PNG, WebP) are far smaller. ``"audio"``: 4 GiB, the largest a WAV file can be
(its sizes are 32-bit): ≈6.7 hours of 16-bit stereo at 44.1 kHz. Audio is decoded in blocks and
never read whole, so this limit bounds the time spent on one file, not memory.

The setting is read at every file open and is per process: change an entry before building a
Dataset or Session, e.g. ``mmwidgets.data.media.MAX_FILE_BYTES["image"] = 1 << 30``. The
worker processes of an ``executor`` keep the defaults.
"""

_O_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder, not a file"),
    (stat.S_ISFIFO, "a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "a character device, not a regular file"),
    (stat.S_ISBLK, "a block device, not a regular file"),
    (stat.S_ISSOCK, "a socket, not a regular file"),
)

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


def open_file(path: str | os.PathLike[str], kind: str) -> BinaryIO:
    """Open a media file for reading, once it is known to be a regular file within the limit.

    The path is checked with ``os.stat`` (symbolic links followed) before it is opened, so a
    device, named pipe, socket or folder is never opened; the open itself is non-blocking and
    checked again with ``fstat``, so a path swapped for a pipe in between cannot block either.

    Parameters
    ----------
    path : str or os.PathLike
        The file to open. A URL (``https://...``) is refused: nothing is downloaded.
    kind : str
        ``"image"`` or ``"audio"``: the message's noun and the key of :data:`MAX_FILE_BYTES`.

    Returns
    -------
    BinaryIO
        The open file, positioned at its start; the caller closes it.

    Raises
    ------
    MediaError
        For a missing file, a URL, a broken link or a symbolic link loop, a folder, device, pipe
        or socket, an empty file, a file over ``MAX_FILE_BYTES[kind]``, or one that cannot be
        read (permissions).

    Examples
    --------
    >>> open_file("/dev/zero", "audio")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.MediaError: audio path '/dev/zero' is a character device, not a ...
    """
    name = os.fspath(path)
    try:
        _refuse_special(os.stat(name).st_mode, name, kind)  # a device is never even opened
        fd = os.open(name, _O_FLAGS)
    except OSError as e:
        raise _os_problem(e, name, kind) from None
    try:
        info = os.fstat(fd)
        _refuse_special(info.st_mode, name, kind)  # the path changed between stat and open
        _check_size(info.st_size, name, kind)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_file(path: str | os.PathLike[str], kind: str) -> bytes:
    """Read a whole media file (a regular file within the limit), naming the path on failure.

    At most one byte more than the file's size when opened is read, so a file that grows
    while it is read is refused rather than followed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    kind : str
        ``"image"`` or ``"audio"``, used in the message and as the key of
        :data:`MAX_FILE_BYTES`.

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    MediaError
        Whatever :func:`open_file` raises, or when the file grows while it is read.

    Examples
    --------
    >>> read_file("/no/such/file.png", "image")
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.MediaError: image file not found: '/no/such/file.png'
    """
    name = os.fspath(path)
    with open_file(name, kind) as f:
        size = os.fstat(f.fileno()).st_size
        try:
            data = f.read(size + 1)
        except OSError as e:
            raise _os_problem(e, name, kind) from None
    if len(data) > size:
        raise MediaError(f"{kind} file {name!r} grew while it was read; is it still being written?")
    return data


def _refuse_special(mode: int, name: str, kind: str) -> None:
    if stat.S_ISREG(mode):
        return
    what = next((what for test, what in _NOT_REGULAR if test(mode)), "not a regular file")
    raise MediaError(f"{kind} path {name!r} is {what}{_link_note(name)}")


def _check_size(size: int, name: str, kind: str) -> None:
    if size == 0:
        raise MediaError(f"{kind} file {name!r} is empty (0 bytes)")
    limit = MAX_FILE_BYTES.get(kind)
    if limit is not None and size > limit:
        raise MediaError(
            f"{kind} file {name!r} is {size:,} bytes, over the limit of {limit:,} "
            f"(mmwidgets.data.media.MAX_FILE_BYTES[{kind!r}])"
        )


def _os_problem(error: OSError, name: str, kind: str) -> MediaError:
    if isinstance(error, FileNotFoundError):
        if _URL.match(name):
            return MediaError(
                f"{kind} path {name!r} is a URL; URLs are not fetched: download the file "
                "first and give its local path"
            )
        if os.path.islink(name):
            target = os.readlink(name)
            return MediaError(f"{kind} file not found: {name!r} is a link to missing {target!r}")
        return MediaError(f"{kind} file not found: {name!r}")
    if error.errno == errno.ELOOP:
        return MediaError(f"{kind} path {name!r} is a symbolic link loop; it never reaches a file")
    if isinstance(error, IsADirectoryError):
        return MediaError(f"{kind} path {name!r} is a folder, not a file")
    return MediaError(f"cannot read {kind} file {name!r}: {error.strerror or error}")


def _link_note(name: str) -> str:
    if not os.path.islink(name):
        return ""
    return f" (a link to {os.path.realpath(name)!r})"
