"""The synthetic ERP: schema, master-data generation, pricing (and, later, the world over time).

The names below are the public API; everything else in the sub-modules may change.
"""

from simulator.erp.database import describe, open_database
from simulator.erp.digest import content_digest
from simulator.erp.export import export_database
from simulator.erp.generate import GenerationSummary, Shard, generate
from simulator.erp.merge import merge_shards
from simulator.erp.pricing import (
    LineRef,
    PriceData,
    PriceRequest,
    PriceResult,
    PricingError,
    SqlitePriceData,
    resolve_price,
)

__all__ = [
    "GenerationSummary",
    "LineRef",
    "PriceData",
    "PriceRequest",
    "PriceResult",
    "PricingError",
    "Shard",
    "SqlitePriceData",
    "content_digest",
    "describe",
    "export_database",
    "generate",
    "merge_shards",
    "open_database",
    "resolve_price",
]
