"""Ids, label sets and names a label store can't hold are refused where they come in.

A lone surrogate can't be written as UTF-8 (SQLite and PostgreSQL raise UnicodeEncodeError
on every write and read of it), and PostgreSQL refuses NUL characters: a Dataset refuses such
ids naming their rows, a store refuses such label sets, annotators, reasons and item ids before
it writes anything.
"""

from __future__ import annotations

import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets import Dataset, LabelStore
from mmwidgets.exceptions import SchemaError


def _frame(ids: list[object]) -> pd.DataFrame:
    # object dtype: pandas' own str dtype refuses surrogates, so such ids come in this way
    return pd.DataFrame(
        {"id": pd.Series(ids, dtype=object), "text": [f"a koala {i}" for i in range(len(ids))]}
    )


def test_a_lone_surrogate_id_is_refused_naming_its_row():
    with pytest.raises(SchemaError) as raised:
        Dataset.from_pandas(_frame(["a", "b", "c\ud800", "d"]), id="id", text="text")
    message = str(raised.value)
    assert message.startswith("id column 'id' has an id no label store can hold: row 2 ")
    assert "(id 'c\\ud800') holds a lone surrogate '\\ud800' at character 1" in message


def test_a_lone_surrogate_in_the_index_is_refused_naming_its_row():
    frame = pd.DataFrame(
        {"text": ["a koala", "a bus"]}, index=pd.Index(["ok", "\udcff"], dtype=object)
    )
    with pytest.raises(SchemaError, match=r"^the DataFrame index has an id .* row 1 "):
        Dataset.from_pandas(frame, text="text")


def test_a_nul_character_in_an_id_is_refused():
    with pytest.raises(SchemaError, match=r"row 1 \(id 'b\\x00c'\) holds a NUL character"):
        Dataset.from_pandas(_frame(["a", "b\x00c"]), id="id", text="text")


def test_many_bad_ids_are_counted_and_the_first_five_named():
    ids = [f"ok{i}" if i % 2 else f"bad{i}\ud800" for i in range(20)]
    with pytest.raises(SchemaError) as raised:
        Dataset.from_pandas(_frame(ids), id="id", text="text")
    message = str(raised.value)
    assert "has 10 ids no label store can hold" in message
    assert [f"row {r} " in message for r in (0, 2, 4, 6, 8, 10)] == [True] * 5 + [False]
    assert "; and 5 more;" in message


def test_a_session_refuses_a_surrogate_id_before_writing_anything(tmp_path):
    store = tmp_path / "labels.sqlite"
    with pytest.raises(SchemaError, match="row 1"):
        mm.Session(
            _frame(["a", "\ud800"]), labels=["cat", "dog"], id="id", text="text",
            encoders={"text": "hashing"}, store=store, progress=False,
        )  # fmt: skip
    assert not store.exists()


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([7, 8, 9], ["7", "8", "9"]),
        ([7.0, 8.5], ["7", "8.5"]),
        ([1, "a", 2.0, "café", "日本"], ["1", "a", "2", "café", "日本"]),
        (["NA", "null", " x ", "emoji \U0001f600"], ["NA", "null", " x ", "emoji \U0001f600"]),
    ],
)
def test_ids_that_round_trip_keep_their_existing_form(tmp_path, ids, expected):
    ds = Dataset.from_pandas(_frame(ids), id="id", text="text")
    assert ds.ids == expected
    with LabelStore(tmp_path / "l.sqlite", labels=["cat"]) as store:
        for item in ds.ids:
            store.set(item, "cat")
        assert store.labeled_ids() == expected


@pytest.mark.parametrize("labels", [["cat", "d\ud800g"], ["\udcff"]])
def test_a_label_set_with_a_lone_surrogate_is_refused_by_store_and_session(tmp_path, labels):
    position = next(i for i, label in enumerate(labels) if "\ud800" in label or "\udcff" in label)
    expected = rf"^label {position} of the label set, .* holds a lone surrogate"
    with pytest.raises(ValueError, match=expected):
        LabelStore(tmp_path / "l.sqlite", labels=labels)
    with pytest.raises(ValueError, match=expected):
        mm.Session(
            _frame(["a", "b"]), labels=labels, id="id", text="text",
            encoders={"text": "hashing"}, store=tmp_path / "s.sqlite", progress=False,
        )  # fmt: skip


def test_a_store_refuses_surrogate_ids_names_and_reasons_before_writing(tmp_path):
    with LabelStore(tmp_path / "l.sqlite", labels=["cat", "dog"]) as store:
        store.set("kept", "cat")
        with pytest.raises(ValueError, match=r"^item id '\\ud800' holds a lone surrogate"):
            store.set("\ud800", "cat")
        with pytest.raises(ValueError, match=r"^item id 'x\\udcff' holds"):
            store.skip("x\udcff")
        with pytest.raises(ValueError, match=r"^annotator name 'an\\ud800' holds"):
            store.set("b", "dog", annotator="an\ud800")
        with pytest.raises(ValueError, match=r"^reason 'r\\ud800' holds"):
            store.set("b", "dog", reason="r\ud800")
        with pytest.raises(ValueError, match="lone surrogate"):
            store.get("\ud800")  # a read names the problem too, instead of UnicodeEncodeError
        assert store.labeled_ids() == ["kept"]
        assert len(store.history()) == 1


def test_an_existing_store_with_a_nul_id_still_reads(tmp_path):
    # SQLite always held NUL characters; stores written before the Dataset check keep working
    with LabelStore(tmp_path / "l.sqlite", labels=["cat"]) as store:
        store.set("a\x00b", "cat")
        assert store.get("a\x00b") == "cat"
        assert store.labeled_ids() == ["a\x00b"]
