"""A throwaway PostgreSQL server for tests and benchmarks: Debian's postgresql, in a temp dir.

``initdb`` + ``pg_ctl`` on a Unix socket inside the data directory (no TCP port), run as
``nobody`` when this process is root (PostgreSQL refuses to run as root). Usage::

    with ThrowawayPostgres() as server:
        url = server.url("pets")   # postgresql://mm@/mm?host=...&task=pets
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["ThrowawayPostgres", "postgres_bin"]

USER = "mm"


def postgres_bin() -> Path:
    """The newest installed server's bin folder; a clear error when postgresql is missing."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `make setup` installs Debian's postgresql package"
        )
    return found[-1].parent


class ThrowawayPostgres:
    """Start a fresh cluster; ``stop``/``start``/``restart`` it; delete it on ``close``."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        # short path: a Unix socket's path must stay under ~100 bytes
        self.dir = Path(tempfile.mkdtemp(prefix="mmwpg-"))
        self.data = self.dir / "data"
        self._as_nobody = os.geteuid() == 0
        if self._as_nobody:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", str(self.dir), "-U", USER, USER)

    def url(self, task: str | None = "default") -> str:
        """A store URL for ``task`` on this server (without a ``task=`` when None)."""
        base = f"postgresql://{USER}@/{USER}?host={self.dir}"
        return base if task is None else f"{base}&task={task}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-k {self.dir} -c listen_addresses= -c max_connections=200"
        log = str(self.dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop it (``fast``: disconnects clients; ``immediate``: a crash, no checkpoint)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again."""
        self.stop(mode)
        self.start()

    def close(self) -> None:
        """Stop the server (if running) and delete its files."""
        subprocess.run(
            self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
            capture_output=True,
            check=False,
            **self._user(),
        )
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _command(self, program: str, *args: str) -> list[str]:
        return [str(self.bin / program), *args]

    def _user(self) -> dict[str, object]:
        return {"user": "nobody", "group": "nogroup", "extra_groups": []} if self._as_nobody else {}

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            self._command(program, *args),
            capture_output=True,
            text=True,
            check=False,
            cwd=self.dir,
            **self._user(),  # type: ignore[arg-type]
        )
        if done.returncode != 0:
            log = self.dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}\n{tail}")
