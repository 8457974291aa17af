"""`erpsim load` hands its settings to Locust as command-line options; any value survives."""

from __future__ import annotations

import argparse
from pathlib import Path

from loadtests.options import add_arguments
from simulator.load.runner import LoadSettings, locust_options


def test_values_starting_with_a_dash_reach_locust_intact(tmp_path: Path):
    # One random API key in 64 starts with "-": argparse must not read it as an option.
    settings = LoadSettings(
        out=tmp_path, duration=3.0, users=4, secret="-s3cret", slos=("p95<300ms", "rps>1")
    )
    args = locust_options(
        settings, host="http://127.0.0.1:1", db=tmp_path / "erp.sqlite", store_db=None,
        secret="-s3cret", erp_url="http://127.0.0.1:2", erp_key="-Ab_9", forecast=None,
        summary=tmp_path / "summary.json",
    )  # fmt: skip
    parser = argparse.ArgumentParser()
    parser.add_argument("--host")
    add_arguments(parser)
    options = parser.parse_args(args)
    assert options.erpsim_erp_key == "-Ab_9"
    assert options.erpsim_secret == "-s3cret"
    assert options.erpsim_erp_url == "http://127.0.0.1:2"
    assert options.erpsim_slo == ["p95<300ms", "rps>1"]
    assert options.erpsim_users == 4
    assert options.erpsim_duration == 3.0
