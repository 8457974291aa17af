"""@odata/client (npm, OData v4) against the real server: `npm/script.js read` filters,
pages and expands; `npm/script.js write` creates a sales order with BC's line fields and
calls `Microsoft.NAV.shipAndInvoice`, and skips (exit 3) while the server answers 404/405
or refuses BC's line fields, so it turns on by itself once the server supports them.

`npm ci` runs once per lockfile: a stamp with the lockfile's hash in node_modules."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.clients.conftest import KEY, PAGE, npm_installed

NPM_DIR = Path(__file__).parent / "npm"
UNSUPPORTED = 3


@pytest.fixture(scope="module")
def node_project() -> Path:
    return npm_installed(NPM_DIR)


def _node(project: Path, step: str, api: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ERP_URL": api, "ERP_KEY": KEY, "ERP_PAGE": str(PAGE)}
    return subprocess.run(
        ["node", "script.js", step],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["api-key"] = KEY
    return session


def test_reads_filter_page_and_expand(node_project: Path, api: str) -> None:
    done = _node(node_project, "read", api)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    with _session() as http:
        everything: list[str] = []
        url: str | None = api + "items?$filter=unitPrice gt 10&$orderby=number&$select=number"
        while url:
            page = http.get(url).json()
            everything += [row["number"] for row in page["value"]]
            url = page.get("@odata.nextLink")
        order = http.get(
            api + f"salesOrders({result['order']['id']})", params={"$expand": "salesOrderLines"}
        ).json()
    assert result["paged"] == everything  # PAGE-sized pages with $top/$skip
    assert result["total"] == len(everything) > 3 * PAGE
    assert result["top"] == sorted(result["top"])
    assert len(result["top"]) == 5
    assert all(price > 10 for price in result["top"])
    assert result["order"]["number"] == order["number"]
    assert result["order"]["lines"] == [line["sequence"] for line in order["salesOrderLines"]]


def test_create_order_with_bc_lines_and_ship_and_invoice(node_project: Path, api: str) -> None:
    done = _node(node_project, "write", api)
    if done.returncode == UNSUPPORTED:
        pytest.skip(f"server does not support it yet: {json.loads(done.stdout)['unsupported']}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["created"]["customerNumber"] == result["customerNumber"]
    assert result["actionStatus"] in (200, 204)
    with _session() as http:
        lines = http.get(api + f"salesOrders({result['created']['id']})/salesOrderLines")
    if lines.status_code == 200:  # an order fully shipped and invoiced may leave the set
        assert [line["lineObjectNumber"] for line in lines.json()["value"]] == [
            result["itemNumber"]
        ]
