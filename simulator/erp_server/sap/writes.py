"""Writes through the SAP facade: sales orders (deep insert, items, changes, deletes),
order simulation and ``$batch``.

Each write is planned first (`plan`: the body parsed and checked, the writer call chosen)
and then run: alone (`handle`), or with the other writes of a ``$batch`` changeset in one
transaction (`batch`). The writer calls are the Business Central API's own (`document_ops`),
so both APIs see one ERP and one exactly-once journal: SAP's ``Repeatability-Request-ID``
is a key of the same idempotency store as BC's ``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response

from simulator.erp_server.idempotency import fingerprint
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.sap import order_bodies as bodies
from simulator.erp_server.sap.catalog import EntityType, service
from simulator.erp_server.sap.codes import Codes, our_line
from simulator.erp_server.sap.errors import SapError
from simulator.erp_server.sap.query import Expansion, parse_key
from simulator.erp_server.sap.repeatability import repeatability_answer, repeatability_key
from simulator.erp_server.sap.routes import GATEWAY_HEADERS, Call, _split, sap_response

__all__ = ["Planned", "handle", "plan", "plan_referenced_item", "sap_error"]

ORDERS = "API_SALES_ORDER_SRV"
SIMULATION = "API_SALES_ORDER_SIMULATION_SRV"
Respond = Callable[[Any], Awaitable[Response]]

# our refusals (ODataError codes) -> SAP's status, message code
REFUSALS: dict[str, tuple[int, str]] = {
    "customer_not_found": (400, "V1/302"),
    "customer_blocked": (400, "V1/462"),
    "item_not_found": (400, "V1/392"),
    "item_blocked": (400, "V1/028"),
    "unit_not_defined": (400, "V1/093"),
    "invalid_quantity": (400, "V1/064"),
    "no_exchange_rate": (400, "V1/201"),
    "credit_limit_exceeded": (400, "V1/154"),
    "order_not_editable": (400, "V1/042"),
    "quote_not_editable": (400, "V1/042"),
    "invalid_value": (400, "V1/555"),
    "invalid_date": (400, "V1/064"),
    "not_found": (404, "/IWBEP/CM_MGW_RT/020"),
    "precondition_failed": (412, "/IWBEP/CM_MGW_RT/098"),
    "idempotency_key_reused": (422, "/IWBEP/CM_MGW_RT/176"),
    "invalid_idempotency_key": (400, "/IWBEP/CM_MGW_RT/175"),
}


def sap_error(exc: ODataError) -> SapError:
    """Our refusal in SAP's words: a V1 (sales document) message where SAP has one."""
    status, code = REFUSALS.get(exc.code, (exc.status, f"/IWBEP/CM_MGW_RT/{exc.status}"))
    if exc.status >= 500:
        status = exc.status
    return SapError(status, code, exc.message)


@dataclass
class Planned:
    """A write, checked and ready: the writer call to make (None: none needed) and how to
    answer its result. The order simulation's call only asks the writer about credit."""

    call: tuple[str, tuple[Any, ...]] | None
    respond: Respond


async def handle(call: Call, method: str, rest: str) -> Response:
    rest = rest.strip("/")
    if rest == "$batch":
        if method != "POST":
            raise _not_allowed(method, rest)
        from simulator.erp_server.sap.batch import handle_batch  # noqa: PLC0415 (cycle)

        return await handle_batch(call)
    body = await call.request.body()
    if len(body) > call.services.settings.max_body_bytes:
        raise SapError(413, "/IWBEP/CM_MGW_RT/006", "The request body is too large")
    planned = plan(call, method, rest, body, call.request.headers)
    return await run(call, planned)


async def run(call: Call, planned: Planned) -> Response:
    result = None
    if planned.call is not None:
        try:
            result = await call.services.gateway.call(planned.call[0], *planned.call[1])
        except ODataError as exc:
            raise sap_error(exc) from None
    return await planned.respond(result)


def plan(call: Call, method: str, rest: str, body: bytes, headers: Mapping[str, str]) -> Planned:
    """Check a write and choose its writer call (SapError when SAP would refuse it)."""
    set_name, key_text, tail = _split(rest)
    entity = service(call.service).sets.get(set_name)
    if entity is None:
        raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{set_name}'")
    key = parse_key(entity, key_text) if key_text is not None else None
    if call.service == SIMULATION and method == "POST" and key is None and not tail:
        from simulator.erp_server.sap.simulation import plan_simulation  # noqa: PLC0415

        return plan_simulation(call, _json(body))
    if call.service == ORDERS:
        found = _order_write(call, method, entity, key, tail, body, headers)
        if found is not None:
            return found
    raise _not_allowed(method, rest, entity)


