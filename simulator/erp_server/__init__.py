"""The mock ERP API server: Business Central API v2.0-shaped OData over an erpsim database,
with a live clock, webhooks and fault injection (`erpsim serve erp`)."""

from simulator.erp_server.app import create_app
from simulator.erp_server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
