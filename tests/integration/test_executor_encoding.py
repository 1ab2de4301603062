"""Encoding on executors: a real Dask LocalCluster (2 worker processes) and a process pool."""

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _slow_encoder import SlowHashing, pool_texts

import mmwidgets as mm
from mmwidgets import Dataset
from mmwidgets.encoders import EmbeddingCache, encode_dataset
from mmwidgets.encoders._shard_task import worker_stats

distributed = pytest.importorskip("distributed")  # the 'distributed' extra; dev installs it

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


def _text_pool(n, distinct=None):
    return Dataset.from_pandas(pd.DataFrame({"t": pool_texts(n, distinct)}), text="t")


def _same(reference, got):
    """Equal within fp16, and missing in the same cells."""
    assert reference.columns == got.columns
    for column in reference.columns:
        a, b = reference.column_embeddings[column], got.column_embeddings[column]
        assert np.array_equal(np.isnan(a), np.isnan(b)), column
        np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), rtol=2e-3, atol=2e-3)


def _cache_rows(folder):
    with EmbeddingCache(folder) as cache:
        return sum(cache.stats().entries.values())


def test_dask_matches_in_process_on_real_encoders(client, tmp_path):
    df = mm.load_sample().iloc[:48]
    ds = Dataset.from_pandas(df, id="id", text="text", image="image")
    reference = encode_dataset(ds, cache=False, progress=False)
    before = client.run(worker_stats)
    got = encode_dataset(ds, cache=tmp_path / "c", progress=False, executor=client, shard_size=8)
    _same(reference, got)
    assert got.dispatch.shards == 6
    assert len(got.dispatch.workers) == 2
    after = client.run(worker_stats)
    for worker, stats in after.items():
        shards = stats["shards"] - before[worker]["shards"]
        loaded = stats["encoders_loaded"] - before[worker]["encoders_loaded"]
        assert shards >= 2, (worker, shards)
        assert loaded <= 2, (worker, loaded)  # text and image: each once, not once a shard


@pytest.mark.parametrize("transfer", ["return", "cache"])
def test_both_transfer_modes_fill_the_cache_once(client, tmp_path, transfer):
    ds = _text_pool(300, distinct=250)
    reference = encode_dataset(ds, {"text": "hashing"}, cache=False, progress=False)
    folder = tmp_path / "cache"
    got = encode_dataset(
        ds, {"text": "hashing"}, cache=folder, progress=False, executor=client,
        shard_size=40, transfer=transfer,
    )  # fmt: skip
    _same(reference, got)
    assert got.computed["text"] == 300
    assert (got.dispatch.staged > 0) == (transfer == "cache")
    assert _cache_rows(folder) == 250  # each distinct content once
    warm = encode_dataset(ds, {"text": "hashing"}, cache=folder, progress=False, executor=client)
    assert warm.computed["text"] == 0
    assert warm.dispatch.shards == 0
    _same(reference, warm)
    assert not list(folder.glob(".driver-*"))  # the marker goes with its run


def test_a_killed_worker_loses_only_its_shards(client, tmp_path):
    ds = _text_pool(400)
    encoder = SlowHashing(delay=0.01)
    reference = encode_dataset(ds, {"text": SlowHashing(delay=0)}, cache=False, progress=False)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = threading.Event()

    def kill_once(done, total):
        if done >= 80 and not killed.is_set():
            killed.set()
            os.kill(victim, signal.SIGKILL)

    folder = tmp_path / "cache"
    got = encode_dataset(
        ds, {"text": encoder}, cache=folder, progress=False, executor=client,
        shard_size=20, on_progress=kill_once,
    )  # fmt: skip
    assert killed.is_set()
    _same(reference, got)  # no item missing: the cluster re-ran the lost shards
    assert _cache_rows(folder) == 400  # and none twice
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it, for the next tests


