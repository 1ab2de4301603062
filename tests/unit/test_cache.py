import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmwidgets.encoders import EmbeddingCache, content_key, default_cache_dir
from mmwidgets.exceptions import CacheDamagedWarning, MediaError

WRITER = Path(__file__).parents[1] / "integration" / "_cache_writer.py"
_spec = importlib.util.spec_from_file_location("_cache_writer", WRITER)
assert _spec is not None
assert _spec.loader is not None
writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(writer)

KEY = "text/hashing/1"
DIM = 512  # the crash tests' row width: big enough that a shard takes a while to write


def rows(n, dim=8, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


@pytest.fixture
def cache(tmp_path):
    with EmbeddingCache(tmp_path / "cache") as c:
        yield c


def test_hit_and_miss(cache):
    keys = [content_key(t, "text") for t in ("a koala", "a bus", "a tree")]
    data = rows(3)
    assert cache.put_many(KEY, keys[:2], data[:2]) == 2
    got, hit = cache.get_many(KEY, [keys[1], keys[2], keys[0], keys[1]])
    assert hit.tolist() == [True, False, True, True]
    assert got.dtype == np.float32
    assert got.shape == (4, 8)
    np.testing.assert_allclose(got[[0, 2, 3]], data[[1, 0, 1]], rtol=1e-3, atol=1e-3)
    assert np.isnan(got[1]).all()
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.written) == (3, 1, 2)
    assert stats.entries == {KEY: 2}


def test_stored_as_fp16_and_read_back_exactly(cache):
    data = rows(5).astype(np.float16).astype(np.float32)
    keys = [f"k{i}" for i in range(5)]
    cache.put_many(KEY, keys, data)
    got, _ = cache.get_many(KEY, keys)
    np.testing.assert_array_equal(got, data)
    shards = list((cache.directory / "shards").glob("*.npy"))
    assert [np.load(s, mmap_mode="r").dtype for s in shards] == [np.float16]


def test_a_new_encoder_version_is_a_miss(cache):
    keys = [content_key("a koala", "text")]
    cache.put_many("text/minilm/v1", keys, rows(1))
    assert cache.get_many("text/minilm/v1", keys)[1].all()
    got, hit = cache.get_many("text/minilm/v2", keys, dim=8)
    assert not hit.any()
    assert got.shape == (1, 8)
    assert np.isnan(got).all()


def test_unknown_encoder_without_dim_gives_zero_width(cache):
    got, hit = cache.get_many("image/never/1", ["a", "b"])
    assert got.shape == (2, 0)
    assert not hit.any()


