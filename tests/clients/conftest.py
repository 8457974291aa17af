"""One real server for the client tests: a copy of the small dataset with history on a free
loopback port, clock frozen, small pages (so every client has to follow next links)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

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
