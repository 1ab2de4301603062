"""Audio: decode any accepted value to float32 samples, and package clips for the browser.

Long audio is streamed (see :mod:`mmwidgets.data._audio_source`): checking a clip holds one
block of samples at a time, and the browser gets the source file as it is only when it is
small (:data:`PLAYER_MAX_BYTES`), else at most the first :data:`PLAYER_MAX_SECONDS`, re-encoded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmwidgets.data._audio_player import Peaks, encode_start
from mmwidgets.data._audio_source import open_audio
from mmwidgets.data._mediabase import AudioValue, MediaError

__all__ = [
    "PLAYER_MAX_BYTES",
    "PLAYER_MAX_SECONDS",
    "AudioClip",
    "audio_for_browser",
    "check_audio",
    "load_audio",
]

PLAYER_MAX_BYTES = 16 << 20
"""Largest playable file sent to the browser as it is (16 MiB: a 10-minute MP3 at 192 kbit/s)."""

PLAYER_MAX_SECONDS = 300.0
"""Longest audio sent to the browser when it must be re-encoded: the first 5 minutes.

Encoding is the cost (≈5 s for 5 minutes of 44.1 kHz stereo here) and the bytes travel to the
browser with every item shown (≈3 MB of Ogg Vorbis for those 5 minutes)."""


@dataclass(frozen=True, eq=False)
class AudioClip:
    """Audio bytes a browser can play, with what a player needs to draw it.

    Attributes
    ----------
    data : bytes
        An encoded file: the original bytes when the browser plays that format and the file is
        at most ``max_bytes``, else OGG Vorbis (or 16-bit WAV where libsndfile cannot write
        Vorbis or the sample rate is too high) of at most the first ``max_seconds``.
    mime : str
        ``"audio/ogg"``, ``"audio/wav"``, ``"audio/flac"`` or ``"audio/mpeg"``.
    duration : float
        Length in seconds of the audio in ``data``.
    sample_rate : int
        Samples per second of the decoded audio.
    peaks : numpy.ndarray
        float32 waveform overview of ``data``: the largest absolute amplitude in each of
        ``n_peaks`` equal time buckets, across channels, clipped to [0, 1].
    source_duration : float or None
        Length in seconds of the whole source when ``data`` holds only its first
        ``duration`` seconds; None when ``data`` is the whole clip.
    """

    data: bytes
    mime: str
    duration: float
    sample_rate: int
    peaks: npt.NDArray[np.float32]
    source_duration: float | None = None


def load_audio(value: AudioValue, mono: bool = False) -> tuple[npt.NDArray[np.float32], int]:
    """Decode audio into float32 samples and their sample rate.

    The whole clip is decoded into memory (4 bytes per sample and channel: a 3-hour stereo
    recording at 44.1 kHz is 3.8 GB). The package's own readers never do that for long audio:
    they stream it with :func:`~mmwidgets.data.media.open_audio`, which you can use too.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        A file path or an encoded file's bytes (WAV, FLAC, OGG Vorbis/Opus, MP3, and whatever
        else libsndfile reads), or ``(samples, sample_rate)`` where ``samples`` is 1-D or
        (frames, channels), float (nominally in [-1, 1]) or int16/int32/uint8 PCM, which is
        scaled to [-1, 1]. Paths must be regular files within
        :data:`~mmwidgets.data.media.MAX_FILE_BYTES` ``["audio"]``.
    mono : bool, optional
        Average the channels and return a 1-D array.

    Returns
    -------
    samples : numpy.ndarray
        float32, shape (frames, channels), or (frames,) when ``mono`` is True.
    sample_rate : int
        Samples per second.

    Raises
    ------
    MediaError
        For a missing file or one that is not a regular file (a folder, device, pipe), a file
        over the size limit, undecodable or truncated data, zero-length audio, a bad sample
        rate or a malformed tuple.

    Examples
    --------
    >>> import numpy as np
    >>> samples, rate = load_audio((np.zeros((800, 2), dtype=np.int16), 8000))
    >>> samples.shape, samples.dtype, rate
    ((800, 2), dtype('float32'), 8000)
    >>> load_audio((np.ones((800, 2), dtype=np.float32), 8000), mono=True)[0].shape
    (800,)
    """
    with open_audio(value) as stream:
        return stream.read(mono=mono), stream.sample_rate


def check_audio(value: AudioValue) -> str | None:
    """Fully decode audio and say what is wrong with it, if anything.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`load_audio` accepts.

    Returns
    -------
    str or None
        The problem, in words, or None when the audio decodes. Every sample is decoded, one
        block at a time (memory stays small however long the clip), and Ogg and WAV
        containers are checked for truncation.

    Examples
    --------
    >>> import numpy as np
    >>> check_audio((np.zeros(100, dtype=np.float32), 8000)) is None
    True
    >>> check_audio((np.zeros(0, dtype=np.float32), 8000))
    'audio array of shape (0,) and dtype float32 is empty (zero-length audio)'
    """
    try:
        with open_audio(value) as stream:
            decoded = sum(len(block) for block in stream.blocks())
            if decoded == 0:
                return f"audio {stream.name} is empty (zero-length audio)"
    except MediaError as e:
        return str(e)
    return None


def audio_for_browser(
    value: AudioValue,
    n_peaks: int = 200,
    *,
    max_bytes: int = PLAYER_MAX_BYTES,
    max_seconds: float = PLAYER_MAX_SECONDS,
) -> AudioClip:
    """Package audio for a browser player: playable bytes, duration and a waveform overview.

    Files and bytes in a format Chromium plays (OGG Vorbis/Opus, PCM WAV, FLAC, MP3) of at
    most ``max_bytes`` pass through unchanged; anything else, arrays included, is encoded to
    OGG Vorbis, and only its first ``max_seconds`` when it is longer (then
    :attr:`AudioClip.source_duration` says how long the whole clip is). Memory holds the bytes
    sent plus one block of samples, however long the source.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`load_audio` accepts.
    n_peaks : int, optional
        Number of waveform buckets in :attr:`AudioClip.peaks`.
    max_bytes : int, optional
        Largest source passed through as it is.
    max_seconds : float, optional
        Longest audio encoded for the browser.

    Returns
    -------
    AudioClip

    Raises
    ------
    MediaError
        Whatever :func:`load_audio` raises.

    Examples
    --------
    >>> import numpy as np
    >>> tone = np.sin(np.linspace(0, 2000, 16000)).astype(np.float32) / 2
    >>> clip = audio_for_browser((tone, 16000), n_peaks=50)
    >>> clip.mime, clip.duration, clip.peaks.shape, float(clip.peaks.max()) <= 0.5
    ('audio/ogg', 1.0, (50,), True)
    >>> audio_for_browser((tone, 16000), max_seconds=0.25).source_duration
    1.0
    """
    if isinstance(n_peaks, bool) or not isinstance(n_peaks, int) or n_peaks < 1:
        raise ValueError(f"n_peaks must be a positive int, got {n_peaks!r}")
    if not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds!r}")
    with open_audio(value) as stream:
        rate = stream.sample_rate
        if stream.mime is not None and stream.size is not None and stream.size <= max_bytes:
            peaks = Peaks(stream.frames, n_peaks)
            for block in stream.blocks():
                peaks.add(block)
            data, mime, whole = stream.encoded(), stream.mime, True
        else:
            frames = min(stream.frames, max(1, int(max_seconds * rate)))
            data, mime, peaks = encode_start(stream, frames, n_peaks)
            whole = frames >= stream.frames
        if peaks.seen == 0:
            raise MediaError(f"audio {stream.name} is empty (zero-length audio)")
        return AudioClip(
            data=data,
            mime=mime,
            duration=peaks.seen / rate,
            sample_rate=rate,
            peaks=peaks.result(),
            source_duration=None if whole else stream.duration,
        )