def test_a_killed_driver_resumes_with_only_the_missing_shards(tmp_path):
    folder = tmp_path / "cache"
    script = [sys.executable, str(HERE / "_executor_driver.py"), str(folder), "600"]
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    child = subprocess.Popen(script, stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("progress") and int(line.split()[1]) >= 200:
            break
    child.send_signal(signal.SIGKILL)  # the driver, mid-run: its pool's workers die with it
    child.wait(timeout=30)
    kept = _cache_rows(folder)
    assert 200 <= kept < 600
    rerun = subprocess.run(script, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    computed, cached = map(int, rerun.stdout.strip().splitlines()[-1].split()[1:])
    assert cached >= kept
    assert computed == 600 - cached
    assert _cache_rows(folder) == 600
    reference = encode_dataset(_text_pool(600), {"text": SlowHashing(delay=0)}, cache=False)
    again = encode_dataset(_text_pool(600), {"text": SlowHashing(delay=0)}, cache=folder)
    assert again.computed["text"] == 0
    _same(reference, again)


def test_process_pool_executor_and_problems(tmp_path):
    texts = pool_texts(120)
    texts[7] += " broken"  # this cell fails on the worker: a problem for the item, not the run
    frame = pd.DataFrame({"t": texts})
    encoder = SlowHashing(delay=0, refuse="broken")
    ds = Dataset.from_pandas(frame, text="t")
    reference = encode_dataset(
        Dataset.from_pandas(frame, text="t"), {"text": encoder}, cache=False, progress=False
    )
    with ProcessPoolExecutor(2) as pool:
        got = encode_dataset(
            ds, {"text": encoder}, cache=tmp_path, progress=False, executor=pool,
            shard_size=16,
        )  # fmt: skip
    assert [(p.item_id, p.problem) for p in got.problems] == [
        (ds.ids[7], f"ValueError: refused {texts[7]!r}")
    ]
    assert ds.has_problem(ds.ids[7])
    assert not got.presence[7].any()
    _same(reference, got)
    assert len(got.dispatch.workers) == 2


def test_bad_arguments_are_refused_before_any_work(tmp_path):
    ds = _text_pool(5)
    with pytest.raises(TypeError, match="executor must be"):
        encode_dataset(ds, {"text": "hashing"}, cache=False, executor=object())
    with pytest.raises(ValueError, match="needs an executor"):
        encode_dataset(ds, {"text": "hashing"}, cache=False, on_items=lambda r, m: None)
    with pytest.raises(ValueError, match="transfer must be"):
        encode_dataset(ds, {"text": "hashing"}, cache=False, executor=None, transfer="ftp")
    with pytest.raises(ValueError, match="shard_size"):
        encode_dataset(ds, {"text": "hashing"}, cache=False, shard_size=0)


def test_session_trains_while_shards_still_arrive(client, tmp_path):
    df = pd.DataFrame({"id": [f"i{k}" for k in range(600)], "t": pool_texts(600)})
    truth = {f"i{k}": ("animal" if k % 8 in (0, 4) else "thing") for k in range(600)}
    session = mm.Session(
        df, ["animal", "thing"], id="id", text="t", store=tmp_path / "labels.sqlite",
        encoders={"text": SlowHashing(delay=0.02)}, executor=client, shard_size=20,
        progress=False, retrain_delay=0.05,
    )  # fmt: skip
    try:
        trained_early = False
        deadline = time.monotonic() + 240
        while not session.status()["encoding"]["complete"] and time.monotonic() < deadline:
            status = session.status()
            if status["encoding"]["ready"]:
                item = session.next()
                if item is not None:
                    session.label(item.id, truth[item.id])
                trained_early |= status["model_version"] > 0 and not status["encoding"]["complete"]
            time.sleep(0.1)
        assert trained_early, "no model was trained before the last shard came back"
        assert session.wait(timeout=60)
        assert session.status()["trained_on"] == len(session.store) > 0
        assert len(session.predictions()) == 600
    finally:
        session.close()
