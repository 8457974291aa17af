"""Subscription resources name an entity set in any of the API's URL forms."""

from __future__ import annotations

import pytest

from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.webhooks import parse_resource

COMPANY = "6f1e2c4a-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    "resource",
    [
        f"/api/v2.0/companies({COMPANY})/salesOrders",
        "api/v2.0/salesOrders",
        f"https://api.businesscentral.dynamics.com/v2.0/t1/Production/api/v2.0/companies({COMPANY})/salesOrders",
        f"/bc/api/v2.0/companies({COMPANY})/salesOrders",
    ],
)
def test_standard_forms(resource: str) -> None:
    assert parse_resource(resource, COMPANY).name == "salesOrders"


def test_custom_group_and_refusals() -> None:
    assert parse_resource("/api/erpsim/commerce/v1.0/itemStock", COMPANY).name == "itemStock"
    with pytest.raises(ODataError):
        parse_resource("/api/v2.0/companies(00000000-0000-4000-8000-000000000000)/items", COMPANY)
    with pytest.raises(ODataError):
        parse_resource("/api/v2.0/nothing", COMPANY)
