"""Checks, at open, that a SQLite file is a label store exactly as mmwidgets writes it.

SQLite runs whatever a file's schema holds: a trigger fires on every insert (it could delete
or rewrite labels as they are acknowledged), a changed column or an ``ON CONFLICT REPLACE``
clause changes what a write does. So before anything reads or writes, the file's
``sqlite_master`` is compared with what mmwidgets creates (every version it can still
upgrade), and the meta values are type-checked. Anything else is refused with one
:class:`~mmwidgets.exceptions.StoreError` listing every problem; the file is left as it was.
This reads a handful of schema rows, whatever the log's size.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Collection, Mapping
from typing import Any, TypeGuard

from mmwidgets.data._store_values import label_set
from mmwidgets.exceptions import StoreError

__all__ = ["meta_problems", "newer_version_error", "read_checked_meta", "store_error"]

# The events table of schema version 1 (its CHECK lacks 'adjudicate'; upgraded on open).
_V1_EVENTS = """CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('set', 'clear', 'skip', 'undo')),
    item_id TEXT NOT NULL, labels TEXT, annotator TEXT NOT NULL, time REAL NOT NULL,
    model_version INTEGER, reason TEXT, undoes INTEGER REFERENCES events (seq)
)"""
_TABLES = ("meta", "events", "claims")
_REQUIRED_META = ("schema_version", "labels", "multi_label")

_CHANGED_ADVICE = (
    "This file was not written by mmwidgets or was modified since; nothing in it was "
    "changed. Restore it from a backup, or recover its labels from a copy whose tables "
    "match what mmwidgets creates."
)


def _normal(sql: str) -> str:
    """A CREATE statement with quoting, spacing and case evened out, for comparison."""
    text = sql.replace('"', "").replace("`", "")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r" ?([(),]) ?", r"\1", text)
    return text.replace("IF NOT EXISTS ", "").strip().lower()


def _expected(ddl: tuple[str, ...]) -> dict[str, set[str]]:
    """Object name -> the normalized CREATE statements accepted for it."""
    accepted: dict[str, set[str]] = {}
    for statement in ddl:
        match = re.match(r"CREATE (?:UNIQUE )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)", statement)
        if match is None:  # pragma: no cover - the DDL is ours
            raise AssertionError(f"unexpected DDL statement {statement!r}")
        accepted.setdefault(match.group(1), set()).add(_normal(statement))
    return accepted


def read_checked_meta(
    conn: sqlite3.Connection, path: str, ddl: tuple[str, ...], version: int
) -> dict[str, Any]:
    """The file's meta values once its whole schema is what mmwidgets creates, else raise.

    ``ddl`` is every statement the current schema runs, ``version`` the newest schema
    version this mmwidgets reads. An empty file returns ``{}`` (a new store).

    Raises
    ------
    StoreError
        A foreign database, foreign objects (triggers, views, tables, indexes), changed
        tables, malformed meta values, or a newer schema version; the message lists them all.

    Examples
    --------
    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:")
    >>> _ = conn.execute("CREATE TABLE songs (title TEXT)")
    >>> read_checked_meta(conn, "x.sqlite", (), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.StoreError: x.sqlite is an SQLite database but not an mmwidgets ...
    """
    objects = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    tables = {name: sql for kind, name, _, sql in objects if kind == "table"}
    ours = [name for name in _TABLES if name in tables]
    if not ours:
        others = sorted(name for name in tables if not name.startswith("sqlite_"))
        if others:
            raise StoreError(
                f"{path} is an SQLite database but not an mmwidgets label store "
                f"(it has tables {others}); pick another path.",
                location=path,
                problems=[f"foreign tables {others}"],
            )
        return {}  # an empty database: a new store
    meta, meta_errors, unreadable = _read_meta(conn, tables)
    stored = meta.get("schema_version")
    if _is_int(stored) and stored > version:
        # a newer layout is not ours to judge, so this is said before any other check
        raise newer_version_error(path, stored, version)
    old = _is_int(stored) and stored < 2
    foreign = _foreign_objects(objects, _expected(ddl))
    changed = _changed_tables(conn, objects, _expected(ddl), old)
    missing = [f"it has no {name!r} table" for name in _TABLES if name not in tables]
    if old:
        missing = [problem for problem in missing if "'claims'" not in problem]
    problems = missing + changed + meta_errors
    if "meta" in tables and not any("'meta'" in problem for problem in changed):
        problems += meta_problems(meta, unreadable)
    if foreign or problems:
        advice = _CHANGED_ADVICE if problems else _foreign_advice(foreign)
        raise store_error(path, [what for what, _ in foreign] + problems, advice)
    return meta


def _foreign_advice(foreign: list[tuple[str, str]]) -> str:
    drops = "; ".join(drop for _, drop in foreign)
    harm = (
        " (a trigger can delete or rewrite labels as they are written)"
        if any(drop.startswith("DROP TRIGGER") for _, drop in foreign)
        else ""
    )
    return (
        f"mmwidgets never creates these, so the file was modified outside mmwidgets{harm}. "
        "Nothing in it was changed. Check what they do, then open a copy without them "
        f"(in the copy: sqlite3 copy.sqlite '{drops}'), or pick another path."
    )


def store_error(location: str, problems: list[str], advice: str) -> StoreError:
    """One StoreError naming ``location``, every problem, and what to do."""
    return StoreError(
        f"can't open {location} as a label store: {'; '.join(problems)}. {advice}",
        location=location,
        problems=problems,
    )


def newer_version_error(location: str, stored: int, version: int) -> StoreError:
    """The refusal of a store written by a newer mmwidgets (left exactly as it is)."""
    return StoreError(
        f"{location} uses label-store schema version {stored}, but this mmwidgets reads only "
        f"up to version {version}; upgrade mmwidgets to open it.",
        location=location,
        problems=[f"schema version {stored}"],
    )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_meta(
    conn: sqlite3.Connection, tables: Mapping[str, str]
) -> tuple[dict[str, Any], list[str], set[str]]:
    """The meta values that decode, the problems of those that don't, and their keys."""
    if "meta" not in tables:
        return {}, [], set()
    columns = {row[1] for row in conn.execute("PRAGMA table_info(meta)")}
    if not {"key", "value"} <= columns:
        return {}, [], set()  # reported as a changed table
    meta: dict[str, Any] = {}
    errors, unreadable = [], set()
    for key, value in conn.execute("SELECT key, value FROM meta"):
        try:
            meta[key] = json.loads(value)
        except (TypeError, ValueError):
            errors.append(f"meta value of {key!r} is not JSON ({_short(value)})")
            unreadable.add(str(key))
    return meta, errors, unreadable


def meta_problems(meta: Mapping[str, Any], unreadable: Collection[str] = ()) -> list[str]:
    """What is wrong with a task's stored values (label set, multi-label flag, version).

    Shared by both backends: the SQLite ``meta`` table and PostgreSQL's ``mmw_tasks`` row.
    Keys in ``unreadable`` (already reported as not JSON) are not reported missing.

    Examples
    --------
    >>> meta_problems({"schema_version": 2, "labels": "abc", "multi_label": False})
    ["meta 'labels' is not a list of labels ('abc')"]
    """
    problems = [
        f"meta lacks {key!r}" for key in _REQUIRED_META if key not in meta and key not in unreadable
    ]
    version = meta.get("schema_version", 1)
    if not _is_int(version) or version < 1:
        problems.append(f"meta 'schema_version' is not a version number ({_short(version)})")
    multi = meta.get("multi_label", False)
    if not isinstance(multi, bool):
        problems.append(f"meta 'multi_label' is not true or false ({_short(multi)})")
    labels = meta.get("labels", ["ok"])
    if not isinstance(labels, list):
        problems.append(f"meta 'labels' is not a list of labels ({_short(labels)})")
    else:
        try:
            label_set(labels, multi is True)
        except (TypeError, ValueError) as error:
            problems.append(f"meta 'labels' is not a valid label set: {error}")
    created = meta.get("created", 0.0)
    if isinstance(created, bool) or not isinstance(created, int | float):
        problems.append(f"meta 'created' is not a time ({_short(created)})")
    return problems


def _foreign_objects(
    objects: list[tuple[Any, ...]], expected: dict[str, set[str]]
) -> list[tuple[str, str]]:
    """(what, the statement that drops it) for every object mmwidgets does not create."""
    found = []
    for kind, name, table, sql in objects:
        if kind not in ("trigger", "view") and (
            sql is None or name.startswith("sqlite_") or name in expected
        ):
            continue  # ours, or SQLite's own (automatic indexes, sqlite_sequence, statistics)
        on = f" on table {table!r}" if kind in ("trigger", "index") else ""
        quoted = '"' + name.replace('"', '""') + '"'
        found.append((f"{_article(kind)} {kind} {name!r}{on}", f"DROP {kind.upper()} {quoted}"))
    return found


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _changed_tables(
    conn: sqlite3.Connection,
    objects: list[tuple[Any, ...]],
    expected: dict[str, set[str]],
    old: bool,
) -> list[str]:
    changed = []
    for kind, name, _, sql in objects:
        if kind not in ("table", "index") or name not in expected or sql is None:
            continue
        accepted = set(expected[name])
        if name == "events" and old:
            accepted.add(_normal(_V1_EVENTS))
        if _normal(sql) in accepted:
            continue
        if kind == "index":
            changed.append(f"index {name!r} is not the one mmwidgets creates ({_short(sql)})")
            continue
        changed.append(_column_difference(conn, name, next(iter(expected[name]))))
    return changed


def _column_difference(conn: sqlite3.Connection, table: str, expected_sql: str) -> str:
    have = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]  # table is ours
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute(expected_sql)
        want = [row[1] for row in probe.execute(f"PRAGMA table_info({table})")]
    finally:
        probe.close()
    lacking = [column for column in want if column not in have]
    extra = [column for column in have if column not in want]
    parts = []
    if lacking:
        parts.append(f"lacks column(s) {', '.join(map(repr, lacking))}")
    if extra:
        parts.append(f"has column(s) {', '.join(map(repr, extra))} mmwidgets does not create")
    if not parts:
        parts.append("is defined differently from the one mmwidgets creates (a changed type, "
                     "constraint, collation or conflict clause)")  # fmt: skip
    return f"table {table!r} " + " and ".join(parts)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
