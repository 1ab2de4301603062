"""The label store under real process death, real concurrent writers and a real server restart.

Every test runs on both backends: real SQLite files, and a real PostgreSQL server.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mmwidgets.data import open_store
from mmwidgets.exceptions import LabelNotStoredError

WRITER = Path(__file__).with_name("_store_writer.py")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _spawn_writer(
    path: str, annotator: str, prefix: str, count: int, pause_ms: float = 0.0
) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), annotator, prefix, str(count), str(pause_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if ready != "ready\n":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"writer did not start: {ready!r}\n{err}")


def _go(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def _acknowledged(stdout: str) -> list[str]:
    # A line cut off by the kill has no newline: its set() may not have returned yet.
    return [line[:-1] for line in stdout.splitlines(keepends=True) if line.endswith("\n")]


def test_every_acknowledged_label_survives_sigkill(store_location: Callable[[str], str]) -> None:
    path = store_location("labels")
    open_store(path, labels=["cat", "dog", "bird"]).close()
    rounds, rng = 25, random.Random(20240611)
    # Starting Python and importing pandas takes most of a round, so the next writers start
    # while this one works (they open the store too, as another annotator's kernel would).
    warming = deque(_spawn_writer(path, "killed", f"r{i}-", 10**6) for i in range(2))
    acknowledged: list[str] = []
    rounds_with_writes = 0
    try:
        for round_ in range(rounds):
            proc = warming.popleft()
            if round_ + 2 < rounds:
                warming.append(_spawn_writer(path, "killed", f"r{round_ + 2}-", 10**6))
            _wait_ready(proc)
            _go(proc)
            time.sleep(rng.uniform(0.0, 0.25))
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == -signal.SIGKILL, err
            printed = _acknowledged(out)
            acknowledged += printed
            rounds_with_writes += bool(printed)

            with open_store(path) as store:
                missing = set(printed) - set(store.labeled_ids())
            assert not missing, f"round {round_}: acknowledged but lost: {sorted(missing)[:5]}"
    finally:
        for leftover in warming:
            leftover.kill()
            leftover.communicate()

    with open_store(path) as store:
        current = store.current().set_index("id")
    assert (current.loc[acknowledged, "annotator"] == "killed").all()
    # Kills that land before the first write prove nothing; most must land mid-stream.
    assert rounds_with_writes >= rounds * 0.8


@pytest.mark.parametrize(
    ("pause_ms", "min_switches"),
    # Back-to-back writers hand the lock over only a few times (SQLite's lock is not fair: a
    # waiter polls with growing sleeps while the holder re-takes it at once), which is the
    # hardest case for the waiter; writers that rest a few ms, like very fast annotators,
    # alternate hundreds of times, which exercises many hand-overs.
    [(0.0, 1), (4.0, 20)],
    ids=["back-to-back", "paced"],
)
def test_two_processes_writing_at_once_lose_nothing(
    store_location: Callable[[str], str], tmp_path: Path, pause_ms: float, min_switches: int
) -> None:
    # created by whichever writer gets there first (SQLite: parent folders too)
    path = store_location("shared")
    if "://" not in path:
        path = str(tmp_path / "shared" / "labels.sqlite")
    writers = {
        name: _spawn_writer(path, name, f"{name}-", 300, pause_ms) for name in ("alice", "bob")
    }
    for proc in writers.values():
        _wait_ready(proc)
    for proc in writers.values():
        _go(proc)
    outputs = {name: proc.communicate(timeout=150) for name, proc in writers.items()}
    for name, proc in writers.items():
        assert proc.returncode == 0, outputs[name][1]

    with open_store(path) as store:
        current = store.current().set_index("id")
        history = store.history()
    for name, (out, _) in outputs.items():
        ids = _acknowledged(out)
        assert ids == [f"{name}-{i}" for i in range(300)]
        assert (current.loc[ids, "annotator"] == name).all()
    assert len(current) == 600
    assert history["seq"].tolist() == list(range(1, 601))
    # Interleaved commits show the writers really overlapped, not ran one after the other.
    order = history["annotator"].tolist()
    assert sum(a != b for a, b in itertools.pairwise(order)) >= min_switches


def test_labels_given_while_the_server_restarts_are_stored_exactly_once(pg_server: Any) -> None:
    url = pg_server.url(f"restart-{os.getpid()}-{time.monotonic_ns()}")
    states: list[str] = []
    acknowledged: list[str] = []
    failed: list[str] = []
    with open_store(url, labels=["cat", "dog"]) as store:
        store.watch(states.append)
        stop = threading.Event()

        def burst() -> None:
            i = 0
            while not stop.is_set():
                item = f"item-{i}"
                try:
                    store.set(item, "cat" if i % 2 else "dog", annotator="ana")
                    acknowledged.append(item)
                except LabelNotStoredError:
                    failed.append(item)
                i += 1

        writer = threading.Thread(target=burst)
        writer.start()
        time.sleep(0.5)
        before = len(acknowledged)
        pg_server.restart(mode="fast")  # every client connection is cut mid-burst
        time.sleep(0.5)
        stop.set()
        writer.join(timeout=60)
        assert not writer.is_alive()
        history = store.history()

    assert before > 0
    assert len(acknowledged) > before  # writes went on after the restart
    assert failed == []  # the server came back well within the reconnect timeout
    assert "reconnecting" in states
    assert states[-1] == "connected"
    stored = history["id"].tolist()
    # exactly once: every acknowledged label is there, none twice, nothing unacknowledged
    assert sorted(stored) == sorted(acknowledged)
    assert len(stored) == len(set(stored))
    assert history["seq"].tolist() == list(range(1, len(stored) + 1))


def test_a_label_the_server_never_took_is_reported_not_stored(pg_server: Any) -> None:
    url = pg_server.url(f"down-{os.getpid()}-{time.monotonic_ns()}")
    from mmwidgets.data import PostgresLabelStore

    store = PostgresLabelStore(url, labels=["cat"], reconnect_timeout=1.0)
    store.set("before", "cat")
    pg_server.stop(mode="fast")
    try:
        with pytest.raises(LabelNotStoredError, match=r"'after'.*was not stored"):
            store.set("after", "cat")
    finally:
        pg_server.start()
    assert store.labeled_ids() == ["before"]  # reads reconnect too; nothing was half-written
    store.close()
