"""What the SAP write tests share: a CSRF token fetched as SAP clients do, the facade's
sales order bodies, and a reader for multipart $batch answers."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import requests

ORDERS = "/API_SALES_ORDER_SRV"
SIMULATION = "/API_SALES_ORDER_SIMULATION_SRV"


def csrf(session: requests.Session, sap: str, service: str = ORDERS) -> requests.Session:
    """Fetch a token (x-csrf-token: Fetch on a GET) and send it on every later request."""
    response = session.get(sap + service + "/", headers={"x-csrf-token": "Fetch"})
    assert response.status_code == 200, response.text
    session.headers["x-csrf-token"] = response.headers["x-csrf-token"]
    return session


def parties(sql: sqlite3.Connection) -> tuple[str, str, str]:
    """(customer, another customer, item): unblocked, with the most credit headroom."""
    customers = [
        no
        for (no,) in sql.execute(
            "SELECT no FROM customers WHERE blocked = '' AND credit_limit = 0 ORDER BY no LIMIT 2"
        )
    ]
    if len(customers) < 2:
        customers = [
            no
            for (no,) in sql.execute(
                "SELECT no FROM customers WHERE blocked = '' ORDER BY credit_limit DESC LIMIT 2"
            )
        ]
    (item,) = sql.execute(
        "SELECT no FROM items WHERE blocked = 0 ORDER BY unit_price LIMIT 1"
    ).fetchone()
    return customers[0], customers[1], item


def limited_customer(sql: sqlite3.Connection) -> tuple[str, float]:
    """An unblocked customer with a credit limit, and the limit."""
    row = sql.execute(
        "SELECT no, credit_limit FROM customers WHERE blocked = '' AND credit_limit > 0"
        " ORDER BY credit_limit LIMIT 1"
    ).fetchone()
    return str(row[0]), float(row[1])


def order(customer: str, *items: tuple[str, float], **header: Any) -> dict[str, Any]:
    """An A_SalesOrder deep insert as SAP's API documentation shows it."""
    return {
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "SoldToParty": customer,
        **header,
        "to_Item": {
            "results": [
                {"Material": material, "RequestedQuantity": f"{quantity:g}"}
                for material, quantity in items
            ]
        },
    }


def count_orders(sql: sqlite3.Connection) -> int:
    (count,) = sql.execute("SELECT count(*) FROM sales_orders").fetchone()
    return int(count)


def batch_parts(response: requests.Response) -> list[Any]:
    """A multipart/mixed answer as a list: (status, headers, body text) per response, a
    list of those per changeset."""
    return _parts(response.content, response.headers["content-type"])


def _parts(body: bytes, content_type: str) -> list[Any]:
    found = re.search(r"boundary=([^;\s]+)", content_type)
    assert found is not None, content_type
    marker = b"--" + found.group(1).encode()
    chunks = body.replace(b"\r\n", b"\n").split(marker)[1:]
    out: list[Any] = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        head, _, rest = chunk.strip(b"\n").partition(b"\n\n")
        headers = _headers(head)
        if headers.get("content-type", "").startswith("multipart/mixed"):
            out.append(_parts(rest, headers["content-type"]))
            continue
        status_line, _, http = rest.partition(b"\n")
        inner_head, _, inner_body = http.partition(b"\n\n")
        status = int(status_line.split()[1])
        # the part's MIME headers (Content-ID) and the response's own
        out.append((status, headers | _headers(inner_head), inner_body.decode().strip()))
    return out


def _headers(block: bytes) -> dict[str, str]:
    pairs = [line.split(":", 1) for line in block.decode().split("\n") if ":" in line]
    return {name.strip().lower(): value.strip() for name, value in pairs}


def batch_body(boundary: str, parts: list[str | list[str]]) -> bytes:
    """A multipart/mixed batch: a text is a read (an HTTP request), a list a changeset."""
    out = []
    for n, part in enumerate(parts):
        out.append(f"--{boundary}")
        if isinstance(part, str):
            out += ["Content-Type: application/http", "Content-Transfer-Encoding: binary", ""]
            out += [part, ""]
        else:
            changeset = f"changeset_{n}"
            out += [f"Content-Type: multipart/mixed; boundary={changeset}", ""]
            for m, request in enumerate(part, 1):
                out += [f"--{changeset}", "Content-Type: application/http"]
                out += ["Content-Transfer-Encoding: binary", f"Content-ID: {m}", "", request]
            out += [f"--{changeset}--", ""]
    out.append(f"--{boundary}--")
    return ("\r\n".join(out) + "\r\n").encode()
