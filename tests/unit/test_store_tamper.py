"""Tampered label stores: real SQLite files (and a real PostgreSQL database) changed behind
mmwidgets' back with raw sqlite3 / psycopg. A foreign or modified schema is refused with one
StoreError naming the problem, leaving the file as it was; a malformed event row is skipped by
every view, named (seq, item) in a warning and by damaged_events(), and never fatal."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mmwidgets import LabelStore
from mmwidgets.data import open_store
from mmwidgets.exceptions import DamagedEventWarning, StoreError

# --- helpers ---------------------------------------------------------------------------------


def _store(path: Path, multi_label: bool = False) -> Path:
    """A real store holding two acknowledged labels: a=cat, b=dog."""
    with LabelStore(path, labels=["cat", "dog"], multi_label=multi_label) as store:
        store.set_batch([("a", "cat"), ("b", "dog")], annotator="ana")
    return path


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _fingerprint(path: Path) -> tuple[str, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest(), schema


def _refused(path: Path, *fragments: str, labels: Any = None) -> StoreError:
    """Open ``path``; assert one StoreError naming the file and every fragment; nothing changed."""
    before = _fingerprint(path)
    with pytest.raises(StoreError) as caught:
        LabelStore(path, labels=labels)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    assert caught.value.location == str(path)
    assert _fingerprint(path) == before  # refused before anything was written, byte for byte
    return caught.value


# --- foreign objects: triggers, views, tables, indexes ---------------------------------------


def test_a_trigger_that_deletes_acknowledged_labels_is_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(
        path,
        "CREATE TRIGGER forget AFTER INSERT ON events BEGIN "
        "DELETE FROM events WHERE item_id IN ('a', 'b'); END",
    )
    error = _refused(path, "a trigger 'forget' on table 'events'", 'DROP TRIGGER "forget"')
    assert "delete or rewrite labels" in str(error)
    assert error.problems == ("a trigger 'forget' on table 'events'",)

    # the advice works: a copy without the trigger opens with both labels intact
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(path.read_bytes())
    _tamper(copy, 'DROP TRIGGER "forget"')
    with LabelStore(copy) as store:
        store.set("c", "cat")
        assert store.current()["id"].tolist() == ["a", "b", "c"]


def test_a_trigger_that_rewrites_a_label_is_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(
        path,
        "CREATE TRIGGER swap AFTER INSERT ON events WHEN new.labels = '[\"cat\"]' BEGIN "
        "UPDATE events SET labels = '[\"dog\"]' WHERE seq = new.seq; END",
    )
    _refused(path, "a trigger 'swap' on table 'events'", labels=["cat", "dog"])


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("CREATE VIEW everything AS SELECT * FROM events", "a view 'everything'"),
        ("CREATE TABLE notes (text TEXT)", "a table 'notes'"),
        ("CREATE INDEX by_time ON events (time)", "an index 'by_time' on table 'events'"),
    ],
)
def test_views_tables_and_indexes_mmwidgets_did_not_create_are_refused(
    tmp_path: Path, statement: str, named: str
) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, statement)
    error = _refused(path, named, "modified outside mmwidgets")
    assert error.problems == (named,)


def test_every_problem_is_named_in_one_error(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(
        path,
        "CREATE VIEW v AS SELECT * FROM events",
        "CREATE TRIGGER t AFTER INSERT ON claims BEGIN SELECT 1; END",
    )
    error = _refused(path, "a view 'v'", "a trigger 't' on table 'claims'")
    assert len(error.problems) == 2


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "songs.sqlite"
    _tamper(path, "CREATE TABLE songs (title TEXT)")
    _refused(path, "not an mmwidgets label store", "['songs']", labels=["cat"])


# --- changed tables --------------------------------------------------------------------------


def test_a_dropped_column_is_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "ALTER TABLE events DROP COLUMN reason")
    _refused(path, "table 'events' lacks column(s) 'reason'", "not written by mmwidgets")


def test_a_renamed_column_is_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "ALTER TABLE events RENAME COLUMN labels TO label")
    _refused(path, "lacks column(s) 'labels'", "has column(s) 'label' mmwidgets does not create")


def test_a_table_redefined_with_the_same_columns_is_refused(tmp_path: Path) -> None:
    # same columns, but a conflict clause that silently deletes an item's earlier events
    path = _store(tmp_path / "l.sqlite")
    _tamper(
        path,
        "ALTER TABLE claims RENAME TO old_claims",
        "CREATE TABLE claims (item_id TEXT NOT NULL UNIQUE ON CONFLICT REPLACE, "
        "annotator TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (item_id, annotator))",
        "DROP TABLE old_claims",
    )
    _refused(path, "table 'claims' is defined differently")


# --- meta values -----------------------------------------------------------------------------


def test_a_meta_value_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "UPDATE meta SET value = '[\"cat\", ' WHERE key = 'labels'")
    error = _refused(path, "meta value of 'labels' is not JSON")
    assert "lacks 'labels'" not in str(error)  # present, only unreadable


def test_a_missing_meta_key_is_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "DELETE FROM meta WHERE key = 'multi_label'")
    _refused(path, "meta lacks 'multi_label'")


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("multi_label", '"yes"', "meta 'multi_label' is not true or false ('yes')"),
        ("schema_version", '"2"', "meta 'schema_version' is not a version number ('2')"),
        ("labels", '["cat", 7]', "meta 'labels' is not a valid label set"),
        ("labels", "[]", "meta 'labels' is not a valid label set"),
        ("created", '"yesterday"', "meta 'created' is not a time"),
    ],
)
def test_meta_values_of_the_wrong_type_are_refused(
    tmp_path: Path, key: str, value: str, named: str
) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, f"UPDATE meta SET value = '{value}' WHERE key = '{key}'")
    _refused(path, named)


def test_a_label_set_that_is_one_string_is_refused_not_split(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "UPDATE meta SET value = '\"abc\"' WHERE key = 'labels'")
    _refused(path, "meta 'labels' is not a list of labels ('abc')")


def test_events_without_any_meta_are_refused(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "DELETE FROM meta")
    _refused(path, "meta lacks 'schema_version'", "meta lacks 'labels'", labels=["cat", "dog"])


# --- files that are not databases ------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"just some notes, not a database\n" * 200)
    with pytest.raises(StoreError, match="can't read it as a database") as caught:
        LabelStore(path, labels=["cat"])
    assert str(path) in str(caught.value)
    assert path.read_bytes() == b"just some notes, not a database\n" * 200


def test_a_zero_byte_file_needs_labels_and_is_left_alone_without_them(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(ValueError, match=r"empty file \(0 bytes\).*needs its label set"):
        LabelStore(path)
    assert path.stat().st_size == 0
    # with a label set, an empty file is where a new store starts (as SQLite treats it)
    with LabelStore(path, labels=["cat"]) as store:
        store.set("a", "cat")
    assert LabelStore(path).get("a") == "cat"


# --- legitimate stores still open ------------------------------------------------------------

# a version-1 file exactly as the first mmwidgets wrote it (commit 1cbef6f)
_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL CHECK (kind IN ('set', 'clear', 'skip', 'undo')),
    item_id       TEXT    NOT NULL,
    labels        TEXT,
    annotator     TEXT    NOT NULL,
    time          REAL    NOT NULL,
    model_version INTEGER,
    reason        TEXT,
    undoes        INTEGER REFERENCES events (seq)
);
CREATE INDEX events_by_item ON events (item_id, seq, kind);
CREATE INDEX events_by_annotator ON events (annotator, seq);
CREATE UNIQUE INDEX events_undone ON events (undoes) WHERE undoes IS NOT NULL;
INSERT INTO meta VALUES ('schema_version', '1'), ('labels', '["cat", "dog"]'),
    ('multi_label', 'false'), ('created', '1700000000.5');
INSERT INTO events (kind, item_id, labels, annotator, time) VALUES
    ('set', 'a', '["cat"]', 'ann', 1.0), ('set', 'b', '["dog"]', 'ann', 2.0);
"""


