"""Log-mel spectrograms in numpy + torch, built to match librosa's defaults (without librosa).

The mel filterbank is librosa's ``filters.mel(htk=False, norm="slaney")`` by construction (the
Slaney mel scale: linear below 1 kHz, logarithmic above; each triangle scaled to unit area),
the spectrogram is ``|STFT|²`` with a periodic Hann window, ``center=True`` and zero padding
(librosa ≥ 0.10's ``pad_mode="constant"``), and the log is ``librosa.power_to_db(mel,
ref=1.0, amin=1e-10, top_db=80.0)``: decibels, floored 80 dB below the clip's loudest cell.

:func:`mel_stats` batches whole clips; :func:`mel_stats_streamed` gives the same statistics for
one clip of any length read in blocks (twice: its loudest cell first, then the floored
statistics), holding about :data:`WINDOW_FRAMES` spectrogram frames at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import torch

__all__ = [
    "HOP",
    "N_FFT",
    "N_MELS",
    "SAMPLE_RATE",
    "WINDOW_FRAMES",
    "log_mel",
    "mel_filterbank",
    "mel_stats",
    "mel_stats_streamed",
]

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 64
AMIN = 1e-10
TOP_DB = 80.0
WINDOW_FRAMES = 512
"""Spectrogram frames computed at a time when a clip is streamed (≈5 s; ≈8 MB of memory)."""

# the Slaney scale: 3 mels per 200 Hz up to 1 kHz, then 27 mels per factor 6.4
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0

FloatArray = npt.NDArray[np.float64]


def hz_to_mel(hz: FloatArray) -> FloatArray:
    """Slaney mel of frequencies in Hz (librosa ``hz_to_mel(htk=False)``).

    Examples
    --------
    >>> hz_to_mel(np.array([0.0, 500.0, 1000.0, 8000.0])).round(3).tolist()
    [0.0, 7.5, 15.0, 45.246]
    """
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(hz >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: FloatArray) -> FloatArray:
    """Inverse of :func:`hz_to_mel`.

    Examples
    --------
    >>> mel_to_hz(hz_to_mel(np.array([440.0, 4000.0]))).round(6).tolist()
    [440.0, 4000.0]
    """
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _F_SP
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(mel, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log, linear)


def mel_filterbank(
    sr: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> npt.NDArray[np.float32]:
    """Slaney-normalised triangular mel filters, shape ``(n_mels, n_fft // 2 + 1)``.

    Equal to ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)``.

    Examples
    --------
    >>> fb = mel_filterbank()
    >>> fb.shape, bool((fb >= 0).all())
    ((64, 201), True)
    """
    fmax = sr / 2 if fmax is None else fmax
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(fmin)), hz_to_mel(np.array(fmax)), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # unit area per triangle
    return weights.astype(np.float32)


def log_mel(wave: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Log-mel spectrogram (dB) of a mono 16 kHz waveform, shape ``(N_MELS, frames)``.

    Examples
    --------
    >>> log_mel(np.zeros(16_000, dtype=np.float32)).shape
    (64, 101)
    """
    import torch

    db = _decibels(torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None])[0]
    return torch.maximum(db, db.max() - TOP_DB).numpy()


