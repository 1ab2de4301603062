"""A real JupyterLab server for UI tests: started in an isolated home, driven over its REST API.

Every path JupyterLab writes to (config, data, runtime, user settings, workspaces) lives in a
temporary folder, so a developer's own ~/.jupyter never leaks into a test and a test never writes
into it. The kernel spec is still found: the virtual environment's ``share/jupyter`` is always on
the data path, and ``python`` in its ``kernel.json`` resolves to this interpreter.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

SERVER_START_TIMEOUT = 120.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# User settings (written into JUPYTERLAB_SETTINGS_DIR), by plugin id. Each one removes a source of
# flakiness, or of network requests that fail offline and would otherwise surface as console errors.
USER_SETTINGS: dict[str, dict[str, object]] = {
    # the "Would you like to receive official Jupyter news?" toast, and the news/update fetches
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # a background save racing a test that reads or rewrites the .ipynb file
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    # the extension manager searches PyPI
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}

# Page config (JUPYTER_CONFIG_DIR/labconfig/page_config.json): the front end must not ask for the
# build status on every page load; the server answers by running node (seconds on two cores).
PAGE_CONFIG = {"buildCheck": False, "buildAvailable": False}

_SERVER_ARGS = [
    "--no-browser",
    "--ip=127.0.0.1",
    "--port=0",  # the OS picks a free port; we read it back from the server's runtime file
    "--ServerApp.port_retries=0",
    "--allow-root",
    "--ServerApp.token=",
    "--ServerApp.password=",
    "--ServerApp.disable_check_xsrf=False",  # REST calls must send X-XSRFToken, as the page does
    "--ServerApp.terminals_enabled=False",
    "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to execute commands
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]


@dataclass
class JupyterServer:
    """A running ``jupyter lab``: its address, its root folder and its REST API.

    Examples
    --------
    ::

        server.url
        # -> 'http://127.0.0.1:40123'
        (server.root_dir / "labels.sqlite").exists()
    """

    url: str
    root_dir: Path
    home: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    _cookies: CookieJar = field(default_factory=CookieJar, repr=False)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self._cookies)
        )

    # -- REST ------------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: object | None = None, timeout: float = 60) -> Any:
        """Call the REST API (``path`` like ``"/api/kernels"``); return the decoded JSON reply."""
        headers = {"Content-Type": "application/json"}
        if method != "GET":
            headers["X-XSRFToken"] = self._xsrf_token()
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:500]
            raise RuntimeError(f"{method} {path} -> {error.code}: {detail}") from error
        return json.loads(raw) if raw else None

    def _xsrf_token(self) -> str:
        token = next((c.value for c in self._cookies if c.name == "_xsrf"), None)
        if token is None:
            # any page handler sets the cookie; the REST handlers then want it echoed in a header
            with self._opener.open(self.url + "/lab", timeout=60):
                pass
            token = next((c.value for c in self._cookies if c.name == "_xsrf"), None)
        if token is None:
            raise RuntimeError("the server set no _xsrf cookie on /lab")
        return token

    def kernels(self) -> list[dict[str, Any]]:
        """The running kernels, as ``/api/kernels`` lists them."""
        return list(self.api("GET", "/api/kernels"))

    def shutdown_kernels(self) -> None:
        """Shut down every session and kernel, so a test starts with none left from the last one."""
        for session in self.api("GET", "/api/sessions"):
            with contextlib.suppress(RuntimeError):  # it may end by itself meanwhile
                self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.kernels():
            with contextlib.suppress(RuntimeError):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        if left := self.kernels():
            raise RuntimeError(f"kernels still running after shutdown: {left}")

    # -- process ---------------------------------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log (stdout and stderr), for failure messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20) -> None:
        """Shut down the kernels and the server; kill the process group if it does not exit."""
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                self.shutdown_kernels()
            with contextlib.suppress(Exception):
                self.api("POST", "/api/shutdown", timeout=10)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)


def write_user_settings(settings_dir: Path, settings: dict[str, dict[str, object]]) -> None:
    """Write ``{plugin_id: values}`` where JupyterLab reads user settings.

    ``@jupyterlab/docmanager-extension:plugin`` goes to
    ``<settings_dir>/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings``.
    """
    for plugin_id, values in settings.items():
        package, plugin = plugin_id.split(":")
        path = settings_dir / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


def start_server(
    base: Path, timeout: float = SERVER_START_TIMEOUT, command: list[str] | None = None
) -> JupyterServer:
    """Start ``jupyter lab`` with its root in ``base/root`` and everything else in ``base/home``.

    ``command`` replaces ``python -m jupyterlab`` and its root folder (e.g. ``make demo``'s
    command line, run in ``base/root``); the isolating arguments are appended to it. Returns once
    ``/api/status`` answers. Raises ``RuntimeError`` with the server log's tail if the server
    exits or does not answer within ``timeout`` seconds.
    """
    root_dir, home = base / "root", base / "home"
    root_dir.mkdir(parents=True, exist_ok=command is not None)  # a command may bring files
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True)
    write_user_settings(dirs["JUPYTERLAB_SETTINGS_DIR"], USER_SETTINGS)
    labconfig = dirs["JUPYTER_CONFIG_DIR"] / "labconfig"
    labconfig.mkdir()
    (labconfig / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    env = {
        **os.environ,
        **{name: str(path) for name, path in dirs.items()},
        # kernels inherit this: nothing in a UI test may reach for the network
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_TOKEN", None)
    log_path = base / "server.log"
    argv = [sys.executable, "-m", "jupyterlab", *_SERVER_ARGS, f"--ServerApp.root_dir={root_dir}"]
    if command is not None:  # its own settings stand; ours fill in the rest (once each)
        given = {arg.split("=", 1)[0] for arg in command}
        argv = [*command, *(a for a in _SERVER_ARGS if a.split("=", 1)[0] not in given)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can kill all of it
            preexec_fn=_exit_with_parent,
        )
    server = None
    try:
        url = _wait_for_url(process, dirs["JUPYTER_RUNTIME_DIR"], timeout, log_path)
        server = JupyterServer(url, root_dir, home, log_path, process)
        _wait_for_status(server, timeout)
    except BaseException:
        if server is None:
            server = JupyterServer("http://127.0.0.1:0", root_dir, home, log_path, process)
        server.stop(timeout=5)
        raise
    return server


def _exit_with_parent() -> None:
    # Runs in the child before exec: if pytest itself is killed (a CI timeout), the server gets
    # SIGTERM instead of living on; its kernels then exit with it (they watch their parent).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_for_url(
    process: subprocess.Popen[bytes], runtime_dir: Path, timeout: float, log_path: Path
) -> str:
    info_file = runtime_dir / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{tail}")
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            info = json.loads(info_file.read_text())
            return f"http://127.0.0.1:{info['port']}"
        time.sleep(0.1)
    raise RuntimeError(f"jupyter lab wrote no {info_file.name} in {timeout:.0f} s")


def _wait_for_status(server: JupyterServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.api("GET", "/api/status", timeout=5)
            return
        except (OSError, RuntimeError) as error:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"jupyter lab did not answer /api/status ({error}):\n{server.log_tail()}"
                ) from error
            time.sleep(0.1)
