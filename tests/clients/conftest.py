"""One real server for the client tests: a copy of the small dataset with history on a free
loopback port, clock frozen, small pages (so every client has to follow next links)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "client-key"
PAGE = 20


@pytest.fixture(scope="package")
def server(history_run, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path = tmp_path_factory.mktemp("erp-clients") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    settings = ServerSettings(db=path, api_key=KEY, clock_speed=0, max_page_size=PAGE)
    with ServerThread(settings) as running:
        yield running


@pytest.fixture(scope="package")
def api(server: ServerThread) -> str:
    return server.url + "/api/v2.0/"


def unavailable(message: str) -> None:
    """Skip what needs a tool this machine lacks; on CI, where it must be there, fail."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def npm_installed(project: Path) -> Path:
    """`project` with its locked npm packages installed (`npm ci` once per lockfile, kept as
    a stamp in node_modules); skips without node or npm."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    lock = hashlib.sha256((project / "package-lock.json").read_bytes()).hexdigest()[:16]
    stamp = project / "node_modules" / f".erpsim-{lock}"
    if not stamp.exists():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            unavailable(f"npm ci failed: {done.stderr[-2000:]}")
        stamp.touch()
    return project
