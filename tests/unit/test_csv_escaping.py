"""CSV exports never hand a spreadsheet a formula to run, and read back exactly as documented."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets import LabelStore
from mmwidgets.data._store_frames import escape_formula

#: ids a spreadsheet would run, or that a default read_csv would turn into something else
IDS = [
    '=HYPERLINK("http://x","open")',
    "+A1",
    "-2+3",
    "@SUM(A1:A9)",
    "\tx",
    "\r=1",
    "'quoted",
    "''twice",
    "-5",
    "+1.5e3",
    "NA",
    "null",
    "007",
    "plain",
]
SPREADSHEET_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _read_back(path: Path) -> pd.DataFrame:
    """Exactly the recipe the export docstring gives."""
    labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    return labels.apply(lambda column: column.str.removeprefix("'"))


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    opened = LabelStore(tmp_path / "l.sqlite", labels=["cat", "=cmd|' /C calc'!A0"])
    for item in IDS:
        opened.set(item, "cat", reason="-uncertain" if item == "plain" else None)
    opened.set("evil-label", "=cmd|' /C calc'!A0", annotator="@ana")
    return opened


def test_no_cell_of_an_escaped_csv_starts_a_formula(store, tmp_path):
    written = store.export(tmp_path / "labels.csv")
    for row in _cells(written):
        for name, value in row.items():
            if value[:1] in SPREADSHEET_STARTS:
                assert value in ("-5", "+1.5e3"), (name, value)  # plain numbers never run
    rows = {row["id"]: row for row in _cells(written)}
    assert '\'=HYPERLINK("http://x","open")' in rows
    assert rows["'\r=1"]["label"] == "cat"
    assert rows["evil-label"]["label"] == "'=cmd|' /C calc'!A0"
    assert rows["evil-label"]["annotator"] == "'@ana"
    assert rows["plain"]["reason"] == "'-uncertain"


def test_the_documented_read_gives_back_every_value_exactly(store, tmp_path):
    back = _read_back(store.export(tmp_path / "labels.csv"))
    current = store.current()
    assert back["id"].tolist() == current["id"].tolist() == [*IDS, "evil-label"]
    assert back["label"].tolist() == current["label"].tolist()
    assert back["annotator"].tolist() == current["annotator"].tolist()
    reasons = [r if isinstance(r, str) else "" for r in current["reason"]]
    assert back["reason"].tolist() == reasons  # None is written as an empty cell
    assert back["source"].tolist() == current["source"].tolist()


def test_a_default_read_csv_would_not_round_trip_ids_like_na(store, tmp_path):
    naive = pd.read_csv(store.export(tmp_path / "labels.csv"))
    assert naive["id"].isna().sum() == 2  # "NA" and "null" became NaN: why the docs say dtype=str


@pytest.mark.parametrize("escape", [True, False])
def test_line_breaks_inside_values_stay_inside_their_cell(tmp_path, escape):
    store = LabelStore(tmp_path / "l.sqlite", labels=["cat"])
    reasons = ["one\rtwo", "one\ntwo", "one\r\ntwo", "\rfirst"]
    for i, reason in enumerate(reasons):
        store.set(f"item{i}", "cat", reason=reason)
    written = store.export(tmp_path / "labels.csv", escape_formulas=escape)
    back = pd.read_csv(written, dtype=str, keep_default_na=False)
    if escape:
        back = back.apply(lambda column: column.str.removeprefix("'"))
    assert back["id"].tolist() == [f"item{i}" for i in range(4)]
    assert back["reason"].tolist() == reasons


def test_escaping_off_writes_the_values_as_they_are(store, tmp_path):
    written = store.export(tmp_path / "raw.csv", escape_formulas=False)
    ids = [row["id"] for row in _cells(written)]
    assert ids == [*IDS, "evil-label"]
    back = pd.read_csv(written, dtype=str, keep_default_na=False)
    assert back["label"].tolist()[-1] == "=cmd|' /C calc'!A0"


def test_only_csv_is_escaped(store, tmp_path):
    written = store.export(tmp_path / "labels.jsonl")
    ids = [json.loads(line)["id"] for line in written.read_text().splitlines()]
    assert ids == [*IDS, "evil-label"]


def test_multi_label_sets_are_escaped_after_joining(tmp_path):
    multi = LabelStore(tmp_path / "m.sqlite", labels=["=x", "cat"], multi_label=True)
    multi.set("a", ["cat", "=x"])
    written = multi.export(tmp_path / "m.csv")
    assert _cells(written)[0]["label"] == "'=x|cat"
    assert _read_back(written)["label"].tolist() == ["=x|cat"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1", "'=1"),
        ("+", "'+"),
        ("-", "'-"),
        ("@", "'@"),
        ("\t1", "'\t1"),
        ("\r", "'\r"),
        ("'", "''"),
        ("-1", "-1"),
        ("+0.5", "+0.5"),
        ("-.5e-3", "-.5e-3"),
        ("-1-1", "'-1-1"),
        ("1=1", "1=1"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected
    if expected != value:  # escaping only ever adds one quote, which the documented read removes
        assert expected == "'" + value


def test_a_sessions_store_exports_escaped(tmp_path):
    frame = pd.DataFrame({"id": ["=2*3", "b", "c"], "text": ["a cat", "a dog", "a bus"]})
    session = mm.Session(
        frame, labels=["cat", "dog"], id="id", text="text", encoders={"text": "hashing"},
        store=tmp_path / "labels.sqlite", progress=False, background=False,
    )  # fmt: skip
    try:
        session.label("=2*3", "cat")
        written = session.store.export(tmp_path / "labels.csv")
        assert _cells(written)[0]["id"] == "'=2*3"
        assert _read_back(written)["id"].tolist() == ["=2*3"]
    finally:
        session.close()
