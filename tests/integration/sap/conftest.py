"""A mock ERP on a real server (free loopback port) over a copy of the small dataset with
history, spoken to as SAP S/4HANA: Basic auth with the API key as password, sap-client 100."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "sap-test-key"
PAGE = 50


@pytest.fixture(scope="module")
def sap_db(history_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sap-api") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def sap_server(sap_db: Path) -> Iterator[ServerThread]:
    settings = ServerSettings(db=sap_db, api_key=KEY, clock_speed=0, max_page_size=PAGE)
    with ServerThread(settings) as running:
        yield running


@pytest.fixture(scope="module")
def sap(sap_server: ServerThread) -> str:
    """The root every SAP service hangs from."""
    return sap_server.url + "/sap/opu/odata/sap"


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = ("CONNECTOR", KEY)
        s.headers["Accept"] = "application/json"
        yield s


@pytest.fixture
def sql(sap_db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{sap_db}?mode=ro", uri=True)
    yield conn
    conn.close()


def csrf_refused(response: requests.Response) -> None:
    """Gateway's CSRF refusal: 403, ``x-csrf-token: Required`` and ICF's plain-text body
    (not an OData error), which clients recognise by the header."""
    assert response.status_code == 403, response.text
    assert response.headers["x-csrf-token"] == "Required"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "CSRF token validation failed"


def sap_error(response: requests.Response, status: int) -> dict:
    """The error in SAP Gateway's shape; returns its `error` object."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innererror"}
    assert error["message"]["lang"] == "en"
    assert error["message"]["value"]
    assert error["innererror"]["errordetails"], error
    return error
