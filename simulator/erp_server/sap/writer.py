"""The writer's side of the SAP facade's writes (mixed into `live.LiveErp`, on its thread).

Most SAP writes are the Business Central operations themselves (`create_document`,
`add_line`, `change_line`, `delete_line`, `delete_document`); what SAP adds is done here:
its ETag check on the order header (SAP's ETag is the header's LastChangeDateTime), the
purchase order number on a change, a credit check without a write (order simulation),
and a ``$batch`` changeset, which runs several writes in one transaction: all are
committed or, if one fails, none (the transaction is rolled back and the world resumed
from the database, as after any failed write).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.sap.catalog import service
from simulator.erp_server.sap.codes import register_content_ms
from simulator.erp_server.sap.mappings.sales_order import ORDER_ETAG_SQL
from simulator.erp_server.sap.v2 import etag
from simulator.erp_server.storage import atomic

if TYPE_CHECKING:
    from simulator.erp.world.core import World

__all__ = ["CHANGESET_METHODS", "Changeset", "Ref", "SapWrites"]

# The writer methods a changeset may run (each one's own commit is held back).
CHANGESET_METHODS = frozenset(
    {
        "create_document",
        "add_line",
        "change_line",
        "delete_line",
        "delete_document",
        "sap_change_order",
        "sap_delete_order",
    }
)


class SapWrites:
    """SAP's additions to the single writer (see the module docstring)."""

    conn: sqlite3.Connection
    world: World
    clock: Any
    hub: Any
    holding: bool = False  # inside a changeset: `_commit` writes but does not commit

    # provided by LiveErp / DocumentWrites
    _commit: Any
    _number: Any
    _open_document: Any
    recover: Any
    delete_document: Any

    def sap_etag(self, order_no: str) -> str | None:
        """The header's ETag as the SAP facade shows it (A_SalesOrder's LastChangeDateTime,
        computed by the same SQL as its view)."""
        register_content_ms(self.conn)
        row = self.conn.execute(ORDER_ETAG_SQL, (order_no,)).fetchone()
        if row is None:
            return None
        entity = service("API_SALES_ORDER_SRV").sets["A_SalesOrder"]
        return etag(entity, {"LastChangeDateTime": row[0]})

    def _sap_if_match(self, order_no: str, if_match: str) -> None:
        if if_match != "*" and if_match != self.sap_etag(order_no):
            raise ODataError(
                412, "precondition_failed", f"sales order {order_no} changed since you read it"
            )

    @atomic
    def sap_change_order(self, order_id: str, changes: dict[str, Any], if_match: str) -> None:
        """A MERGE of the header: requested delivery date and the customer's PO number."""
        order = self._open_document("order", order_id)
        self._sap_if_match(order.no, if_match)
        if "requested_delivery_date" in changes:
            order.requested_delivery_date = changes["requested_delivery_date"]
        if "external_document_number" in changes:
            self.conn.execute(
                "INSERT INTO erpsim_document_extras (document_type, document_no,"
                " external_document_number) VALUES ('order', ?, ?) ON CONFLICT DO UPDATE"
                " SET external_document_number = excluded.external_document_number",
                (order.no, changes["external_document_number"]),
            )
        self.world.touch_order(order)
        self._commit(order)

    @atomic
    def sap_delete_order(self, order_id: str, if_match: str) -> None:
        number = self._number("sales_orders", order_id, "salesOrders")
        self._sap_if_match(number, if_match)
        self.delete_document("order", order_id)

    def sap_credit_ok(self, customer_no: str, amount: float) -> bool:
        """Whether `amount` more stays within the customer's credit limit (no write)."""
        world = self.world
        pos = world.account_pos.get(customer_no)
        if pos is None:
            return True
        account = world.accounts[pos]
        if account.credit_limit <= 0 or amount <= 0:
            return True
        exposure = float(world.exposure[pos]) + world.to_lcy(amount, account.currency)
        return bool(exposure <= account.credit_limit)

    def sap_changeset(self, calls: list[tuple[str, tuple[Any, ...]]]) -> Changeset:
        """Run writer calls as one transaction. On the first failure every call before it
        is undone too, and the answer names the failed call and its error (a value, not an
        exception: it crosses the workers' pipe as any answer does)."""
        for method, _ in calls:
            if method not in CHANGESET_METHODS:
                raise ODataError(400, "not_supported", f"{method} cannot run in a changeset")
        self.clock.sync()
        results: list[Any] = []
        with self._held():
            for position, (method, args) in enumerate(calls):
                try:
                    resolved = [_resolve(arg, results) for arg in args]
                    results.append(getattr(self, method)(*resolved))
                except Exception as exc:
                    if results or self.conn.in_transaction:
                        self.recover(RuntimeError("a changeset failed: undoing it"))
                    error = exc if isinstance(exc, ODataError) else _internal(exc)
                    return Changeset(results=[], failed=position, error=error)
        self.conn.commit()
        self.hub.detect(self.conn)
        return Changeset(results=results)

    @contextmanager
    def _held(self) -> Iterator[None]:
        """Commits held back and the clock paused (a world batch would commit too)."""
        clock = self.clock
        last = clock._last
        clock._last = float("inf")  # not due: no world advance inside the changeset
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
            clock._last = last


@dataclass(frozen=True)
class Ref:
    """An argument naming what an earlier call of the same changeset created (a $batch
    Content-ID reference): the id of the document made by the call at `position`."""

    position: int


def _resolve(arg: Any, results: list[Any]) -> Any:
    if not isinstance(arg, Ref):
        return arg
    if not 0 <= arg.position < len(results):
        raise ODataError(400, "invalid_reference", "a Content-ID names a later request")
    return results[arg.position][0]


@dataclass(frozen=True)
class Changeset:
    """What a changeset did: each call's result, or which call failed and why."""

    results: list[Any]
    failed: int | None = None
    error: ODataError | None = None


def _internal(exc: BaseException) -> ODataError:
    return ODataError(500, "internal_error", f"{type(exc).__name__}: {exc}")
