"""Audio encoders: log-mel statistics (default, 128-d, no weights) and the Resemblyzer voice model.

Every clip is read with :func:`mmwidgets.data.media.load_audio`, averaged to mono and resampled
to 16 kHz with soxr before any feature is computed, so the same sound gives the same embedding
whatever its file format, channel count or sample rate.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.encoders import _logmel
from mmwidgets.encoders._base import Encoder, register_encoder, resolve_device
from mmwidgets.encoders._weights import file_identity

__all__ = ["LogMelEncoder", "ResemblyzerEncoder", "load_audio_16k"]

SAMPLE_RATE = _logmel.SAMPLE_RATE
_RESEMBLYZER_HINT = "`pip install webrtcvad-wheels resemblyzer`"


def load_audio_16k(value: Any) -> npt.NDArray[np.float32]:
    """Decode an audio value to mono float32 samples at 16 kHz.

    Parameters
    ----------
    value : str, os.PathLike, bytes or tuple
        Anything :func:`mmwidgets.data.media.load_audio` accepts, e.g. ``(samples, rate)``.

    Returns
    -------
    numpy.ndarray
        1-D float32 samples at 16 kHz (channels averaged; resampled with soxr's HQ filter).

    Raises
    ------
    MediaError
        If the value cannot be decoded or holds no samples.

    Examples
    --------
    >>> tone = np.sin(np.arange(44_100) * 2 * np.pi * 440 / 44_100).astype(np.float32)
    >>> load_audio_16k((np.stack([tone, tone], axis=1), 44_100)).shape
    (16000,)
    """
    import soxr

    from mmwidgets.data.media import load_audio

    samples, rate = load_audio(value, mono=True)
    wave = np.asarray(samples, dtype=np.float32)
    if wave.ndim == 2:  # defensive: mono=True already gives 1-D
        wave = wave.mean(axis=1)
    if rate != SAMPLE_RATE:
        wave = np.asarray(soxr.resample(wave, rate, SAMPLE_RATE, quality="HQ"), dtype=np.float32)
    if not np.isfinite(wave).all():
        raise ValueError("audio contains NaN or infinite samples")
    return wave


@register_encoder("audio", "logmel", default=True)
class LogMelEncoder(Encoder):
    """Per-band mean and standard deviation of a 64-band log-mel spectrogram: 128 values.

    The spectrogram is computed with ``torch.stft`` at 16 kHz (25 ms Hann window, 10 ms hop)
    through a Slaney mel filterbank (librosa's default, built here without librosa) and put
    in decibels like ``librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=80)``. The
    first 64 values are band means (dB), the last 64 band standard deviations (dB). Fully
    deterministic: no dither, no randomness.

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

    def _load(self, value: Any) -> npt.NDArray[np.float32]:
        return load_audio_16k(value)

    def _forward(self, inputs: list[npt.NDArray[np.float32]]) -> np.ndarray:
        return _logmel.mel_stats(inputs)


@register_encoder("audio", "resemblyzer")
class ResemblyzerEncoder(Encoder):
    """Resemblyzer's pretrained speaker (voice) embedding, 256-d and L2-normalised.

    Needs the optional packages ``webrtcvad-wheels`` and ``resemblyzer``. Each clip is
    volume-normalised and its long silences trimmed by Resemblyzer's voice-activity detector;
    a clip with no detected voice (or digital silence) becomes a reported NaN row.

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
        self.version = f"resemblyzer-{release}|{file_identity(weights)}|{SAMPLE_RATE}Hz-soxr|vad"
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
        wave = load_audio_16k(value)
        if not np.any(wave):
            raise ValueError("audio is silent")
        voiced = np.asarray(preprocess_wav(wave), dtype=np.float32)  # already 16 kHz
        if voiced.size == 0:
            raise ValueError("no voice detected")
        return voiced

    def _forward(self, inputs: list[npt.NDArray[np.float32]]) -> np.ndarray:
        model = self._get_model()
        return np.stack([model.embed_utterance(wave) for wave in inputs]).astype(np.float32)
