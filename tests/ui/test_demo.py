"""``make demo`` as a new user meets it: its own command line, run (as root on these machines),
opens the quickstart notebook, which runs top to bottom and ends on a live Labeler."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from _jupyter import start_server
from _notebook import Notebook, wait_until
from test_labeler import labels_in, shown_id

pytestmark = pytest.mark.ui

REPO = Path(__file__).parents[2]


def _demo_command() -> list[str]:
    """The ``jupyter lab`` line that ``make demo`` runs, as make prints it (``make -n``)."""
    text = subprocess.run(
        ["make", "-n", "-s", "demo"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if "jupyter lab" in ln]
    argv = shlex.split(line)
    argv[0] = str(REPO / argv[0])  # .venv/bin/jupyter, relative to the repository
    return argv


@pytest.mark.slow
def test_make_demo_opens_the_quickstart_which_ends_on_a_live_labeler(page, tmp_path):
    argv = _demo_command()
    if os.geteuid() == 0:
        assert "--allow-root" in argv  # JupyterLab refuses to start as root without it
    (opens,) = [a.split("/lab/tree/", 1)[1] for a in argv if a.startswith("--LabApp.default_url")]
    assert Path(opens).name == "quickstart.ipynb"
    root = tmp_path / "root"
    (root / opens).parent.mkdir(parents=True)
    shutil.copy(REPO / "notebooks" / "quickstart.ipynb", root / opens)  # as make copies it
    server = start_server(tmp_path, command=argv)  # in root/, as make runs it in the repo
    try:
        page.goto(f"{server.url}/", timeout=120_000)  # the page the demo opens
        nb = Notebook(page, server, opens)
        wait_until(nb.state, timeout=120, what="the quickstart to open (not the Launcher)")
        nb.wait_idle()
        nb.run_all(timeout=900)
        labelers = page.locator(".jp-OutputArea-output .mmw-labeler")
        wait_until(lambda: labelers.count() == 2, timeout=60, what="both Labeler views")
        last = labelers.last  # the notebook's last cell: the same session, live
        last.scroll_into_view_if_needed()
        last.wait_for(state="visible", timeout=60_000)
        store = (root / opens).parent / "quickstart-labels.sqlite"
        before = labels_in(store)
        item = shown_id(last)
        assert item not in before
        last.press("1")  # the first label's key: stored by the live session
        wait_until(
            lambda: item in labels_in(store), timeout=30, what="the key's label in the store"
        )
        assert len(labels_in(store)) == len(before) + 1
    finally:
        page.context.close()
        server.stop()
