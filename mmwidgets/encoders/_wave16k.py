"""Audio as the encoders see it: mono float32 at 16 kHz, whole or block by block."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.encoders._logmel import SAMPLE_RATE

__all__ = ["iter_audio_16k", "load_audio_16k"]


def load_audio_16k(value: Any, *, max_seconds: float | None = None) -> npt.NDArray[np.float32]:
    """Decode an audio value to mono float32 samples at 16 kHz.

    The result holds the whole clip (64 kB per second); :func:`iter_audio_16k` gives the same
    samples in blocks.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`mmwidgets.data.media.load_audio` accepts, e.g. ``(samples, rate)``.
    max_seconds : float, optional
        Decode only the clip's first ``max_seconds`` (None: all of it).

    Returns
    -------
    numpy.ndarray
        1-D float32 samples at 16 kHz (channels averaged; resampled with soxr's HQ filter).

    Raises
    ------
    MediaError
        If the value cannot be decoded or holds no samples.
    ValueError
        If the decoded samples hold NaN or infinity.

    Examples
    --------
    >>> tone = np.sin(np.arange(44_100) * 2 * np.pi * 440 / 44_100).astype(np.float32)
    >>> load_audio_16k((np.stack([tone, tone], axis=1), 44_100)).shape
    (16000,)
    >>> load_audio_16k((tone, 44_100), max_seconds=0.5).shape
    (8000,)
    """
    import soxr

    from mmwidgets.data.media import open_audio

    with open_audio(value) as stream:
        rate = stream.sample_rate
        limit = None if max_seconds is None else max(1, round(max_seconds * rate))
        wave = stream.read(mono=True, max_frames=limit)
    if rate != SAMPLE_RATE:
        wave = np.asarray(soxr.resample(wave, rate, SAMPLE_RATE, quality="HQ"), dtype=np.float32)
    _check_finite(wave)
    return _at_least_one_sample(wave)


def iter_audio_16k(
    value: Any, *, max_seconds: float | None = None
) -> Iterator[npt.NDArray[np.float32]]:
    """Decode an audio value to mono float32 samples at 16 kHz, one block at a time.

    Memory holds one block (≈1.4 s of the source) however long the clip; the blocks joined
    equal :func:`load_audio_16k` (soxr's streaming resampler gives the same samples).

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`mmwidgets.data.media.load_audio` accepts.
    max_seconds : float, optional
        Stop after the clip's first ``max_seconds`` (None: all of it).

    Yields
    ------
    numpy.ndarray
        1-D float32 blocks at 16 kHz, none of them empty.

    Raises
    ------
    MediaError
        If the value cannot be decoded (raised when the first block is asked for).
    ValueError
        If a block holds NaN or infinity.

    Examples
    --------
    >>> tone = np.sin(np.arange(200_000) / 5.0).astype(np.float32)
    >>> blocks = list(iter_audio_16k((tone, 48_000)))
    >>> sum(len(b) for b in blocks), bool(np.allclose(np.concatenate(blocks),
    ...                                               load_audio_16k((tone, 48_000))))
    (66667, True)
    """
    import soxr

    from mmwidgets.data.media import open_audio

    with open_audio(value) as stream:
        rate = stream.sample_rate
        limit = None if max_seconds is None else max(1, round(max_seconds * rate))
        resampler = None
        if rate != SAMPLE_RATE:
            resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        yielded = False
        for block in stream.blocks(mono=True, max_frames=limit):
            wave = block if resampler is None else resampler.resample_chunk(block, last=False)
            _check_finite(wave)
            if len(wave):
                yielded = True
                yield wave
        tail = np.zeros(0, np.float32)
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            _check_finite(tail)
        if len(tail) or not yielded:
            yield _at_least_one_sample(np.asarray(tail, dtype=np.float32))


def _check_finite(wave: npt.NDArray[np.float32]) -> None:
    if not np.isfinite(wave).all():
        raise ValueError("audio contains NaN or infinite samples")


def _at_least_one_sample(wave: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    # resampling a clip of a few samples down to 16 kHz can leave none; one silent sample
    # keeps it a (very short) clip with features, as its length rounds to zero anyway
    return wave if len(wave) else np.zeros(1, dtype=np.float32)