def mel_stats(waves: Sequence[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    """Per-band means then per-band standard deviations of :func:`log_mel`, one row per wave.

    Clips of similar length share one ``torch.stft`` call (zero-padded: with ``center=True``
    a clip's own frames see zeros past its end either way, so padding changes nothing), which
    keeps many short clips fast; each clip's statistics use its own frames only.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(len(waves), 2 * N_MELS)``.

    Examples
    --------
    >>> mel_stats([np.zeros(8_000, dtype=np.float32), np.ones(100, dtype=np.float32)]).shape
    (2, 128)
    """
    import torch

    out = np.empty((len(waves), 2 * N_MELS), dtype=np.float32)
    for group in _length_groups([len(w) for w in waves]):
        lengths = torch.tensor([len(waves[i]) for i in group])
        batch = torch.zeros((len(group), int(lengths.max())))
        for row, i in enumerate(group):
            batch[row, : len(waves[i])] = torch.from_numpy(np.asarray(waves[i], dtype=np.float32))
        db = _decibels(batch).double()
        n_frames = 1 + lengths // HOP
        valid = (torch.arange(db.shape[-1])[None, :] < n_frames[:, None])[:, None, :]
        peak = db.masked_fill(~valid, -torch.inf).amax(dim=(1, 2), keepdim=True)
        db = torch.maximum(db, peak - TOP_DB)
        count = n_frames[:, None].double()
        mean = (db * valid).sum(dim=-1) / count
        std = ((((db - mean[..., None]) ** 2) * valid).sum(dim=-1) / count).sqrt()
        out[group] = torch.cat([mean, std], dim=1).float().numpy()
    return out


def mel_stats_streamed(
    open_wave: Callable[[], Iterable[npt.NDArray[np.float32]]],
) -> npt.NDArray[np.float32]:
    """:func:`mel_stats` of one clip of any length, read in blocks; memory stays bounded.

    ``open_wave()`` must give the clip's mono 16 kHz samples from the start, in blocks of any
    size, each time it is called: it is called twice, because the 80 dB floor depends on the
    clip's loudest cell, known only once every frame has been seen. The frames are those of
    one ``torch.stft(center=True)`` over the whole clip, so the result equals
    :func:`mel_stats` up to float rounding (means and variances are merged window by window).

    Returns
    -------
    numpy.ndarray
        float32, shape ``(2 * N_MELS,)``.

    Examples
    --------
    >>> wave = np.sin(np.arange(48_000) / 7.0).astype(np.float32)
    >>> streamed = mel_stats_streamed(lambda: np.array_split(wave, 5))
    >>> bool(np.allclose(streamed, mel_stats([wave])[0], atol=1e-3))
    True
    """
    peak = -np.inf
    for db in _streamed_decibels(open_wave()):
        peak = max(peak, float(db.max()))
    floor = peak - TOP_DB
    count = 0
    mean = np.zeros(N_MELS)
    squares = np.zeros(N_MELS)  # sum of squared deviations from the running mean
    for db in _streamed_decibels(open_wave()):
        cells = np.maximum(db.double().numpy(), floor)
        n = cells.shape[1]
        window_mean = cells.mean(axis=1)
        window_squares = ((cells - window_mean[:, None]) ** 2).sum(axis=1)
        delta, total = window_mean - mean, count + n
        mean += delta * (n / total)
        squares += window_squares + delta**2 * (count * n / total)
        count = total
    return np.concatenate([mean, np.sqrt(squares / count)]).astype(np.float32)


def _streamed_decibels(blocks: Iterable[npt.NDArray[np.float32]]) -> Iterator[torch.Tensor]:
    """Unfloored ``(N_MELS, frames)`` decibels of a streamed wave, ``WINDOW_FRAMES`` at a time.

    The wave is padded with ``N_FFT // 2`` zeros at both ends, as ``center=True`` does, and cut
    into overlapping segments whose frames are exactly the whole clip's frames.
    """
    import torch

    step = WINDOW_FRAMES * HOP
    need = N_FFT + (WINDOW_FRAMES - 1) * HOP
    pending = [np.zeros(N_FFT // 2, dtype=np.float32)]
    have = N_FFT // 2
    for block in blocks:
        pending.append(np.asarray(block, dtype=np.float32))
        have += len(block)
        if have < need:
            continue
        buffer = np.concatenate(pending)
        while len(buffer) >= need:
            yield _decibels(torch.from_numpy(buffer[None, :need]), center=False)[0]
            buffer = buffer[step:]
        pending, have = [buffer], len(buffer)
    buffer = np.concatenate([*pending, np.zeros(N_FFT // 2, dtype=np.float32)])
    if len(buffer) >= N_FFT:
        yield _decibels(torch.from_numpy(buffer[None]), center=False)[0]


def _decibels(batch: torch.Tensor, center: bool = True) -> torch.Tensor:
    """``10 log10(mel power)`` of a ``(n, samples)`` batch, ``(n, N_MELS, frames)``, unfloored."""
    import torch

    spec = torch.stft(
        batch,
        n_fft=N_FFT,
        hop_length=HOP,
        window=torch.hann_window(N_FFT, periodic=True),
        center=center,
        pad_mode="constant",
        return_complex=True,
    )
    mel = torch.matmul(_filterbank(), spec.real.square() + spec.imag.square())
    return 10.0 * torch.log10(torch.clamp(mel, min=AMIN))


def _length_groups(lengths: list[int], budget: int = 1 << 22) -> list[list[int]]:
    """Indices grouped by similar length, each group at most ``budget`` padded samples."""
    groups: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if groups and lengths[i] * (len(groups[-1]) + 1) <= budget:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


@functools.cache
def _filterbank() -> torch.Tensor:
    import torch

    return torch.from_numpy(mel_filterbank())