def _not_allowed(method: str, rest: str, entity: EntityType | None = None) -> SapError:
    if entity is not None and method == "POST" and not entity.creatable:
        message = f"Entity set '{entity.set_name}' is not creatable"
    elif entity is not None and method in ("PUT", "PATCH", "MERGE") and not entity.updatable:
        message = f"Entity set '{entity.set_name}' is not updatable"
    elif entity is not None and method == "DELETE" and not entity.deletable:
        message = f"Entity set '{entity.set_name}' is not deletable"
    else:
        message = f"Method {method} is not implemented for '{rest}' in this system"
    return SapError(405, "/IWBEP/CM_MGW_RT/051", message)


def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise SapError(400, "/IWBEP/CM_MGW_RT/008", "The request body is empty")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SapError(400, "/IWBEP/CM_MGW_RT/008", f"Malformed JSON request body: {exc}") from None
    if isinstance(value, dict) and set(value) == {"d"} and isinstance(value["d"], dict):
        value = value["d"]  # V2 JSON's verbose wrapper
    if not isinstance(value, dict):
        raise SapError(400, "/IWBEP/CM_MGW_RT/008", "The request body must be a JSON object")
    return value


# --- sales orders ------------------------------------------------------------------------
def _order_id(call: Call, order_no: str) -> str:
    found = call.services.store.lookup("sales_orders", "no", order_no, "id")
    if found is None:
        raise SapError(404, "/IWBEP/CM_MGW_RT/020", "Resource not found for segment 'A_SalesOrder'")
    return str(found)


def _if_match(headers: Mapping[str, str]) -> str:
    value = headers.get("if-match")
    if not value:
        raise SapError(
            428,
            "/IWBEP/CM_MGW_RT/099",
            "Precondition required: send the entity's ETag in an If-Match header",
        )
    return value


def _order_write(
    call: Call,
    method: str,
    entity: EntityType,
    key: dict[str, Any] | None,
    tail: str,
    body: bytes,
    headers: Mapping[str, str],
) -> Planned | None:
    name = entity.set_name
    store = call.services.store
    if method == "POST" and name == "A_SalesOrder" and key is None and not tail:
        raw = _json(body)
        document = bodies.order_body(store, Codes(store.conn), raw)
        idem = repeatability_key(headers)
        print_ = fingerprint("sap:A_SalesOrder", raw)
        navs: list[str] = ["to_Item", *(["to_Partner"] if "to_Partner" in raw else [])]
        return Planned(
            ("create_document", ("order", document, idem, print_)),
            lambda result: _created_order(call, result, navs, repeatability_answer(headers)),
        )
    if method == "POST" and (
        (name == "A_SalesOrderItem" and key is None and not tail)
        or (name == "A_SalesOrder" and key is not None and tail == "to_Item")
    ):
        raw = _json(body)
        order_no = key["SalesOrder"] if key is not None else raw.get("SalesOrder")
        if not isinstance(order_no, str) or not order_no:
            raise bodies.bad("Enter the sales order of the item", "V1/555", "SalesOrder")
        order_id = _order_id(call, order_no)
        line = bodies.order_item(store, raw)
        idem = repeatability_key(headers)
        print_ = fingerprint(f"sap:A_SalesOrder('{order_no}')/to_Item", raw)
        return Planned(
            ("add_line", ("order", order_id, line, idem, print_)),
            lambda result: _created_item(call, order_no, result, repeatability_answer(headers)),
        )
    if method in ("MERGE", "PATCH", "PUT") and key is not None and not tail:
        if name == "A_SalesOrder":
            order_id = _order_id(call, key["SalesOrder"])
            changes = bodies.header_changes(_json(body), _current(call, entity, key))
            if_match = _if_match(headers)
            return Planned(
                ("sap_change_order", (order_id, changes, if_match)),
                lambda _: _no_content(call, key["SalesOrder"]),
            )
        if name == "A_SalesOrderItem":
            order_id, line_no, material = _item(call, key)
            change = bodies.item_change(store, material, _json(body), _current(call, entity, key))
            return Planned(
                ("change_line", ("order", order_id, line_no, change, "*")),
                lambda _: _no_content(call, None),
            )
    if method == "DELETE" and key is not None and not tail:
        if name == "A_SalesOrder":
            order_id = _order_id(call, key["SalesOrder"])
            return Planned(
                ("sap_delete_order", (order_id, _if_match(headers))),
                lambda _: _no_content(call, None),
            )
        if name == "A_SalesOrderItem":
            order_id, line_no, _material = _item(call, key)
            return Planned(
                ("delete_line", ("order", order_id, line_no, None)),
                lambda _: _no_content(call, None),
            )
    return None


