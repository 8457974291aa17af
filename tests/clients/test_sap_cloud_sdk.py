"""SAP Cloud SDK for JavaScript (npm @sap-cloud-sdk/odata-v2 4.5.1) against the SAP facade.

The SDK's generator (@sap-cloud-sdk/generator, with its default validation) turns the served
$metadata of every service into typed clients, as a connector developer would (those of
API_PRODUCT_SRV and API_SALES_ORDER_SRV transpiled to JavaScript). `sap_npm/script.js read`
then pages, counts, filters, expands and reads by a composite key through them, and `write`
creates a sales order with items by deep insert (the SDK fetches the CSRF token itself, with
HEAD on the entity set), changes it (PATCH under If-Match) and sends a $batch with a read and
a changeset creating a second order; `write` exits 3 if the server answers 405.

The SDK's packages are pinned to 4.5.1 with npm overrides: the newest generator needs
@sap-cloud-sdk/generator-common 4.8.0, which the registry does not have, and mixed versions
do not type-check. `npm ci` runs once per lockfile and the clients are generated once per
$metadata (stamps in node_modules). Skips without node/npm or when npm cannot install,
except on CI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp.credit import credit_headroom
from simulator.erp_server.sap.catalog import SAP_ROOT, SERVICE_NAMES
from simulator.erp_server.server import ServerThread
from tests.clients.conftest import KEY, PAGE, npm_installed

NPM_DIR = Path(__file__).parent / "sap_npm"
SERVICES = ("API_PRODUCT_SRV", "API_SALES_ORDER_SRV")
UNSUPPORTED = 3


@pytest.fixture(scope="module")
def node_project() -> Path:
    return npm_installed(NPM_DIR)


def _generate(project: Path, source: Path, out: Path, *options: str) -> None:
    done = subprocess.run(
        [
            str(project / "node_modules/.bin/generate-odata-client"),
            *("--input", str(source), "--outputDir", str(out), *options),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def generated(node_project: Path, server: ServerThread) -> Path:
    """Typed clients generated from the $metadata the server serves (its self link aside):
    every service's, so the generator's validation sees them all, and the two the script
    uses transpiled to JavaScript."""
    with requests.Session() as http:
        http.auth = ("CONNECTOR", KEY)
        edmx = {
            name: http.get(f"{server.url}{SAP_ROOT}/{name}/$metadata") for name in SERVICE_NAMES
        }
    for response in edmx.values():
        assert response.status_code == 200, response.text
    texts = {n: re.sub(r"<atom:link [^>]*/>", "", r.text) for n, r in edmx.items()}
    digest = hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()[:16]
    out = node_project / "node_modules" / f".erpsim-generated-{digest}"
    if (out / ".done").exists():
        return out
    for stale in out.parent.glob(".erpsim-generated-*"):  # from an older $metadata
        shutil.rmtree(stale, ignore_errors=True)
    for folder, names in (("edmx-all", SERVICE_NAMES), ("edmx", SERVICES)):
        (out / folder).mkdir(parents=True)
        for name in names:
            (out / folder / f"{name}.edmx").write_bytes(edmx[name].content)
    _generate(node_project, out / "edmx-all", out / "typescript")
    _generate(node_project, out / "edmx", out, "--transpile")
    (out / ".done").touch()
    return out


@pytest.fixture
def sql(server: ServerThread) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{server.settings.db}?mode=ro", uri=True)
    yield conn
    conn.close()


def _node(generated: Path, server: ServerThread, step: str, **env: str) -> Any:
    done = subprocess.run(
        ["node", "script.js", step],
        cwd=NPM_DIR,
        env={
            **os.environ,
            "SAP_URL": server.url,
            "SAP_KEY": KEY,
            "SAP_GEN": str(generated),
            "SAP_PAGE": str(PAGE),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode == UNSUPPORTED:
        pytest.skip(f"server does not support it yet: {json.loads(done.stdout)['unsupported']}")
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])  # the SDK logs its warnings to stdout


def test_generated_client_pages_counts_filters_and_expands(
    generated: Path, server: ServerThread, sql: sqlite3.Connection
) -> None:
    result = _node(generated, server, "read")
    items = sql.execute("SELECT no, display_name, gross_weight FROM items ORDER BY no").fetchall()
    numbers = [no for no, _, _ in items]
    assert result["paged"] == numbers  # PAGE-sized $top/$skip windows, in order
    assert result["window"] == numbers[3:8]
    assert result["total"] == len(numbers) > 3 * PAGE
    first = result["filtered"]
    assert [row["product"] for row in first] == [numbers[0]]
    assert float(first[0]["grossWeight"]) == pytest.approx(items[0][2], abs=0.0005)
    assert first[0]["creationDate"].endswith("T00:00:00.000Z")  # an Edm.DateTime date
    assert first[0]["lastChangeDateTime"]
    assert result["startsWith"] == [n for n in numbers if n.startswith(result["prefix"])]
    assert result["expanded"]["product"] == numbers[0]
    assert result["expanded"]["descriptions"] == [["EN", items[0][1][:40]]]
    assert result["description"] == [numbers[-1], "EN", items[-1][1][:40]]
    assert result["firstPage"] == numbers[:PAGE]
    assert result["next"].startswith(f"{server.url}{SAP_ROOT}/API_PRODUCT_SRV/A_Product?")
    assert "$skiptoken=" in result["next"]


def test_generated_client_creates_a_sales_order_with_items(
    generated: Path, server: ServerThread, sql: sqlite3.Connection
) -> None:
    room = credit_headroom(sql)
    customer = max(room, key=lambda no: room[no])
    material = sql.execute(
        "SELECT no FROM items WHERE blocked = 0 AND unit_price > 0 ORDER BY unit_price LIMIT 1"
    ).fetchone()[0]
    reference = f"CLOUDSDK-{dt.datetime.now(dt.UTC):%H%M%S%f}"[:30]
    result = _node(
        generated,
        server,
        "write",
        SAP_CUSTOMER=customer,
        SAP_MATERIAL=material,
        SAP_REFERENCE=reference,
    )
    assert result["created"]["salesOrder"]
    assert result["created"]["soldToParty"] == customer
    assert result["created"]["purchaseOrderByCustomer"] == reference
    read = result["read"]
    assert read["salesOrder"] == result["created"]["salesOrder"]
    assert read["purchaseOrderByCustomer"] == reference
    assert [(m, float(q)) for _, m, q in read["items"]] == [(material, 2.0), (material, 1.0)]
    # a PATCH under If-Match, then a $batch: a read and a changeset creating a second order
    assert result["changed"] == f"{reference}-B"
    assert result["batch"]["read"] == [f"{reference}-B"]
    ((second, second_reference),) = result["batch"]["created"]
    assert second_reference == f"{reference}-C"
    assert second != read["salesOrder"]
    stored = sql.execute(
        "SELECT count(*) FROM sales_order_lines WHERE document_no = ? AND item_no = ?",
        (second, material),
    ).fetchone()[0]
    assert stored == 1
