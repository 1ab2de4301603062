"""What the browser player gets: audio encoded block by block, and its waveform overview."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mmwidgets.data._audio_source import AudioStream

__all__ = ["Peaks", "encode_start"]

_VORBIS_MAX_RATE = 192_000  # libvorbis crashes the process on some higher rates (256 kHz here)
_WRITE_FRAMES = 1 << 15  # libvorbis overflows its stack on one long write (a minute at 44.1 kHz)


class Peaks:
    """The waveform overview, built block by block.

    Bucket ``i`` covers frames ``[i * n // n_peaks, (i + 1) * n // n_peaks)``, or just its
    first frame when that range is empty (a clip shorter than the bucket count), so every
    bucket has a value.

    Examples
    --------
    >>> peaks = Peaks(6, 3)
    >>> peaks.add(np.array([[0.1], [0.2], [-0.5]], np.float32))
    >>> peaks.add(np.array([[0.0], [0.3], [2.0]], np.float32))
    >>> peaks.result().tolist(), peaks.seen
    ([0.20000000298023224, 0.5, 1.0], 6)
    """

    def __init__(self, frames: int, n_peaks: int) -> None:
        starts = (np.arange(n_peaks + 1, dtype=np.int64) * frames) // n_peaks
        self._starts = starts[:-1]
        self._ends = np.maximum(starts[1:], self._starts + 1)
        self._ends[-1] = np.iinfo(np.int64).max  # frames past the declared length go last
        self._peaks = np.zeros(n_peaks, dtype=np.float32)
        self.seen = 0

    def add(self, block: npt.NDArray[np.float32]) -> None:
        envelope = np.abs(block).max(axis=1)
        first, last = self.seen, self.seen + len(envelope)
        # the buckets that overlap [first, last)
        low = int(np.searchsorted(self._ends, first, side="right"))
        high = int(np.searchsorted(self._starts, last, side="left"))
        for i in range(low, high):
            part = envelope[max(self._starts[i], first) - first : min(self._ends[i], last) - first]
            if len(part):
                self._peaks[i] = max(self._peaks[i], float(part.max()))
        self.seen = last

    def result(self) -> npt.NDArray[np.float32]:
        return np.clip(self._peaks, 0.0, 1.0).astype(np.float32)


def encode_start(stream: AudioStream, frames: int, n_peaks: int) -> tuple[bytes, str, Peaks]:
    """The first ``frames`` of ``stream`` as Ogg Vorbis (or 16-bit WAV), and their peaks."""
    if stream.sample_rate <= _VORBIS_MAX_RATE and "VORBIS" in sf.available_subtypes("OGG"):
        try:
            data, peaks = _write(stream, frames, n_peaks, "OGG", "VORBIS")
            return data, "audio/ogg", peaks
        except (sf.SoundFileError, ValueError):
            pass  # this libsndfile cannot encode it: fall back to WAV below
    data, peaks = _write(stream, frames, n_peaks, "WAV", "PCM_16")
    return data, "audio/wav", peaks


def _write(
    stream: AudioStream, frames: int, n_peaks: int, kind: str, subtype: str
) -> tuple[bytes, Peaks]:
    peaks = Peaks(frames, n_peaks)
    buffer = io.BytesIO()
    with sf.SoundFile(
        buffer, "w", stream.sample_rate, stream.channels, format=kind, subtype=subtype
    ) as out:
        for block in stream.blocks(_WRITE_FRAMES, max_frames=frames):
            peaks.add(block)
            out.write(np.clip(block, -1.0, 1.0))
    return buffer.getvalue(), peaks
