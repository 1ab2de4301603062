"""The label store on both backends (real SQLite files, a real PostgreSQL server): writing,
undo, views, export, reopening, several annotators."""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mmwidgets import LabelStore, UnknownLabelError
from mmwidgets.data.store import Event

StoreFactory = Callable[..., Any]


# --- writing and reading ---------------------------------------------------------------------


def test_set_then_current_holds_latest_label_with_meta(make_store: StoreFactory) -> None:
    store = make_store()
    event = store.set("a", "cat", annotator="ann", model_version=3, reason="uncertain")
    store.set("b", "dog")
    store.set("a", "bird", annotator="ann", model_version=4, reason="margin")

    assert event == Event(
        seq=1,
        kind="set",
        item_id="a",
        label="cat",
        annotator="ann",
        time=event.time,
        model_version=3,
        reason="uncertain",
    )
    current = store.current()
    assert list(current.columns) == [
        "id", "label", "annotator", "time", "model_version", "reason", "source"
    ]  # fmt: skip
    assert current["id"].tolist() == ["b", "a"]  # order of latest labeling
    assert current["label"].tolist() == ["dog", "bird"]
    row = current.set_index("id").loc["a"]
    assert (row["annotator"], row["model_version"], row["reason"]) == ("ann", 4, "margin")
    assert str(current["time"].dtype) == "datetime64[us, UTC]"
    assert current["model_version"].isna().tolist() == [True, False]
    assert len(store) == 2
    assert store.labeled_ids() == ["b", "a"]
    assert store.get("a") == "bird"
    assert store.get("nope") is None
    assert store.to_pandas().equals(current)


def test_time_is_utc_now(make_store: StoreFactory) -> None:
    store = make_store()
    before = pd.Timestamp.now(tz="UTC")
    store.set("a", "cat")
    stamp = store.current()["time"].iloc[0]
    assert before - pd.Timedelta(seconds=1) <= stamp <= pd.Timestamp.now(tz="UTC")


def test_multi_label_sets_are_sorted_deduplicated_tuples(make_store: StoreFactory) -> None:
    store = make_store(multi_label=True)
    store.set("a", ["dog", "cat", "dog"])
    store.set("b", "bird")  # a str is a one-label set
    store.set("c", [])  # "no label applies" is a label, unlike clear()

    assert store.multi_label
    labels = store.current().set_index("id")["label"].to_dict()
    assert labels == {"a": ("cat", "dog"), "b": ("bird",), "c": ()}
    assert len(store) == 3
    assert store.history()["kind"].tolist() == ["set", "set", "set"]


