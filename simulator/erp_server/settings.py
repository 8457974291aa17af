"""Server settings: one frozen, validated value built at the entry point (flags) and passed
down; nothing reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from simulator.erp_server.faults import FaultSettings
from simulator.erp_server.paths import check_base_path

__all__ = ["API_ROOT", "ServerSettings"]

API_ROOT = "/api/v2.0"


class ServerSettings(BaseModel):
    """Everything `create_app` and the server runner need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: Path
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8100
    api_key: Annotated[str, Field(min_length=1)]
    # Simulated seconds per wall second; 0 freezes the clock.
    clock_speed: Annotated[float, Field(ge=0.0, le=10_000_000.0)] = 1.0
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    max_page_size: Annotated[int, Field(ge=1, le=100_000)] = 1000
    max_top: Annotated[int, Field(ge=1)] = 100_000
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1 << 20
    # Wall seconds between two lazy advances of the world (requests in between read the
    # state of the last advance). Each advance writes a batch; on `large` a batch costs tens
    # of milliseconds of the writer's time whatever its size, so not too often.
    sync_interval: Annotated[float, Field(ge=0.0, le=60.0)] = 1.0
    faults: FaultSettings = FaultSettings()
    # Webhooks: delivery attempts, first retry delay (doubles each time), request timeout,
    # and whether subscribing needs the validationToken handshake (as in Business Central).
    webhook_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    webhook_backoff: Annotated[float, Field(gt=0.0)] = 1.0
    webhook_timeout: Annotated[float, Field(gt=0.0)] = 5.0
    webhook_handshake: bool = True
    idempotency_ttl: Annotated[float, Field(gt=0.0)] = 86400.0
    # Serve the whole API under this prefix ("/bc" -> /bc/api/v2.0/...); "" for none.
    base_path: Annotated[str, AfterValidator(check_base_path)] = ""
    # Work on a private copy of the database (deleted at exit) instead of the file itself.
    scratch: bool = False
