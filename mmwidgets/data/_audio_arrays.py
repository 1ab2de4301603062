"""Audio given as ``(samples, sample_rate)``: checked and scaled to float32 in [-1, 1]."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.data._mediabase import MediaError, describe

__all__ = ["EXAMPLE", "MAX_CHANNELS", "from_tuple"]

MAX_CHANNELS = 64
EXAMPLE = "(np.zeros(16000, dtype=np.float32), 16000)"
_INT_SCALE = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0}


def from_tuple(value: tuple[Any, ...] | list[Any]) -> tuple[npt.NDArray[np.float32], int]:
    """Check a ``(samples, sample_rate)`` pair: ``(frames, channels)`` float32 and the rate.

    Examples
    --------
    >>> samples, rate = from_tuple((np.array([0, 16384], np.int16), 8000))
    >>> samples.tolist(), rate
    ([[0.0], [0.5]], 8000)
    """
    if len(value) != 2:
        raise MediaError(
            f"audio tuples are (samples, sample_rate), e.g. {EXAMPLE}; "
            f"got a {type(value).__name__} of {len(value)} items"
        )
    array, rate = value
    rate = _sample_rate(rate)
    try:
        samples = np.asarray(array)
    except (ValueError, TypeError) as e:
        raise MediaError(f"audio samples are not an array ({e}); e.g. {EXAMPLE}") from None
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
    if samples.shape[0] == 0:
        raise MediaError(f"audio {name} is empty (zero-length audio)")
    return _to_float32(samples, name), rate


def _sample_rate(rate: object) -> int:
    if not isinstance(rate, bool) and isinstance(rate, numbers.Real):
        value = float(rate)
        if np.isfinite(value) and value.is_integer() and value > 0:
            return int(value)
    raise MediaError(f"bad sample rate {rate!r}: give a positive whole number, e.g. {EXAMPLE}")


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