def test_a_version_1_file_opens_upgraded_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(_V1)
    conn.close()
    with LabelStore(path) as store:  # upgraded: its events table is rebuilt and renamed
        assert store.current()["label"].tolist() == ["cat", "dog"]
        store.adjudicate("b", "cat", annotator="lead")
    with LabelStore(path) as reopened:  # the renamed table's quoted SQL is still recognised
        assert reopened.get("b") == "cat"


def test_sqlites_own_statistics_tables_are_accepted(tmp_path: Path) -> None:
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "ANALYZE")  # creates sqlite_stat1
    with LabelStore(path) as store:
        assert len(store) == 2


# --- malformed event rows: skipped, reported, never fatal ------------------------------------


def _labeled_twice(path: Path, multi_label: bool = False) -> Path:
    """a=cat; b labeled cat, then relabeled dog (seq 3) by the same annotator."""
    with LabelStore(path, labels=["cat", "dog"], multi_label=multi_label) as store:
        store.set_batch([("a", "cat"), ("b", "cat")], annotator="ana")
        store.set("b", "dog", annotator="ana")
    return path


@pytest.mark.parametrize(
    ("update", "problem"),
    [
        ("labels = '[]'", "a single-label event carries 0 labels"),
        ("labels = '[\"dog\"'", "its labels are not JSON"),
        ("labels = '{\"dog\": 1}'", "its labels are not a list of labels"),
        ("labels = NULL", "a set event without labels"),
        ("item_id = x'00ff'", "its item id is not a non-empty text"),
        ("time = 'noon'", "its time is not a number of seconds"),
        ("annotator = ''", "its annotator is not a non-empty text"),
        ("model_version = 'v2'", "its model_version is not an integer"),
    ],
)
def test_a_malformed_event_row_is_skipped_and_reported(
    tmp_path: Path, update: str, problem: str
) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite")
    _tamper(path, f"UPDATE events SET {update} WHERE seq = 3")
    with LabelStore(path) as store:
        with pytest.warns(DamagedEventWarning, match=r"seq 3 \(item .*\): " + problem):
            current = store.current()
        # b's earlier label by the same annotator counts again; a is untouched
        assert current.set_index("id")["label"].to_dict() == {"a": "cat", "b": "cat"}
        assert store.get("a") == "cat"
        assert len(store) == 2
        assert store.history()["seq"].tolist() == [1, 2]
        assert store.annotations()["id"].tolist() == ["a", "b"]
        damaged = store.damaged_events()
        assert damaged["seq"].tolist() == [3]
        assert problem in damaged["problem"].iloc[0]
        store.set("c", "dog")  # writing goes on
        assert store.labeled_ids() == ["a", "b", "c"]


