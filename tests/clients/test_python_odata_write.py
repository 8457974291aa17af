"""Creating a sales order with lines through python-odata's own API (`service.save`), with
Business Central's field names. python-odata POSTs the entity with ``@odata.type`` and
*every* property of the type, null where not set, and the lines nested the same way
(``lineType``, ``lineObjectNumber``, ``quantity``): the server takes a null read-only
property as "not set", as the generated clients need."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from odata import ODataService

from tests.clients.conftest import KEY
from tests.clients.odata_shim import allow_bc_enum_members


@pytest.fixture(scope="module")
def service(api: str) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch, requests.Session() as session:
        session.headers["api-key"] = KEY
        allow_bc_enum_members(patch)
        yield ODataService(api, session=session, reflect_entities=True, quiet_progress=True)


def test_create_sales_order_with_lines(service: Any) -> None:
    orders, lines = service.entities["salesOrders"], service.entities["salesOrderLines"]
    item = service.query(service.entities["items"]).first()
    customer = service.query(service.entities["customers"]).first()
    order = orders()
    order.customerNumber = customer.number
    line = lines()
    line.lineType = lines.lineType.enum_class["Item"]
    line.lineObjectNumber = item.number
    line.quantity = 3
    order.salesOrderLines = [line]
    service.save(order)
    assert order.id is not None
    saved = service.query(orders).expand(orders.salesOrderLines).get(order.id)
    assert saved.customerNumber == customer.number
    assert [(li.lineObjectNumber, li.quantity) for li in saved.salesOrderLines] == [
        (item.number, 3.0)
    ]
