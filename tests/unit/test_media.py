import io
import struct
import zlib

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from mmwidgets.data import MMWidgetsError
from mmwidgets.data.media import (
    AudioClip,
    MediaError,
    Thumbnail,
    audio_for_browser,
    check_audio,
    check_image,
    image_thumbnail,
    load_audio,
    load_image,
)

RATE = 16_000  # the rate of the audio files in the `media` fixture


def tone(seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.stack([wave] * channels, axis=1).astype(np.float32)


def encode_audio(samples: np.ndarray, rate: int, fmt: str, subtype: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    row = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = np.stack([np.tile(row, (height, 1))] * len(mode), axis=2)
    return Image.fromarray(pixels)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size, with almost no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


# --- load_image ------------------------------------------------------------------------------


def test_media_error_is_a_value_error_and_an_mmwidgets_error():
    assert issubclass(MediaError, MMWidgetsError)
    assert issubclass(MediaError, ValueError)


@pytest.mark.parametrize("as_type", [str, lambda p: p])
def test_load_image_from_path_str_and_pathlib(media, as_type):
    image = load_image(as_type(media.png))
    assert image.mode == "RGB"
    assert image.size == (64, 48)
    with Image.open(media.png) as original:
        assert np.array_equal(np.asarray(image), np.asarray(original))


def test_load_image_from_bytes_and_pil(media):
    from_bytes = load_image(media.jpeg.read_bytes())
    assert (from_bytes.mode, from_bytes.size) == ("RGB", (800, 600))
    from_pil = load_image(gradient(10, 5, "RGBA"))
    assert (from_pil.mode, from_pil.size) == ("RGBA", (10, 5))


def test_load_image_keeps_alpha_of_rgba_png(media):
    image = load_image(media.png_rgba)
    assert image.mode == "RGBA"
    assert np.asarray(image)[:, :, 3].min() == 64


@pytest.mark.parametrize(
    ("array", "mode", "pixel"),
    [
        (np.full((4, 6), 200, np.uint8), "RGB", (200, 200, 200)),
        (np.full((4, 6, 1), 7, np.uint8), "RGB", (7, 7, 7)),
        (np.full((4, 6, 3), (1, 2, 3), np.uint8), "RGB", (1, 2, 3)),
        (np.full((4, 6, 4), (1, 2, 3, 4), np.uint8), "RGBA", (1, 2, 3, 4)),
        (np.full((4, 6, 3), 0.5, np.float32), "RGB", (128, 128, 128)),
        (np.ones((4, 6), np.float64), "RGB", (255, 255, 255)),
        (np.full((4, 6, 3), 9, np.int64), "RGB", (9, 9, 9)),
    ],
)
def test_load_image_from_arrays(array, mode, pixel):
    image = load_image(array)
    assert image.mode == mode
    assert image.size == (6, 4)
    assert image.getpixel((5, 3)) == pixel


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.full((4, 4, 3), 1.5), r"outside \[0, 1\]"),
        (np.full((4, 4, 3), -0.1, np.float32), r"outside \[0, 1\]"),
        (np.full((4, 4), np.nan), "NaN"),
        (np.full((4, 4), 300, np.int32), "outside 0-255"),
        (np.zeros((4, 4, 2), np.uint8), "wrong shape"),
        (np.zeros(16, np.uint8), "wrong shape"),
        (np.zeros((0, 4), np.uint8), "empty"),
        (np.zeros((4, 4), bool), "unsupported dtype"),
    ],
)
def test_load_image_rejects_bad_arrays(array, words):
    with pytest.raises(MediaError, match=words) as caught:
        load_image(array)
    assert "array of shape" in str(caught.value)


def test_load_image_missing_file_names_the_path(media):
    with pytest.raises(MediaError, match="not found") as caught:
        load_image(media.missing)
    assert str(media.missing) in str(caught.value)


def test_load_image_folder_is_not_a_file(tmp_path):
    with pytest.raises(MediaError, match="folder"):
        load_image(tmp_path)


@pytest.mark.parametrize("name", ["corrupt_png", "truncated_png"])
def test_load_image_corrupt_and_truncated(media, name):
    with pytest.raises(MediaError, match="cannot decode image"):
        load_image(getattr(media, name))


