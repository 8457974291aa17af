"""What the outbox sends for each document kind (only the ERP's fields), and its seeded,
capped exponential backoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.store.outbox import Delivery, OutboxWorker, erp_call
from simulator.store.settings import StoreSettings


def test_erp_call_per_kind() -> None:
    lines = [{"itemNumber": "1", "unitOfMeasureCode": "", "quantity": 2, "note": "x"}]
    order = erp_call(
        "order",
        "C1",
        {"salesOrderLines": lines, "requestedDeliveryDate": "2026-10-08", "cartId": 7},
    )
    assert order == Delivery(
        "salesOrders",
        {
            "customerNumber": "C1",
            "requestedDeliveryDate": "2026-10-08",
            "channel": "web",
            "salesOrderLines": [{"itemNumber": "1", "unitOfMeasureCode": "", "quantity": 2}],
        },
    )
    quote = erp_call("quote", "C1", {"lines": lines, "contactNumber": "K1"})
    assert quote.path == "salesQuotes"
    assert quote.body is not None
    assert quote.body["salesQuoteLines"] == order.body["salesOrderLines"]  # type: ignore[index]
    assert quote.body["contactNumber"] == "K1"
    assert erp_call("quote_order", "C1", {"quoteId": "abc", "quoteNumber": "SQ1"}) == Delivery(
        "salesQuotes(abc)/Microsoft.NAV.makeOrder", None
    )
    assert erp_call("payment", "C1", {"invoiceNumber": "I1", "amount": None}) == Delivery(
        "customerPayments", {"invoiceNumber": "I1"}
    )
    assert erp_call("invoice_copy", "C1", {"invoiceNumber": "I1"}) == Delivery(
        "inquiries", {"customerNumber": "C1", "type": "invoice_copy", "invoiceNumber": "I1"}
    )
    returned = erp_call(
        "return", "C1", {"shipmentNumber": "S1", "lineSequence": 10000, "quantity": 1}
    )
    assert returned == Delivery(
        "returnRequests", {"shipmentNumber": "S1", "lineSequence": 10000, "quantity": 1}
    )
    with pytest.raises(ValueError, match="unknown document kind"):
        erp_call("invoice", "C1", {})


def test_backoff_doubles_with_seeded_jitter_and_a_cap(tmp_path: Path) -> None:
    settings = StoreSettings(
        db=tmp_path / "s.sqlite",
        erp_url="http://127.0.0.1:9",
        erp_key="k",
        secret="s",
        outbox_backoff=0.5,
        outbox_backoff_max=4.0,
        seed=3,
    )
    one = OutboxWorker(settings, db_path=settings.db)
    two = OutboxWorker(settings, db_path=settings.db)
    delays = [one.backoff(attempt) for attempt in range(1, 8)]
    assert delays == [two.backoff(attempt) for attempt in range(1, 8)]  # same seed
    bases = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    for delay, base in zip(delays, bases, strict=True):
        assert 0.75 * base <= delay < 1.25 * base
