"""Fault injection on a real server: each mode set through `/_admin/faults` at run time,
seen by a raw HTTP client, and survived by `ErpClient`'s retries. Decisions are seeded, so
the same settings and request order give the same faults."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.erp_server.faults import FaultInjector, FaultSettings, Latency
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "fault-key"


@pytest.fixture(scope="module")
def server(small_run, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path = tmp_path_factory.mktemp("erp-faults") / "erp.sqlite"
    shutil.copy(small_run.path, path)
    with ServerThread(ServerSettings(db=path, api_key=KEY, clock_speed=0)) as running:
        yield running


@pytest.fixture
def faults(server: ServerThread) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    def put(settings: dict[str, Any]) -> dict[str, Any]:
        response = requests.put(
            f"{server.url}/_admin/faults", json=settings, headers={"api-key": KEY}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    yield put
    put({})


@pytest.fixture
def erp(server: ServerThread) -> Iterator[ErpClient]:
    with ErpClient(server.url, api_key=KEY, backoff=0.01, max_attempts=12) as client:
        yield client


def items_url(server: ServerThread) -> str:
    return f"{server.url}/api/v2.0/items?$top=5&$select=number"


def get(url: str) -> requests.Response:
    return requests.get(url, headers={"api-key": KEY}, timeout=10)


def test_injected_errors_and_the_client_surviving_them(server, faults, erp) -> None:
    faults({"error_rate": 1.0, "error_mix": {"500": 1}})
    response = get(items_url(server))
    assert response.status_code == 500
    assert response.json()["error"]["details"][0]["code"] == "internal_error"
    assert response.json()["error"]["code"] == "Internal_ServerError"
    faults({"error_rate": 1.0, "error_mix": {"503": 1}})
    response = get(items_url(server))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    faults({"error_rate": 0.5, "error_mix": {"500": 1, "503": 1}, "seed": 3})
    for _ in range(20):
        assert len(erp.get_json("items", {"$top": "2"})["value"]) == 2
    assert erp.retries > 0
    assert get(f"{server.url}/health").status_code == 200  # never faulted


def test_rate_limit_429_with_retry_after(server, faults, erp) -> None:
    faults({"rate_limit": 5})
    statuses = [get(items_url(server)) for _ in range(15)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert limited[0].json()["error"]["details"][0]["code"] == "too_many_requests"
    assert limited[0].json()["error"]["code"] == "Application_TooManyRequests"
    erp.retries = 0
    for _ in range(8):
        erp.get_json("items", {"$top": "1"})
    assert erp.retries > 0


def test_outage_503_then_back(server, faults, erp) -> None:
    faults({"outages": [{"after": "0s", "duration": "1s", "mode": "503"}]})
    response = get(items_url(server))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert requests.get(items_url(server)).status_code == 503  # down for everyone
    assert erp.get_json("items", {"$top": "1"})["value"]  # retried past the window


def test_outage_refusing_connections(server, faults, erp) -> None:
    faults({"outages": [{"after": "0s", "duration": "1.5s", "mode": "refuse"}]})
    with pytest.raises(requests.ConnectionError):
        get(items_url(server))
    assert erp.get_json("items", {"$top": "1"})["value"]  # reconnected after the window
    assert erp.retries > 0


def test_slow_drip_and_latency_keep_bodies_intact(server, faults) -> None:
    plain = get(items_url(server)).content
    shown = faults(
        {
            "drip": {"ratio": 1.0, "chunk": 16, "interval": "2ms"},
            "latency": {"all": "p50=2ms,p99=5ms", "price": "1ms"},
        }
    )
    assert shown["latency"]["price"] == "1ms"
    dripped = get(items_url(server))
    assert dripped.status_code == 200
    assert orjson.loads(dripped.content) == orjson.loads(plain)


def test_bad_fault_settings_are_400(server) -> None:
    for body in (
        {"latency": {"all": "p50=fast"}},
        {"latency": {"sometimes": "5ms"}},
        {"error_rate": 2},
        {"error_mix": {"418": 1}},
        {"outages": [{"duration": "-1s"}]},
        {"nonsense": 1},
    ):
        response = requests.put(f"{server.url}/_admin/faults", json=body, headers={"api-key": KEY})
        assert response.status_code == 400, body
        assert response.json()["error"]["details"][0]["code"] == "invalid_faults"
    assert requests.get(f"{server.url}/_admin/faults").status_code == 401


def test_fault_decisions_are_seeded() -> None:
    settings = FaultSettings(error_rate=0.3, latency={"all": "p50=40ms,p99=400ms"}, seed=11)
    runs = []
    for _ in range(2):
        injector = FaultInjector(settings)
        runs.append([injector.decide("read") for _ in range(200)])
    assert runs[0] == runs[1]
    assert {d.status for d in runs[0]} == {None, 500, 503}
    latency = Latency.parse("p50=40ms,p99=400ms")
    assert latency.p50 == pytest.approx(0.04)
    assert str(latency) == "p50=40ms,p99=400ms"
