"""The store on an ERP that speaks only SAP: the real mock ERP behind a loopback proxy that
passes ``/sap/opu/odata/sap/`` and answers 404 to everything else (no Business Central API,
as on a real S/4HANA). The store starts, syncs its master data, shows a buyer's catalog with
SAP's prices and takes an order into SAP; what it would ask of the BC API degrades."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.integration.polling import poll

pytest_plugins = ["tests.integration.store_fixtures"]
SAP_ROOT = "/sap/opu/odata/sap/"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@pytest.fixture(scope="module")
def sap_only(erp_server: Any) -> Iterator[str]:
    """A proxy to the mock ERP that serves SAP's services only; its base URL."""
    target = erp_server.url

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            if not self.path.startswith(SAP_ROOT):
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            answer = requests.request(
                self.command, target + self.path, data=body, headers=headers, timeout=30
            )
            self.send_response(answer.status_code)
            for name, value in answer.raw.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_store_runs_on_sap_alone(sap_only: str, store_factory, login, demo_users) -> None:
    assert requests.get(sap_only + "/api/v2.0/$clock", timeout=5).status_code == 404
    with store_factory(
        "realtime", erp_flavor="sap", erp_url=sap_only, outbox_backoff=0.05
    ) as store:
        rows = store.ctx.integration.status()["lastSync"]["rows"]
        assert rows["items"] > 0
        assert rows["customers"] > 0
        buyer = demo_users(store).buyer
        with login(store, buyer.email, buyer.password) as session:
            page = session.get("/api/items", params={"pageSize": 10}).json()
            priced = [i for i in page["items"] if i["offer"] and not i["offer"].get("error")]
            assert priced
            assert page["stale"] is False
            cart = session.post("/api/carts", json={"name": "sap only"}).json()["id"]
            put = session.put(
                f"/api/carts/{cart}/lines",
                json={"itemNumber": priced[0]["number"], "quantity": 1},
            )
            assert put.status_code == 200, put.text
            # the business date is SAP's HTTP Date (no ERP clock answers here)
            assert store.ctx.integration.synchronizer.today == dt.datetime.now(dt.UTC).date()
            wanted = (dt.date.today() + dt.timedelta(days=5)).isoformat()
            answer = session.post(
                f"/api/carts/{cart}/checkout", json={"requestedDeliveryDate": wanted}
            )
            assert answer.status_code == 201, answer.text
            document = answer.json()["document"]

            def settled() -> Any:
                found = session.get(f"/api/documents/{document}").json()
                return found if found["status"] in ("accepted", "rejected") else None

            placed = poll(settled, "the order delivered through SAP alone")
            history = session.get("/api/orders")
            quotes = session.get("/api/quotes")
    # accepted, or refused by SAP for the account's credit: either way SAP answered it
    assert placed["status"] == "accepted" or placed["error"].startswith("credit_limit")
    assert history.status_code == 200, history.text
    # quotes live in a service S/4HANA's seven here do not include: a clear 503, no 500
    assert quotes.status_code == 503
    assert quotes.json()["error"]["code"] == "erp_error"
    assert "(404)" in quotes.json()["error"]["message"]
