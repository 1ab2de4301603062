"""Sharded encoding's parts: the plan, the worker function, staged shards, the input stream."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from mmwidgets import Dataset
from mmwidgets.encoders import EmbeddingCache, content_key, create_encoder, encode_dataset
from mmwidgets.encoders._batch_progress import Progress
from mmwidgets.encoders._batch_run import ColumnWork, lookup_column
from mmwidgets.encoders._shard_plan import PlannedColumn, ShardPlan
from mmwidgets.encoders._shard_task import EncoderRef, encode_shard
from mmwidgets.encoders.cache import stage_rows
from mmwidgets.encoders.compact import compact_inputs
from mmwidgets.session._fused import fused_embeddings
from mmwidgets.session._pool_stream import InputStream


def _plan(texts, shard_size, cache=None):
    encoder = create_encoder("text", "hashing", dim=16)
    work = ColumnWork("text", "t", list(range(len(texts))), texts)
    progress = Progress({"text": len(texts)}, show=False)
    found = lookup_column(work, len(texts), encoder, cache, progress, lambda r, p: None)
    return ShardPlan([PlannedColumn(work, found, EncoderRef.of(encoder))], shard_size), found


def test_plan_orders_items_by_content_hash_and_encodes_shared_content_once():
    texts = [f"text {i % 30}" for i in range(90)]  # every content three times
    plan, found = _plan(texts, shard_size=10)
    tasks = list(plan.tasks(None, None, require_shared=False))
    keys = [k for task in tasks for part in task.parts for k in part.keys]
    assert len(keys) == len(set(keys)) == 30
    assert keys == sorted(keys)  # hash order, not the frame's order
    assert len(plan) == 9
    assert sum(sum(plan.cells(i).values()) for i in range(9)) == 90
    # the later copies of a content wait on the shard of the first: items finish only then
    finished = []
    for task in tasks:
        result = encode_shard(task)
        for part in result.parts:
            finished += plan.apply(part, part.rows.astype(np.float32), lambda r, p: None)
    assert sorted(finished) == list(range(90))
    assert not plan.waiting_rows
    assert not np.isnan(found.matrix).any()


def test_worker_stages_rows_in_a_shared_folder_and_the_driver_adopts_them(tmp_path):
    plan, _ = _plan([f"t{i}" for i in range(5)], shard_size=5)
    (tmp_path / ".driver-tok").write_text("1")
    task = next(plan.tasks(str(tmp_path), "tok", require_shared=True))
    part = encode_shard(task).parts[0]
    assert part.rows is None
    assert part.staged is not None
    with EmbeddingCache(tmp_path) as cache:
        rows = cache.adopt_shard("text/h/1", part.staged, part.keys, dim=16)
        again = cache.get_many("text/h/1", part.keys)[0]
    np.testing.assert_array_equal(rows, again)
    missing = next(plan.tasks(str(tmp_path), "other-token", require_shared=True))
    with pytest.raises(FileNotFoundError, match="not visible on this worker"):
        encode_shard(missing)


@pytest.mark.parametrize(
    ("name", "rows", "problem"),
    [
        ("../../etc/passwd", None, "not a shard file name"),
        (None, np.zeros((3, 4), np.float16), r"not float16 \(2, 4\)"),
        (None, np.full((2, 4), np.inf, np.float16), "non-finite"),
    ],
)
def test_adopt_shard_refuses_what_is_not_a_whole_staged_shard(tmp_path, name, rows, problem):
    with EmbeddingCache(tmp_path) as cache:
        if name is None:
            name = stage_rows(tmp_path, rows)
        with pytest.raises(ValueError, match=problem):
            cache.adopt_shard("text/h/1", name, ["a", "b"], dim=4)
        assert cache.stats().entries == {}
    assert list((tmp_path / "shards").iterdir()) == []  # a refused file is not left behind


def test_encoders_pickle_without_their_model_and_resolve_auto_where_they_land():
    encoder = create_encoder("image")  # device="auto"
    encoder._get_model()  # loaded: the pickle must still not carry it
    blob = pickle.dumps(encoder)
    assert len(blob) < 10_000
    copy = pickle.loads(blob)
    assert copy.version == encoder.version
    assert copy.device in ("cpu", "cuda")
    assert copy._model is None
    assert copy.batch_size == encoder.batch_size


def test_on_items_delivers_every_item_once_in_hash_order(tmp_path):
    texts = [f"caption {i}" for i in range(200)]
    ds = Dataset.from_pandas(pd.DataFrame({"t": texts}), text="t")
    encode_dataset(ds, {"text": "hashing"}, cache=tmp_path, progress=False)  # half cached
    more = pd.DataFrame({"t": texts + [f"new {i}" for i in range(100)]})
    ds2 = Dataset.from_pandas(more, text="t")
    batches = []
    with ThreadPoolExecutor(1) as pool:
        enc = encode_dataset(
            ds2, {"text": "hashing"}, cache=tmp_path, progress=False, executor=pool,
            shard_size=25, on_items=lambda rows, cols: batches.append((rows, cols["t"])),
        )  # fmt: skip
    assert len(batches[0][0]) == 200  # what the cache held comes first, at once
    rows = np.concatenate([r for r, _ in batches])
    assert sorted(rows.tolist()) == list(range(300))
    for r, m in batches:
        np.testing.assert_array_equal(m, enc.column_embeddings["t"][r])
    cells = ds2.column_values("t")
    firsts = [content_key(cells[r[0]], "text") for r, _ in batches[1:]]
    assert len(firsts) == 4
    assert firsts == sorted(firsts)


def test_input_stream_equals_the_whole_pool_compaction():
    rng = np.random.default_rng(0)
    X = {"a": rng.normal(size=(400, 200)).astype(np.float32), "b": rng.normal(size=(400, 8))}
    X["b"][::7] = np.nan  # missing cells stay missing
    stream = InputStream(400, compact_dim=16, fused_dim=8)
    assert stream.fit_rows == 100
    order = rng.permutation(400)
    for chunk in np.array_split(order, 8):
        stream.add(chunk, {c: m[chunk] for c, m in X.items()})
    whole = compact_inputs(X, 16)
    assert not stream.pending.any()
    np.testing.assert_array_equal(stream.presence, whole.presence)
    assert stream.projections["b"] is None
    assert stream.X["a"].shape == (400, 16)
    # the projection was fitted on the first 100 items only: the same space up to sampling
    spread = np.nanstd(stream.X["a"].astype(np.float32), axis=0)
    assert (spread > 0).all()
    fused = fused_embeddings(stream.X, stream.presence, dim=8)
    np.testing.assert_allclose(np.nan_to_num(stream.fused), np.nan_to_num(fused), atol=1e-5)
