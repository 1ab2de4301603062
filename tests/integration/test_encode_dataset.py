import threading
import time

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image, ImageDraw

from mmwidgets import Dataset, load_sample
from mmwidgets.encoders import (
    EmbeddingCache,
    EncodingCancelledError,
    create_encoder,
    encode_dataset,
    encode_dataset_async,
)

TINY = {"text": "hashing", "image": "pixels", "audio": "logmel"}


def _png(path, seed):
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (48, 32), tuple(int(v) for v in rng.integers(0, 255, 3)))
    ImageDraw.Draw(img).ellipse((5, 5, 30, 25), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    img.save(path)
    return str(path)


def _wav(path, freq, seconds=0.5, rate=22_050):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)
    return str(path)


@pytest.fixture
def media_frame(tmp_path):
    """Six items with real PNG and WAV files, two audio columns and some missing values."""
    rows = []
    for i in range(6):
        rows.append(
            {
                "id": f"item-{i}",
                "caption": None if i == 2 else f"a drawing of thing number {i}",
                "photo": _png(tmp_path / f"photo{i}.png", i),
                "speech": _wav(tmp_path / f"speech{i}.wav", 220 + 50 * i) if i % 2 == 0 else None,
                "sound": None if i == 5 else _wav(tmp_path / f"sound{i}.wav", 900 - 60 * i),
            }
        )
    return pd.DataFrame(rows)


def _dataset(frame, validate=True):
    return Dataset.from_pandas(
        frame, id="id", text="caption", image="photo", audio=["speech", "sound"], validate=validate
    )


def _as_stored(rows):
    return rows.astype(np.float16).astype(np.float32)


def test_encode_dataset_end_to_end(media_frame, tmp_path):
    ds = _dataset(media_frame)
    cache = EmbeddingCache(tmp_path / "cache")
    cold = encode_dataset(ds, TINY, cache=cache, progress=False)

    assert cold.ids == ds.ids
    assert cold.modalities == ("text", "image", "audio")
    assert cold.columns == ("caption", "photo", "speech", "sound")
    assert {m: e.shape for m, e in cold.embeddings.items()} == {
        "text": (6, 256),
        "image": (6, 768),
        "audio": (6, 128),
    }
    assert all(e.dtype == np.float32 for e in cold.column_embeddings.values())
    expected_cells = ds.presence().to_numpy()
    np.testing.assert_array_equal(cold.column_presence, expected_cells)
    np.testing.assert_array_equal(cold.presence[:, 0], expected_cells[:, 0])
    np.testing.assert_array_equal(cold.presence[:, 2], expected_cells[:, 2:].any(axis=1))
    assert not cold.problems
    assert cold.computed == {"text": 5, "image": 6, "audio": 8}

    # each column matrix holds what its encoder gives for the cell (as the cache stores it)
    for column, modality in [("caption", "text"), ("photo", "image"), ("sound", "audio")]:
        present = cold.column_presence[:, cold.columns.index(column)]
        values = media_frame[column].dropna().tolist()
        direct = create_encoder(modality, TINY[modality]).encode(values)
        np.testing.assert_array_equal(cold.column_embeddings[column][present], _as_stored(direct))
        assert np.isnan(cold.column_embeddings[column][~present]).all()
    # the audio modality is the mean of its present columns
    both = cold.column_presence[:, 2] & cold.column_presence[:, 3]
    speech, sound = cold.column_embeddings["speech"], cold.column_embeddings["sound"]
    np.testing.assert_allclose(cold.embeddings["audio"][both], (speech[both] + sound[both]) / 2)
    only_sound = ~cold.column_presence[:, 2] & cold.column_presence[:, 3]
    np.testing.assert_array_equal(cold.embeddings["audio"][only_sound], sound[only_sound])
    assert np.isnan(cold.embeddings["audio"][~cold.presence[:, 2]]).all()
    assert cold.embeddings["text"] is cold.column_embeddings["caption"]

    warm = encode_dataset(ds, TINY, cache=cache, progress=False)
    assert warm.computed == {"text": 0, "image": 0, "audio": 0}
    assert warm.cached == {"text": 5, "image": 6, "audio": 8}
    for column in cold.columns:
        np.testing.assert_array_equal(
            warm.column_embeddings[column], cold.column_embeddings[column]
        )
    np.testing.assert_array_equal(warm.presence, cold.presence)


