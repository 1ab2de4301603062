"""Open a fresh notebook in JupyterLab, run it, and look at it: the handle UI tests drive.

JupyterLab commands run through ``window.jupyterapp.commands`` (the server exposes the app with
``--LabApp.expose_app_in_browser=True``); ``Notebook.command`` wraps that.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from _jupyter import JupyterServer
from playwright.sync_api import Locator, Page

KERNEL_IDLE_TIMEOUT = 120.0
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

T = TypeVar("T")

# Finds the notebook panel showing `path` among the main area's widgets.
_FIND_PANEL = """(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const widget of app.shell.widgets('main')) {
    if (widget.context && widget.context.path === path) return widget;
  }
  return null;
}"""

_STATE = f"""(path) => {{
  const panel = ({_FIND_PANEL})(path);
  if (!panel || !panel.content.model) return null;
  const kernel = panel.sessionContext.session?.kernel;
  const model = panel.content.model;
  const cells = [];
  for (let i = 0; i < model.cells.length; i++) {{
    const cell = model.cells.get(i);
    const info = {{
      type: cell.type, count: null, running: false, errors: [],
      empty: cell.sharedModel.getSource().trim() === '',
    }};
    if (cell.type === 'code') {{
      info.count = cell.executionCount;
      info.running = cell.executionState === 'running';
      for (let j = 0; j < cell.outputs.length; j++) {{
        const output = cell.outputs.get(j).toJSON();
        if (output.output_type === 'error') info.errors.push(output);
      }}
    }}
    cells.push(info);
  }}
  return {{
    id: panel.id,
    kernel: kernel ? kernel.status : null,
    connection: kernel ? kernel.connectionStatus : null,
    activeCell: panel.content.activeCellIndex,
    mode: panel.content.mode,
    cells,
  }};
}}"""

_COMMAND = f"""async ({{path, id, args, wait, timeout}}) => {{
  const app = window.jupyterapp;
  const panel = ({_FIND_PANEL})(path);
  if (panel) app.shell.activateById(panel.id);
  if (!app.commands.hasCommand(id)) return {{problem: 'no such command'}};
  if (!app.commands.isEnabled(id, args)) return {{problem: 'command is disabled'}};
  const run = app.commands.execute(id, args);
  if (!wait) {{
    run.catch((error) => console.error(`command ${{id}} failed:`, error));
    return {{value: null}};
  }}
  const timer = new Promise((_, reject) => setTimeout(
    () => reject(new Error(`command ${{id}} still running after ${{timeout}} ms`)), timeout));
  const value = await Promise.race([run, timer]);
  try {{ return {{value: JSON.parse(JSON.stringify(value ?? null))}}; }}
  catch {{ return {{value: null}}; }}
}}"""

_EXECUTE = f"""async ({{path, code, timeout}}) => {{
  const panel = ({_FIND_PANEL})(path);
  const kernel = panel?.sessionContext.session?.kernel;
  if (!kernel) {{
    return {{error: {{ename: 'NoKernel', evalue: 'the notebook has no kernel', traceback: []}}}};
  }}
  const future = kernel.requestExecute({{code, store_history: false, stop_on_error: true}});
  let text = '';
  let error = null;
  future.onIOPub = (msg) => {{
    const kind = msg.header.msg_type;
    if (kind === 'stream') text += msg.content.text;
    else if (kind === 'execute_result' || kind === 'display_data')
      text += (msg.content.data['text/plain'] ?? '') + '\\n';
    else if (kind === 'error') error = msg.content;
  }};
  const timer = new Promise((_, reject) => setTimeout(
    () => reject(new Error(`code still running after ${{timeout}} ms`)), timeout));
  await Promise.race([future.done, timer]);
  return {{text, error}};
}}"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookError(AssertionError):
    """A cell, or code run with ``Notebook.execute``, raised in the kernel."""


