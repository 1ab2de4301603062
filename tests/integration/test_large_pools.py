"""Large-pool paths of the Session: candidate rescoring, background sweeps, given memmaps."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest
from _samples import CATEGORIES, subset_session

import mmwidgets as mm
from mmwidgets.active import RANDOM_CHECK, query
from mmwidgets.exceptions import SchemaError, ShapeMismatchError
from mmwidgets.session import _trainer as trainer_module


@pytest.fixture(scope="module")
def subset():
    df = mm.load_sample()
    df = df[df["category"].isin(CATEGORIES)]
    return df.groupby("category").head(25).reset_index(drop=True)


def _label_queue(session, truth, n):
    for item in session.queue(n):
        session.label(item.id, truth[item.id])


def _assert_as_a_full_rescore(session):
    """No sweep is due, and scores and queue are a full rescore's by the serving model."""
    assert not session.status()["rescoring"]
    proba, expected = _full_rescore_queue(session)
    np.testing.assert_allclose(session.predictions().to_numpy(), proba, atol=1e-5)
    queue = session.queue(20)
    ids = [item.id for item in queue]
    assert sorted(ids) == sorted(expected)  # the ranking's 20 items, its own checks among them
    # hybrid's random checks sit where they will be served (every tenth label), not at their
    # rank; every other item keeps the ranking's order
    checks = {item.id for item in queue if item.reason.startswith(RANDOM_CHECK)}
    assert checks
    assert [i for i in ids if i not in checks] == [i for i in expected if i not in checks]


def _full_rescore_queue(session):
    """The queue a full rescore of the whole pool by the serving model ranks, by hand."""
    view = session.embeddings()
    proba = session.model.predict_proba(view.X, view.presence)
    ids = session.dataset.ids
    done = set(session.store.labeled_ids()) | set(session.store.skipped())
    ok = set(session.dataset.ok_ids)
    excluded = np.array([i in done or i not in ok for i in ids]) | ~view.usable()
    picked = query(
        "hybrid", proba=proba, embeddings=view.fused, labeled=excluded, n=20,
        class_names=list(session.labels), seed=session.seed + session.model_version - 1,
    )  # fmt: skip
    return proba, [ids[i] for i in picked.indices]


def test_candidate_rescoring_lands_on_the_full_rescores_queue(subset, tmp_path):
    """After each label only candidates are rescored at once; once the background sweep
    lands, scores and queue are exactly what a full rescore by the serving model gives."""
    truth = subset.set_index("id")["category"]
    s = subset_session(subset, tmp_path, rescore_top=5)  # 100 items > 4 * 5: candidates
    seen_partial = []
    s.events.subscribe(
        lambda e: seen_partial.append(s.status()["rescoring"]), kinds=["model_updated"]
    )
    try:
        for _ in range(4):
            _label_queue(s, truth, 4)
            assert s.wait(timeout=120)
        assert any(seen_partial), "no refresh took the candidate path"
        _assert_as_a_full_rescore(s)
    finally:
        s.close()


def test_without_a_thread_a_refresh_returns_with_the_whole_pool_rescored(subset, tmp_path):
    truth = subset.set_index("id")["category"]
    s = subset_session(subset, tmp_path, rescore_top=5, background=False)
    try:
        _label_queue(s, truth, 6)  # each label retrains on this thread
        _assert_as_a_full_rescore(s)
    finally:
        s.close()