def _current(call: Call, entity: EntityType, key: dict[str, Any]) -> dict[str, Any]:
    from simulator.erp_server.sap import reader  # noqa: PLC0415

    return reader.fetch_one(call.services.store.conn, entity, key) or {}


def plan_referenced_item(
    call: Call, position: int, body: bytes, headers: Mapping[str, str]
) -> Planned:
    """POST ``$<id>/to_Item`` in a changeset: an item of the order the request with that
    Content-ID creates (the writer puts in its id when the changeset runs)."""
    from simulator.erp_server.sap.writer import Ref  # noqa: PLC0415 (live imports writer)

    raw = _json(body)
    line = bodies.order_item(call.services.store, raw)
    idem = repeatability_key(headers)
    print_ = fingerprint(f"sap:${position}/to_Item", raw)
    return Planned(
        ("add_line", ("order", Ref(position), line, idem, print_)),
        lambda result: _created_item(call, None, result, repeatability_answer(headers)),
    )


def _item(call: Call, key: dict[str, Any]) -> tuple[str, int, str]:
    """(order id, our line number, material) of an item key; 404 if there is none."""
    line_no = our_line(str(key["SalesOrderItem"]))
    row = call.services.store.conn.execute(
        "SELECT o.id, l.item_no FROM sales_order_lines l JOIN sales_orders o"
        " ON o.no = l.document_no WHERE l.document_no = ? AND l.line_no = ?",
        (key["SalesOrder"], line_no),
    ).fetchone()
    if row is None or line_no is None:
        raise SapError(
            404, "/IWBEP/CM_MGW_RT/020", "Resource not found for segment 'A_SalesOrderItem'"
        )
    return str(row[0]), line_no, str(row[1])


def _entity_body(
    call: Call, set_name: str, key: dict[str, Any], navs: list[str]
) -> tuple[dict[str, Any], str | None]:
    from simulator.erp_server.sap import reader  # noqa: PLC0415
    from simulator.erp_server.sap.v2 import etag, payload  # noqa: PLC0415

    entity = service(ORDERS).sets[set_name]
    conn = call.services.store.conn
    row = reader.fetch_one(conn, entity, key)
    if row is None:
        raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{set_name}'")
    expansions = tuple(Expansion(nav) for nav in navs)
    extra = reader.expand(conn, entity, [row], expansions, call.base)[0]
    return payload(entity, row, call.base, expanded=extra), etag(entity, row)


def _created(
    body: dict[str, Any], tag: str | None, answer: dict[str, str], saved: str | None = None
) -> Response:
    headers = {"location": body["__metadata"]["uri"], **answer}
    if saved is not None:  # SAP's success message, as S/4HANA sends it after a create
        headers["sap-message"] = orjson.dumps(
            {
                "code": "V1/311",
                "message": saved,
                "target": "",
                "severity": "success",
                "transition": True,
                "details": [],
            }
        ).decode()
    if tag:
        headers["etag"] = tag
    return sap_response({"d": body}, 201, headers)


async def _created_order(
    call: Call, result: tuple[str, bool], navs: list[str], answer: dict[str, str]
) -> Response:
    order_id, _replayed = result
    number = call.services.store.lookup("sales_orders", "id", order_id, "no")
    body, tag = _entity_body(call, "A_SalesOrder", {"SalesOrder": number}, navs)
    return _created(body, tag, answer, f"Standard Order {number} has been saved")


async def _created_item(
    call: Call, order_no: str | None, result: tuple[str, bool], answer: dict[str, str]
) -> Response:
    from simulator.erp_server.bc_sets import line_id_parts  # noqa: PLC0415
    from simulator.erp_server.sap.codes import sap_item  # noqa: PLC0415

    parts = line_id_parts(result[0])
    if order_no is None and parts is not None:  # a line id starts with its order's id
        found = call.services.store.conn.execute(
            "SELECT no FROM sales_orders WHERE substr(id, 1, 24) = ?", (parts[0],)
        ).fetchone()
        order_no = str(found[0]) if found else ""
    item = sap_item(parts[1] if parts else None)
    key = {"SalesOrder": order_no, "SalesOrderItem": item}
    body, tag = _entity_body(call, "A_SalesOrderItem", key, [])
    return _created(body, tag, answer)


async def _no_content(call: Call, order_no: str | None) -> Response:
    headers = dict(GATEWAY_HEADERS)
    if order_no is not None:
        from simulator.erp_server.sap import reader  # noqa: PLC0415
        from simulator.erp_server.sap.v2 import etag  # noqa: PLC0415

        entity = service(ORDERS).sets["A_SalesOrder"]
        row = reader.fetch_one(call.services.store.conn, entity, {"SalesOrder": order_no})
        tag = etag(entity, row) if row else None
        if tag:
            headers["etag"] = tag
    return Response(status_code=204, headers=headers)