def test_load_image_rejects_other_types():
    with pytest.raises(MediaError, match="int"):
        load_image(42)  # type: ignore[arg-type]


def test_pixel_limit_applies_before_decoding(media):
    assert load_image(media.jpeg, max_pixels=800 * 600).size == (800, 600)
    with pytest.raises(MediaError, match=r"800x600 = 480,000 pixels.*over the limit of 100,000"):
        load_image(media.jpeg, max_pixels=100_000)
    with pytest.raises(MediaError, match="over the limit"):
        load_image(np.zeros((400, 400), np.uint8), max_pixels=1000)
    with pytest.raises(MediaError, match="over the limit"):
        load_image(gradient(400, 400), max_pixels=1000)
    assert load_image(media.jpeg, max_pixels=None).size == (800, 600)


def test_default_pixel_limit_refuses_header_bombs_without_decoding():
    with pytest.raises(MediaError, match="over the limit of 50,000,000"):
        load_image(png_header_only(10_000, 10_000))


def test_pillow_decompression_bomb_error_becomes_media_error():
    # 400 megapixels is beyond Pillow's own hard limit; with our limit off, Pillow's fires
    with pytest.raises(MediaError, match="too large to decode safely"):
        load_image(png_header_only(20_000, 20_000), max_pixels=None)


def test_load_image_applies_exif_rotation():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    gradient(40, 20).save(buffer, format="JPEG", exif=exif)
    assert load_image(buffer.getvalue()).size == (20, 40)


def test_load_image_scales_16_bit_grayscale():
    deep = Image.fromarray(np.full((3, 3), 65535, np.uint16))
    buffer = io.BytesIO()
    deep.save(buffer, format="PNG")
    image = load_image(buffer.getvalue())
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_palette_png_with_transparency_is_rgba():
    image = gradient(8, 8).convert("P")
    image.info["transparency"] = 0
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    assert load_image(buffer.getvalue()).mode == "RGBA"


def test_check_image_returns_problem_text_or_none(media):
    assert check_image(media.png) is None
    assert check_image(np.zeros((2, 2), np.uint8)) is None
    assert "truncated" in check_image(media.truncated_png)
    assert "not a recognised image format" in check_image(media.corrupt_png)
    assert "not found" in check_image(media.missing)
    assert "over the limit" in check_image(media.jpeg, max_pixels=10)


# --- image_thumbnail -------------------------------------------------------------------------


def decode(thumb: Thumbnail) -> Image.Image:
    image = Image.open(io.BytesIO(thumb.data))
    image.load()
    return image


def test_thumbnail_is_bounded_keeps_aspect_and_is_jpeg_for_rgb(media):
    thumb = image_thumbnail(media.jpeg, max_side=200)
    assert isinstance(thumb, Thumbnail)
    assert (thumb.mime, thumb.width, thumb.height) == ("image/jpeg", 200, 150)
    image = decode(thumb)
    assert (image.format, image.size) == ("JPEG", (200, 150))


def test_thumbnail_of_tall_image_bounds_the_height():
    thumb = image_thumbnail(np.zeros((1000, 250, 3), np.uint8), max_side=100)
    assert (thumb.width, thumb.height) == (25, 100)


def test_thumbnail_is_png_when_transparent(media):
    thumb = image_thumbnail(media.png_rgba, max_side=32)
    assert (thumb.mime, thumb.width, thumb.height) == ("image/png", 32, 24)
    image = decode(thumb)
    assert (image.format, image.mode) == ("PNG", "RGBA")
    assert np.asarray(image)[:, :, 3].min() < 255


def test_thumbnail_of_opaque_rgba_is_jpeg():
    thumb = image_thumbnail(np.full((10, 10, 4), 255, np.uint8))
    assert thumb.mime == "image/jpeg"


def test_thumbnail_never_upscales(media):
    thumb = image_thumbnail(media.png, max_side=512)
    assert (thumb.width, thumb.height) == (64, 48)
    assert decode(thumb).size == (64, 48)


