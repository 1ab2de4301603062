"""One bad cell never stops encoding: a failing forward is bisected to the items at fault.

The default text encoder runs on its shipped weights; the toy encoders are real ``Encoder``
subclasses that fail on chosen inputs, so that the bisection's findings and its cost can be
checked exactly. The toy encoders live at module level so that a process pool's worker can
unpickle them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets import Dataset
from mmwidgets.encoders import (
    Encoder,
    create_encoder,
    encode_dataset,
    register_encoder,
    unregister_encoder,
)
from mmwidgets.encoders.text import HashingTextEncoder, SentenceTransformerEncoder
from mmwidgets.exceptions import EncoderFailedError

POISON = "poison"
GOOD = [f"{animal} number {i} in the {place}" for i, (animal, place) in enumerate(
    [(a, p) for a in ("koala", "wombat", "emu", "quokka") for p in ("tree", "bush", "sand")]
)]  # fmt: skip


class Picky(HashingTextEncoder):
    """Feature hashing whose forward raises on any batch holding a poisoned text."""

    def __init__(self, batch_size: int = 32) -> None:
        super().__init__(dim=16, batch_size=batch_size)
        self.name = "picky"
        self.version += "|picky"
        self.forwards = 0

    def _load(self, value: Any) -> Any:
        return (value, super()._load(value))

    def _forward(self, inputs: list[Any]) -> np.ndarray:
        self.forwards += 1
        bad = [text for text, _ in inputs if POISON in text]
        if bad:
            raise KeyError(f"no vocabulary for {bad[0]!r}")
        return super()._forward([words for _, words in inputs])


class Broken(HashingTextEncoder):
    """An encoder whose model never works: every forward raises the same error."""

    def __init__(self, batch_size: int = 16) -> None:
        super().__init__(dim=16, batch_size=batch_size)
        self.name = "broken"
        self.forwards = 0

    def _forward(self, inputs: list[Any]) -> np.ndarray:
        self.forwards += 1
        raise OSError("model file is truncated")


class BreaksLater(HashingTextEncoder):
    """Works for ``good_calls`` forwards, then fails on everything (a device that died)."""

    def __init__(self, good_calls: int, batch_size: int = 8) -> None:
        super().__init__(dim=16, batch_size=batch_size)
        self.name = "breaks-later"
        self.good_calls = good_calls
        self.forwards = 0

    def _forward(self, inputs: list[Any]) -> np.ndarray:
        self.forwards += 1
        if self.forwards > self.good_calls:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return super()._forward(inputs)


class Unchecked(SentenceTransformerEncoder):
    """The default text encoder without its input check, so bad text reaches the tokenizer."""

    def _load(self, value: Any) -> Any:
        return value


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEncoder:
    encoder = create_encoder("text", device="cpu")
    assert isinstance(encoder, SentenceTransformerEncoder)
    return encoder


@pytest.fixture
def picky_registered() -> Iterator[None]:
    register_encoder("text", "picky")(Picky)
    yield
    unregister_encoder("text", "picky")


def _problems(values: list[Any], encoder: Encoder) -> tuple[np.ndarray, dict[int, str]]:
    found: dict[int, str] = {}
    rows = encoder.encode(values, on_problem=found.__setitem__)
    return rows, found


def _texts(n: int, poisoned: tuple[int, ...]) -> list[str]:
    return [f"{POISON} {i}" if i in poisoned else f"{GOOD[i % len(GOOD)]} {i}" for i in range(n)]


# --- the default text encoder on its shipped weights ------------------------------------------


def test_a_lone_surrogate_cell_is_its_items_problem_and_the_rest_encode(minilm):
    texts = [*GOOD[:5], "\ud800", *GOOD[5:]]
    # object dtype: pandas' own str dtype refuses surrogates, which is how such cells get in
    captions = pd.Series(texts, dtype=object)
    frame = pd.DataFrame({"id": [f"i{n}" for n in range(len(texts))], "caption": captions})
    ds = Dataset.from_pandas(frame, id="id", text="caption")
    encoded = encode_dataset(ds, {"text": minilm}, cache=False, progress=False)

    problems = ds.problems().to_dict("records")
    assert [(p["id"], p["column"]) for p in problems] == [("i5", "caption")]
    assert "lone surrogate '\\ud800' at character 0" in problems[0]["problem"]
    assert encoded.presence[:, 0].tolist() == [n != 5 for n in range(len(texts))]
    alone = minilm.encode(GOOD)
    rows = encoded.embeddings["text"][[n for n in range(len(texts)) if n != 5]]
    np.testing.assert_allclose(rows, alone, atol=1e-5)


def test_the_models_own_failure_on_one_text_is_bisected_to_it(minilm):
    unchecked = Unchecked(device="cpu")
    texts = [*GOOD[:7], "a broken \ud800 caption", *GOOD[7:]]
    rows, found = _problems(texts, unchecked)
    assert list(found) == [7]
    assert found[7].startswith("text encoder 'minilm' failed on this item: TypeError: ")
    keep = [n for n in range(len(texts)) if n != 7]
    np.testing.assert_allclose(rows[keep], minilm.encode(GOOD), atol=1e-5)
    assert np.isnan(rows[7]).all()


def test_a_huge_text_is_cut_before_tokenizing_and_embeds_as_the_model_reads_it(minilm):
    huge = "koalas sleep in eucalyptus trees. " * 30_000  # ~1 MB, far past 256 tokens
    assert len(huge) > minilm.max_chars
    model = minilm._get_model()
    whole = model.encode([huge], normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(minilm.encode([huge]), whole, atol=1e-5)


# --- bisection, on encoders that fail on chosen inputs ------------------------------------------


@pytest.mark.parametrize(
    ("n", "poisoned"), [(32, (13,)), (32, (0, 31)), (32, (4, 5, 20)), (7, (6,)), (1, (0,))]
)
def test_bisection_finds_exactly_the_poisoned_items(n, poisoned):
    picky = Picky(batch_size=32)
    texts = _texts(n, poisoned)
    rows, found = _problems(texts, picky)

    assert sorted(found) == list(poisoned)
    for i in poisoned:
        assert found[i] == (
            f"text encoder 'picky' failed on this item: KeyError: \"no vocabulary for "
            f"'{POISON} {i}'\""
        )
    good = [i for i in range(n) if i not in poisoned]
    if good:
        reference = HashingTextEncoder(dim=16).encode([texts[i] for i in good])
        np.testing.assert_array_equal(rows[good], reference)
    assert np.isnan(rows[list(poisoned)]).all()


def test_bisection_costs_at_most_two_forwards_per_level_per_bad_item():
    picky = Picky(batch_size=64)
    picky.encode(_texts(64, (41,)), on_problem=lambda i, p: None)
    assert picky.forwards <= 1 + 2 * math.ceil(math.log2(64))  # 13; one bad item
    clean = Picky(batch_size=64)
    clean.encode(_texts(64, ()))
    assert clean.forwards == 1  # a good batch is one forward, as before


def test_the_order_of_problems_follows_the_rows():
    seen: list[int] = []
    Picky().encode(_texts(32, (30, 2, 17)), on_problem=lambda i, p: seen.append(i))
    assert seen == [2, 17, 30]


def test_an_encoder_that_always_fails_raises_once_and_records_nothing():
    broken = Broken(batch_size=16)
    ds = Dataset.from_pandas(pd.DataFrame({"t": _texts(100, ())}), text="t")
    with pytest.raises(EncoderFailedError) as raised:
        encode_dataset(ds, {"text": broken}, cache=False, progress=False, batch_size=16)
    message = str(raised.value)
    assert "text encoder 'broken' failed on each of the 16 items of a batch" in message
    assert "before encoding anything: OSError: model file is truncated" in message
    assert isinstance(raised.value.__cause__, OSError)
    assert broken.forwards == 2 * 16 - 1  # one batch bisected to its leaves, then it stops
    assert ds.n_problems == 0  # not a hundred "problems" that are really the encoder's


def test_an_encoder_that_breaks_mid_run_stops_after_a_bounded_number_of_items():
    later = BreaksLater(good_calls=2, batch_size=8)
    found: dict[int, str] = {}
    with pytest.raises(EncoderFailedError, match="after 16 failures in a row"):
        later.encode(_texts(200, ()), on_problem=found.__setitem__)
    assert sorted(found) == list(range(16, 24))  # one batch reported before it gave up
    assert later.forwards == 2 + 2 * (2 * 8 - 1)


def test_one_failing_value_alone_is_its_problem_not_the_encoders():
    rows, found = _problems(["a koala"], Broken())
    assert list(found) == [0]
    assert found[0] == "text encoder 'broken' failed on this item: OSError: model file is truncated"
    assert np.isnan(rows).all()


def test_a_wrongly_shaped_forward_is_a_failure_not_a_silent_misalignment():
    class Short(HashingTextEncoder):
        def _forward(self, inputs: list[Any]) -> np.ndarray:
            return (
                super()._forward(inputs)[:-1]
                if POISON in inputs[0][0]
                else (super()._forward(inputs))
            )

    short = Short(dim=8)
    texts = [f"{POISON} first", "a koala", "a wombat"]
    with pytest.raises(EncoderFailedError, match=r"returned an array of shape \(0, 8\)"):
        short.encode(texts[:1] * 2)
    rows, found = _problems(texts, Short(dim=8))
    assert list(found) == [0]
    assert "returned an array of shape (0, 8) for 1 inputs" in found[0]
    np.testing.assert_array_equal(rows[1:], HashingTextEncoder(dim=8).encode(texts[1:]))


# --- through encode_dataset, a process pool and a Session ------------------------------------


def test_a_registered_encoder_by_name_records_the_poisoned_item_by_id_and_column(
    picky_registered,
):
    texts = _texts(40, (9, 33))
    ds = Dataset.from_pandas(
        pd.DataFrame({"key": [f"k{i}" for i in range(40)], "note": texts}), id="key", text="note"
    )
    encoded = encode_dataset(ds, {"text": "picky"}, cache=False, progress=False)
    problems = ds.problems()
    assert problems[["id", "column"]].to_dict("records") == [
        {"id": "k9", "column": "note"},
        {"id": "k33", "column": "note"},
    ]
    assert [(p.item_id, p.column) for p in encoded.problems] == [("k9", "note"), ("k33", "note")]
    assert int(encoded.presence[:, 0].sum()) == 38


def test_workers_of_a_process_pool_bisect_alike(tmp_path):
    texts = _texts(60, (3, 44))
    ds = Dataset.from_pandas(pd.DataFrame({"t": texts}), text="t")
    with ProcessPoolExecutor(max_workers=1) as pool:
        encoded = encode_dataset(
            ds, {"text": Picky()}, cache=tmp_path / "cache", progress=False, executor=pool,
            shard_size=20,
        )  # fmt: skip
        assert ds.problems()["id"].tolist() == ["3", "44"]
        assert ds.problems()["problem"].str.startswith("text encoder 'picky' failed").all()
        assert int(encoded.presence[:, 0].sum()) == 58
        good = [i for i in range(60) if i not in (3, 44)]
        reference = HashingTextEncoder(dim=16).encode([texts[i] for i in good])
        np.testing.assert_allclose(encoded.embeddings["text"][good], reference, atol=2e-3)

        fresh = Dataset.from_pandas(pd.DataFrame({"t": texts}), text="t")
        with pytest.raises(RuntimeError, match="EncoderFailedError: text encoder 'broken'"):
            encode_dataset(
                fresh, {"text": Broken()}, cache=False, progress=False, executor=pool,
                shard_size=20,
            )  # fmt: skip
        assert fresh.n_problems == 0


def test_a_session_with_a_surrogate_cell_trains_and_reports_it(tmp_path):
    texts = [*(f"a koala number {i} asleep in a tree" for i in range(8))]
    texts += [f"a fire truck number {i} on the road" for i in range(8)]
    texts.insert(5, "broken \udcff text")
    ids = [f"n{i}" for i in range(len(texts))]
    frame = pd.DataFrame({"id": ids, "text": pd.Series(texts, dtype=object)})
    session = mm.Session(
        frame, labels=["animal", "vehicle"], id="id", text="text",
        store=tmp_path / "labels.sqlite", cache_dir=tmp_path / "embeddings", progress=False,
        metrics_every=1, timeout=120,
    )  # fmt: skip
    try:
        session.wait(timeout=120)
        for i, item in enumerate(["n0", "n1", "n2", "n3", "n10", "n11", "n12", "n13"]):
            session.label(item, "animal" if i < 4 else "vehicle")
        assert session.wait(timeout=120)
        status = session.status()
        assert status["error"] is None
        assert status["model_version"] >= 1
        problems = session.dataset.problems()
        assert problems[["id", "column"]].to_dict("records") == [{"id": "n5", "column": "text"}]
        metrics = session.metrics(timeout=120)
        assert metrics.n_labels == 8
        scores = session.predictions()
        good = [i for i in scores.index if i != "n5"]
        assert scores.loc[good].notna().all(axis=None)
        session.skip("n6")
        assert "n6" in session.store.skipped()
    finally:
        session.close()


def test_a_session_whose_encoder_is_broken_says_so_once_and_marks_no_item(tmp_path):
    frame = pd.DataFrame({"t": [f"a koala number {i}" for i in range(40)]})
    session = mm.Session(
        frame, labels=["a", "b"], text="t", encoders={"text": Broken()},
        store=tmp_path / "labels.sqlite", progress=False, timeout=5,
    )  # fmt: skip
    try:
        with pytest.raises(mm.NotReadyError, match="EncoderFailedError: text encoder 'broken'"):
            session.metrics(timeout=60)
        error = session.status()["error"]
        assert error.startswith("encoding failed: EncoderFailedError: text encoder 'broken' ")
        assert "OSError: model file is truncated" in error
        assert session.dataset.n_problems == 0
    finally:
        session.close()
