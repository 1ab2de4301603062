"""Media paths that never end, block, loop or hold no file, and audio too long to hold whole.

Every case uses a real file system object (a FIFO, /dev/zero, a socket, a link loop) or a real
file; the long-audio cases measure the memory actually used.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

import mmwidgets as mm
from mmwidgets.data.media import (
    MAX_FILE_BYTES,
    MediaError,
    audio_for_browser,
    check_audio,
    check_image,
    load_audio,
    load_image,
    open_audio,
)
from mmwidgets.encoders import create_encoder
from mmwidgets.encoders._logmel import mel_stats
from mmwidgets.encoders.audio import STREAM_ABOVE_SECONDS, iter_audio_16k, load_audio_16k

RATE = 16_000
QUICK_S = 10.0  # a refusal that takes longer than this is a hang


def within(seconds: float, call: Callable[[], Any], unblock: Callable[[], None] = lambda: None):
    """``call()``'s result or exception, failing the test if it runs past ``seconds``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as e:  # handed back to the test below
            outcome["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        unblock()
        pytest.fail(f"still running after {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def write_wave(path: Path, seconds: float, rate: int = RATE, channels: int = 1) -> Path:
    """Noise with a loud burst, written block by block (the test never holds it whole)."""
    rng = np.random.default_rng(0)
    frames = int(seconds * rate)
    with sf.SoundFile(path, "w", rate, channels, subtype="PCM_16") as out:
        for start in range(0, frames, 1 << 18):
            n = min(1 << 18, frames - start)
            block = 0.05 * rng.standard_normal((n, channels))
            if start == 0:
                block[: rate // 2] *= 15
            out.write(block.astype(np.float32))
    return path


def png_bytes(size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- what a path is, before anything is read -----------------------------------------------


@pytest.mark.parametrize("load", [load_image, load_audio])
def test_a_fifo_is_refused_at_once_never_opened_for_a_blocking_read(tmp_path, load):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)

    def unblock() -> None:  # a reader stuck in open() returns once a writer comes and goes
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    with pytest.raises(MediaError, match=r"named pipe \(FIFO\), not a regular file") as caught:
        within(QUICK_S, lambda: load(fifo), unblock)
    assert str(fifo) in str(caught.value)


@pytest.mark.parametrize(("load", "kind"), [(load_image, "image"), (load_audio, "audio")])
def test_dev_zero_is_a_device_and_nothing_is_read(load, kind):
    with pytest.raises(MediaError) as caught:
        within(QUICK_S, lambda: load("/dev/zero"))
    assert str(caught.value) == f"{kind} path '/dev/zero' is a character device, not a regular file"


def test_a_link_to_dev_zero_says_where_it_leads(tmp_path):
    link = tmp_path / "photo.png"
    link.symlink_to("/dev/zero")
    problem = within(QUICK_S, lambda: check_image(link))
    assert problem == (
        f"image path {str(link)!r} is a character device, not a regular file "
        "(a link to '/dev/zero')"
    )


def test_a_folder_a_socket_and_a_link_loop_are_each_named(tmp_path):
    folder = tmp_path / "clips.wav"
    folder.mkdir()
    loop_a, loop_b = tmp_path / "a.png", tmp_path / "b.png"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    sock_path = tmp_path / "s.wav"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(sock_path))
        assert check_audio(folder) == f"audio path {str(folder)!r} is a folder, not a file"
        assert check_audio(sock_path) == (
            f"audio path {str(sock_path)!r} is a socket, not a regular file"
        )
    finally:
        server.close()
    assert check_image(loop_a) == (
        f"image path {str(loop_a)!r} is a symbolic link loop; it never reaches a file"
    )


def test_a_broken_link_is_not_found_and_names_its_target(tmp_path):
    link = tmp_path / "cat.png"
    link.symlink_to(tmp_path / "gone.png")
    problem = check_image(link)
    assert problem is not None
    assert problem.startswith("image file not found: ")
    assert "gone.png" in problem


@pytest.mark.parametrize("url", ["https://example.com/cat.png", "file:///srv/cat.png"])
def test_a_url_says_urls_are_not_fetched(url):
    problem = check_image(url)
    assert problem == (
        f"image path {url!r} is a URL; URLs are not fetched: download the file first and give "
        "its local path"
    )


def test_a_local_file_whose_name_looks_like_a_url_is_still_read(tmp_path, monkeypatch):
    (tmp_path / "http:").mkdir()
    (tmp_path / "http:" / "x.png").write_bytes(png_bytes())
    monkeypatch.chdir(tmp_path)
    assert check_image("http://x.png") is None  # the folder "http:" holds x.png: it is read
    assert "URLs are not fetched" in str(check_image("http://y.png"))


# --- sizes ---------------------------------------------------------------------------------


def test_zero_byte_files_are_empty_problems(tmp_path):
    empty_png, empty_wav = tmp_path / "empty.png", tmp_path / "empty.wav"
    empty_png.write_bytes(b"")
    empty_wav.write_bytes(b"")
    assert check_image(empty_png) == f"image file {str(empty_png)!r} is empty (0 bytes)"
    assert check_audio(empty_wav) == f"audio file {str(empty_wav)!r} is empty (0 bytes)"


def test_a_truncated_png_is_a_decode_problem(tmp_path):
    cut = tmp_path / "cut.png"
    whole = png_bytes(256)
    cut.write_bytes(whole[: len(whole) // 2])
    problem = check_image(cut)
    assert problem is not None
    assert problem.startswith(f"cannot decode image {str(cut)!r}")


def test_a_file_over_the_configured_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes(64))
    sound = write_wave(tmp_path / "sound.wav", 1.0)
    assert check_image(photo) is None
    assert check_audio(sound) is None
    monkeypatch.setitem(MAX_FILE_BYTES, "image", 100)
    monkeypatch.setitem(MAX_FILE_BYTES, "audio", 1000)
    size = photo.stat().st_size
    assert check_image(photo) == (
        f"image file {str(photo)!r} is {size:,} bytes, over the limit of 100 "
        "(mmwidgets.data.media.MAX_FILE_BYTES['image'])"
    )
    problem = check_audio(sound)
    assert problem is not None
    assert "over the limit of 1,000" in problem
    with pytest.raises(MediaError, match="over the limit"):
        audio_for_browser(sound)
    # bytes handed over in memory were never read from a file: no file limit applies
    assert check_image(photo.read_bytes()) is None
    monkeypatch.setitem(MAX_FILE_BYTES, "image", None)
    assert check_image(photo) is None


def test_default_limits_cover_what_max_pixels_allows():
    from mmwidgets.data.media import DEFAULT_MAX_PIXELS

    image_limit, audio_limit = MAX_FILE_BYTES["image"], MAX_FILE_BYTES["audio"]
    assert image_limit is not None
    assert audio_limit is not None
    assert image_limit > DEFAULT_MAX_PIXELS * 4  # an uncompressed RGBA image at the pixel limit
    assert audio_limit >= 4 << 30  # any WAV file (32-bit sizes)


# --- tiny audio ----------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [16_000, 44_100, 8_000])
def test_one_sample_audio_has_features_and_a_player(tmp_path, rate):
    path = tmp_path / "one.wav"
    sf.write(path, np.array([0.25], np.float32), rate)
    assert check_audio(path) is None
    features = create_encoder("audio").encode([str(path)], on_problem=pytest.fail)
    assert features.shape == (1, 128)
    assert np.isfinite(features).all()
    clip = audio_for_browser(path, n_peaks=10)
    assert clip.duration == pytest.approx(1 / rate)
    assert clip.peaks.tolist() == pytest.approx([0.25] * 10, abs=1e-4)


# --- long audio ----------------------------------------------------------------------------


def test_streamed_features_equal_the_batched_ones(tmp_path):
    seconds = STREAM_ABOVE_SECONDS + 15  # long enough to be streamed
    path = write_wave(tmp_path / "stereo44.wav", seconds, rate=44_100, channels=2)
    streamed = create_encoder("audio").encode([str(path)], on_problem=pytest.fail)[0]
    batched = mel_stats([load_audio_16k(path)])[0]
    np.testing.assert_allclose(streamed, batched, rtol=0, atol=1e-4)
    joined = np.concatenate(list(iter_audio_16k(path)))
    np.testing.assert_array_equal(joined, load_audio_16k(path))


_FEATURE_PEAK = """
import resource, sys
import numpy as np
from mmwidgets.encoders import create_encoder
encoder = create_encoder("audio")
warm = sys.argv[2]  # a short clip first: torch's own start-up memory is not the long clip's
encoder.encode([warm], on_problem=lambda i, p: sys.exit(p))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = encoder.encode([sys.argv[1]], on_problem=lambda i, p: sys.exit(p))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert np.isfinite(out).all() and out.shape == (1, 128)
print((after - before) * 1024)
"""


@pytest.fixture(scope="module")
def twenty_minutes(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    return write_wave(folder / "long.wav", 20 * 60)


def decoded_bytes(path: Path) -> int:
    info = sf.info(str(path))
    return info.frames * info.channels * 4  # float32, as load_audio would hold it


def test_features_of_a_long_file_need_a_fraction_of_its_decoded_size(twenty_minutes, tmp_path):
    warm = write_wave(tmp_path / "warm.wav", 2.0)
    done = subprocess.run(
        [sys.executable, "-c", _FEATURE_PEAK, str(twenty_minutes), str(warm)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    grown = int(done.stdout.split()[-1])  # peak resident memory added by the long clip
    assert grown < decoded_bytes(twenty_minutes) / 4, f"{grown >> 20} MB"


def traced_peak(call: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checking_a_long_file_holds_one_block(twenty_minutes):
    problem, peak = traced_peak(lambda: check_audio(twenty_minutes))
    assert problem is None
    assert peak < decoded_bytes(twenty_minutes) / 20, f"{peak >> 20} MB"


def test_the_player_gets_the_first_minutes_of_a_long_file(twenty_minutes):
    clip, peak = traced_peak(lambda: audio_for_browser(twenty_minutes, max_seconds=120.0))
    assert (clip.mime, clip.duration, clip.source_duration) == ("audio/ogg", 120.0, 1200.0)
    samples, rate = sf.read(io.BytesIO(clip.data), dtype="float32")
    assert len(samples) / rate == pytest.approx(120.0)
    assert peak < decoded_bytes(twenty_minutes) / 4, f"{peak >> 20} MB"
    assert clip.peaks[0] > 3 * float(np.median(clip.peaks))  # the opening burst is drawn


def test_a_small_playable_file_still_passes_through_whole(tmp_path):
    path = write_wave(tmp_path / "short.wav", 3.0)
    clip = audio_for_browser(path)
    assert clip.data == path.read_bytes()
    assert (clip.duration, clip.source_duration) == (3.0, None)


_LONG_ARRAY = """
import numpy as np
from mmwidgets.data.media import audio_for_browser
wave = np.zeros((44_100 * 90, 2), np.float32)
clip = audio_for_browser((wave, 44_100))
print(clip.mime, clip.duration)
"""


def test_a_long_array_encodes_without_crashing_libvorbis():
    # one 90-second write overflowed libvorbis's stack (a segfault); blocks do not
    done = subprocess.run(
        [sys.executable, "-c", _LONG_ARRAY], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["audio/ogg", "90.0"]


def test_an_audio_stream_reads_in_blocks_and_stops_where_asked(tmp_path):
    path = write_wave(tmp_path / "s.wav", 2.0, channels=2)
    with open_audio(path) as stream:
        assert (stream.sample_rate, stream.channels, stream.frames) == (RATE, 2, 2 * RATE)
        sizes = [block.shape for block in stream.blocks(10_000, mono=True, max_frames=25_000)]
        assert sizes == [(10_000,), (10_000,), (5_000,)]
        assert len(stream.read(max_frames=7)) == 7


# --- through a Dataset and a Session -------------------------------------------------------


def bad_paths(folder: Path) -> dict[str, str]:
    fifo = folder / "pipe.png"
    os.mkfifo(fifo)
    (folder / "folder.png").mkdir()
    (folder / "loop_a.wav").symlink_to(folder / "loop_b.wav")
    (folder / "loop_b.wav").symlink_to(folder / "loop_a.wav")
    (folder / "empty.wav").write_bytes(b"")
    return {
        "pipe": str(fifo),
        "zero": "/dev/zero",
        "folder": str(folder / "folder.png"),
        "url": "https://example.com/cat.png",
        "loop": str(folder / "loop_a.wav"),
        "empty": str(folder / "empty.wav"),
    }


def frame_with_bad_media(folder: Path) -> pd.DataFrame:
    photo = folder / "photo.png"
    photo.write_bytes(png_bytes())
    sound = write_wave(folder / "sound.wav", 1.0)
    bad = bad_paths(folder)
    rows = [
        {"id": f"good{i}", "caption": f"item {i}", "photo": str(photo), "sound": str(sound)}
        for i in range(4)
    ]
    for name in ("pipe", "zero", "folder", "url"):
        rows.append({"id": name, "caption": name, "photo": bad[name], "sound": str(sound)})
    for name in ("zero", "loop", "empty"):
        rows.append(
            {"id": f"{name}_audio", "caption": name, "photo": str(photo), "sound": bad[name]}
        )
    return pd.DataFrame(rows)


EXPECTED = {
    ("pipe", "photo"): "named pipe (FIFO)",
    ("zero", "photo"): "character device",
    ("folder", "photo"): "is a folder",
    ("url", "photo"): "URLs are not fetched",
    ("zero_audio", "sound"): "character device",
    ("loop_audio", "sound"): "symbolic link loop",
    ("empty_audio", "sound"): "empty (0 bytes)",
}


def test_a_dataset_lists_each_bad_path_by_item_and_column(tmp_path):
    frame = frame_with_bad_media(tmp_path)
    dataset = within(
        QUICK_S * 3,
        lambda: mm.Dataset(frame, id="id", text="caption", image="photo", audio="sound"),
    )
    found = {(p["id"], p["column"]): p["problem"] for p in dataset.problems().to_dict("records")}
    assert set(found) == set(EXPECTED)
    for key, words in EXPECTED.items():
        assert words in found[key], found[key]
    assert dataset.ok_ids == [f"good{i}" for i in range(4)]


def test_a_session_builds_and_labels_around_bad_paths(tmp_path):
    frame = frame_with_bad_media(tmp_path)

    def build() -> Any:
        return mm.Session(
            frame,
            labels=["a", "b"],
            id="id",
            text="caption",
            image="photo",
            audio="sound",
            encoders={"text": "hashing", "image": "pixels", "audio": "logmel"},
            store=tmp_path / "labels.sqlite",
            cache_dir=tmp_path / "cache",
            progress=False,
        )

    session = within(QUICK_S * 3, build)
    try:
        session.wait(timeout=120)
        found = {
            (p["id"], p["column"]): p["problem"]
            for p in session.dataset.problems().to_dict("records")
        }
        assert set(found) == set(EXPECTED)
        assert "pipe.png" in found[("pipe", "photo")]
        session.label("good0", "a")
        session.label("good1", "b")
        assert len(session.store) == 2
        session.wait(timeout=120)
        scores = session.predictions()
        good = [f"good{i}" for i in range(4)]
        assert set(good) <= set(scores.index)
        assert scores.loc[good].notna().all(axis=None)  # the good items encoded and scored
    finally:
        session.close()