def test_thumbnail_rejects_bad_max_side(media):
    with pytest.raises(ValueError, match="max_side"):
        image_thumbnail(media.png, max_side=0)


def test_thumbnail_raises_media_error_for_bad_files(media):
    with pytest.raises(MediaError):
        image_thumbnail(media.corrupt_png)


# --- load_audio ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "channels"), [("wav", 1), ("flac", 2), ("ogg", 2), ("mp3", 1)])
def test_load_audio_from_files(media, name, channels):
    samples, rate = load_audio(getattr(media, name))
    assert rate == RATE
    assert samples.dtype == np.float32
    assert samples.ndim == 2
    assert samples.shape[1] == channels
    assert abs(samples.shape[0] - RATE) < RATE * 0.1  # mp3 pads a little
    assert 0.3 < np.abs(samples).max() <= 1.0


def test_load_audio_from_path_str_and_bytes_agree(media):
    from_path, _ = load_audio(str(media.flac))
    from_bytes, _ = load_audio(media.flac.read_bytes())
    assert np.array_equal(from_path, from_bytes)
    direct, _ = sf.read(media.flac, dtype="float32", always_2d=True)
    assert np.array_equal(from_path, direct)


def test_load_audio_mono_averages_channels(media):
    stereo, _ = load_audio(media.flac)
    mono, _ = load_audio(media.flac, mono=True)
    assert mono.shape == (stereo.shape[0],)
    assert mono.dtype == np.float32
    assert np.allclose(mono, stereo.mean(axis=1), atol=1e-6)


def test_load_audio_from_tuples():
    mono, rate = load_audio((tone(0.5)[:, 0], 8000))
    assert (mono.shape, rate) == ((8000, 1), 8000)
    stereo, _ = load_audio((tone(0.5, channels=2), 16000))
    assert stereo.shape == (8000, 2)
    from_list, rate = load_audio(([[0.5, -0.5]], 8000.0))
    assert (from_list.shape, from_list.dtype, rate) == ((1, 2), np.float32, 8000)
    pcm16, _ = load_audio((np.array([-32768, 0, 16384], np.int16), 8000))
    assert pcm16[:, 0].tolist() == [-1.0, 0.0, 0.5]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ((np.zeros(10, np.float32),), "tuples are \\(samples, sample_rate\\)"),
        ((np.zeros(10, np.float32), 0), "bad sample rate 0"),
        ((np.zeros(10, np.float32), -8000), "bad sample rate"),
        ((np.zeros(10, np.float32), 22050.5), "bad sample rate"),
        ((np.zeros(10, np.float32), "16k"), "bad sample rate"),
        ((np.zeros(10, np.float32), True), "bad sample rate"),
        ((np.zeros((2, 16000), np.float32), 16000), "pass array.T"),
        ((np.zeros((2, 2, 2), np.float32), 16000), "1-D or \\(frames, channels\\)"),
        ((np.array([0.0, np.nan], np.float32), 16000), "NaN"),
        ((np.zeros(10, np.complex64), 16000), "unsupported dtype"),
        ((np.array([1, 2, 3], np.int64), 16000), "dtype int64 has an unsupported dtype"),
        ((np.zeros(0, np.float32), 16000), "zero-length"),
        (np.zeros(10, np.float32), "need their sample rate"),
        (3.5, "cannot read audio from a float"),
    ],
)
def test_load_audio_rejects_bad_values(value, words):
    with pytest.raises(MediaError, match=words):
        load_audio(value)


def test_load_audio_missing_file(media):
    with pytest.raises(MediaError, match="audio file not found") as caught:
        load_audio(media.missing)
    assert str(media.missing) in str(caught.value)


def test_load_audio_zero_length_file(media):
    with pytest.raises(MediaError, match="zero-length"):
        load_audio(media.empty_wav)


def test_load_audio_undecodable(media):
    with pytest.raises(MediaError, match="cannot decode audio"):
        load_audio(media.png)
    with pytest.raises(MediaError, match="cannot decode audio"):
        load_audio(b"")


@pytest.mark.parametrize("name", ["truncated_ogg", "truncated_long_ogg"])
def test_load_audio_truncated_ogg(media, name):
    with pytest.raises(MediaError, match="truncated Ogg"):
        load_audio(getattr(media, name))


