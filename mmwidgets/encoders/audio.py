"""Audio encoders: log-mel statistics (default, 128-d, no weights) and the Resemblyzer voice model.

Every clip is read with :func:`mmwidgets.data.media.open_audio`, averaged to mono and resampled
to 16 kHz with soxr before any feature is computed, so the same sound gives the same embedding
whatever its file format, channel count or sample rate. Clips longer than
:data:`STREAM_ABOVE_SECONDS` are never held whole: the log-mel statistics of a long recording
are computed over all of it, block by block, and the Resemblyzer encoder uses its first
:data:`ResemblyzerEncoder.max_seconds`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.encoders import _logmel
from mmwidgets.encoders._base import Encoder, register_encoder, resolve_device
from mmwidgets.encoders._wave16k import iter_audio_16k, load_audio_16k
from mmwidgets.encoders._weights import file_identity

__all__ = [
    "STREAM_ABOVE_SECONDS",
    "LogMelEncoder",
    "ResemblyzerEncoder",
    "iter_audio_16k",
    "load_audio_16k",
]

SAMPLE_RATE = _logmel.SAMPLE_RATE  # of every wave the encoders see
STREAM_ABOVE_SECONDS = 60.0
"""Clips longer than this are featurized as a stream (bounded memory) rather than in batches."""
_RESEMBLYZER_HINT = "`pip install webrtcvad-wheels resemblyzer`"


@dataclass(frozen=True)
class _Streamed:
    """Features computed while loading (a long clip), passed through the batch forward."""

    features: npt.NDArray[np.float32]


@register_encoder("audio", "logmel", default=True)
class LogMelEncoder(Encoder):
    """Per-band mean and standard deviation of a 64-band log-mel spectrogram: 128 values.

    The spectrogram is computed with ``torch.stft`` at 16 kHz (25 ms Hann window, 10 ms hop)
    through a Slaney mel filterbank (librosa's default, built here without librosa) and put
    in decibels like ``librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=80)``. The
    first 64 values are band means (dB), the last 64 band standard deviations (dB). Fully
    deterministic: no dither, no randomness.

    The statistics cover the whole clip however long it is. Clips up to
    :data:`STREAM_ABOVE_SECONDS` are decoded whole and batched; longer ones are read twice
    in blocks (the 80 dB floor needs the clip's loudest cell first), so memory stays under
    10 MB per clip and the features equal the batched ones (20 minutes: ≈1 s of CPU).

    Parameters
    ----------
    device : str, optional
        Accepted for a uniform interface; features are computed on the CPU.
    batch_size : int, optional
        Clips per batch.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> tone = np.sin(np.arange(16_000) * 2 * np.pi * 440 / 16_000).astype(np.float32)
    >>> create_encoder("audio").encode([(tone, 16_000)]).shape
    (1, 128)
    """

    modality = "audio"
    name = "logmel"

    def __init__(self, *, device: str = "cpu", batch_size: int = 16) -> None:
        self.device = device
        self.batch_size = batch_size
        self.dim = 2 * _logmel.N_MELS
        self.version = (
            f"logmel-v1|{SAMPLE_RATE}Hz-soxr-hq-mono|hann{_logmel.N_FFT}-hop{_logmel.HOP}"
            f"|{_logmel.N_MELS}-slaney|db-top{_logmel.TOP_DB:g}|mean+std"
        )

    def _load(self, value: Any) -> npt.NDArray[np.float32] | _Streamed:
        from mmwidgets.data.media import open_audio

        with open_audio(value) as stream:
            seconds = stream.duration
        if seconds <= STREAM_ABOVE_SECONDS:
            return load_audio_16k(value)
        return _Streamed(_logmel.mel_stats_streamed(lambda: iter_audio_16k(value)))

    def _forward(self, inputs: list[npt.NDArray[np.float32] | _Streamed]) -> np.ndarray:
        out = np.empty((len(inputs), self.dim), dtype=np.float32)
        waves = [i for i, x in enumerate(inputs) if not isinstance(x, _Streamed)]
        if waves:
            out[waves] = _logmel.mel_stats([inputs[i] for i in waves])  # type: ignore[misc]
        for i, x in enumerate(inputs):
            if isinstance(x, _Streamed):
                out[i] = x.features
        return out


@register_encoder("audio", "resemblyzer")
class ResemblyzerEncoder(Encoder):
    """Resemblyzer's pretrained speaker (voice) embedding, 256-d and L2-normalised.

    Needs the optional packages ``webrtcvad-wheels`` and ``resemblyzer``. Each clip is
    volume-normalised and its long silences trimmed by Resemblyzer's voice-activity detector;
    a clip with no detected voice (or digital silence) becomes a reported NaN row. Only a
    clip's first :attr:`max_seconds` (10 minutes) are used: the model averages embeddings of
    1.6 s windows, and a longer stretch of one voice would cost memory (Resemblyzer holds the
    whole wave and its spectrogram) without telling more about who speaks.

    Parameters
    ----------
    device : str, optional
        ``"auto"`` (GPU when present), ``"cpu"`` or ``"cuda"``.
    batch_size : int, optional
        Clips per batch.

    Raises
    ------
    ImportError
        When ``resemblyzer`` (or its dependency ``webrtcvad``) is not installed.

    Examples
    --------
    Needs the optional ``voice`` extra (``pip install 'mmwidgets[voice]'``)::

        from mmwidgets.encoders import create_encoder
        create_encoder("audio", "resemblyzer").dim  # 256
    """

    modality = "audio"
    name = "resemblyzer"
    #: seconds from a clip's start that are embedded; the rest is not read
    max_seconds: float = 600.0

    def __init__(self, *, device: str = "auto", batch_size: int = 16) -> None:
        try:  # by name: an optional package, with neither stubs nor py.typed
            resemblyzer = importlib.import_module("resemblyzer")
        except ImportError as exc:  # webrtcvad missing surfaces here too
            raise ImportError(
                f"the 'resemblyzer' audio encoder needs optional packages: {_RESEMBLYZER_HINT}"
                f" ({exc})"
            ) from exc
        self.device_request = device
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.dim = 256
        weights = Path(str(resemblyzer.__file__)).resolve().parent / "pretrained.pt"
        release = importlib.metadata.version("resemblyzer")
        self.version = (
            f"resemblyzer-{release}|{file_identity(weights)}|{SAMPLE_RATE}Hz-soxr|vad"
            f"|first{self.max_seconds:g}s"
        )
        self._model: Any = None
        self._lock = threading.Lock()

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                voice_encoder = importlib.import_module("resemblyzer").VoiceEncoder
                # VoiceEncoder calls torch.load itself; torch >= 2.6 makes that weights_only
                self._model = voice_encoder(device=self.device, verbose=False)
            return self._model

    def _load(self, value: Any) -> npt.NDArray[np.float32]:
        preprocess_wav = importlib.import_module("resemblyzer").preprocess_wav
        wave = load_audio_16k(value, max_seconds=self.max_seconds)
        if not np.any(wave):
            raise ValueError("audio is silent")
        voiced = np.asarray(preprocess_wav(wave), dtype=np.float32)  # already 16 kHz
        if voiced.size == 0:
            raise ValueError("no voice detected")
        return voiced

    def _forward(self, inputs: list[npt.NDArray[np.float32]]) -> np.ndarray:
        model = self._get_model()
        return np.stack([model.embed_utterance(wave) for wave in inputs]).astype(np.float32)
