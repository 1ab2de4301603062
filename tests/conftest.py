"""Real media files, written fresh into each test's tmp_path (no mocks, nothing downloaded)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from mmwidgets.data import open_store

RATE = 16_000


def _tone(
    seconds: float = 1.0, rate: int = RATE, channels: int = 1, amp: float = 0.5
) -> np.ndarray:
    """A float32 sine (plus quiet noise, so lossy codecs have something to chew on)."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(0)
    wave = amp * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(t.size)
    return np.stack([wave * (1 - 0.3 * c) for c in range(channels)], axis=1).astype(np.float32)


def _encode_audio(samples: np.ndarray, rate: int, fmt: str, subtype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def _gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, axis=0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, axis=1)
    channels = [x, y, np.full_like(x, 128)]
    if mode == "RGBA":
        channels.append(np.where(x > 128, 255, 64).astype(np.uint8))  # half see-through
    return Image.fromarray(np.stack(channels, axis=2))


@dataclass(frozen=True)
class Media:
    png: Path  # 64x48 RGB
    png_rgba: Path  # 64x48, partly transparent
    jpeg: Path  # 800x600 RGB
    wav: Path  # 1 s mono 16-bit
    flac: Path  # 1 s stereo
    ogg: Path  # 1 s stereo Vorbis
    mp3: Path  # 1 s mono
    corrupt_png: Path  # random bytes named .png
    truncated_png: Path  # a real PNG cut off halfway
    truncated_ogg: Path  # first 40% of a short Ogg Vorbis file: libsndfile refuses it
    truncated_long_ogg: Path  # first 40% of a 5 s Ogg: libsndfile decodes it without complaint
    empty_wav: Path  # a valid WAV with zero frames
    missing: Path  # never created


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def media_bytes() -> dict[str, bytes]:
    """The contents of every `media` file, encoded once per test session."""
    png = _encoded(_gradient(400, 300), "PNG")
    short_ogg = _encode_audio(_tone(1.0, channels=2), RATE, "OGG", "VORBIS")
    long_ogg = _encode_audio(_tone(5.0, channels=2), RATE, "OGG", "VORBIS")
    files = {
        "png": _encoded(_gradient(64, 48), "PNG"),
        "png_rgba": _encoded(_gradient(64, 48, "RGBA"), "PNG"),
        "jpeg": _encoded(_gradient(800, 600), "JPEG", quality=90),
        "wav": _encode_audio(_tone(1.0), RATE, "WAV", "PCM_16"),
        "flac": _encode_audio(_tone(1.0, channels=2), RATE, "FLAC"),
        "ogg": short_ogg,
        "mp3": _encode_audio(_tone(1.0), RATE, "MP3"),
        "corrupt_png": np.random.default_rng(1).bytes(2000),
        "truncated_png": png[: len(png) // 2],
        "truncated_ogg": short_ogg[: int(len(short_ogg) * 0.4)],
        "truncated_long_ogg": long_ogg[: int(len(long_ogg) * 0.4)],
        "empty_wav": _encode_audio(np.zeros((0, 1), np.float32), RATE, "WAV"),
    }
    # the broken files must really be broken, in the way each test relies on
    with (
        pytest.raises(OSError, match="truncated"),
        Image.open(io.BytesIO(files["truncated_png"])) as im,
    ):
        im.load()
    with pytest.raises(sf.LibsndfileError):
        sf.read(io.BytesIO(files["truncated_ogg"]))
    partial, _ = sf.read(io.BytesIO(files["truncated_long_ogg"]))
    assert 0 < len(partial) < 5 * RATE  # libsndfile alone decodes part of it, without complaint
    return files


_NAMES = {
    "png": "rgb.png",
    "png_rgba": "rgba.png",
    "jpeg": "photo.jpg",
    "wav": "speech.wav",
    "flac": "sound.flac",
    "ogg": "sound.ogg",
    "mp3": "sound.mp3",
    "corrupt_png": "corrupt.png",
    "truncated_png": "truncated.png",
    "truncated_ogg": "truncated.ogg",
    "truncated_long_ogg": "truncated_long.ogg",
    "empty_wav": "empty.wav",
}


@pytest.fixture
def media(tmp_path: Path, media_bytes: dict[str, bytes]) -> Media:
    """Real media files in this test's tmp_path."""
    paths: dict[str, Path] = {}
    for field, name in _NAMES.items():
        paths[field] = tmp_path / name
        paths[field].write_bytes(media_bytes[field])
    return Media(**paths, missing=tmp_path / "no_such_file.png")


# --- label-store backends: every store test runs on SQLite and on a real PostgreSQL server ---


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``location(name)``: where a fresh store called ``name`` lives on this test's backend."""
    if request.param == "sqlite":
        return lambda name="l": str(tmp_path / f"{name}.sqlite")
    server = request.getfixturevalue("pg_server")
    prefix = uuid.uuid4().hex[:12]
    return lambda name="l": server.url(f"{prefix}-{name}")


@pytest.fixture
def make_store(store_location: Callable[[str], str]) -> Any:
    opened: list[Any] = []

    def make(labels: Any = ("cat", "dog", "bird"), multi_label: Any = None, name: str = "l") -> Any:
        store = open_store(store_location(name), labels=labels, multi_label=multi_label)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
