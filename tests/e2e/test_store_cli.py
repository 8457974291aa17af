"""`erpsim up` and `erpsim serve store` as a user runs them: real processes on loopback
ports, the printed demo login used for real, a clean stop on SIGTERM, one-line errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from loadtests.testdata import erp_today
from simulator.cli import main
from simulator.store.sap_customizing import load

LOGIN = re.compile(r"^\s+buyer\s+(\S+) / (\S+)")
REP = re.compile(r"^\s+rep\s+(\S+) / (\S+)")
URL = re.compile(r"^store\s+(http://127\.0\.0\.1:\d+)/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dataset(small_run, tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    shutil.copy(small_run.path, path)
    return path


@pytest.fixture
def up(dataset: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    with _up(dataset, "batch") as running:
        yield running


@contextlib.contextmanager
def _up(
    dataset: Path, integration: str, *extra: str
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`erpsim up` in its own process; yields it and the lines it printed up to the
    'Ctrl-C' line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "up", "--db", str(dataset),
         "--erp-port", str(free_port()), "--store-port", str(free_port()),
         "--integration", integration, "--for", "120", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C"):
                break
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_up_serves_both_and_the_printed_login_works(
    up: tuple[subprocess.Popen[str], list[str]], dataset: Path
) -> None:
    process, lines = up
    assert lines, "erpsim up printed nothing"
    assert lines[-1].startswith("Ctrl-C"), lines
    store = next(URL.match(line).group(1) for line in lines if URL.match(line))
    email, password = next(LOGIN.match(line).groups() for line in lines if LOGIN.match(line))
    assert any(line.startswith("  ap_clerk ") for line in lines)
    assert any(line.startswith("  rep ") for line in lines)
    pages = next(line for line in lines if line.strip().startswith("pages: "))
    assert f"{store}/catalog, …/quick-order, …/cart, …/quotes" in pages
    with requests.Session() as http:
        quick = http.get(store + "/quick-order", allow_redirects=False)
        assert quick.headers["location"] == "/login?next=%2Fquick-order"
        login = http.post(store + "/api/login", json={"email": email, "password": password})
        assert login.status_code == 200
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        page = http.get(store + "/api/items", params={"pageSize": 3})
        assert page.status_code == 200
        assert page.json()["items"][0]["offer"]["netUnitPrice"] > 0
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err
    assert dataset.with_name("erp.store.sqlite").is_file()  # the store's db beside the dataset


def test_up_prints_a_buyer_and_a_rep_whose_orders_the_erp_accepts(
    history_run, tmp_path: Path
) -> None:
    """Many accounts are over their credit limit (here all but the last 20 and the last
    rep's first account, so the first buyer's and rep's are); the printed buyer and the
    rep's first account have room for a cart, and the ERP accepts it."""
    dataset = tmp_path / "erp.sqlite"
    shutil.copy(history_run.path, dataset)
    conn = sqlite3.connect(dataset)
    with conn:  # most accounts cannot order at all: a credit limit of 1.00
        conn.execute(
            "UPDATE customers SET credit_limit = 1 WHERE no < (SELECT no FROM customers"
            " ORDER BY no DESC LIMIT 1 OFFSET 20) AND no <> (SELECT no FROM customers"
            " WHERE salesperson_code = (SELECT max(code) FROM salespeople) ORDER BY name, no"
            " LIMIT 1)"
        )
    today = dt.date.fromisoformat(str(erp_today(conn)))
    conn.close()
    delivery = (today + dt.timedelta(days=3)).isoformat()
    with _up(dataset, "realtime") as (_process, lines):
        store = next(URL.match(line).group(1) for line in lines if URL.match(line))
        email, password = next(LOGIN.match(line).groups() for line in lines if LOGIN.match(line))
        rep_email, rep_password = next(
            REP.match(line).groups() for line in lines if REP.match(line)
        )
        assert _checkout(store, email, password, delivery, rep=False) == "accepted"
        assert _checkout(store, rep_email, rep_password, delivery, rep=True) == "accepted"


def test_up_on_sap_prices_and_orders_through_the_sap_services(history_run, tmp_path: Path) -> None:
    dataset = tmp_path / "erp.sqlite"
    shutil.copy(history_run.path, dataset)
    conn = sqlite3.connect(dataset)
    today = dt.date.fromisoformat(str(erp_today(conn)))
    conn.close()
    with _up(dataset, "realtime", "--erp-flavor", "sap") as (_process, lines):
        assert any("SAP API" in line for line in lines if line.startswith("store")), lines
        store = next(URL.match(line).group(1) for line in lines if URL.match(line))
        email, password = next(LOGIN.match(line).groups() for line in lines if LOGIN.match(line))
        delivery = (today + dt.timedelta(days=3)).isoformat()
        assert _checkout(store, email, password, delivery, rep=False) == "accepted"
    # the world's customizing, exported beside the store database for the store to read
    assert len(load(tmp_path / "erp.sap-customizing.json").hierarchy) == 66


def _checkout(store: str, email: str, password: str, delivery: str, *, rep: bool) -> str:
    """Log in (a rep acts as its first account), put three lines in the cart, check out:
    the web document's status after the realtime integration sent it."""
    with requests.Session() as http:
        login = http.post(store + "/api/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        if rep:
            accounts = http.get(store + "/api/rep/accounts").json()["accounts"]
            acted = http.post(
                store + "/api/rep/act-as", json={"customerNumber": accounts[0]["number"]}
            )
            assert acted.status_code == 200, acted.text
        items = http.get(store + "/api/items", params={"pageSize": 10}).json()["items"]
        priced = [item for item in items if item.get("offer")][:3]
        assert len(priced) == 3
        cart = http.get(store + "/api/carts").json()["carts"][0]
        for item in priced:
            put = http.put(
                store + f"/api/carts/{cart['id']}/lines",
                json={"itemNumber": item["number"], "quantity": 3},
            )
            assert put.status_code == 200, put.text
        checkout = http.post(
            store + f"/api/carts/{cart['id']}/checkout", json={"requestedDeliveryDate": delivery}
        ).json()
        assert "error" not in checkout, checkout
        return str(checkout["status"])


def _one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("erpsim: error: ")
    return err


def test_up_bad_input(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.sqlite"
    assert "erpsim generate" in _one_line_error(capsys, "up", "--db", str(missing))
    port = str(free_port())
    err = _one_line_error(
        capsys, "up", "--db", str(dataset), "--erp-port", port, "--store-port", port
    )
    assert "must differ" in err
    err = _one_line_error(capsys, "up", "--db", str(dataset), "--integration", "sometimes")
    assert "--integration" in err
    err = _one_line_error(capsys, "up", "--db", str(dataset), "--sync-interval", "soon")
    assert "--sync-interval" in err
    err = _one_line_error(capsys, "up", "--db", str(dataset), "--erp-flavor", "oracle")
    assert "--erp-flavor: 'oracle' is not one of bc, sap" in err
    err = _one_line_error(
        capsys, "serve", "store", "--erp-key", "k", "--erp-flavor", "SAP ", "--db",
        str(tmp_path / "s.sqlite"),
    )  # fmt: skip
    assert "--erp-flavor" in err
    err = _one_line_error(capsys, "load", "--erp-flavor", "s4", "--duration", "1s")
    assert "--erp-flavor" in err
    for command in (["up", "--db", str(dataset)], ["serve", "store", "--erp-key", "k"]):
        err = _one_line_error(capsys, *command, "--erp-flavor", "sap", "--integration", "batch")
        assert "with --erp-flavor sap the store prices by SAP's order simulation" in err
    err = _one_line_error(capsys, "up", "--db", str(dataset), "--base-path", "bc/")
    assert "--base-path" in err
    err = _one_line_error(capsys, "serve", "erp", "--db", str(dataset), "--base-path", "/b c")
    assert "--base-path" in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = str(busy.getsockname()[1])
        err = _one_line_error(
            capsys, "up", "--db", str(dataset), "--erp-port", taken,
            "--store-port", str(free_port()), "--for", "1",
        )  # fmt: skip
        assert "already in use" in err
        assert "use --erp-port N for another port, or stop the process that holds it" in err
    assert not dataset.with_name("erp.store.sqlite").exists()


def test_serve_store_refuses_an_unreachable_erp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_db = tmp_path / "store.sqlite"
    err = _one_line_error(
        capsys, "serve", "store", "--erp-url", f"http://127.0.0.1:{free_port()}",
        "--erp-key", "k", "--db", str(store_db), "--port", str(free_port()),
    )  # fmt: skip
    assert "cannot reach the ERP" in err
    assert not store_db.exists()
