"""Creating a sales order with lines through python-odata's own API (`service.save`), with
Business Central's field names. python-odata POSTs the entity with ``@odata.type`` and
*every* property of the type, null where not set, and the lines nested the same way
(``lineType``, ``lineObjectNumber``, ``quantity``). The server's create does not accept
that yet (it answers 400 ``unknown_field`` for ``billToAddressLine1``, the first read-only
property)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from odata import ODataService

from tests.clients.conftest import KEY
from tests.clients.odata_shim import allow_bc_enum_members

pytestmark = pytest.mark.skip(
    reason="server: POST salesOrders must accept BC's full entity body (null read-only "
    "properties such as billToAddressLine1, @odata.type) and BC lines (lineType, "
    "lineObjectNumber): the BC write semantics work, not merged yet"
)


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
