"""The store's reading of SAP's shapes, on answers as S/4HANA writes them (not only as our
facade does): pricing elements with a price per 10 units and an inactive discount, V2 dates,
the deep insert's body, Repeatability IDs, and the connector's delta watermark."""

from __future__ import annotations

import pytest

from loadtests.sap_connector import v2_watermark
from simulator.store.sap_client import request_id, v2_date
from simulator.store.sap_orders import order_body
from simulator.store.sap_prices import simulated_line

# An item of an A_SalesOrderSimulation answer in S/4HANA's shape: PPR0 per 10 pieces, a
# manual DCM2 discount that an inactive one (reason M) was replaced by, statistical
# subtotals with no condition type.
SIMULATED_ITEM = {
    "SalesOrderItem": "10",
    "Material": "TG0011",
    "RequestedQuantity": "20",
    "RequestedQuantityUnit": "PC",
    "TransactionCurrency": "USD",
    "NetAmount": "328.00",
    "to_PricingElement": {
        "results": [
            {"ConditionType": "PPR0", "ConditionRateValue": "2000.000000000",
             "ConditionQuantity": "10", "ConditionCalculationType": "C",
             "ConditionClass": "B", "ConditionInactiveReason": ""},
            {"ConditionType": "", "ConditionRateValue": "200.000000000",
             "ConditionQuantity": "1", "ConditionCalculationType": "C",
             "ConditionClass": "", "ConditionInactiveReason": ""},
            {"ConditionType": "DCM2", "ConditionRateValue": "-15.000000000",
             "ConditionQuantity": "0", "ConditionCalculationType": "A",
             "ConditionClass": "A", "ConditionInactiveReason": "M"},
            {"ConditionType": "DCM2", "ConditionRateValue": "-18.000000000",
             "ConditionQuantity": "0", "ConditionCalculationType": "A",
             "ConditionClass": "A", "ConditionInactiveReason": ""},
        ]
    },
}  # fmt: skip


def test_a_simulated_item_reads_as_price_discount_and_net() -> None:
    line = simulated_line(SIMULATED_ITEM, "", 20.0)
    assert line["itemNumber"] == "TG0011"
    assert line["unitOfMeasureCode"] == "PCS"  # SAP's PC is our PCS
    assert line["unitPrice"] == pytest.approx(200.0)  # 2000 per 10
    assert line["discountPercent"] == pytest.approx(18.0)  # the inactive 15 % is not
    assert line["netUnitPrice"] == pytest.approx(164.0)
    assert line["currencyCode"] == "USD"
    assert line["error"] is None


def test_without_a_price_element_the_net_amount_per_unit_is_shown() -> None:
    bare = {**SIMULATED_ITEM, "to_PricingElement": []}
    line = simulated_line(bare, "", 20.0)
    assert line["netUnitPrice"] == pytest.approx(16.4)
    assert line["unitPrice"] == 0.0


def test_local_currency_is_shown_as_blank() -> None:
    local = {**SIMULATED_ITEM, "TransactionCurrency": "EUR"}
    assert simulated_line(local, "", 20.0)["currencyCode"] == ""


def test_v2_dates() -> None:
    assert v2_date("/Date(1767225600000)/") == "2026-01-01"
    assert v2_date("/Date(1767225600000+0000)/") == "2026-01-01"
    assert v2_date(None) is None
    assert v2_date("2026-02-03T00:00:00") == "2026-02-03"


def test_the_deep_insert_body_of_a_store_order() -> None:
    body = order_body(
        "C000001",
        {
            "customerNumber": "C000002",
            "contactNumber": "CT000007",
            "requestedDeliveryDate": "2026-01-01",
            "salesOrderLines": [
                {"itemNumber": "1000001", "unitOfMeasureCode": "", "quantity": 2},
                {"itemNumber": "1000002", "unitOfMeasureCode": "BOX", "quantity": 1.5},
            ],
        },
    )
    assert body == {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": "C000002",
        "to_Item": [
            {"Material": "1000001", "RequestedQuantity": "2"},
            {"Material": "1000002", "RequestedQuantity": "1.5", "RequestedQuantityUnit": "BOX"},
        ],
        "to_Partner": [{"PartnerFunction": "AP", "ContactPerson": "CT000007"}],
        "RequestedDeliveryDate": "/Date(1767225600000)/",
    }


def test_request_ids_and_watermarks() -> None:
    assert request_id("k") == request_id("k") != request_id("k2")
    assert len(request_id("k")) == 32
    assert v2_watermark("/Date(1767225600999+0000)/") == "2026-01-01T00:00:00Z"
    assert v2_watermark("not a date") is None
