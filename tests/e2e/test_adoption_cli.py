"""The planner's commands as a user runs them: real scenario files, real datasets, files
written atomically, one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import sys
import tomllib
from pathlib import Path

import pytest
import typer
from rich.console import Console

from simulator.adoption.cli import register
from simulator.adoption.demo import demo_section
from simulator.adoption.metrics import METRICS
from simulator.adoption.outputs import atomic_directory
from simulator.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
PILOT = ROOT / "fixtures" / "history" / "pilot.csv"
BASELINE = str(SCENARIOS / "baseline.toml")


def app() -> typer.Typer:
    """An `erpsim`-like app with the adoption commands (the lead wires the real one)."""
    application = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(application)
    return application


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the commands in-process the way `simulator.cli.main` does; (code, stdout, stderr)."""
    try:
        result = app()(args=list(args), prog_name="erpsim", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except typer.TyperException as exc:
        sys.stderr.write(f"erpsim: error: {exc.format_message()}\n")
        code = 2
    except UserError as exc:
        sys.stderr.write(f"erpsim: error: {exc}\n")
        code = 2
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("erpsim: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory, small_db: Path) -> Path:
    """One simulate run shared by the checks of its files (capsys is per test: not used)."""
    out = tmp_path_factory.mktemp("simulate") / "baseline"
    result = app()(
        args=["simulate", BASELINE, "--db", str(small_db), "--runs", "16", "--seed", "1",
              "--workers", "1", "--out", str(out)],
        prog_name="erpsim", standalone_mode=False,
    )  # fmt: skip
    assert result in (None, 0)
    return out


@pytest.mark.parametrize("command", ["simulate", "compare", "calibrate", "sensitivity", "bass"])
def test_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "Usage: erpsim" in out
    assert "Example: erpsim" in out


def test_simulate_writes_the_four_files(simulated: Path) -> None:
    out = simulated
    assert sorted(path.name for path in out.iterdir()) == [
        "adoption.png",
        "metrics.csv",
        "report.html",
        "summary.json",
    ]
    with (out / "metrics.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["month", "metric", "mean", "p10", "p50", "p90", "p50_low", "p50_high"]
    assert len(rows) == 24 * len(METRICS)
    assert {row["metric"] for row in rows} >= {"TR", "TAU", "TDA", "KAAR", "online_order_share"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "baseline"
    assert (summary["runs"], summary["seed"]) == (16, 1)
    assert summary["horizon"]["months"] == 24
    assert summary["tda_band"] in {"below 40 %", "40-70 %", "above 70 %"}
    assert set(summary["final"]["TDA"]) >= {"mean", "p10", "p50", "p90"}
    target = summary["target"]
    assert (target["metric"], target["value"], target["date"]) == ("TDA", 0.4, "2028-06-30")
    assert 0.0 <= target["probability"] <= 1.0
    assert target["verdict"] in {"on track", "at risk", "off track"}
    assert (out / "adoption.png").read_bytes().startswith(b"\x89PNG")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in report
    assert "SMART target" in report
    assert "Raise TDA from 0% to 40% by 2028-06-30." in report
    assert "nightly" in report or "every 24 hours" in report


def test_simulate_prints_a_table_and_the_target_probability(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run(
        capsys, "simulate", str(SCENARIOS / "phased-rollout.toml"), "--db", str(small_db),
        "--runs", "8", "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert "TDA" in stdout
    assert "KAAR" in stdout
    assert "target KAAR >= 90% by 2027-03-31: probability" in stdout
    assert str(out) in stdout


def test_same_seed_same_bytes_with_one_or_two_workers(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"workers-{workers}"
        code, _, err = run(
            capsys, "simulate", BASELINE, "--db", str(small_db), "--runs", "20",
            "--seed", "9", "--workers", workers, "--out", str(out),
        )  # fmt: skip
        assert code == 0, err
        outputs.append(out)
    for name in ("metrics.csv", "summary.json"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()


def test_existing_output_is_refused_unless_forced(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    args = ("simulate", BASELINE, "--db", str(small_db), "--runs", "4", "--workers", "1")
    code, _, err = run(capsys, *args, "--out", str(out))
    assert_one_line_error(code, err, "output directory exists", "--force")
    assert (out / "keep.txt").exists()
    code, _, err = run(capsys, *args, "--out", str(out), "--force")
    assert code == 0, err
    assert not (out / "keep.txt").exists()
    assert (out / "metrics.csv").exists()


def test_compare_puts_scenarios_side_by_side(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "compare"
    code, stdout, err = run(
        capsys, "compare", BASELINE, str(SCENARIOS / "realtime-erp.toml"),
        str(SCENARIOS / "batch-sync.toml"), "--db", str(small_db), "--runs", "6",
        "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "comparison.png",
        "metrics.csv",
        "report.html",
        "summary.json",
    ]
    with (out / "metrics.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:3] == ["scenario", "month", "metric"]
    assert {row["scenario"] for row in rows} == {"baseline", "realtime-erp", "batch-sync"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [s["scenario"] for s in summary["scenarios"]] == [
        "baseline",
        "realtime-erp",
        "batch-sync",
    ]
    assert "realtime-erp" in stdout


def test_calibrate_fits_and_forecasts(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calibrated"
    code, stdout, err = run(
        capsys, "calibrate", BASELINE, "--history", str(PILOT), "--db", str(small_db),
        "--runs", "8", "--fit-runs", "6", "--max-evaluations", "10", "--workers", "1",
        "--bootstrap", "3", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    calibration = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    boot = calibration["bootstrap"]
    assert boot["replicates"] == 3
    assert len(boot["estimates"]) == 3
    assert set(boot["standard_errors"]) == set(calibration["parameters"])
    assert "s.e. (bootstrap, 3)" in stdout
    assert "correlation of the estimates (least squares)" in stdout
    assert set(calibration["parameters"]) == {
        "invitation_response",
        "awareness_per_week",
        "online_intercept",
    }
    assert calibration["rmse"] <= calibration["rmse_before"] + 1e-12
    assert set(calibration["bass"]) == {
        "m",
        "p",
        "q",
        "se_m",
        "se_p",
        "se_q",
        "residual_se",
        "form",
    }
    pasted = tomllib.loads((out / "parameters.toml").read_text(encoding="utf-8"))
    assert set(pasted["parameters"]) == set(calibration["parameters"])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["calibration"]["months"] == calibration["months"]
    assert "Bass" in (out / "report.html").read_text(encoding="utf-8")
    assert "fit error" in stdout
    lines = err.splitlines()
    counts = [line for line in lines if line.startswith("calibrate:   ")]
    assert counts  # a line per 10 simulations of the fit (10 evaluations and more)
    assert counts[0].startswith("calibrate:   10 simulations, ")
    stages = [line.split(" ...")[0] for line in lines if line.startswith("calibrate: ")]
    stages = [line for line in stages if line not in counts]
    assert stages[0].startswith(f"calibrate: fitting to {PILOT} (")
    assert "up to 10 evaluations of 6 runs each" in stages[0]
    evaluations = calibration["evaluations"]
    assert stages[1].startswith(f"calibrate: fitted after {evaluations} evaluations")
    assert stages[1].endswith("forecasting 8 runs with the fitted parameters")
    assert stages[2] == f"calibrate: writing {out}"
    assert stages[3].startswith("calibrate: done in ")
    assert len(stages) == 4
    assert "calibrate:" not in stdout


def test_sensitivity_ranks_levers(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sensitivity"
    code, stdout, err = run(
        capsys, "sensitivity", BASELINE, "--db", str(small_db), "--runs", "4",
        "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["metric"] == "TDA"
    assert summary["month"] == "2028-06"
    swings = [abs(item["swing"]) for item in summary["levers"]]
    assert swings == sorted(swings, reverse=True)
    assert {"ERP integration", "training", "sales reps"} <= {i["lever"] for i in summary["levers"]}
    assert (out / "tornado.png").read_bytes().startswith(b"\x89PNG")
    assert "ERP integration" in stdout
    assert summary["target"] == {"metric": "TDA", "value": 0.4, "date": "2028-06-30"}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "How to read the tornado chart" in report
    assert "The dashed line is the SMART target (TDA at least 40% by 2028-06-30)" in report


def test_bass_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(
        capsys, "bass", str(PILOT), "--column", "ordered_once", "--cumulative", "--json"
    )
    assert code == 0
    fit = json.loads(stdout)
    assert set(fit) == {"m", "p", "q", "se_m", "se_p", "se_q", "residual_se", "form"}
    assert fit["form"] == "interval"
    assert fit["m"] > 0


def test_bass_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(
        capsys, "bass", str(PILOT), "--column", "ordered_once", "--cumulative",
        "--form", "instantaneous",
    )  # fmt: skip
    assert code == 0
    assert "p (innovation)" in stdout
    assert "instantaneous" in stdout


def test_cx_from_overrides_site_and_accuracy(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    cx = tmp_path / "load-summary.json"
    measured = {"p95_ms": 2500, "stock_accuracy": 0.97, "integration_mode": "batch"}
    cx.write_text(json.dumps({"cx": measured}), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "simulate", BASELINE, "--db", str(small_db), "--runs", "4", "--workers", "1",
        "--cx-from", str(cx), "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["site"]["p95_ms"] == 2500
    assert "load test" in summary["site"]["source"]
    # Measured on the baseline's own setup (nightly batch): the measurement stands as is.
    assert summary["data_accuracy"]["stock_line_wrong"] == pytest.approx(0.03)
    assert summary["cx_from"]["p95_ms"] == 2500


def test_compare_with_measured_cx_keeps_the_integration_lever(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    """Issue 13 point 6: measured accuracy must not give every integration mode one TDA."""
    cx = tmp_path / "load-summary.json"
    measured = {"price_accuracy": 0.99, "stock_accuracy": 0.97, "integration_mode": "batch"}
    cx.write_text(json.dumps({"cx": measured}), encoding="utf-8")
    base = Path(BASELINE).read_text(encoding="utf-8")
    paths = []
    for name, integration in (
        ("realtime", 'mode = "realtime"'),
        ("nightly", 'mode = "batch"\nsync_interval_hours = 24'),
        ("monthly", 'mode = "batch"\nsync_interval_hours = 720'),
    ):
        text = base.replace('name = "baseline"', f'name = "{name}"').replace(
            'mode = "batch"\nsync_interval_hours = 24', integration
        )
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "compare", *paths, "--db", str(small_db), "--runs", "30", "--workers", "1",
        "--cx-from", str(cx), "--out", str(out), "--no-structural-uncertainty",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    tda = {item["scenario"]: item["final"]["TDA"]["mean"] for item in summary["scenarios"]}
    assert tda["realtime"] > tda["nightly"] > tda["monthly"]


BAD_SCENARIOS = {
    "unknown-key": ("colour = 'red'\n", ["field colour", "unknown key"]),
    "typo": ("horizon_month = 12\n", ["field horizon_month", "(did you mean horizon_months?)"]),
    "nested-typo": (
        "[target]\nvalue = 0.4\ndat = 2028-01-31\n",
        ["field target.dat: unknown key (did you mean date?)"],
    ),
    "percent-share": (
        "[target]\nvalue = 40\ndate = 2028-01-31\n",
        ["field target.value", "(a share: 0.40 for 40 %)"],
    ),
    "wrong-type": ("[site]\np95_ms = 'fast'\n", ["field site.p95_ms"]),
    "share": ("[[invitations]]\ndate = 2027-01-04\nshare = 1.5\n", ["invitations.0.share"]),
    "order": (
        "[[invitations]]\ndate = 2027-03-01\n[[invitations]]\ndate = 2027-02-01\n",
        ["invitations.1.date", "dates must be in order"],
    ),
    "target": (
        "[target]\nvalue = 0.4\ndate = 2030-01-31\n",
        ["field target.date", "beyond the horizon end 2028-12-31"],
    ),
    "target-group": (
        '[[campaigns]]\ndate = 2027-02-01\naccounts = "vip"\n',
        ["field campaigns.0.accounts", "unknown group 'vip'"],
    ),
    "target-key": (
        '[[campaigns]]\ndate = 2027-02-01\naccounts = {segmnts = ["public"]}\n',
        ["field campaigns.0.accounts.segmnts: unknown key (did you mean segments?)"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenario_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path, case: str
) -> None:
    body, fragments = BAD_SCENARIOS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text("start = 2027-01-04\nhorizon_months = 24\n" + body, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run(capsys, "simulate", str(path), "--db", str(small_db), "--out", str(out))
    assert_one_line_error(code, err, str(path), *fragments)
    assert not out.exists()


def test_a_target_the_dataset_lacks_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "rep.toml"
    path.write_text(
        'name = "rep"\nstart = 2027-01-04\n[[campaigns]]\ndate = 2027-02-01\n'
        'accounts = {salespeople = ["SP099"]}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = run(capsys, "simulate", str(path), "--db", str(small_db), "--out", str(out))
    assert_one_line_error(
        code, err, "field campaigns.0.accounts.salespeople: no salesperson 'SP099'", "SP001"
    )
    assert not out.exists()


HEADER = "month,invited,registered,ordered_once,regular,key_accounts_invited,key_accounts_ordered\n"
BAD_HISTORIES = {
    "columns": ("month,invited\n2027-01,5\n", ["missing column(s) registered"]),
    "months": (
        HEADER + "2027-02,10,5,2,1,2,1\n2027-01,10,6,2,1,2,1\n",
        ["line 3", "month 2027-01 does not follow 2027-02"],
    ),
    "above": (HEADER + "2027-01,10,11,2,1,2,1\n", ["line 2", "registered (11) exceeds invited"]),
}


@pytest.mark.parametrize("case", sorted(BAD_HISTORIES))
def test_bad_history_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path, case: str
) -> None:
    body, fragments = BAD_HISTORIES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "calibrate", BASELINE, "--history", str(path), "--db", str(small_db),
        "--out", str(out),
    )  # fmt: skip
    assert_one_line_error(code, err, str(path), *fragments)
    assert not out.exists()


def test_history_outside_the_horizon(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "old.csv"
    rows = "".join(f"2026-0{month},10,5,2,1,2,1\n" for month in (1, 2, 3))
    path.write_text(HEADER + rows, encoding="utf-8")
    code, _, err = run(
        capsys, "calibrate", BASELINE, "--history", str(path), "--db", str(small_db),
        "--fit-runs", "2", "--runs", "2", "--workers", "1", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert_one_line_error(code, err, "month 2026-01 is outside")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["simulate", BASELINE, "--runs", "0"], ["bad --runs 0"]),
        (["simulate", BASELINE, "--workers", "0"], ["bad --workers 0"]),
        (["simulate", BASELINE, "--runs", "many"], ["Invalid value", "--runs"]),
        (["simulate", BASELINE, "--model", "slow"], ["bad --model 'slow'"]),
        (["simulate", BASELINE, "--profile", "small", "--db", "x.sqlite"],
         ["either --db or --profile"]),
        (["simulate", BASELINE, "--db", "missing.sqlite"], ["database not found: missing.sqlite"]),
        (["simulate", BASELINE, "--profile", "huge"], ["unknown profile 'huge'"]),
        (["simulate", "nope.toml"], ["scenario file not found: nope.toml"]),
        (["simulate", BASELINE, "--cx-from", "missing.json"], ["--cx-from file not found"]),
        (["compare", BASELINE], ["at least two scenario files"]),
        (["compare", BASELINE, BASELINE], ["two scenarios are named 'baseline'"]),
        (["sensitivity", BASELINE, "--metric", "NPS"], ["bad --metric 'NPS'"]),
        (["bass", str(PILOT), "--column", "nope"], ["no column 'nope'"]),
        (["bass", str(PILOT), "--column", "regular", "--form", "weekly"], ["bad --form 'weekly'"]),
        (["calibrate", BASELINE], ["Missing option", "--history"]),
        (["calibrate", BASELINE, "--history", str(PILOT), "--max-evaluations", "0"],
         ["bad --max-evaluations 0"]),
        (["calibrate", BASELINE, "--history", str(PILOT), "--bootstrap", "-1"],
         ["bad --bootstrap -1"]),
        (["calibrate", BASELINE, "--history", str(PILOT), "--bootstrap", "1"],
         ["bad --bootstrap 1: a spread needs at least 2 refits"]),
    ],
)  # fmt: skip
def test_bad_flags(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    fragments: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *args, "--out", "out") if args[0] != "bass" else run(capsys, *args)
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("{oops", "is not valid JSON"), ('{"cx": {"p95_ms": "slow"}}', "cx.p95_ms must be a number")],
)
def test_bad_cx_file(
    capsys: pytest.CaptureFixture[str], small_db: Path, tmp_path: Path, text: str, fragment: str
) -> None:
    cx = tmp_path / "cx.json"
    cx.write_text(text, encoding="utf-8")
    code, _, err = run(
        capsys, "simulate", BASELINE, "--db", str(small_db), "--cx-from", str(cx),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert_one_line_error(code, err, str(cx), fragment)
    assert not (tmp_path / "out").exists()


def _write_then_fail(out: Path) -> None:
    with atomic_directory(out, force=False) as staging:
        (staging / "metrics.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")


def test_a_failure_while_writing_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with pytest.raises(RuntimeError, match="disk full"):
        _write_then_fail(out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_profile_generates_the_dataset_and_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A user without a dataset: --profile generates one (with its ERP history) first. A tiny
    custom profile keeps it quick; `small` works the same way."""
    profile = tmp_path / "tiny.toml"
    profile.write_text(
        'name = "tiny"\n[catalog]\nitems = 60\ncategories = 4\n[customers]\ncount = 30\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "simulate", str(SCENARIOS / "realtime-erp.toml"), "--profile", str(profile),
        "--runs", "4", "--workers", "1", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    population = json.loads((out / "summary.json").read_text(encoding="utf-8"))["population"]
    assert population["source"] == "profile tiny (generated with seed 7)"
    assert population["order_rhythm_from"] == "sales_orders (last 12 months)"


def test_demo_section(small_db: Path, tmp_path: Path) -> None:
    stream = io.StringIO()
    demo_section(small_db, tmp_path, Console(file=stream, width=120))
    text = stream.getvalue()
    assert "target TDA >= 40% by 2028-06-30: probability" in text
    assert "with training and incentives: probability" in text
    assert (tmp_path / "adoption-baseline" / "report.html").is_file()
