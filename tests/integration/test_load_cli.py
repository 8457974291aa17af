"""`erpsim load` bad input: one clear line, exit code 2, nothing started or all stopped."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest

from simulator.load.__main__ import main
from tests.integration.test_load_helpers import erpsim_load, processes_mentioning


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    return int(stopped.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slo", "p95<fast"], "malformed --slo 'p95<fast'"),
        (["--slo", "p59<300ms"], "unknown metric 'p59' (did you mean p95?); allowed: p50, p66"),
        (["--slo", "p95<300ms", "--slo", "latency<1s"], "malformed --slo 'latency<1s'"),
        (["--shape", "sawtooth"], "unknown --shape 'sawtooth'"),
        (["--persona", "Shopper"], "unknown --persona 'Shopper'"),
        (["--users", "5", "--rate", "2/s"], "either --users or --rate"),
        (["--rate", "fast"], "--rate 'fast'"),
        (["--duration", "soon"], "--duration: 'soon' is not a duration"),
        (["--warmup", "1m"], "--warmup 1m is not shorter than the run (--duration 60 s)"),
        (["--warmup", "later"], "--warmup: 'later' is not a duration"),
        (["--mix", "missing.toml"], "load mix file not found: missing.toml"),
        (["--shape", "adoption", "--month", "3"], "needs --scenario"),
        (["--shape", "adoption", "--scenario", "nope.toml", "--month", "3"],
         "scenario file not found: nope.toml"),
        (["--month", "3"], "belong to --shape adoption"),
        (["--workers", "-1"], "--workers"),
        (["--integration", "nightly"], "--integration"),
        (["--bogus"], "No such option"),
        (["--host", "http://127.0.0.1:9", "--db", "x.sqlite", "--persona",
          "ErpIntegrationClient"], "no persona to run"),
    ],
)  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    code, err = run_main([*args, "--out", "never"], capsys)
    assert code == 2
    assert message in err
    assert err.startswith("erpsim: error: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "never").exists()


def test_bad_mix_file(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    mix = tmp_path / "load-bad.toml"
    mix.write_text("[personas.Reorderer]\nweight = -1\n", encoding="utf-8")
    code, err = run_main(["--mix", str(mix), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert "personas.Reorderer.weight" in err
    assert not (tmp_path / "out").exists()


def test_adoption_month_outside_the_forecast(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small_db: Path
):
    forecast = tmp_path / "forecast"
    forecast.mkdir()
    with (forecast / "metrics.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["month", "metric", "mean", "p10", "p50", "p90", "p50_low", "p50_high"])
        for metric in ("online_order_share", "on_behalf_order_share",
                       "orders_tracked_online_share", "invoices_paid_online_share",
                       "invoice_history_searches", "buyers_registered"):  # fmt: skip
            writer.writerow(["2027-01", metric, 0, 0, 0, 0, 0, 0])
    summary = {"population": {"orders_per_month": 10.0}}
    (forecast / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    out = tmp_path / "out"
    code, err = run_main(
        ["--db", str(small_db), "--shape", "adoption", "--forecast", str(forecast),
         "--month", "7", "--out", str(out)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "--month 7: the forecast has months 1..1" in err
    assert not out.exists()
    assert list(tmp_path.glob(".out.*")) == []  # the staging directory is gone too


def test_existing_out_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    (tmp_path / "out").mkdir()
    code, err = run_main(["--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert "exists" in err


def test_unreachable_host_starts_nothing(tmp_path: Path, small_db: Path):
    with socket.socket() as sock:  # a free port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = erpsim_load(
        "--host", f"http://127.0.0.1:{port}", "--db", str(small_db), "--out", "never",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"erpsim: error: cannot reach --host http://127.0.0.1:{port}")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "never").exists()
    assert processes_mentioning(str(tmp_path)) == []
