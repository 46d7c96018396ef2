"""CLI fixtures: each test runs offline (file) and through a running server."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ServerProcess, free_port


def run(data_dir, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "opencdp", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, check=check, timeout=120,
    )  # fmt: skip


@pytest.fixture(params=["offline", "server"])
def mode(request, tmp_path):
    """Run each CLI test against the file directly and through a running server."""
    proc = ServerProcess(tmp_path / "data", free_port())
    proc.data_dir.mkdir(parents=True)
    if request.param == "server":
        proc.start()
    yield proc
    proc.stop()
