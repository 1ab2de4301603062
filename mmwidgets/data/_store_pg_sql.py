"""PostgreSQL layout of the label store: tables shared by every task, queries, and the URL.

The PostgreSQL mirror of :mod:`._store_schema`. One database holds many tasks: every table
carries a ``task`` column, and each task numbers its own events 1, 2, … (the task's row keeps
the last number, and taking it locks the row, so events are numbered in commit order, as
SQLite's single writer numbers them). Every statement is parameterised.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["parse_url"]

SCHEMA_VERSION = 1
# serialises CREATE TABLE IF NOT EXISTS between processes creating the tables at once
SCHEMA_LOCK = 0x6D6D7769  # "mmwi"

DDL = (
    """CREATE TABLE IF NOT EXISTS mmw_tasks (
        task           TEXT PRIMARY KEY,
        labels         TEXT NOT NULL,
        multi_label    BOOLEAN NOT NULL,
        schema_version INTEGER NOT NULL,
        created        DOUBLE PRECISION NOT NULL,
        last_seq       BIGINT NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS mmw_events (
        task          TEXT NOT NULL REFERENCES mmw_tasks (task),
        seq           BIGINT NOT NULL,
        kind          TEXT NOT NULL
                      CHECK (kind IN ('set', 'clear', 'skip', 'undo', 'adjudicate')),
        item_id       TEXT NOT NULL,
        labels        TEXT,
        annotator     TEXT NOT NULL,
        time          DOUBLE PRECISION NOT NULL,
        model_version BIGINT,
        reason        TEXT,
        undoes        BIGINT,
        request       TEXT,
        PRIMARY KEY (task, seq),
        FOREIGN KEY (task, undoes) REFERENCES mmw_events (task, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS mmw_events_by_annotation"
    " ON mmw_events (task, item_id, annotator, kind, seq)",
    "CREATE INDEX IF NOT EXISTS mmw_events_by_annotator ON mmw_events (task, annotator, seq)",
    "CREATE UNIQUE INDEX IF NOT EXISTS mmw_events_undone"
    " ON mmw_events (task, undoes) WHERE undoes IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS mmw_events_by_request"
    " ON mmw_events (task, request) WHERE request IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS mmw_claims (
        task      TEXT NOT NULL,
        item_id   TEXT NOT NULL,
        annotator TEXT NOT NULL,
        expires   DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (task, item_id, annotator)
    )""",
)

EVENT_COLUMNS = "seq, kind, item_id, labels, annotator, time, model_version, reason, undoes"

INSERT_TASK = """
INSERT INTO mmw_tasks (task, labels, multi_label, schema_version, created)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (task) DO NOTHING
"""
TASK = "SELECT labels, multi_label, schema_version FROM mmw_tasks WHERE task = %s FOR UPDATE"
SET_LABELS = "UPDATE mmw_tasks SET labels = %s WHERE task = %s"
# taking numbers locks the task's row until COMMIT: writers of one task commit in turn
TAKE_SEQS = "UPDATE mmw_tasks SET last_seq = last_seq + %s WHERE task = %s RETURNING last_seq"
LOCK_TASK = "SELECT last_seq FROM mmw_tasks WHERE task = %s FOR UPDATE"

INSERT_EVENT = f"""
INSERT INTO mmw_events (task, {EVENT_COLUMNS}, request)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
BY_REQUEST = f"""
SELECT {EVENT_COLUMNS} FROM mmw_events WHERE task = %s AND request = %s ORDER BY seq
"""
EVENT = f"SELECT {EVENT_COLUMNS} FROM mmw_events WHERE task = %s AND seq = %s"
HISTORY = f"SELECT {EVENT_COLUMNS} FROM mmw_events WHERE task = %s ORDER BY seq"
ITEM_HISTORY = f"""
SELECT {EVENT_COLUMNS} FROM mmw_events WHERE task = %s AND item_id = %s ORDER BY seq
"""

_LATEST = """
SELECT MAX(seq) AS seq FROM mmw_events
WHERE task = %(task)s AND kind <> 'undo' {where}
  AND seq NOT IN (
      SELECT undoes FROM mmw_events WHERE task = %(task)s AND undoes IS NOT NULL {where}
  )
GROUP BY item_id, annotator, kind = 'adjudicate'
"""
_ANNOTATIONS = f"""
SELECT e.seq, e.kind, e.item_id, e.labels, e.annotator, e.time, e.model_version, e.reason,
       e.undoes
FROM mmw_events AS e JOIN ({_LATEST}) AS latest ON e.task = %(task)s AND e.seq = latest.seq
ORDER BY e.seq
"""
ANNOTATIONS = _ANNOTATIONS.format(where="")
ITEM_ANNOTATIONS = _ANNOTATIONS.format(where="AND item_id = %(item)s")
COUNT_LABELED = f"""
SELECT COUNT(DISTINCT e.item_id)
FROM mmw_events AS e JOIN ({_LATEST.format(where="")}) AS latest
  ON e.task = %(task)s AND e.seq = latest.seq
WHERE e.kind IN ('set', 'adjudicate')
"""
LAST_UNDOABLE = f"""
SELECT {EVENT_COLUMNS} FROM mmw_events AS e
WHERE e.task = %s AND e.annotator = %s AND e.kind <> 'undo' AND e.seq < %s
  AND NOT EXISTS (SELECT 1 FROM mmw_events AS u WHERE u.task = e.task AND u.undoes = e.seq)
ORDER BY e.seq DESC LIMIT 1
"""

EXPIRE_CLAIMS = "DELETE FROM mmw_claims WHERE task = %s AND expires <= %s"
OTHERS_ON_ITEM = """
SELECT COUNT(*) FROM (
    SELECT annotator FROM mmw_claims
    WHERE task = %(task)s AND item_id = %(item)s AND annotator <> %(who)s AND expires > %(now)s
    UNION
    SELECT annotator FROM mmw_events
    WHERE task = %(task)s AND item_id = %(item)s AND annotator <> %(who)s AND kind = 'set'
      AND seq NOT IN (
          SELECT undoes FROM mmw_events
          WHERE task = %(task)s AND item_id = %(item)s AND undoes IS NOT NULL
      )
) AS others
"""
UPSERT_CLAIM = """
INSERT INTO mmw_claims (task, item_id, annotator, expires) VALUES (%s, %s, %s, %s)
ON CONFLICT (task, item_id, annotator) DO UPDATE SET expires = EXCLUDED.expires
"""
RELEASE_ALL = "DELETE FROM mmw_claims WHERE task = %s AND annotator = %s"
RELEASE_ONE = "DELETE FROM mmw_claims WHERE task = %s AND annotator = %s AND item_id = %s"


def parse_url(url: str) -> tuple[str, str, str]:
    """Split a store URL into ``(conninfo, task, shown)``: what psycopg gets, the task, a safe repr.

    ``task`` is the URL's ``task=`` query parameter (``"default"`` when absent); every other
    parameter (``host=/socket/dir``, ``connect_timeout=5`` …) goes to libpq as it is.
    ``shown`` is the URL without its password, for messages.

    Examples
    --------
    >>> parse_url("postgresql://ana:secret@db.example/labels?task=pets&connect_timeout=5")
    ('postgresql://ana:secret@db.example/labels?connect_timeout=5', 'pets', 'postgresql://ana@db.example/labels')
    >>> parse_url("postgresql:///labels?host=/tmp/pg")[1]
    'default'
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    tasks = [value for key, value in query if key == "task"]
    if len(tasks) > 1 or (tasks and not tasks[0]):
        raise ValueError(f"a store URL names one non-empty task=; got {tasks!r} in {url!r}")
    rest = urlencode([(key, value) for key, value in query if key != "task"])
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, ""))
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2:
        netloc = [netloc[0].split(":", 1)[0] + "@" + netloc[1]]
    shown = urlunsplit((parts.scheme, netloc[0], parts.path, "", ""))
    return conninfo, tasks[0] if tasks else "default", shown