def test_an_empty_list_row_does_not_break_the_whole_store(tmp_path: Path) -> None:
    # the tester's case: one '[]' row used to make current() raise IndexError for every item
    path = _store(tmp_path / "l.sqlite")
    _tamper(path, "UPDATE events SET labels = '[]' WHERE item_id = 'b'")
    with LabelStore(path) as store:
        with pytest.warns(DamagedEventWarning, match=r"seq 2 \(item 'b'\)"):
            current = store.current()
        assert current[["id", "label"]].values.tolist() == [["a", "cat"]]
        assert store.get("b") is None
        assert len(store) == 1
        assert store.damaged_events()[["seq", "id"]].values.tolist() == [[2, "b"]]


def test_an_unknown_event_kind_is_skipped(tmp_path: Path) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite")
    _tamper(
        path,
        "PRAGMA ignore_check_constraints = ON",
        "UPDATE events SET kind = 'relabel' WHERE seq = 3",
    )
    with LabelStore(path) as store:
        with pytest.warns(DamagedEventWarning, match="unknown event kind 'relabel'"):
            assert store.history()["kind"].tolist() == ["set", "set"]
        assert store.get("b") == "cat"


def test_each_damaged_row_is_warned_about_once(tmp_path: Path) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite")
    _tamper(path, "UPDATE events SET labels = '[' WHERE seq = 3")
    with LabelStore(path) as store, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            store.current()
            store.history()
    assert [type(w.message) for w in caught] == [DamagedEventWarning]


def test_undo_steps_past_a_damaged_event(tmp_path: Path) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite")
    _tamper(path, "UPDATE events SET labels = '[]' WHERE seq = 3")
    with LabelStore(path) as store:
        with pytest.warns(DamagedEventWarning, match=r"seq 3 \(item 'b'\)"):
            undone = store.undo("ana")
        assert undone is not None
        assert (undone.seq, undone.label) == (2, "cat")
        assert store.labeled_ids() == ["a"]


def test_a_multi_label_row_that_is_not_a_list_is_skipped(tmp_path: Path) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite", multi_label=True)
    _tamper(path, "UPDATE events SET labels = '\"dog\"' WHERE seq = 3")
    with LabelStore(path) as store:
        with pytest.warns(DamagedEventWarning, match="not a list"):
            labels = store.get("b")
        assert labels == ("cat",)
        store.set("c", [])  # "none apply" stays a valid multi-label event
        assert store.get("c") == ()
        assert store.damaged_events()["seq"].tolist() == [3]


