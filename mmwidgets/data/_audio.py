"""Audio: decode any accepted value to float32 samples, and package clips for the browser."""

from __future__ import annotations

import io
import numbers
import os
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mmwidgets.data._integrity import container_problem
from mmwidgets.data._mediabase import AudioValue, MediaError, describe, read_file

__all__ = ["AudioClip", "audio_for_browser", "load_audio"]

MAX_CHANNELS = 64
_VORBIS_MAX_RATE = 192_000  # libvorbis crashes the process on some higher rates (256 kHz here)
_EXAMPLE = "(np.zeros(16000, dtype=np.float32), 16000)"
_WAV_PLAYABLE = {"PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT"}
_INT_SCALE = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0}


@dataclass(frozen=True, eq=False)
class AudioClip:
    """Audio bytes a browser can play, with what a player needs to draw it.

    Attributes
    ----------
    data : bytes
        An encoded file: the original bytes when the browser plays that format, else OGG Vorbis
        (or 16-bit WAV where libsndfile cannot write Vorbis or the sample rate is too high).
    mime : str
        ``"audio/ogg"``, ``"audio/wav"``, ``"audio/flac"`` or ``"audio/mpeg"``.
    duration : float
        Length in seconds.
    sample_rate : int
        Samples per second of the decoded audio.
    peaks : numpy.ndarray
        float32 waveform overview: the largest absolute amplitude in each of ``n_peaks`` equal
        time buckets, across channels, clipped to [0, 1].
    """

    data: bytes
    mime: str
    duration: float
    sample_rate: int
    peaks: npt.NDArray[np.float32]


class _Decoded(NamedTuple):
    samples: npt.NDArray[np.float32]  # (frames, channels)
    rate: int
    encoded: bytes | None  # the source file, when there was one
    mime: str | None  # set when the browser can play ``encoded`` as it is


def load_audio(value: AudioValue, mono: bool = False) -> tuple[npt.NDArray[np.float32], int]:
    """Decode audio into float32 samples and their sample rate.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        A file path or an encoded file's bytes (WAV, FLAC, OGG Vorbis/Opus, MP3, and whatever
        else libsndfile reads), or ``(samples, sample_rate)`` where ``samples`` is 1-D or
        (frames, channels), float (nominally in [-1, 1]) or int16/int32/uint8 PCM, which is
        scaled to [-1, 1].
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
        For a missing file, undecodable or truncated data, zero-length audio, a bad sample rate
        or a malformed tuple.

    Examples
    --------
    >>> import numpy as np
    >>> samples, rate = load_audio((np.zeros((800, 2), dtype=np.int16), 8000))
    >>> samples.shape, samples.dtype, rate
    ((800, 2), dtype('float32'), 8000)
    >>> load_audio((np.ones((800, 2), dtype=np.float32), 8000), mono=True)[0].shape
    (800,)
    """
    decoded = _decode(value)
    if mono:
        return np.ascontiguousarray(decoded.samples.mean(axis=1, dtype=np.float32)), decoded.rate
    return decoded.samples, decoded.rate


def audio_for_browser(value: AudioValue, n_peaks: int = 200) -> AudioClip:
    """Package audio for a browser player: playable bytes, duration and a waveform overview.

    Files and bytes in a format Chromium plays (OGG Vorbis/Opus, PCM WAV, FLAC, MP3) pass
    through unchanged; anything else, arrays included, is encoded to OGG Vorbis.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`load_audio` accepts.
    n_peaks : int, optional
        Number of waveform buckets in :attr:`AudioClip.peaks`.

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
    """
    if isinstance(n_peaks, bool) or not isinstance(n_peaks, int) or n_peaks < 1:
        raise ValueError(f"n_peaks must be a positive int, got {n_peaks!r}")
    decoded = _decode(value)
    if decoded.encoded is not None and decoded.mime is not None:
        data, mime = decoded.encoded, decoded.mime
    else:
        data, mime = _encode(decoded.samples, decoded.rate)
    return AudioClip(
        data=data,
        mime=mime,
        duration=len(decoded.samples) / decoded.rate,
        sample_rate=decoded.rate,
        peaks=_peaks(decoded.samples, n_peaks),
    )


def _decode(value: object) -> _Decoded:
    if isinstance(value, tuple | list):
        return _from_tuple(value)
    if isinstance(value, str | os.PathLike):
        data = read_file(value, "audio")
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    else:
        hint = f"; arrays need their sample rate, e.g. {_EXAMPLE}"
        raise MediaError(
            f"cannot read audio from a {type(value).__name__}; give a file path, bytes or "
            f"(samples, sample_rate){hint if isinstance(value, np.ndarray) else ''}"
        )
    return _from_bytes(data, describe(value))


