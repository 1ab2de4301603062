"""The UI test machinery works end to end: a real click reaches Python, keys stay in the widget,
and a browser error fails a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from _browser import BrowserConsoleError
from _fixtures import PageFactory
from _jupyter import JupyterServer
from _notebook import Notebook, NotebookError, wait_until
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.ui

# A tiny anywidget defined inline: a button that counts clicks, a root that takes focus and keeps
# every key to itself, and a Python observer that appends each change to a file in the server root.
PROBE_ESM = """
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "probe-root";
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "");
  const button = document.createElement("button");
  button.className = "probe-button";
  const keys = document.createElement("output");
  keys.className = "probe-keys";
  const show = () => {
    button.textContent = `count: ${model.get("count")}`;
    keys.textContent = model.get("pressed").join(" ");
  };
  const onClick = () => {
    model.set("count", model.get("count") + 1);
    model.save_changes();
  };
  const onKey = (event) => {
    event.preventDefault();
    event.stopPropagation();
    model.set("pressed", [...model.get("pressed"), event.key]);
    model.save_changes();
  };
  button.addEventListener("click", onClick);
  root.addEventListener("keydown", onKey);
  model.on("change:count", show);
  model.on("change:pressed", show);
  show();
  root.append(button, keys);
  el.append(root);
  return () => {
    model.off("change:count", show);
    model.off("change:pressed", show);
  };
}
export default { render };
"""


def probe_cells(log_name: str) -> list[str]:
    return [
        "import json, pathlib\nimport anywidget, traitlets",
        f"class Probe(anywidget.AnyWidget):\n"
        f"    _esm = {PROBE_ESM!r}\n"
        f"    count = traitlets.Int(0).tag(sync=True)\n"
        f"    pressed = traitlets.List(traitlets.Unicode()).tag(sync=True)\n",
        f"log = pathlib.Path({log_name!r})\n"
        "def record(change):\n"
        "    with log.open('a') as f:\n"
        "        f.write(json.dumps({change['name']: change['new']}) + '\\n')\n"
        "probe = Probe()\n"
        "probe.observe(record, names=['count', 'pressed'])\n"
        "probe",
    ]


def logged(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def setting(server: JupyterServer, plugin_id: str, key: str) -> object:
    """The value JupyterLab uses for one setting (user settings over defaults)."""
    return server.api("GET", f"/lab/api/settings/{plugin_id}")["settings"][key]


def open_probe(notebook: Callable[..., Notebook], server: JupyterServer) -> tuple[Notebook, Path]:
    log = f"probe-{os.urandom(4).hex()}.jsonl"
    nb = notebook(probe_cells(log))
    nb.run_all()
    return nb, server.root_dir / log


def test_click_in_browser_reaches_python(
    notebook: Callable[..., Notebook], jupyter_server: JupyterServer, page: Page
) -> None:
    nb, log = open_probe(notebook, jupyter_server)
    button = nb.cell_output(2).locator(".probe-button")
    expect(button).to_have_text("count: 0")

    button.click()
    button.click()

    expect(button).to_have_text("count: 2")
    wait_until(lambda: {"count": 2} in logged(log), what="the observer to log count 2")
    assert [entry["count"] for entry in logged(log)] == [1, 2]
    assert nb.execute("print(probe.count)") == "2\n"
    # the set-up took: one kernel (ours), no autosave, no news (nor its toast)
    assert len(jupyter_server.kernels()) == 1
    assert setting(jupyter_server, "@jupyterlab/docmanager-extension:plugin", "autosave") is False
    assert (
        setting(jupyter_server, "@jupyterlab/apputils-extension:notification", "fetchNews")
        == "false"
    )
    expect(page.locator(".jp-toast-container .Toastify__toast")).to_have_count(0)


def test_keys_stay_in_the_widget(
    notebook: Callable[..., Notebook], jupyter_server: JupyterServer, page: Page
) -> None:
    nb, log = open_probe(notebook, jupyter_server)
    root = nb.cell_output(2).locator(".probe-root")
    root.click(position={"x": 300, "y": 5})  # beside the button: the root itself takes focus
    expect(root).to_be_focused()
    cells, active = nb.cell_count(), nb.active_cell_index()

    for key in ["a", "b", "ArrowDown", "ArrowUp", "Enter"]:
        page.keyboard.press(key)

    expect(root.locator(".probe-keys")).to_have_text("a b ArrowDown ArrowUp Enter")
    wait_until(
        lambda: {"pressed": ["a", "b", "ArrowDown", "ArrowUp", "Enter"]} in logged(log),
        what="Python to see all five keys",
    )
    assert (nb.cell_count(), nb.active_cell_index()) == (cells, active)
    state = nb.state()
    assert state is not None
    assert state["mode"] == "command"  # Enter did not start editing the cell either

    # the control: outside the widget the same key does reach JupyterLab ("a" inserts a cell above)
    nb.cell(0).locator(".jp-InputPrompt").click()
    page.keyboard.press("a")
    wait_until(lambda: nb.cell_count() == cells + 1, what="'a' to insert a cell")


def test_run_all_reports_the_failing_cell(
    notebook: Callable[..., Notebook],
) -> None:
    nb = notebook(["x = 1", "raise ValueError('on purpose')", "y = 2"])
    with pytest.raises(NotebookError, match=r"(?s)cell 1 .*ValueError: on purpose"):
        nb.run_all()
    with pytest.raises(NotebookError, match="NameError"):
        nb.execute("y")
    assert nb.execute("print(x)") == "1\n"


def test_console_errors_are_caught(new_page: PageFactory) -> None:
    page, watch = new_page()
    page.set_content("<p>hello</p>")
    page.evaluate("console.log('fine'); console.warn('also fine')")
    watch.check()  # nothing yet

    page.evaluate("console.error('deliberate console error')")
    with pytest.raises(BrowserConsoleError, match="deliberate console error"):
        watch.check()

    page.evaluate("setTimeout(() => { throw new Error('deliberately uncaught') })")
    wait_until(watch.unchecked, timeout=10, what="the page error", page=page)
    with pytest.raises(BrowserConsoleError, match="deliberately uncaught"):
        watch.check()

    allowing, allowing_watch = new_page(allow=[r"known harmless"])
    allowing.evaluate("console.error('a known harmless message')")
    allowing_watch.check()
    watch.clear()  # provoked on purpose; teardown must not fail this test


def test_a_browser_error_fails_the_test(tmp_path: Path) -> None:
    """Run pytest on a tiny suite that uses these fixtures: the console error must fail it."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["_fixtures"]\n')
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_logs_an_error(page):
                page.set_content("<p>hi</p>")
                page.evaluate("console.error('inner deliberate error')")

            def test_logs_an_error_late(page):
                page.evaluate("setTimeout(() => console.error('inner late error'), 20)")

            @pytest.mark.allow_console_errors("inner harmless")
            def test_allowed(page):
                page.evaluate("console.error('inner harmless error')")

            def test_clean(page):
                page.set_content("<p>hi</p>")
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert "2 failed, 2 passed" in out, out
    assert "FAILED test_inner.py::test_logs_an_error - " in out, out
    assert "FAILED test_inner.py::test_logs_an_error_late - " in out, out
    assert "inner deliberate error" in out, out
    assert "inner late error" in out, out
