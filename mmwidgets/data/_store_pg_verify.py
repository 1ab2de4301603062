"""Checks, at open, that a database's mmwidgets tables are as mmwidgets creates them.

The PostgreSQL mirror of :mod:`._store_verify`. A database is shared with other software, so
only mmwidgets' own tables are judged: each must be an ordinary table with the columns and
types mmwidgets creates, and carry no trigger or rule of anyone else's (either can rewrite or
drop labels as they are written) and no row-level security (which can hide rows). The task's
row is type-checked like SQLite's meta values. A few catalog rows are read, whatever the size
of the log; anything wrong is refused with one :class:`~mmwidgets.exceptions.StoreError`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mmwidgets.data._store_verify import meta_problems, store_error

if TYPE_CHECKING:
    import psycopg

__all__ = ["check_tables", "checked_task"]

COLUMNS = {
    "mmw_tasks": {
        "task": "text",
        "labels": "text",
        "multi_label": "boolean",
        "schema_version": "integer",
        "created": "double precision",
        "last_seq": "bigint",
    },
    "mmw_events": {
        "task": "text",
        "seq": "bigint",
        "kind": "text",
        "item_id": "text",
        "labels": "text",
        "annotator": "text",
        "time": "double precision",
        "model_version": "bigint",
        "reason": "text",
        "undoes": "bigint",
        "request": "text",
    },
    "mmw_claims": {
        "task": "text",
        "item_id": "text",
        "annotator": "text",
        "expires": "double precision",
    },
}

# every relation is found the way unqualified queries find it (the search path)
_RELATIONS = """
SELECT c.oid, c.relname, c.relkind, c.relrowsecurity FROM pg_class AS c
WHERE c.oid IN (to_regclass('mmw_tasks'), to_regclass('mmw_events'), to_regclass('mmw_claims'))
"""
_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""
# tgisinternal: the triggers PostgreSQL itself adds for foreign keys
_TRIGGERS = """
SELECT c.relname, t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
WHERE t.tgrelid = ANY(%s) AND NOT t.tgisinternal ORDER BY 1, 2
"""
_RULES = """
SELECT c.relname, r.rulename FROM pg_rewrite AS r JOIN pg_class AS c ON c.oid = r.ev_class
WHERE r.ev_class = ANY(%s) ORDER BY 1, 2
"""

_ADVICE = (
    "mmwidgets creates none of these, so its tables were modified outside mmwidgets (a "
    "trigger or rule can drop or rewrite labels as they are written). Nothing was changed. "
    "Check what they do and remove them ({drops}), or use another database."
)


def check_tables(conn: psycopg.Connection[Any], where: str) -> None:
    """Raise a StoreError unless those of mmwidgets' tables that exist are as it creates them.

    Runs in the opening transaction, before ``CREATE … IF NOT EXISTS`` (which would skip a
    changed table, or fail on it with a raw error).
    """
    relations = conn.execute(_RELATIONS).fetchall()
    oids = [oid for oid, *_ in relations]
    problems, drops = [], []
    for _, name, kind, row_security in relations:
        if kind != "r":
            problems.append(f"{name!r} is not an ordinary table (relkind {kind!r})")
        if row_security:
            problems.append(f"row-level security is enabled on {name!r} (it can hide labels)")
            drops.append(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
    have: dict[str, dict[str, str]] = {}
    for table, column, kind in conn.execute(_COLUMNS, (oids,)):
        have.setdefault(table, {})[column] = kind
    for _, table, *_ in relations:  # those not there yet are created after this check
        problems += _column_problems(table, COLUMNS[table], have.get(table, {}))
    for table, trigger in conn.execute(_TRIGGERS, (oids,)):
        problems.append(f"a trigger {trigger!r} on table {table!r}")
        drops.append(f"DROP TRIGGER {_quoted(trigger)} ON {table}")
    for table, rule in conn.execute(_RULES, (oids,)):
        problems.append(f"a rule {rule!r} on table {table!r}")
        drops.append(f"DROP RULE {_quoted(rule)} ON {table}")
    if problems:
        advice = (
            _ADVICE.format(drops="; ".join(drops))
            if drops and len(drops) == len(problems)
            else "mmwidgets' tables in this database were modified outside mmwidgets; nothing "
            "was changed. Restore them from a backup, or use another database."
        )
        raise store_error(where, problems, advice)


def checked_task(row: tuple[Any, ...], where: str) -> tuple[tuple[str, ...], bool]:
    """The ``(labels, multi_label)`` of a task's row, once its values have the right types."""
    labels_json, multi, stored = row
    try:
        labels = json.loads(labels_json)
    except (TypeError, ValueError):
        problems = [f"its label set is not JSON ({labels_json!r:.60})"]
    else:
        meta = {"labels": labels, "multi_label": multi, "schema_version": stored}
        problems = meta_problems(meta)
    if problems:
        raise store_error(
            where,
            problems,
            "Its row in mmw_tasks was modified outside mmwidgets; nothing was changed. "
            "Restore it from a backup, or use another task name.",
        )
    return tuple(labels), bool(multi)


def _column_problems(table: str, want: dict[str, str], have: dict[str, str]) -> list[str]:
    problems = []
    lacking = [column for column in want if column not in have]
    if lacking:
        problems.append(f"table {table!r} lacks column(s) {', '.join(map(repr, lacking))}")
    for column, kind in have.items():
        if column not in want:
            continue  # a column of someone else's does not change what mmwidgets writes
        if kind != want[column]:
            problems.append(f"column {table}.{column} is {kind}, not {want[column]}")
    return problems


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
