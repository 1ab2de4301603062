"""Audio opened as a stream: format facts first, then float32 samples block by block.

Every reader of audio (the dataset check, the browser player, the encoders) goes through
:func:`open_audio`, so a three-hour recording is never decoded whole: memory holds one block
of samples (:data:`BLOCK_FRAMES` frames) at a time, whatever the clip's length.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from types import TracebackType
from typing import Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mmwidgets.data._audio_arrays import EXAMPLE, MAX_CHANNELS, from_tuple
from mmwidgets.data._integrity import container_problem
from mmwidgets.data._mediabase import MediaError, describe, open_file

__all__ = ["BLOCK_FRAMES", "AudioStream", "open_audio"]

BLOCK_FRAMES = 1 << 16
"""Frames decoded at a time when audio is streamed (≈1.4 s at 44.1 kHz; 256 kB per channel)."""

_WAV_PLAYABLE = {"PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT"}


class AudioStream:
    """One audio value, opened: its sample rate, channels and length, and its samples in blocks.

    Made by :func:`open_audio`; use it as a context manager so that its file is closed.

    Attributes
    ----------
    name : str
        The value, described for messages (a path, ``<n bytes>`` or an array's shape).
    sample_rate : int
        Samples per second.
    channels : int
        Number of channels.
    frames : int
        Length in frames, as the container declares it (or the array's length); at least 1.
    mime : str or None
        The MIME type a browser plays the encoded source as, or None (arrays, and formats
        Chromium does not play, e.g. AIFF).
    size : int or None
        Size in bytes of the encoded source; None for arrays.
    """

    def __init__(
        self,
        name: str,
        *,
        sound: sf.SoundFile | None = None,
        samples: npt.NDArray[np.float32] | None = None,
        rate: int = 0,
        source: BinaryIO | None = None,
        mime: str | None = None,
        size: int | None = None,
    ) -> None:
        self.name, self.mime, self.size = name, mime, size
        self._sound, self._samples, self._source = sound, samples, source
        if sound is not None:
            self.sample_rate, self.channels = int(sound.samplerate), int(sound.channels)
            self.frames = int(sound.frames)
        elif samples is not None:
            self.sample_rate, self.channels, self.frames = rate, samples.shape[1], len(samples)
        if self.frames <= 0:
            self.close()
            raise MediaError(f"audio {name} is empty (zero-length audio)")

    @property
    def duration(self) -> float:
        """Length in seconds (``frames / sample_rate``)."""
        return self.frames / self.sample_rate

    def blocks(
        self, block_frames: int = BLOCK_FRAMES, *, mono: bool = False, max_frames: int | None = None
    ) -> Iterator[npt.NDArray[np.float32]]:
        """The samples from the start, ``block_frames`` at a time, float32.

        Parameters
        ----------
        block_frames : int, optional
            Frames per block (the last block may be shorter).
        mono : bool, optional
            Average the channels: blocks are then 1-D.
        max_frames : int, optional
            Stop after this many frames (None: read to the end).

        Yields
        ------
        numpy.ndarray
            ``(frames, channels)`` blocks, or ``(frames,)`` with ``mono``.

        Raises
        ------
        MediaError
            When the data cannot be decoded part-way through.
        """
        self.rewind()
        left = self.frames if self._sound is None else None
        if max_frames is not None:
            left = max_frames if left is None else min(left, max_frames)
        start = 0
        while left is None or left > 0:
            want = block_frames if left is None else min(block_frames, left)
            block = self._read(start, want)
            if len(block) == 0:
                return
            start += len(block)
            if left is not None:
                left -= len(block)
            yield np.ascontiguousarray(block.mean(axis=1, dtype=np.float32)) if mono else block

    def read(self, *, mono: bool = False, max_frames: int | None = None) -> npt.NDArray[np.float32]:
        """All the samples (or the first ``max_frames``) in one array, like :meth:`blocks`."""
        self.rewind()
        if self._samples is not None:
            whole = self._samples[:max_frames]
        else:
            whole = self._read(0, -1 if max_frames is None else max_frames)
        if len(whole) == 0:
            raise MediaError(f"audio {self.name} is empty (zero-length audio)")
        return np.ascontiguousarray(whole.mean(axis=1, dtype=np.float32)) if mono else whole

    def encoded(self) -> bytes:
        """The encoded source, whole (check :attr:`size` first; arrays have none)."""
        if self._source is None:
            raise ValueError(f"audio {self.name} has no encoded source")
        self._source.seek(0)
        return self._source.read()

    def rewind(self) -> None:
        """Go back to the first frame."""
        if self._sound is not None:
            self._sound.seek(0)

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._sound is not None:
            self._sound.close()
        if self._source is not None:
            self._source.close()

    def __enter__(self) -> AudioStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _read(self, start: int, frames: int) -> npt.NDArray[np.float32]:
        if self._samples is not None:
            return self._samples[start : start + frames]
        assert self._sound is not None  # one of the two is always set
        try:
            return cast(
                npt.NDArray[np.float32],
                self._sound.read(frames, dtype="float32", always_2d=True),
            )
        except (sf.SoundFileError, RuntimeError) as e:
            reason = getattr(e, "error_string", None) or str(e)
            raise MediaError(f"cannot decode audio {self.name}: {reason}") from None


def open_audio(value: object) -> AudioStream:
    """Open an audio value for streaming: a file path, encoded bytes or ``(samples, rate)``.

    Only the container is read here (and, for Ogg and WAV, checked for truncation without
    reading the samples); samples are decoded by :meth:`AudioStream.blocks` or
    :meth:`AudioStream.read`.

    Raises
    ------
    MediaError
        For a path :func:`~mmwidgets.data._mediabase.open_file` refuses, undecodable or
        truncated data, zero-length audio, a bad sample rate or a malformed tuple.

    Examples
    --------
    >>> import numpy as np
    >>> with open_audio((np.zeros((16_000, 2), np.int16), 8_000)) as stream:
    ...     stream.duration, stream.channels, [len(b) for b in stream.blocks(6_000)]
    (2.0, 2, [6000, 6000, 4000])
    """
    if isinstance(value, tuple | list):
        samples, rate = from_tuple(value)
        return AudioStream(describe(samples), samples=samples, rate=rate)
    if isinstance(value, str | os.PathLike):
        source = open_file(value, "audio")
        try:
            return _from_source(source, describe(value), _FileView(source))
        except BaseException:
            source.close()
            raise
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return _from_source(io.BytesIO(data), describe(value), data)
    hint = f"; arrays need their sample rate, e.g. {EXAMPLE}"
    raise MediaError(
        f"cannot read audio from a {type(value).__name__}; give a file path, bytes or "
        f"(samples, sample_rate){hint if isinstance(value, np.ndarray) else ''}"
    )


class _FileView:
    """Read-only ``bytes``-like access to an open file by position, for the container check.

    The check slices, indexes and takes ``len()`` of what it is given; here each of those is
    one ``pread``, so walking the pages of a long Ogg file reads headers, not the audio.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._fd = source.fileno()
        self._size = os.fstat(self._fd).st_size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, where: int | slice) -> Any:
        if isinstance(where, slice):
            start, stop, _ = where.indices(self._size)
            return os.pread(self._fd, max(0, stop - start), start)
        at = where + self._size if where < 0 else where
        if not 0 <= at < self._size:
            raise IndexError("file position out of range")
        return os.pread(self._fd, 1, at)[0]


def _from_source(source: BinaryIO, name: str, data: bytes | _FileView) -> AudioStream:
    truncated = container_problem(cast(bytes, data))  # _FileView reads like bytes
    if truncated is not None:
        raise MediaError(f"cannot decode audio {name}: {truncated}")
    try:
        sound = sf.SoundFile(source)
    except (sf.SoundFileError, RuntimeError) as e:
        reason = getattr(e, "error_string", None) or str(e)
        raise MediaError(f"cannot decode audio {name}: {reason}") from None
    if sound.channels > MAX_CHANNELS or sound.samplerate <= 0:
        sound.close()
        raise MediaError(
            f"cannot decode audio {name}: {sound.channels} channels at {sound.samplerate} Hz"
        )
    mime = _browser_mime(sound.format, sound.subtype)
    try:
        return AudioStream(name, sound=sound, source=source, mime=mime, size=len(data))
    except MediaError:
        sound.close()
        raise


def _browser_mime(kind: str, subtype: str) -> str | None:
    if kind == "OGG" and subtype in {"VORBIS", "OPUS"}:
        return "audio/ogg"
    if kind == "WAV" and subtype in _WAV_PLAYABLE:
        return "audio/wav"
    if kind == "FLAC":
        return "audio/flac"
    if kind == "MP3" and subtype == "MPEG_LAYER_III":
        return "audio/mpeg"
    return None
