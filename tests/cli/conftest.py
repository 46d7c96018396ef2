"""CLI fixtures: each test runs offline (file) and through a running server.

`run` starts `python -m opencdp` as a child process, as a user would; `cli` invokes the
same click group in this process (no interpreter start and imports, ~1.5 s a command on
this machine). Tests use `cli` for most commands and `run` for at least one command of each
group, so the entry point, exit statuses and stderr of a real process stay covered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from opencdp.api.app import create_app
from opencdp.cli import cli as opencdp_cli
from opencdp.config import load_settings
from tests.conftest import ServerProcess, free_port


def run(data_dir, *args, check=True, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "opencdp", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, check=check, timeout=120, input=stdin,
    )  # fmt: skip


def cli(data_dir, *args, check=True, stdin=None):
    """`opencdp --data-dir DATA_DIR ARGS` in this process, answered like `run`: a
    `CompletedProcess` with the exit status, stdout and stderr. An exception the CLI does
    not turn into a message fails the test (a child process would print a traceback)."""
    argv = ["--data-dir", str(data_dir), *map(str, args)]
    unset = {k: None for k in os.environ if k.startswith("OPENCDP_")}  # as `run`'s child sees
    result = CliRunner().invoke(opencdp_cli, argv, input=stdin, env=unset, prog_name="opencdp")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    done = subprocess.CompletedProcess(["opencdp", *argv], result.exit_code,
                                       result.stdout, result.stderr)  # fmt: skip
    if check:
        done.check_returncode()
    return done


@pytest.fixture(params=["offline", "server"])
def mode(request, tmp_path):
    """Run each CLI test against the file directly and through a running server process."""
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.data_dir.mkdir(parents=True)
    if request.param == "server":
        proc.start()
    yield proc
    proc.stop()


class ThreadServer:
    """The server's app under uvicorn in a thread of the test process, with the interface
    of `ServerProcess` (`process` is set while it runs).

    Starting one takes a fraction of a second where a server process takes 3-5 s on this
    machine (mostly imports). A command still finds it as a CLI finds any server (the
    server file, a live pid, `/health`) and goes through the admin API, so the remote
    backend is what is tested; the server as a separate process is tested by
    `tests/test_server_process.py`, `tests/backup/test_backup_server.py` and others.
    """

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.process: threading.Thread | None = None
        self._server: uvicorn.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        settings = load_settings(env={}, data_dir=self.data_dir, port=self.port)
        config = uvicorn.Config(create_app(settings), host=settings.host, port=self.port,
                                log_config=None, access_log=False, loop="asyncio")  # fmt: skip
        self._server = uvicorn.Server(config)
        self.process = threading.Thread(target=self._server.run, name="test-server",
                                        daemon=True)  # fmt: skip
        self.process.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if not self.process.is_alive():
                raise RuntimeError("the server thread ended before it was ready")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready in 60 s")
            time.sleep(0.01)  # polling for readiness, not standing in for synchronisation

    def stop(self) -> None:
        if self.process is not None and self._server is not None:
            self._server.should_exit = True
            self.process.join(timeout=60)
            assert not self.process.is_alive(), "the server thread did not stop"
        self.process = None


@pytest.fixture(params=["offline", "server"])
def either(request, tmp_path):
    """Each CLI test against the file directly, and through a server (in a thread)."""
    server = ThreadServer(tmp_path / "data", free_port())
    server.data_dir.mkdir(parents=True)
    if request.param == "server":
        server.start()
    yield server
    server.stop()