def _from_bytes(data: bytes, name: str) -> _Decoded:
    truncated = container_problem(data)
    if truncated is not None:
        raise MediaError(f"cannot decode audio {name}: {truncated}")
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            kind, subtype, rate = f.format, f.subtype, int(f.samplerate)
            samples = f.read(dtype="float32", always_2d=True)
    except sf.SoundFileError as e:
        reason = getattr(e, "error_string", None) or str(e)
        raise MediaError(f"cannot decode audio {name}: {reason}") from None
    _check_length(samples, name)
    return _Decoded(samples, rate, data, _browser_mime(kind, subtype))


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


def _from_tuple(value: tuple[Any, ...] | list[Any]) -> _Decoded:
    if len(value) != 2:
        raise MediaError(
            f"audio tuples are (samples, sample_rate), e.g. {_EXAMPLE}; "
            f"got a {type(value).__name__} of {len(value)} items"
        )
    array, rate = value
    rate = _sample_rate(rate)
    try:
        samples = np.asarray(array)
    except (ValueError, TypeError) as e:
        raise MediaError(f"audio samples are not an array ({e}); e.g. {_EXAMPLE}") from None
    name = describe(samples)
    if samples.ndim == 1:
        samples = samples[:, np.newaxis]
    if samples.ndim != 2:
        raise MediaError(f"audio {name} must be 1-D or (frames, channels)")
    if samples.shape[1] > MAX_CHANNELS:
        raise MediaError(
            f"audio {name} has {samples.shape[1]} channels; samples must be (frames, channels)"
            + (" — pass array.T" if samples.shape[0] <= MAX_CHANNELS else "")
        )
    _check_length(samples, name)
    return _Decoded(_to_float32(samples, name), rate, None, None)


def _sample_rate(rate: object) -> int:
    if not isinstance(rate, bool) and isinstance(rate, numbers.Real):
        value = float(rate)
        if np.isfinite(value) and value.is_integer() and value > 0:
            return int(value)
    raise MediaError(f"bad sample rate {rate!r}: give a positive whole number, e.g. {_EXAMPLE}")


def _to_float32(samples: npt.NDArray[Any], name: str) -> npt.NDArray[np.float32]:
    if np.issubdtype(samples.dtype, np.floating):
        if not np.isfinite(samples).all():
            raise MediaError(f"audio {name} contains NaN or infinite samples")
        return np.ascontiguousarray(samples, dtype=np.float32)
    if samples.dtype in _INT_SCALE:
        return samples.astype(np.float32) / np.float32(_INT_SCALE[samples.dtype])
    if samples.dtype == np.uint8:  # 8-bit PCM is unsigned around 128
        return ((samples.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    raise MediaError(
        f"audio {name} has an unsupported dtype; give float samples in [-1, 1] or int16 PCM"
    )


def _check_length(samples: npt.NDArray[Any], name: str) -> None:
    if samples.shape[0] == 0:
        raise MediaError(f"audio {name} is empty (zero-length audio)")


def _encode(samples: npt.NDArray[np.float32], rate: int) -> tuple[bytes, str]:
    clipped = np.clip(samples, -1.0, 1.0)
    if rate <= _VORBIS_MAX_RATE and "VORBIS" in sf.available_subtypes("OGG"):
        buffer = io.BytesIO()
        try:
            sf.write(buffer, clipped, rate, format="OGG", subtype="VORBIS")
            return buffer.getvalue(), "audio/ogg"
        except (sf.SoundFileError, ValueError):
            pass  # this libsndfile cannot encode it: fall back to WAV below
    buffer = io.BytesIO()
    sf.write(buffer, clipped, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue(), "audio/wav"


def _peaks(samples: npt.NDArray[np.float32], n_peaks: int) -> npt.NDArray[np.float32]:
    envelope = np.abs(samples).max(axis=1)
    # bucket i covers frames [starts[i], starts[i + 1]); with fewer frames than buckets,
    # reduceat repeats the frame a bucket starts on, so short clips still fill every bucket
    starts = (np.arange(n_peaks, dtype=np.int64) * len(envelope)) // n_peaks
    return np.clip(np.maximum.reduceat(envelope, starts), 0.0, 1.0).astype(np.float32)