def test_reopening_with_a_smaller_label_set_reads_past_damaged_rows(tmp_path: Path) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite")
    _tamper(path, "UPDATE events SET labels = '[]' WHERE seq = 3")
    # 'dog' is carried by no good row (b's dog event is the damaged one), so it may go
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = LabelStore(path, labels=["cat"])
        assert store.labels == ("cat",)
        assert store.get("b") == "cat"
        store.close()
    assert [type(w.message) for w in caught] == [DamagedEventWarning]


def test_a_sound_store_reports_no_damage(tmp_path: Path) -> None:
    path = _labeled_twice(tmp_path / "l.sqlite")
    with LabelStore(path) as store, warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.damaged_events().empty
        assert len(store.current()) == 2


# --- PostgreSQL: a database of its own per test, so a tampered table harms no other test ---


@pytest.fixture
def pg_database(pg_server: Any) -> Iterator[tuple[str, Any]]:
    """(a store URL base in a fresh database, a psycopg connection to it with autocommit)."""
    import psycopg

    name = f"tamper_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(pg_server.url(task=None), autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")  # a fresh random name, not user input
    conn = psycopg.connect(f"postgresql://mm@/{name}?host={pg_server.dir}", autocommit=True)
    try:
        yield f"postgresql://mm@/{name}?host={pg_server.dir}", conn
    finally:
        conn.close()
        admin.execute(f"DROP DATABASE {name}")
        admin.close()


def _pg_store(base: str) -> str:
    url = f"{base}&task=pets"
    with open_store(url, labels=["cat", "dog"]) as store:
        store.set_batch([("a", "cat"), ("b", "cat")], annotator="ana")
        store.set("b", "dog", annotator="ana")
    return url


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "CREATE FUNCTION forget() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN DELETE FROM mmw_events WHERE seq = NEW.seq; RETURN NULL; END $$; "
            "CREATE TRIGGER forget AFTER INSERT ON mmw_events"
            " FOR EACH ROW EXECUTE FUNCTION forget()",
            "a trigger 'forget' on table 'mmw_events'",
        ),
        (
            "CREATE RULE drop_all AS ON INSERT TO mmw_events DO INSTEAD NOTHING",
            "a rule 'drop_all' on table 'mmw_events'",
        ),
        (
            "ALTER TABLE mmw_events DROP COLUMN reason",
            "table 'mmw_events' lacks column(s) 'reason'",
        ),
        ("ALTER TABLE mmw_events ALTER COLUMN time TYPE TEXT", "column mmw_events.time is text"),
        ("ALTER TABLE mmw_events ENABLE ROW LEVEL SECURITY", "row-level security is enabled"),
        ("UPDATE mmw_tasks SET labels = '\"abc\"'", "meta 'labels' is not a list of labels"),
        ("UPDATE mmw_tasks SET labels = '[cat'", "its label set is not JSON"),
    ],
)
def test_postgres_tables_changed_outside_mmwidgets_are_refused(
    pg_database: tuple[str, Any], statement: str, named: str
) -> None:
    base, conn = pg_database
    url = _pg_store(base)
    conn.execute(statement)
    before = conn.execute("SELECT * FROM mmw_events ORDER BY seq").fetchall()
    with pytest.raises(StoreError, match="task 'pets'") as caught:
        open_store(url)
    assert named in str(caught.value), str(caught.value)
    assert conn.execute("SELECT * FROM mmw_events ORDER BY seq").fetchall() == before


def test_a_malformed_postgres_event_row_is_skipped_and_reported(
    pg_database: tuple[str, Any],
) -> None:
    base, conn = pg_database
    url = _pg_store(base)
    conn.execute("UPDATE mmw_events SET labels = '[]' WHERE seq = 3")
    with open_store(url) as store:
        with pytest.warns(DamagedEventWarning, match=r"seq 3 \(item 'b'\)"):
            assert store.current()["label"].tolist() == ["cat", "cat"]
        assert len(store) == 2
        assert store.damaged_events()["seq"].tolist() == [3]
        undone = store.undo("ana")  # steps past the damaged seq 3
        assert undone is not None
        assert undone.seq == 2
        assert store.labeled_ids() == ["a"]