def _given_pool(n, width, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    centers = rng.normal(size=(2, width)).astype(np.float32)
    emb = centers[truth] + rng.normal(size=(n, width)).astype(np.float32)
    df = pd.DataFrame({"caption": [f"item {i}" for i in range(n)]})
    return df, {"caption": emb.astype(np.float16)}, np.array(["a", "b"])[truth]


def test_given_embeddings_are_compacted_and_trained_on(tmp_path):
    df, emb, truth = _given_pool(3000, 300)
    s = mm.Session(
        df, labels=["a", "b"], text="caption", embeddings=emb, store=tmp_path / "l.sqlite",
        progress=False, background=False,
    )  # fmt: skip
    try:
        view = s.embeddings()
        assert view.X["caption"].shape == (3000, 128)
        assert view.X["caption"].dtype == np.float16
        assert view.projections["caption"].version == "pca-128-v1"
        for item in s.queue(10):
            s.label(item.id, truth[int(item.id)])
        assert s.model_version >= 1
        assert (s.predictions().idxmax(axis=1).to_numpy() == truth).mean() > 0.9
    finally:
        s.close()


@pytest.mark.parametrize(
    ("embeddings", "error", "words"),
    [
        ({}, SchemaError, "missing ['caption']"),
        ({"caption": np.zeros((5, 4)), "other": np.zeros((5, 4))}, SchemaError, "other"),
        ({"caption": np.zeros((4, 4))}, ShapeMismatchError, "(5, dim)"),
        ({"caption": np.zeros((5, 4), dtype=int)}, ShapeMismatchError, "floating point"),
    ],
)
def test_bad_given_embeddings_fail_before_anything_is_written(tmp_path, embeddings, error, words):
    df = pd.DataFrame({"caption": list("abcde")})
    with pytest.raises(error, match=None) as info:
        mm.Session(df, labels=["a", "b"], text="caption", embeddings=embeddings,
                   store=tmp_path / "l.sqlite", progress=False)  # fmt: skip
    assert words in str(info.value)
    assert not (tmp_path / "l.sqlite").exists()


def test_close_cancels_a_background_sweep(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer_module, "SWEEP_BLOCK", 16)  # a sweep of ~1000 steps
    df, emb, truth = _given_pool(16_000, 64)
    s = mm.Session(df, labels=["a", "b"], text="caption", embeddings=emb,
                   store=tmp_path / "l.sqlite", progress=False, rescore_top=50)  # fmt: skip
    for item in s.queue(6):
        s.label(item.id, truth[int(item.id)])
    assert s.wait(timeout=120)  # the first model scores the whole pool at once
    for item in s.queue(2):  # the next ones rescore candidates, then sweep
        s.label(item.id, truth[int(item.id)])
    deadline = time.monotonic() + 120
    while not s.status()["rescoring"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert s.status()["rescoring"], "the sweep never started"
    swept = []
    s.events.subscribe(lambda e: swept.append(e), kinds=["queue_changed"])
    s.close()
    assert not [t for t in threading.enumerate() if t.name == "mmwidgets-trainer"]
    assert not swept  # it stopped midway: a finished sweep would have published its queue


_MEMMAP_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np, pandas as pd
    import mmwidgets as mm

    path, store = sys.argv[1], sys.argv[2]
    emb = np.load(path, mmap_mode="r")
    n = emb.shape[0]
    df = pd.DataFrame({"caption": ["x"] * n})
    import torch  # noqa: F401  (the baseline includes the libraries, not the pool)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    s = mm.Session(df, labels=["a", "b"], text="caption", embeddings={"caption": emb},
                   store=store, progress=False, background=False)
    for k, item in enumerate(s.queue(4)):
        s.label(item.id, "ab"[k % 2])
    assert s.model_version >= 1 and not s.status()["rescoring"]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    s.close()
    print(after - before, emb.nbytes)
    """
)


def test_a_memmapped_pool_is_never_copied_into_memory(tmp_path):
    """Peak RSS grows by half the pool's fp16 file at most: reading it through the map would
    add the whole file, a float32 copy twice that."""
    n, width = 300_000, 1536  # 920 MB of fp16
    path = tmp_path / "pool.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, width))
    rng = np.random.default_rng(0)
    for start in range(0, n, 10_000):
        out[start : start + 10_000] = rng.normal(size=(10_000, width)).astype(np.float16)
    out.flush()
    del out
    done = subprocess.run(
        [sys.executable, "-c", _MEMMAP_SCRIPT, str(path), str(tmp_path / "l.sqlite")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    grown, raw = map(int, done.stdout.split())
    assert grown < raw / 2, (
        f"peak RSS grew by {grown / 2**20:.0f} MB over a {raw / 2**20:.0f} MB pool"
    )


def test_the_readmes_large_pool_example_runs_as_written(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Large pools")
    (block,) = re.findall(
        r"```python\n(.*?)```", readme[start : readme.index("\n## ", start + 1)], re.S
    )
    monkeypatch.chdir(tmp_path)
    df, emb, _ = _given_pool(2000, 300)
    np.save("text.npy", emb["caption"])
    image = np.full((2000, 200), np.nan, dtype=np.float16)
    image[::2] = np.random.default_rng(0).normal(size=(1000, 200))
    np.save("image.npy", image)
    df["photo"] = None
    namespace = {"np": np, "mm": mm, "df": df, "labels": ["a", "b"]}
    exec(compile(block, "README.md", "exec"), namespace)
    session = namespace["session"]
    try:
        view = session.embeddings()
        assert view.X["caption"].shape == (2000, 128)
        assert view.X["photo"].shape == (2000, 128)  # 1000 present rows: enough for 128 dims
        assert view.presence[:, 1].tolist() == [True, False] * 1000
    finally:
        session.close()


def test_media_are_checked_in_the_background_and_the_first_items_at_once(tmp_path, subset):
    """In the background the media check runs on the pool's thread: the first items shown were
    checked one by one, and the broken files it finds later never reach the queue."""
    good = subset["image"].iloc[0]
    paths = [good if i % 3 == 0 else str(tmp_path / f"missing{i}.png") for i in range(300)]
    df = pd.DataFrame({"caption": [f"thing {i}" for i in range(300)], "photo": paths})
    s = mm.Session(
        df, labels=["a", "b"], text="caption", image="photo", store=tmp_path / "l.sqlite",
        encoders={"text": "hashing", "image": "pixels"}, progress=False,
    )  # fmt: skip
    try:
        first = s.queue(20)
        assert all(int(item.id) % 3 == 0 for item in first), "a broken image was shown first"
        assert s.wait(timeout=120)
        assert s.dataset.n_problems == 200  # every missing file, found on the background thread
        for k, item in enumerate(s.queue(20)):
            assert int(item.id) % 3 == 0
            s.label(item.id, "ab"[k % 2])
        assert s.wait(timeout=120)
        assert all(int(item.id) % 3 == 0 for item in s.queue(20))
    finally:
        s.close()