def _describe_error(output: dict[str, Any]) -> str:
    traceback = "\n".join(output.get("traceback") or [])
    return _ANSI.sub("", f"{output.get('ename')}: {output.get('evalue')}\n{traceback}").strip()


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 30,
    what: str = "",
    *,
    page: Page | None = None,
    interval: float = 0.1,
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that.

    Raises ``AssertionError`` naming ``what`` (and the last value seen) after ``timeout`` seconds.
    Playwright's sync API delivers page events (console messages, ...) only while Python is inside
    a Playwright call: pass ``page`` when the predicate waits on such events, and the pauses
    between polls become ``page.wait_for_timeout``.

    Examples
    --------
    ::

        wait_until(lambda: log.exists(), what="the log file", page=page)
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what or predicate}; last: {value!r}")
        if page is None:
            time.sleep(interval)
        else:
            page.wait_for_timeout(interval * 1000)


@dataclass
class Notebook:
    """A notebook open in a JupyterLab page.

    Examples
    --------
    ::

        nb = open_notebook(page, server, ["x = 1 + 1", "print(x)"])
        nb.run_all()
        nb.cell_output(1).inner_text()
        # -> '2'
        nb.execute("print(x * 10)")
        # -> '20\\n'
    """

    page: Page
    server: JupyterServer
    name: str  # path relative to the server root, as JupyterLab knows it

    @property
    def path(self) -> Path:
        """The .ipynb file on disk."""
        return self.server.root_dir / self.name

    # -- looking -----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any] | None:
        """The notebook as JupyterLab's model sees it: kernel status, active cell, every cell.

        ``{"kernel": "idle", "connection": "connected", "activeCell": 0, "mode": "command",
        "cells": [{"type": "code", "count": 1, "running": False, "errors": [], "empty": False}]}``,
        or ``None`` while the panel is not open.
        """
        state: dict[str, Any] | None = self.page.evaluate(_STATE, self.name)
        return state

    def _known_state(self) -> dict[str, Any]:
        state = self.state()
        if state is None:
            raise AssertionError(f"{self.name} is not open in the page")
        return state

    @property
    def panel(self) -> Locator:
        """The notebook panel (toolbar and cells) of this notebook."""
        return self.page.locator(f"#{self._known_state()['id']}")

    def cell(self, index: int) -> Locator:
        """The cell at ``index`` (input and output)."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def cell_output(self, index: int) -> Locator:
        """The output area of the cell at ``index``; widgets render inside it."""
        return self.cell(index).locator(".jp-Cell-outputArea")

    def cell_count(self) -> int:
        """How many cells the notebook model holds (not how many are in the DOM)."""
        return len(self._known_state()["cells"])

    def active_cell_index(self) -> int:
        """The index of the selected cell."""
        return int(self._known_state()["activeCell"])

    # -- doing ---------------------------------------------------------------------------------

    def command(
        self,
        command_id: str,
        args: dict[str, Any] | None = None,
        *,
        wait: bool = True,
        timeout: float = 30,
    ) -> Any:
        """Execute a JupyterLab command with this notebook as the current widget.

        With ``wait`` the command's promise is awaited (at most ``timeout`` seconds) and its
        JSON-able result returned; without, a failure shows up as a console error.
        """
        result = self.page.evaluate(
            _COMMAND,
            {
                "path": self.name,
                "id": command_id,
                "args": args or {},
                "wait": wait,
                "timeout": timeout * 1000,
            },
        )
        if "problem" in result:
            raise AssertionError(f"{command_id}: {result['problem']}")
        return result["value"]

    def run_all(self, timeout: float = KERNEL_IDLE_TIMEOUT) -> None:
        """Clear outputs, run every cell (``runmenu:run-all``) and wait until all have run.

        Raises ``NotebookError`` with the traceback as soon as a cell raises.
        """
        self.command("notebook:clear-all-cell-outputs")
        wait_until(
            lambda: all(c["count"] is None for c in self._known_state()["cells"]),
            timeout=10,
            what="execution counts to clear",
        )
        self.command("runmenu:run-all", wait=False)
        deadline = time.monotonic() + timeout
        while True:
            self._raise_on_dialog()
            state = self._known_state()
            for index, cell in enumerate(state["cells"]):
                if cell["errors"]:
                    message = _describe_error(cell["errors"][0])
                    raise NotebookError(f"cell {index} of {self.name} raised:\n{message}")
            code = [c for c in state["cells"] if c["type"] == "code" and not c["empty"]]
            if all(c["count"] is not None and not c["running"] for c in code):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"cells still running after {timeout:g} s: {state}")
            time.sleep(0.1)
        self.wait_idle(max(deadline - time.monotonic(), 10))

    def wait_idle(self, timeout: float = KERNEL_IDLE_TIMEOUT, settle: float = 0.5) -> None:
        """Wait until the kernel has been idle for ``settle`` seconds in a row.

        Idle means the status bar reads ``… | Idle`` *and* the kernel reports idle and connected:
        the toolbar's indicator flashes idle during start-up, the status bar does not.
        """
        status_bar = self.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$"))
        deadline = time.monotonic() + timeout
        idle_since: float | None = None
        while True:
            self._raise_on_dialog()
            state = self.state()
            idle = (
                state is not None
                and state["kernel"] == "idle"
                and state["connection"] == "connected"
                and status_bar.count() > 0
            )
            now = time.monotonic()
            if not idle:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since >= settle:
                return
            if now > deadline:
                raise AssertionError(
                    f"kernel of {self.name} not idle after {timeout:g} s: {state}\n"
                    f"server log:\n{self.server.log_tail()}"
                )
            time.sleep(0.1)

    def execute(self, code: str, timeout: float = 60) -> str:
        """Run ``code`` in the notebook's kernel without adding a cell; return what it printed.

        The text is stdout plus the ``text/plain`` of results and displays. Raises
        ``NotebookError`` with the traceback if the code raises.
        """
        result = self.page.evaluate(
            _EXECUTE, {"path": self.name, "code": code, "timeout": timeout * 1000}
        )
        if result["error"]:
            raise NotebookError(f"{code!r} raised:\n{_describe_error(result['error'])}")
        return str(result["text"])

    def _raise_on_dialog(self) -> None:
        # a modal dialog (kernel selection, "kernel died", "file changed") blocks everything
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            raise AssertionError(f"JupyterLab shows a dialog: {dialog.first.inner_text()!r}")


def _fresh_notebook(cells: Sequence[str] | os.PathLike[str]) -> dict[str, Any]:
    # plain JSON, not nbformat: importing nbformat costs seconds here (jsonschema builds a grammar)
    if isinstance(cells, str):
        raise TypeError("pass a list of cell sources, or a pathlib.Path to an .ipynb file")
    if isinstance(cells, os.PathLike):
        nb: dict[str, Any] = json.loads(Path(cells).read_text())
        for cell in nb["cells"]:  # a copy that has never run: no outputs, no counts
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
    else:
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": uuid.uuid4().hex[:8],
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for source in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    nb["metadata"]["kernelspec"] = KERNELSPEC  # so JupyterLab never asks which kernel to start
    return nb


def open_notebook(
    page: Page,
    server: JupyterServer,
    cells: Sequence[str] | os.PathLike[str],
    *,
    name: str | None = None,
    fresh_kernels: bool = True,
    timeout: float = KERNEL_IDLE_TIMEOUT,
) -> Notebook:
    """Write a fresh notebook into the server root, open it in ``page`` and wait for its kernel.

    Parameters
    ----------
    cells
        Code cell sources, or the path of an .ipynb file to copy (outputs stripped).
    name
        File name (relative to the server root); a unique one by default. Must not exist yet.
    fresh_kernels
        Shut down every running kernel first. Pass ``False`` to open a second notebook in the
        same test without killing the first one's kernel.

    Examples
    --------
    ::

        nb = open_notebook(page, server, ["import mmwidgets"], name="store.ipynb")
        nb.run_all()
    """
    if fresh_kernels:
        server.shutdown_kernels()
    name = name or f"test-{uuid.uuid4().hex[:10]}.ipynb"
    path = server.root_dir / name
    if path.exists():
        raise FileExistsError(f"{path} exists: each test needs a fresh notebook")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_fresh_notebook(cells), indent=1))
    # ?reset: start from an empty workspace, so no notebook of an earlier test is reopened
    page.goto(f"{server.url}/lab/tree/{quote(name)}?reset", timeout=timeout * 1000)
    notebook = Notebook(page, server, name)
    wait_until(notebook.state, timeout=timeout, what=f"{name} to open")
    notebook.wait_idle(timeout)
    return notebook
