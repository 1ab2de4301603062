"""Fuzzed pools through the whole Session: one bad cell never stops a session.

Every case of ``_fuzz_case.py`` (good rows plus one faulty row) runs in its own process under a
timeout and a memory budget watched from here. It must either be refused at construction with an
error naming the row, or build with the fault listed in ``problems()`` by item and column (or,
for values that are merely odd, build cleanly); and whenever it builds, the good items still
encode, train and label.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from _fuzz_case import BAD_ID, CASES, GOOD

TIMEOUT_S = 150.0
"""Wall-clock limit per case: a build, two waits and a few labels take ~10 s here."""
MEMORY_BUDGET = 3 * 1024**3
"""Resident memory limit per case process (the runaway reads in the issue passed 8 GB)."""
SCRIPT = Path(__file__).with_name("_fuzz_case.py")

pytestmark = pytest.mark.slow


def _run(name: str, folder: Path) -> tuple[dict[str, Any] | None, str]:
    """Run one case; fail on a hang or on memory past the budget, watched from outside."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, str(SCRIPT), name, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    watched = psutil.Process(child.pid)
    peak, started = 0, time.monotonic()
    while child.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if peak > MEMORY_BUDGET or time.monotonic() - started > TIMEOUT_S:
            child.kill()
            child.communicate()
            what = "memory" if peak > MEMORY_BUDGET else "time"
            pytest.fail(f"case {name!r} ran past its {what} budget (peak RSS {peak >> 20} MB)")
        time.sleep(0.05)
    out, err = child.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return (json.loads(lines[-1]) if lines else None), err


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_faulty_row_is_refused_by_row_or_listed_and_the_rest_still_works(
    name: str, tmp_path: Path
) -> None:
    case = CASES[name]
    result, err = _run(name, tmp_path)
    assert result is not None, f"case {name!r} crashed:\n{err[-3000:]}"
    if result["outcome"] == "refused":
        assert "refused" in case.outcomes, (
            f"{name}: refused, expected {set(case.outcomes)}: {result}"
        )
        message = result["error"]
        # a label set of the wrong type is a TypeError, as Python's own checks would raise
        clear = result["clear"] or (case.labels is not None and result["type"] == "TypeError")
        assert clear, f"{name}: refused by a {result['type']}, not a clear error: {message!r}"
        names_the_fault = re.search(rf"\brows? (\d+, )*{GOOD}\b", message) is not None
        if case.labels is not None:  # a bad label set: the error names the label, not a row
            names_the_fault = "label" in message.lower()
        assert names_the_fault, f"{name}: the refusal does not say which row: {message!r}"
        return
    listed = {(p["id"], p["column"]) for p in result["problems"]}
    if case.column is not None and (BAD_ID, case.column) in listed:
        outcome = "problem"
        assert "problem" in case.outcomes, f"{name}: listed as a problem: {result['problems']}"
    else:
        outcome = "ok"
        assert "ok" in case.outcomes, (
            f"{name}: built without listing ({BAD_ID!r}, {case.column!r}) in problems(): "
            f"{result['problems']}"
        )
    good_listed = {item for item, _ in listed if item != BAD_ID}
    assert not good_listed, f"{name}: good items listed as problems: {result['problems']}"
    assert result["error"] == "", f"{name} ({outcome}): the session reports {result['error']!r}"
    assert result["labeled"] == 6, f"{name}: {result['labeled']} of 6 labels stored"
    assert result["model_version"] > 0, f"{name}: the model never trained"
    assert result["predicted_good"] == GOOD, (
        f"{name}: only {result['predicted_good']} of {GOOD} good items have predictions"
    )