def test_only_changed_content_is_recomputed(media_frame, tmp_path):
    cache = tmp_path / "cache"
    encode_dataset(_dataset(media_frame), TINY, cache=cache, progress=False)
    # same bytes under a new path: a hit; the same path with new pixels: a miss
    moved = media_frame.copy()
    moved.loc[0, "photo"] = str(tmp_path / "moved.png")
    (tmp_path / "moved.png").write_bytes((tmp_path / "photo0.png").read_bytes())
    _png(tmp_path / "photo1.png", seed=99)
    again = encode_dataset(_dataset(moved), TINY, cache=cache, progress=False)
    assert again.computed == {"text": 0, "image": 1, "audio": 0}


def test_a_new_encoder_version_recomputes(media_frame, tmp_path):
    ds = _dataset(media_frame)
    encode_dataset(ds, TINY, cache=tmp_path / "cache", progress=False)
    smaller = {**TINY, "image": create_encoder("image", "pixels", size=8)}
    again = encode_dataset(ds, smaller, cache=tmp_path / "cache", progress=False)
    assert again.computed == {"text": 0, "image": 6, "audio": 0}
    assert again.embeddings["image"].shape == (6, 192)


def test_corrupt_media_gives_nan_rows_and_reported_problems(media_frame, tmp_path):
    bad_png, bad_wav = tmp_path / "bad.png", tmp_path / "bad.wav"
    bad_png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    bad_wav.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    frame = media_frame.copy()
    frame.loc[1, "photo"] = str(bad_png)
    frame.loc[3, "sound"] = str(bad_wav)
    frame.loc[4, "photo"] = str(tmp_path / "deleted.png")
    _png(tmp_path / "deleted.png", 4)
    ds = _dataset(frame, validate=False)  # so the encoder is the first to open the files
    (tmp_path / "deleted.png").unlink()

    result = encode_dataset(ds, TINY, cache=tmp_path / "cache", progress=False)

    found = {(p.item_id, p.column) for p in result.problems}
    assert found == {("item-1", "photo"), ("item-3", "sound"), ("item-4", "photo")}
    recorded = ds.problems()
    assert set(zip(recorded["id"], recorded["column"], strict=True)) == found
    assert all(p.problem for p in result.problems)
    for row in (1, 3, 4):  # an item with a problem is skipped whole, as on the next run
        assert not result.presence[row].any()
        assert all(np.isnan(m[row]).all() for m in result.column_embeddings.values())
    assert result.presence[[0, 5]].all(axis=1).tolist() == [True, False]
    assert result.presence[0].all()
    # the next run skips them without touching the files, and gives the same result
    again = encode_dataset(ds, TINY, cache=tmp_path / "cache", progress=False)
    assert again.problems == []
    assert sum(again.computed.values()) == 0
    np.testing.assert_array_equal(again.presence, result.presence)


def test_items_with_recorded_problems_are_skipped(media_frame, tmp_path):
    ds = _dataset(media_frame)
    ds.record_problem("item-0", "sound", "rejected by a reviewer")
    result = encode_dataset(ds, TINY, cache=False, progress=False)
    assert not result.presence[0].any()
    assert result.computed == {"text": 4, "image": 5, "audio": 6}


def test_bad_arguments_are_refused(media_frame):
    ds = _dataset(media_frame)
    with pytest.raises(ValueError, match=r"per modality .* or per column .*\['captions'\]"):
        encode_dataset(ds, {"captions": "hashing"}, cache=False, progress=False)
    with pytest.raises(ValueError, match="the 'caption' column's encoder given is a image"):
        encode_dataset(ds, {"caption": create_encoder("image", "pixels")}, cache=False)
    with pytest.raises(ValueError, match="is a text encoder"):
        encode_dataset(ds, {"image": create_encoder("text", "hashing")}, cache=False)
    with pytest.raises(ValueError, match="batch_size"):
        encode_dataset(ds, TINY, cache=False, batch_size=0)


