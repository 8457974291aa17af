"""`erpsim load --erp-flavor sap`: a short real Locust run of the ERP-connector persona
speaking SAP's OData V2 (CSRF fetch, __next paging, delta reads by LastChangeDateTime, order
simulation, sales orders created once) beside reordering and tracking buyers, against the
embedded ERP and the store on SAP, with no failed request; the store's orders reached the
ERP once each; every sales order it sent was created, and the integrity check finds each in
the ERP as a web order of its customer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simulator.erp.generate import GenerationSummary
from tests.integration.test_load_helpers import erpsim_load, fast_mix

pytestmark = pytest.mark.slow

SAP_REQUESTS = {
    ("GET", "[sap] API_PRODUCT_SRV/A_Product?delta"),
    ("GET", "[sap] API_SALES_ORDER_SRV/A_SalesOrder?delta"),
    ("GET", "[sap] API_SALES_ORDER_SIMULATION_SRV/ (csrf fetch)"),
    ("POST", "[sap] API_SALES_ORDER_SIMULATION_SRV/A_SalesOrderSimulation"),
    ("GET", "[sap] API_SALES_ORDER_SRV/ (csrf fetch)"),
    ("POST", "[sap] API_SALES_ORDER_SRV/A_SalesOrder"),
    ("POST", "[sap] API_SALES_ORDER_SRV/A_SalesOrder [replay]"),
}


def test_the_connector_persona_speaks_sap_without_failures(
    tmp_path: Path, history_run: GenerationSummary
) -> None:
    shutil.copyfile(history_run.path, tmp_path / "erp.sqlite")
    fast_mix(tmp_path)
    done = erpsim_load(
        "--db", "erp.sqlite", "--mix", "load-test-fast.toml", "--persona",
        "ErpIntegrationClient", "--persona", "Reorderer", "--persona", "OrderTracker",
        "--users", "6", "--duration", "10s", "--erp-flavor", "sap", "--warmup", "0",
        "--out", "sap", "--slo", "fail_ratio<0.01%", "--slo", "requests>10", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "sap" / "summary.json").read_text(encoding="utf-8"))
    seen = {(row["method"], row["name"]): row for row in summary["requests"]}
    assert set(seen) >= SAP_REQUESTS
    assert {key: row["failures"] for key, row in seen.items() if row["failures"]} == {}
    assert all(seen[key]["requests"] > 0 for key in SAP_REQUESTS)
    # the buyers' side ran on the store on SAP: checkouts, history and tracking
    for store_call in ("/api/carts/[id]/checkout", "/api/orders", "/api/orders/[number]"):
        assert any(name == store_call for _, name in seen), store_call
    documents = summary["data_checks"]["documents"]
    created = documents.get("sap_orders_created", 0)
    refused = documents.get("sap_orders_refused", 0)  # the ERP's answer, not a failure
    assert created + refused == seen[("POST", "[sap] API_SALES_ORDER_SRV/A_SalesOrder")]["requests"]
    # each is a web order of its customer in the ERP, and none is taken for a duplicate
    integrity = summary["data_checks"]["integrity"]
    assert integrity["ok"] is True, integrity["violations"]
    assert integrity["connector_orders"] == created > 0
    # the store's own orders went through SAP, each found once in the ERP
    assert integrity["placed_orders"] > 0
    assert (
        integrity["erp_orders_found"] + integrity["refused_orders"] == (integrity["placed_orders"])
    )
