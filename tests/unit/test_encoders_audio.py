"""Audio encoders: log-mel statistics from real files (WAV, FLAC, stereo, 44.1 kHz, broken)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mmwidgets.encoders import create_encoder
from mmwidgets.encoders._logmel import HOP, N_FFT, N_MELS, SAMPLE_RATE, log_mel, mel_filterbank
from mmwidgets.encoders._logmel import mel_stats as batch_mel_stats
from mmwidgets.encoders.audio import LogMelEncoder


def sound(rate: int, seconds: float = 2.0, pitch: float = 440.0, channels: int = 1) -> np.ndarray:
    """A tone plus a gated overtone, so the log-mel statistics have a shape worth comparing."""
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.4 * np.sin(2 * np.pi * pitch * t) + 0.2 * np.sin(2 * np.pi * 4 * pitch * t) * (
        t % 0.5 < 0.25
    )
    if channels == 1:
        return wave.astype(np.float32)
    return np.stack([wave * (1 - 0.2 * c) for c in range(channels)], axis=1).astype(np.float32)


@pytest.fixture
def logmel() -> LogMelEncoder:
    enc = create_encoder("audio")
    assert isinstance(enc, LogMelEncoder)
    return enc


def test_default_audio_encoder_is_128d_logmel(logmel: LogMelEncoder, tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, sound(SAMPLE_RATE), SAMPLE_RATE)
    out = logmel.encode([str(path)])
    assert (logmel.name, logmel.dim, out.shape, out.dtype) == ("logmel", 128, (1, 128), np.float32)
    assert np.isfinite(out).all()


def test_logmel_is_deterministic(logmel: LogMelEncoder, tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    noisy = sound(SAMPLE_RATE) + 0.05 * np.random.default_rng(3).standard_normal(2 * SAMPLE_RATE)
    sf.write(path, noisy.astype(np.float32), SAMPLE_RATE)
    first = logmel.encode([str(path)] * 3)
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(first, create_encoder("audio").encode([str(path)] * 3))


def test_wav_and_flac_of_the_same_audio_agree(logmel: LogMelEncoder, tmp_path: Path) -> None:
    wave = sound(SAMPLE_RATE)
    sf.write(tmp_path / "a.wav", wave, SAMPLE_RATE, subtype="PCM_16")
    sf.write(tmp_path / "a.flac", wave, SAMPLE_RATE, subtype="PCM_16")
    wav, flac = logmel.encode([str(tmp_path / "a.wav"), str(tmp_path / "a.flac")])
    np.testing.assert_allclose(wav, flac, atol=0.05)


def test_stereo_44k_matches_mono_16k(logmel: LogMelEncoder, tmp_path: Path) -> None:
    sf.write(tmp_path / "mono16.wav", sound(SAMPLE_RATE), SAMPLE_RATE, subtype="FLOAT")
    sf.write(tmp_path / "stereo44.wav", sound(44_100, channels=2), 44_100, subtype="FLOAT")
    sf.write(tmp_path / "other.wav", sound(SAMPLE_RATE, pitch=700.0), SAMPLE_RATE)
    mono, stereo, other = logmel.encode(
        [str(tmp_path / n) for n in ("mono16.wav", "stereo44.wav", "other.wav")]
    )
    # stereo is 0.9x the mono level: every band moves by 20 log10(0.9) dB, the shape stays
    level = 20 * np.log10(0.9)
    np.testing.assert_allclose(stereo[:N_MELS] - level, mono[:N_MELS], atol=2.0)
    np.testing.assert_allclose(stereo[N_MELS:], mono[N_MELS:], atol=2.0)
    assert np.linalg.norm(stereo - mono) < 0.2 * np.linalg.norm(other - mono)


def test_arrays_are_accepted_like_files(logmel: LogMelEncoder, tmp_path: Path) -> None:
    sf.write(tmp_path / "a.wav", sound(22_050), 22_050, subtype="FLOAT")
    from_file, from_array = logmel.encode([str(tmp_path / "a.wav"), (sound(22_050), 22_050)])
    np.testing.assert_allclose(from_file, from_array, atol=1e-4)


def test_loudest_band_is_the_tones_band(logmel: LogMelEncoder) -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    out = logmel.encode([(0.5 * np.sin(2 * np.pi * 1000 * t).astype(np.float32), SAMPLE_RATE)])
    fb = mel_filterbank()
    bin_1k = round(1000 * N_FFT / SAMPLE_RATE)
    assert int(np.argmax(out[0, :N_MELS])) == int(np.argmax(fb[:, bin_1k]))


def test_broken_audio_is_a_reported_nan_row(logmel: LogMelEncoder, tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, sound(SAMPLE_RATE), SAMPLE_RATE)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF" + np.random.default_rng(1).bytes(4000))
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 1), np.float32), SAMPLE_RATE)
    problems: list[tuple[int, str]] = []
    values = [str(corrupt), str(good), str(tmp_path / "missing.ogg"), None, str(empty)]
    out = logmel.encode(values, on_problem=lambda i, p: problems.append((i, p)))
    assert [i for i, _ in problems] == [0, 2, 3, 4]
    assert "corrupt.wav" in problems[0][1]
    assert "missing.ogg" in problems[1][1]
    assert np.isnan(out[[0, 2, 3, 4]]).all()
    assert np.isfinite(out[1]).all()


def test_mel_filterbank_is_nonnegative_and_covers_the_band() -> None:
    fb = mel_filterbank()
    assert fb.shape == (N_MELS, N_FFT // 2 + 1)
    assert (fb >= 0).all()
    assert (fb.sum(axis=1) > 0).all()  # no empty filter at 25 ms / 64 bands
    peaks = fb.argmax(axis=1)
    assert (np.diff(peaks) > 0).all()  # centres rise with the band index
    assert fb[0, 1] > 0
    assert fb[-1, -2] > 0
    assert (fb[:, 1:-1].sum(axis=0) > 0).all()  # every bin strictly inside (0, 8 kHz) is heard
    # Slaney normalisation: each triangle has unit area in Hz (up to the 40 Hz bin sampling)
    area = fb.sum(axis=1) * SAMPLE_RATE / N_FFT
    np.testing.assert_allclose(area, 1.0, atol=0.1)
    assert abs(area.mean() - 1.0) < 0.01


def test_mel_filterbank_matches_an_independent_librosa_port() -> None:
    from transformers.audio_utils import mel_filter_bank

    theirs = mel_filter_bank(
        num_frequency_bins=N_FFT // 2 + 1,
        num_mel_filters=N_MELS,
        min_frequency=0.0,
        max_frequency=SAMPLE_RATE / 2,
        sampling_rate=SAMPLE_RATE,
        norm="slaney",
        mel_scale="slaney",
    )
    np.testing.assert_allclose(mel_filterbank(), theirs.T, rtol=1e-5, atol=1e-8)


def test_log_mel_matches_an_independent_power_to_db() -> None:
    from transformers.audio_utils import mel_filter_bank, spectrogram, window_function

    wave = (0.1 * np.random.default_rng(0).standard_normal(SAMPLE_RATE)).astype(np.float32)
    wave[4000:6000] *= 20  # a loud burst, so the 80 dB floor matters
    theirs = spectrogram(
        wave,
        window_function(N_FFT, "hann"),
        frame_length=N_FFT,
        hop_length=HOP,
        power=2.0,
        center=True,
        pad_mode="constant",
        mel_filters=mel_filter_bank(
            N_FFT // 2 + 1, N_MELS, 0.0, SAMPLE_RATE / 2, SAMPLE_RATE, "slaney", "slaney"
        ),
        log_mel="dB",
        reference=1.0,
        min_value=1e-10,
        db_range=80.0,
    )
    np.testing.assert_allclose(log_mel(wave), theirs, atol=1e-3)


def test_batched_statistics_equal_one_clip_at_a_time() -> None:
    rng = np.random.default_rng(7)
    waves = [
        (rng.standard_normal(n) * scale).astype(np.float32)
        for n, scale in [(16_000, 0.1), (100, 1.0), (40_000, 0.01), (160, 0.5), (16_001, 0.2)]
    ]
    together = batch_mel_stats(waves)
    for wave, row in zip(waves, together, strict=True):
        db = log_mel(wave).astype(np.float64)
        np.testing.assert_allclose(row[:N_MELS], db.mean(axis=1), atol=1e-4)
        np.testing.assert_allclose(row[N_MELS:], db.std(axis=1), atol=1e-4)


@pytest.mark.skipif(
    importlib.util.find_spec("resemblyzer") is not None, reason="resemblyzer is installed here"
)
def test_resemblyzer_without_the_package_says_how_to_install_it() -> None:
    with pytest.raises(ImportError, match="pip install webrtcvad-wheels resemblyzer"):
        create_encoder("audio", "resemblyzer")
