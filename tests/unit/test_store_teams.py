"""Several annotators on one store, on both backends: per-annotator state, the resolved label,
adjudication, claims, and upgrading a version-1 SQLite file."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mmwidgets import LabelStore, UnknownLabelError

StoreFactory = Callable[..., Any]


def test_each_annotator_keeps_their_own_label(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat", annotator="ana")
    store.set("a", "dog", annotator="ben")
    store.skip("a", annotator="cy")  # a skip does not unlabel the others' labels
    store.clear("a", annotator="ben")  # nor does a clear

    assert store.get("a") == "cat"
    assert store.skipped() == []
    annotations = store.annotations()
    assert annotations[["id", "annotator", "label"]].values.tolist() == [["a", "ana", "cat"]]
    assert store.done_by("cy") == ["a"]
    assert store.done_by("ben") == []


def test_majority_wins_and_a_tie_goes_to_the_latest_but_stays_disputed(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    store.set("m", "dog", annotator="ana")
    store.set("m", "cat", annotator="ben")
    store.set("m", "cat", annotator="cy")
    store.set("t", "dog", annotator="ana")
    store.set("t", "bird", annotator="ben")
    store.set("s", "cat", annotator="ana")
    store.set("s", "cat", annotator="ben")

    labels = store.current().set_index("id")
    assert labels.loc["m", "label"] == "cat"  # two of three
    assert labels.loc["m", "annotator"] == "cy"  # whoever gave the deciding label last
    assert labels.loc["t", "label"] == "bird"  # a tie: the latest
    assert labels.loc["s", "label"] == "cat"
    assert store.disputed() == ["m", "t"]
    assert len(store) == 3
    assert store.labeled_ids() == ["m", "t", "s"]
    assert store.get("t") == "bird"


def test_adjudication_decides_until_undone(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat", annotator="ana")
    store.set("a", "dog", annotator="ben")
    store.set("a", "dog", annotator="cy")
    event = store.adjudicate("a", "cat", annotator="lead")

    assert event.kind == "adjudicate"
    assert (event.label, event.annotator) == ("cat", "lead")
    assert store.get("a") == "cat"  # over the majority
    assert store.disputed() == []
    assert store.adjudications()[["id", "label", "annotator"]].values.tolist() == [
        ["a", "cat", "lead"]
    ]
    assert "lead" not in set(store.annotations()["annotator"])  # not an annotation
    with pytest.raises(UnknownLabelError, match="'fish'"):
        store.adjudicate("a", "fish", annotator="lead")

    assert store.undo("lead") == event
    assert store.get("a") == "dog"
    assert store.disputed() == ["a"]
    assert store.history()["kind"].tolist() == ["set", "set", "set", "adjudicate", "undo"]


def test_an_adjudicator_who_also_labeled_keeps_both_roles(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("a", "cat", annotator="ana")
    store.set("a", "dog", annotator="ben")
    store.adjudicate("a", "dog", annotator="ana")
    assert store.get("a") == "dog"
    mine = store.annotations().set_index("annotator").loc["ana", "label"]
    assert mine == "cat"  # her own annotation is unchanged by her ruling


def test_multi_label_majority_compares_whole_label_sets(make_store: StoreFactory) -> None:
    store = make_store(multi_label=True)
    store.set("a", ["cat", "dog"], annotator="ana")
    store.set("a", ["dog", "cat"], annotator="ben")
    store.set("a", ["bird"], annotator="cy")
    assert store.get("a") == ("cat", "dog")
    assert store.disputed() == ["a"]


def test_claims_keep_an_item_to_as_many_annotators_as_it_needs(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.claim({"solo": 1, "pair": 2}, annotator="ana") == ["solo", "pair"]
    assert store.claim({"solo": 1, "pair": 2}, annotator="ben") == ["pair"]
    assert store.claim({"solo": 1, "pair": 2}, annotator="cy") == []
    assert store.claim({"solo": 1}, annotator="ana") == ["solo"]  # renewing one's own claim

    store.release("ana")
    assert store.claim({"solo": 1}, annotator="ben") == ["solo"]


def test_a_labeled_item_is_not_granted_to_a_second_annotator(make_store: StoreFactory) -> None:
    store = make_store()
    store.set("x", "cat", annotator="ana")
    assert store.claim({"x": 1}, annotator="ben") == []
    assert store.claim({"x": 2}, annotator="ben") == ["x"]
    store.undo("ana")
    assert store.claim({"x": 1}, annotator="cy") == []  # ben's claim holds it now


def test_expired_claims_free_the_item(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.claim({"x": 1}, annotator="ana", ttl=0.2) == ["x"]
    assert store.claim({"x": 1}, annotator="ben") == []
    time.sleep(0.3)
    assert store.claim({"x": 1}, annotator="ben") == ["x"]
    with pytest.raises(ValueError, match="ttl"):
        store.claim({"x": 1}, annotator="ben", ttl=0)


def test_tasks_in_one_database_are_separate(store_location: Callable[[str], str]) -> None:
    from mmwidgets.data import open_store

    with (
        open_store(store_location("one"), labels=["cat"]) as one,
        open_store(store_location("two"), labels=["dog"]) as two,
    ):
        one.set("a", "cat")
        assert len(two) == 0
        two.set("a", "dog")
        assert (one.get("a"), two.get("a")) == ("cat", "dog")
        assert two.history()["seq"].tolist() == [1]


_V1_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('set', 'clear', 'skip', 'undo')),
    item_id TEXT NOT NULL, labels TEXT, annotator TEXT NOT NULL, time REAL NOT NULL,
    model_version INTEGER, reason TEXT, undoes INTEGER REFERENCES events (seq)
);
CREATE INDEX events_by_item ON events (item_id, seq, kind);
INSERT INTO meta VALUES ('schema_version', '1'), ('labels', '["cat", "dog"]'),
    ('multi_label', 'false'), ('created', '0');
INSERT INTO events (kind, item_id, labels, annotator, time) VALUES
    ('set', 'a', '["cat"]', 'ana', 1.0), ('set', 'b', '["dog"]', 'ana', 2.0);
INSERT INTO events (kind, item_id, labels, annotator, time, undoes) VALUES
    ('undo', 'b', NULL, 'ana', 3.0, 2);
"""


def test_a_version_1_file_is_upgraded_and_keeps_its_log(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(_V1_DDL)
    conn.close()

    with LabelStore(path) as store:
        assert store.labeled_ids() == ["a"]
        assert store.history()["kind"].tolist() == ["set", "set", "undo"]
        store.adjudicate("a", "dog", annotator="lead")  # the new kind is accepted
        assert store.set("c", "cat").seq == 5
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        violations = conn.execute("PRAGMA foreign_key_check").fetchall()
    conn.close()
    assert version == ("2",)
    assert violations == []
    assert LabelStore(path).get("a") == "dog"