def test_keyed_by_content_not_path(cache, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "copy" / "b.png"
    b.parent.mkdir()
    Image.new("RGB", (8, 8), "red").save(a)
    b.write_bytes(a.read_bytes())
    assert content_key(str(a), "image") == content_key(b, "image")
    assert content_key(a.read_bytes(), "image") == content_key(a, "image")
    cache.put_many("image/pixels/1", [content_key(str(a), "image")], rows(1))
    assert cache.get_many("image/pixels/1", [content_key(str(b), "image")])[1].all()

    Image.new("RGB", (8, 8), "blue").save(a)  # same path, new content
    assert not cache.get_many("image/pixels/1", [content_key(str(a), "image")])[1].any()
    assert cache.get_many("image/pixels/1", [content_key(str(b), "image")])[1].all()


def test_content_key_of_each_kind_of_value(tmp_path):
    # a str is text for the text modality and a path otherwise
    path = tmp_path / "hello.txt"
    path.write_text("hello")
    assert content_key(str(path), "text") != content_key(str(path), "audio")
    assert content_key(str(path), "audio") == content_key(b"hello", "audio")
    # arrays: bytes, dtype and shape all count; audio pairs add the sample rate
    x = np.arange(6, dtype=np.int16)
    assert content_key(x, "audio") != content_key(x.astype(np.int32), "audio")
    assert content_key(x, "image") != content_key(x.reshape(2, 3), "image")
    assert content_key(x[::2], "audio") == content_key(x[::2].copy(), "audio")
    assert content_key((x, 16000), "audio") != content_key((x, 8000), "audio")
    # PIL images: the pixels count, not how the file was compressed
    img = Image.new("RGB", (16, 16), "green")
    fast_png, small_png = tmp_path / "fast.png", tmp_path / "small.png"
    img.save(fast_png, compress_level=0)
    img.save(small_png, compress_level=9)
    assert content_key(fast_png, "image") != content_key(small_png, "image")
    with Image.open(fast_png) as fast, Image.open(small_png) as small:
        fast.load()
        small.load()
        assert content_key(fast, "image") == content_key(small, "image")
        assert content_key(fast, "image") != content_key(fast.convert("L"), "image")
    with pytest.raises(TypeError, match="content key"):
        content_key(None, "text")
    with pytest.raises(MediaError, match="not found"):
        content_key(str(tmp_path / "missing.png"), "image")
    os.mkfifo(tmp_path / "pipe")  # keyed only as a regular file: a pipe would block forever
    with pytest.raises(MediaError, match="named pipe"):
        content_key(str(tmp_path / "pipe"), "audio")


def test_failed_rows_are_not_cached(cache):
    data = rows(4)
    data[1] = np.nan
    data[2, 3] = 1e6  # beyond fp16: would come back as inf, so it is not stored
    assert cache.put_many(KEY, ["a", "b", "c", "d"], data) == 2
    assert cache.get_many(KEY, ["a", "b", "c", "d"])[1].tolist() == [True, False, False, True]


def test_repeated_writes_store_a_key_once(cache):
    assert cache.put_many(KEY, ["a", "a", "b"], rows(3)) == 2
    assert cache.put_many(KEY, ["a", "b"], rows(2, seed=1)) == 0
    assert cache.stats().entries == {KEY: 2}
    got, _ = cache.get_many(KEY, ["a"])
    np.testing.assert_allclose(got[0], rows(3)[0], atol=1e-3)  # the first write wins


def test_shape_and_width_are_checked(cache):
    with pytest.raises(ValueError, match=r"\(2, dim\)"):
        cache.put_many(KEY, ["a", "b"], rows(3))
    cache.put_many(KEY, ["a"], rows(1, dim=8))
    with pytest.raises(ValueError, match="needs a new version"):
        cache.put_many(KEY, ["b"], rows(1, dim=4))
    with pytest.raises(ValueError, match="8-d"):
        cache.get_many(KEY, ["a"], dim=4)


def test_reopened_and_shared_across_processes(tmp_path):
    directory, key, three = tmp_path / "cache", writer.item_key(3), writer.expected_rows([3], 16)
    with EmbeddingCache(directory) as first:
        first.put_many(writer.ENCODER, [key], three)
    with EmbeddingCache(directory) as again:
        np.testing.assert_array_equal(again.get_many(writer.ENCODER, [key])[0], three)
    # another process writes; this one reads what it wrote
    subprocess.run([sys.executable, str(WRITER), str(directory), "10", "20", "5", "16"], check=True)
    with EmbeddingCache(directory) as reader:
        got, hit = reader.get_many(writer.ENCODER, [writer.item_key(i) for i in range(10, 20)])
    assert hit.all()
    np.testing.assert_array_equal(got, writer.expected_rows(np.arange(10, 20), 16))


def test_a_lost_shard_is_a_miss_never_garbage(cache):
    cache.put_many(KEY, ["a"], rows(1))
    cache.put_many(KEY, ["b"], rows(1, seed=1))
    with EmbeddingCache(cache.directory) as fresh:
        shards = sorted((cache.directory / "shards").glob("*.npy"), key=os.path.getmtime)
        shards[0].write_bytes(b"not a shard")
        with pytest.warns(CacheDamagedWarning, match="shard"):
            got, hit = fresh.get_many(KEY, ["a", "b"])
    assert hit.tolist() == [False, True]
    assert np.isnan(got[0]).all()


def test_remove_orphans_keeps_indexed_shards(cache):
    cache.put_many(KEY, ["a"], rows(1))
    shard_dir = cache.directory / "shards"
    (shard_dir / ".tmp-dead.npy").write_bytes(b"x" * 100)
    np.save(shard_dir / "unindexed.npy", np.zeros((2, 8), np.float16))
    assert cache.remove_orphans(min_age_s=3600) == 0  # too young: may be a live writer's
    assert cache.remove_orphans(min_age_s=0) > 100
    assert [p.name for p in shard_dir.iterdir()] == cache._index.shard_names()
    assert cache.get_many(KEY, ["a"])[1].all()


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MMWIDGETS_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "embeddings"
    monkeypatch.delenv("MMWIDGETS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "mmwidgets" / "embeddings"


def _start_writer(directory, n, seed, batch=500, dim=DIM):
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(directory), "0", str(n), str(batch), str(dim), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def _check_served_rows(directory, n):
    """Every row the cache serves equals what was written for its key; returns the hit count."""
    with EmbeddingCache(directory) as cache:
        got, hit = cache.get_many(writer.ENCODER, [writer.item_key(i) for i in range(n)])
    np.testing.assert_array_equal(got[hit], writer.expected_rows(np.flatnonzero(hit), DIM))
    assert np.isnan(got[~hit]).all()
    return int(hit.sum())


@pytest.mark.slow
def test_killed_writers_leave_a_usable_cache(tmp_path):
    directory, n = tmp_path / "cache", 40_000
    rng = random.Random(1234)
    hits, killed_mid_run = [], 0
    for round_ in range(6):
        # two writers at once on overlapping items, killed at random moments mid-run: the
        # first one a few ms after it reported its 1st-3rd batch (of 80)
        children = [_start_writer(directory, n, seed=round_ * 2 + k) for k in range(2)]
        for _ in range(rng.randint(1, 3)):
            children[0].stdout.readline()
        for child in children:
            time.sleep(rng.uniform(0.0, 0.02))
            child.send_signal(signal.SIGKILL)
        for child in children:
            returncode = child.wait()
            assert returncode in (0, -signal.SIGKILL)  # never an error of its own
            killed_mid_run += returncode == -signal.SIGKILL
        # the cache opens, and serves only rows exactly as written
        hits.append(_check_served_rows(directory, n))
    assert killed_mid_run >= 6
    assert hits == sorted(hits)  # nothing committed is ever lost
    assert hits[-1] > 0

    # afterwards new writes work, by two writers at once, and fill every gap
    finishers = [_start_writer(directory, n, seed=100 + k) for k in range(2)]
    for child in finishers:
        assert child.wait(timeout=120) == 0
    assert _check_served_rows(directory, n) == n
    with EmbeddingCache(directory) as cache:
        assert cache.stats().entries == {writer.ENCODER: n}
        cache.remove_orphans(min_age_s=0)
    assert _check_served_rows(directory, n) == n