def test_unknown_label_is_rejected_and_nothing_written(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat")
    with pytest.raises(UnknownLabelError, match=r"'fish'.*'cat', 'dog', 'bird'"):
        store.set("b", "fish")
    assert len(store.history()) == 1

    multi = make_store(multi_label=True, name="multi")
    with pytest.raises(UnknownLabelError, match="'fish'"):
        multi.set("b", ["cat", "fish"])
    assert multi.history().empty


def test_single_label_store_takes_exactly_one_label(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(ValueError, match="single-label"):
        store.set("a", ["cat", "dog"])
    with pytest.raises(ValueError, match="single-label"):
        store.set("a", [])
    assert store.history().empty
    store.set("a", ["dog"])
    assert store.get("a") == "dog"


def test_unknown_meta_keyword_is_a_type_error_naming_it(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(TypeError, match="resaon"):
        store.set("a", "cat", resaon="typo")
    with pytest.raises(TypeError, match="model_version"):
        store.set("a", "cat", model_version="v1")
    assert store.history().empty


def test_clear_removes_the_label_and_undo_restores_it(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat")
    store.set("b", "dog")
    cleared = store.clear("a")

    assert cleared.kind == "clear"
    assert store.labeled_ids() == ["b"]
    assert store.get("a") is None
    assert store.undo() == cleared
    assert store.get("a") == "cat"


def test_skip_leaves_item_unlabeled_until_labeled_again(make_store: StoreFactory) -> None:
    store = make_store()
    store.skip("a", reason="unsure", model_version=2)
    store.set("b", "cat")
    store.skip("b")

    assert store.skipped() == ["a", "b"]
    assert len(store) == 0
    store.set("a", "dog")
    assert store.skipped() == ["b"]
    assert store.labeled_ids() == ["a"]
    first = store.history().iloc[0]
    assert (first["kind"], first["reason"], first["model_version"]) == ("skip", "unsure", 2)


# --- undo ------------------------------------------------------------------------------------


def test_undo_walks_back_through_one_annotators_events(make_store: StoreFactory) -> None:
    store = make_store()
    first = store.set("a", "cat")
    second = store.set("a", "dog")
    skip = store.skip("b")

    assert store.undo() == skip
    assert store.skipped() == []
    assert store.undo() == second
    assert store.get("a") == "cat"
    assert store.undo() == first
    assert store.get("a") is None
    assert store.undo() is None

    history = store.history()
    undos = history[history["kind"] == "undo"]
    assert undos["undoes"].tolist() == [skip.seq, second.seq, first.seq]
    assert undos["id"].tolist() == ["b", "a", "a"]


def test_undo_only_touches_the_calling_annotators_events(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat", annotator="alice")
    store.set("b", "dog", annotator="bob")
    store.set("c", "bird", annotator="alice")

    assert store.undo("bob") is not None
    assert store.undo("bob") is None
    assert store.labeled_ids() == ["a", "c"]
    undone = store.undo("alice")
    assert undone is not None
    assert undone.item_id == "c"
    assert store.labeled_ids() == ["a"]
    assert store.undo("nobody") is None


def test_undo_on_empty_store_returns_none_and_writes_nothing(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.undo() is None
    assert store.history().empty


# --- batches ---------------------------------------------------------------------------------


def test_set_batch_writes_all_in_one_go(make_store: StoreFactory) -> None:
    store = make_store()
    events = store.set_batch([("a", "cat"), (2, "dog"), ("c", "cat")], annotator="g", reason="x")

    assert [event.item_id for event in events] == ["a", "2", "c"]
    assert len({event.time for event in events}) == 1
    assert store.current()["annotator"].tolist() == ["g", "g", "g"]
    assert store.current()["reason"].tolist() == ["x", "x", "x"]


def test_set_batch_with_one_bad_label_writes_none(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("z", "cat")
    with pytest.raises(UnknownLabelError, match="'fish'"):
        store.set_batch([("a", "cat"), ("b", "fish"), ("c", "dog")])
    with pytest.raises(TypeError):
        store.set_batch([("a", "cat"), (None, "dog")])  # type: ignore[list-item]
    assert len(store.history()) == 1
    assert store.labeled_ids() == ["z"]


# --- export ----------------------------------------------------------------------------------


def _normalized(records: list[dict[Any, Any]], multi: bool) -> list[dict[str, Any]]:
    """Rows as plain Python values, so frames read back from any format compare equal."""

    def missing(value: Any) -> bool:
        return value is None or value == "" or (isinstance(value, float) and math.isnan(value))

    out = []
    for row in records:
        label = row["label"]
        if multi:
            if isinstance(label, str):
                label = label.split("|") if label else []
            label = tuple(str(item) for item in label)
        out.append(
            {
                "id": str(row["id"]),
                "label": label,
                "annotator": row["annotator"],
                "time": pd.Timestamp(row["time"]),
                "model_version": None
                if row["model_version"] is pd.NA or missing(row["model_version"])
                else int(row["model_version"]),
                "reason": None if missing(row["reason"]) else row["reason"],
            }
        )
    return out


def _read_back(path: Path) -> list[dict[Any, Any]]:
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif path.suffix == ".jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        frame = pd.read_parquet(path)
    return frame.astype(object).to_dict("records")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("multi", [False, True])
def test_export_round_trips(
    make_store: StoreFactory, tmp_path: Path, suffix: str, multi: bool
) -> None:
    store = make_store(multi_label=multi)
    store.set(1, ["cat", "dog"] if multi else "cat", model_version=7, reason="uncertain")
    store.set("b", [] if multi else "dog", annotator="bob")
    store.set("c", "bird")
    store.clear("c")

    written = store.export(tmp_path / "out" / f"labels{suffix}")

    assert written == tmp_path / "out" / f"labels{suffix}"
    expected = _normalized(store.current().astype(object).to_dict("records"), multi)
    assert len(expected) == 2
    assert _normalized(_read_back(written), multi) == expected


def test_export_csv_joins_multi_labels_with_pipe(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(multi_label=True)
    store.set("a", ["dog", "cat"])
    store.export(tmp_path / "labels.csv")
    assert pd.read_csv(tmp_path / "labels.csv")["label"].tolist() == ["cat|dog"]


def test_export_refuses_unknown_extension(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store()
    with pytest.raises(ValueError, match=r"\.csv, \.jsonl, \.parquet"):
        store.export(tmp_path / "labels.xlsx")
    assert not (tmp_path / "labels.xlsx").exists()


# --- opening, reopening, label sets ----------------------------------------------------------


def test_reopening_resumes_exactly(store_location: Callable[[str], str]) -> None:
    where = store_location("deep")
    with LabelStore.open(where, labels=["cat", "dog"], multi_label=True) as store:
        store.set("a", ["cat"], annotator="ann", model_version=1)
        store.set("b", ["dog", "cat"])
        store.skip("c")
        store.undo()
        before, history = store.current(), store.history()
    assert store.closed

    with LabelStore.open(where) as reopened:
        assert reopened.labels == ("cat", "dog")
        assert reopened.multi_label
        pd.testing.assert_frame_equal(reopened.current(), before)
        pd.testing.assert_frame_equal(reopened.history(), history)
        assert reopened.set("d", "dog").seq == len(history) + 1


def test_sqlite_parent_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "labels.sqlite"
    LabelStore(path, labels=["cat"]).close()
    assert LabelStore(str(path)).labels == ("cat",)


def test_label_set_can_grow_on_reopen(store_location: Callable[[str], str]) -> None:
    where = store_location("l")
    LabelStore.open(where, labels=["cat", "dog"]).close()
    with LabelStore.open(where, labels=["cat", "dog", "bird"]) as grown:
        grown.set("a", "bird")
    with LabelStore.open(where) as reopened:
        assert reopened.labels == ("cat", "dog", "bird")
        assert reopened.get("a") == "bird"


def test_dropping_a_carried_label_names_it_and_its_count(
    store_location: Callable[[str], str],
) -> None:
    where = store_location("l")
    with LabelStore.open(where, labels=["cat", "dog", "bird"]) as store:
        store.set_batch([("a", "cat"), ("b", "cat"), ("c", "dog"), ("d", "bird")])
        store.set("a", "cat", annotator="second")  # two annotators, still one item
        store.clear("d")
    with pytest.raises(UnknownLabelError, match=r"'cat' \(2 items\)") as caught:
        LabelStore.open(where, labels=["dog", "bird"])
    assert "'dog'" not in str(caught.value)
    # 'bird' is carried by no item any more (cleared), so it may go.
    with LabelStore.open(where, labels=["cat", "dog"]) as shrunk:
        assert shrunk.labels == ("cat", "dog")


def test_new_store_needs_labels(store_location: Callable[[str], str], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs its label set"):
        LabelStore.open(store_location("new"))
    assert not (tmp_path / "new.sqlite").exists()


def test_multi_label_flag_must_match_stored(store_location: Callable[[str], str]) -> None:
    where = store_location("l")
    LabelStore.open(where, labels=["cat"]).close()
    with pytest.raises(ValueError, match="single-label store"):
        LabelStore.open(where, multi_label=True)
    LabelStore.open(where, multi_label=False).close()


@pytest.mark.parametrize("path", [":memory:", ""])
def test_in_memory_store_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="in-memory"):
        LabelStore(path, labels=["cat"])


def test_bad_label_sets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="one string"):
        LabelStore(tmp_path / "a.sqlite", labels="cat")
    with pytest.raises(ValueError, match="empty"):
        LabelStore(tmp_path / "b.sqlite", labels=[])
    with pytest.raises(ValueError, match=r"'\|'"):
        LabelStore(tmp_path / "c.sqlite", labels=["a|b"], multi_label=True)


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    LabelStore(path, labels=["cat"]).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(ValueError, match="schema version 99"):
        LabelStore(path)


def test_files_that_are_not_label_stores_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ValueError, match="can't open"):
        LabelStore(junk, labels=["cat"])

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    conn.close()
    with pytest.raises(ValueError, match="not an mmwidgets label store"):
        LabelStore(other, labels=["cat"])


def test_int_ids_are_stored_as_str(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.set(7, "cat").item_id == "7"
    store.set("7", "dog")
    assert store.current()["id"].tolist() == ["7"]
    assert store.get(7) == "dog"
    with pytest.raises(TypeError, match="item ids"):
        store.set(True, "cat")
    with pytest.raises(TypeError, match="item ids"):
        store.set(1.5, "cat")  # type: ignore[arg-type]


# --- lifecycle and threads -------------------------------------------------------------------


def test_closed_store_refuses_work_and_close_is_idempotent(make_store: StoreFactory) -> None:
    store = make_store()
    store.close()
    store.close()
    with pytest.raises(ValueError, match="closed"):
        store.set("a", "cat")
    with pytest.raises(ValueError, match="closed"):
        store.current()
    assert "closed" in repr(store)


def test_repr_names_location_kind_and_count(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat")
    text = repr(store)
    assert "l.sqlite" in text if isinstance(store, LabelStore) else f"task={store.task!r}" in text
    assert "single-label" in text
    assert "1 labeled" in text


def test_one_store_shared_between_threads_loses_nothing(make_store: StoreFactory) -> None:
    store = make_store()
    errors: list[BaseException] = []

    def label(worker: int) -> None:
        try:
            for i in range(40):
                store.set(f"{worker}-{i}", "cat", annotator=f"w{worker}")
                if i % 10 == 0:
                    store.current()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=label, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(store) == 160
    assert store.history()["seq"].tolist() == list(range(1, 161))
