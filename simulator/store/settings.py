"""Store settings: one frozen, validated value built at the entry point (flags) and passed
down; nothing reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["StoreSettings"]


class StoreSettings(BaseModel):
    """Everything `create_app` and the store runner need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: Path  # the store's own SQLite file (created if missing)
    erp_url: Annotated[str, Field(min_length=1)]
    erp_key: Annotated[str, Field(min_length=1)]
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8200
    integration: Literal["realtime", "batch"] = "batch"
    # Which ERP API the store speaks for prices, stock and orders: Business Central's
    # ("bc") or SAP S/4HANA's A2X OData V2 services ("sap": store.sap_prices, sap_orders).
    erp_flavor: Literal["bc", "sap"] = "bc"
    # SAP only: the customizing file the A2X APIs don't carry (product hierarchy texts, sales
    # employees, listings; store.sap_customizing). None: derived from the mirrored products.
    sap_customizing: Path | None = None
    # Seconds between batch delta syncs (master data too).
    sync_interval: Annotated[float, Field(gt=0.0, le=7 * 86400.0)] = 3600.0
    # Realtime: per-request ERP timeout, circuit breaker, how long a cached offer may be shown.
    erp_timeout: Annotated[float, Field(gt=0.0, le=60.0)] = 0.5
    breaker_failures: Annotated[int, Field(ge=1, le=1000)] = 5
    breaker_reset: Annotated[float, Field(gt=0.0)] = 10.0
    stale_ttl: Annotated[float, Field(ge=0.0)] = 3600.0
    # Share of shown offers compared with the ERP at that moment (0 = off).
    accuracy_sample: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    # Derives demo passwords and invitation tokens; signs nothing else. No default: the entry
    # points pass the store database's own random one (simulator.store.secret).
    secret: Annotated[str, Field(min_length=1)]
    # Share of contacts provisioned already registered (their demo logins work).
    registered_share: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3
    session_ttl: Annotated[float, Field(gt=0.0)] = 8 * 3600.0
    # Failed logins per email per minute before 429 (4x that per client address).
    login_attempts: Annotated[int, Field(ge=1, le=1000)] = 5
    outbox_backoff: Annotated[float, Field(gt=0.0)] = 0.5
    outbox_backoff_max: Annotated[float, Field(gt=0.0)] = 30.0
    page_size: Annotated[int, Field(ge=1, le=100)] = 24
    seed: int = 0

    @model_validator(mode="after")
    def _sap_prices_by_simulation(self) -> StoreSettings:
        """Batch pricing is Business Central's engine over mirrored price lists; a store on
        S/4HANA prices by order simulation (realtime), as SAP's own storefronts do."""
        if self.erp_flavor == "sap" and self.integration == "batch":
            raise ValueError(
                "integration batch prices with Business Central's engine over mirrored price"
                " lists; with erp_flavor sap the store prices by SAP's order simulation:"
                " use integration realtime"
            )
        if self.sap_customizing is not None and self.erp_flavor != "sap":
            raise ValueError("sap_customizing is for erp_flavor sap only")
        return self
