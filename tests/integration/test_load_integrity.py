"""The integrity check after a real run catches a lost order: one deleted from the ERP, and
an outbox row marked delivered without the delivery."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from simulator.erp.generate import GenerationSummary
from simulator.load.integrity import check_integrity, web_order_numbers
from simulator.load.runner import LoadSettings, embedded, locust_options, run_locust
from tests.integration.test_load_helpers import fast_mix

pytestmark = pytest.mark.slow


def test_integrity_catches_injected_lost_orders(tmp_path: Path, history_run: GenerationSummary):
    db = tmp_path / "erp.sqlite"
    shutil.copyfile(history_run.path, db)
    out = tmp_path / "run"
    out.mkdir()
    settings = LoadSettings(
        out=out, duration=6.0, users=6, personas=("Reorderer", "QuoteRequester"),
        mix=fast_mix(tmp_path), clock_speed=0.0,
    )  # fmt: skip
    with embedded(settings, db, tmp_path) as servers:
        baseline = web_order_numbers(servers.erp_db)
        options = locust_options(
            settings, host=servers.store_url, db=db, store_db=servers.store_db,
            secret=servers.secret, erp_url=None, erp_key=None, forecast=None,
            summary=out / "summary.json",
        )  # fmt: skip
        assert run_locust(settings, options, out) == 0
        assert servers.store.ctx.outbox.drain(timeout=30.0) == 0
        placed = json.loads((out / "placed.json").read_text(encoding="utf-8"))
        orders = [p for p in placed if p["kind"] in ("order", "quote_order")]
        assert len(orders) >= 2

        clean = check_integrity(out / "placed.json", servers.store_db, servers.erp_db, baseline)
        assert clean.ok, clean.violations
        assert clean.erp_orders_found == len(orders)

        # A lost order: the ERP no longer has it.
        lost = orders[0]["erp_number"]
        erp = sqlite3.connect(servers.erp_db, timeout=10)
        with erp:
            erp.execute("DELETE FROM sales_orders WHERE no = ?", (lost,))
        erp.close()
        # An outbox row that says delivered though the document never was.
        store = sqlite3.connect(servers.store_db, timeout=10)
        with store:
            store.execute(
                "UPDATE web_documents SET status = 'pending', erp_number = NULL WHERE id = ?",
                (orders[1]["document"],),
            )
        store.close()

        report = check_integrity(placed, servers.store_db, servers.erp_db, baseline)
    assert not report.ok
    text = "\n".join(report.violations)
    assert f"ERP order {lost} is missing from the ERP" in text
    assert f"outbox row of document {orders[1]['document']} is 'delivered'" in text
    assert f"document {orders[1]['document']} (key {orders[1]['key']}): still pending" in text
    if orders[1]["kind"] == "order":  # its ERP order is now one no store document delivered
        assert "no store document delivered" in text
    assert report.as_dict()["ok"] is False