def _text_dataset(n):
    captions = [f"caption number {i} about {'koalas' if i % 2 else 'buses'}" for i in range(n)]
    return Dataset.from_pandas(pd.DataFrame({"caption": captions}), text="caption")


def test_background_job_progress_seen_from_another_thread(tmp_path):
    ds = _text_dataset(40)
    seen_by_callback: list[tuple[str, int, int]] = []
    observed = threading.Event()

    def on_progress(done, total):
        seen_by_callback.append((threading.current_thread().name, done, total))
        if len(seen_by_callback) == 1:  # hold the job until the other thread has looked
            assert observed.wait(timeout=30)

    job = encode_dataset_async(
        ds, TINY, cache=tmp_path / "cache", progress=False, batch_size=4, on_progress=on_progress
    )
    snapshots = []
    while not observed.is_set():
        snapshot = job.progress()["text"]
        snapshots.append(snapshot)
        if 0 < snapshot[0] < snapshot[1]:
            assert not job.done()
            observed.set()
        time.sleep(0.001)
    result = job.result(timeout=60)
    assert job.done()
    assert job.progress() == {"text": (40, 40)}
    assert result.presence.all()
    assert snapshots[-1] == (4, 40)
    names = {name for name, _, _ in seen_by_callback}
    assert names == {"mmwidgets-encoding"}
    assert threading.current_thread().name not in names
    dones = [done for _, done, _ in seen_by_callback]
    assert dones == sorted(dones)
    assert dones[-1] == 40
    assert {total for _, _, total in seen_by_callback} == {40}


def test_cancelled_job_keeps_finished_batches(tmp_path):
    ds = _text_dataset(40)
    started, cancelled = threading.Event(), threading.Event()

    def on_progress(done, total):
        started.set()
        assert cancelled.wait(timeout=30)

    job = encode_dataset_async(
        ds, TINY, cache=tmp_path / "cache", progress=False, batch_size=4, on_progress=on_progress
    )
    assert started.wait(timeout=30)
    assert job.cancel()
    cancelled.set()
    with pytest.raises(EncodingCancelledError):
        job.result(timeout=30)
    assert job.done()
    assert not job.cancel()
    resumed = encode_dataset(ds, TINY, cache=tmp_path / "cache", progress=False)
    assert resumed.cached["text"] == 4  # the batch finished before the cancel
    assert resumed.computed["text"] == 36


def test_job_errors_are_raised_from_result(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("in the way")
    job = encode_dataset_async(_text_dataset(3), TINY, cache=not_a_folder, progress=False)
    with pytest.raises(OSError, match="file"):
        job.result(timeout=60)
    assert job.done()


@pytest.mark.slow
def test_warm_pass_on_sample_data_never_loads_a_model(tmp_path):
    sample = load_sample().sample(40, random_state=0)
    ds = Dataset.from_pandas(sample, id="id", text="text", image="image", audio=["speech", "sound"])
    cache = tmp_path / "cache"

    cold_encoders = {m: create_encoder(m) for m in ("text", "image", "audio")}
    cold = encode_dataset(ds, cold_encoders, cache=cache, progress=False)
    assert cold.embeddings["text"].shape == (40, 384)
    assert cold.embeddings["image"].shape == (40, 1280)
    assert cold.embeddings["audio"].shape == (40, 128)
    assert cold.presence.all()
    assert cold.computed["image"] == 40
    # the neural encoders load their weights on first use; the cold pass used them
    assert cold_encoders["text"]._model is not None
    assert cold_encoders["image"]._model is not None

    warm_encoders = {m: create_encoder(m) for m in ("text", "image", "audio")}
    warm = encode_dataset(ds, warm_encoders, cache=cache, progress=False)
    assert sum(warm.computed.values()) == 0
    assert warm_encoders["text"]._model is None  # never loaded: every row came from the cache
    assert warm_encoders["image"]._model is None
    for column in cold.columns:
        np.testing.assert_array_equal(
            warm.column_embeddings[column], cold.column_embeddings[column]
        )