def test_load_audio_truncated_wav(media):
    data = encode_audio(tone(1.0), RATE, "WAV", "PCM_16")
    assert len(sf.read(io.BytesIO(data[: len(data) // 2]))[0]) > 0  # libsndfile alone misses it
    with pytest.raises(MediaError, match="truncated WAV"):
        load_audio(data[: len(data) // 2])


def test_check_audio(media):
    assert check_audio(media.ogg) is None
    assert check_audio((tone(0.1), RATE)) is None
    assert "truncated Ogg" in check_audio(media.truncated_long_ogg)
    assert "zero-length" in check_audio(media.empty_wav)
    assert "not found" in check_audio(media.missing)


# --- audio_for_browser -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime"),
    [("ogg", "audio/ogg"), ("wav", "audio/wav"), ("flac", "audio/flac"), ("mp3", "audio/mpeg")],
)
def test_audio_for_browser_passes_playable_files_through(media, name, mime):
    path = getattr(media, name)
    clip = audio_for_browser(path)
    assert isinstance(clip, AudioClip)
    assert clip.mime == mime
    assert clip.data == path.read_bytes()
    assert clip.sample_rate == RATE
    assert clip.duration == pytest.approx(1.0, abs=0.1)


def test_audio_for_browser_passes_ogg_bytes_through(media):
    data = media.ogg.read_bytes()
    clip = audio_for_browser(data)
    assert (clip.mime, clip.data) == ("audio/ogg", data)


def test_audio_for_browser_encodes_arrays_to_ogg():
    samples = tone(2.0, channels=2)
    clip = audio_for_browser((samples, RATE))
    assert clip.mime == "audio/ogg"
    assert clip.data[:4] == b"OggS"
    decoded, rate = sf.read(io.BytesIO(clip.data), dtype="float32")
    assert (decoded.shape, rate) == (samples.shape, RATE)
    assert clip.duration == 2.0


def test_audio_for_browser_reencodes_unplayable_formats():
    aiff = encode_audio(tone(0.5), RATE, "AIFF", "PCM_16")
    clip = audio_for_browser(aiff)
    assert clip.mime == "audio/ogg"
    assert clip.data != aiff


def test_audio_for_browser_falls_back_to_wav_above_vorbis_rates():
    clip = audio_for_browser((np.zeros(300_000, np.float32), 300_000))
    assert clip.mime == "audio/wav"
    info = sf.info(io.BytesIO(clip.data))
    assert (info.format, info.subtype, info.samplerate) == ("WAV", "PCM_16", 300_000)


def test_peaks_have_the_asked_length_and_range():
    samples = np.zeros((1000, 2), np.float32)
    samples[:500, 0] = 0.25
    samples[500:, 1] = -3.0  # out of range: clipped, not rescaled
    clip = audio_for_browser((samples, 1000), n_peaks=10)
    assert clip.peaks.dtype == np.float32
    assert clip.peaks.tolist() == [0.25] * 5 + [1.0] * 5


def test_peaks_of_a_clip_shorter_than_the_bucket_count():
    clip = audio_for_browser((np.array([0.1, -0.9, 0.3], np.float32), 8000), n_peaks=200)
    assert clip.peaks.shape == (200,)
    assert sorted(set(clip.peaks.tolist())) == pytest.approx([0.1, 0.3, 0.9])
    assert ((clip.peaks >= 0) & (clip.peaks <= 1)).all()


def test_peaks_of_a_real_file(media):
    clip = audio_for_browser(media.wav, n_peaks=50)
    assert clip.peaks.shape == (50,)
    assert 0.45 < clip.peaks.min() <= clip.peaks.max() < 0.6  # a steady 0.5 tone


def test_audio_for_browser_rejects_bad_n_peaks(media):
    with pytest.raises(ValueError, match="n_peaks"):
        audio_for_browser(media.wav, n_peaks=0)


def test_audio_for_browser_raises_media_error_for_bad_audio(media):
    with pytest.raises(MediaError, match="truncated Ogg"):
        audio_for_browser(media.truncated_ogg)
