"""Benchmark of `erpsim generate`: rows/s per entity, total seconds and peak RSS.

    .venv/bin/python bench/generate.py [--profiles medium,large] [--history-months 0]
        [--repeat 1] [--skip-naive] [--skip-parquet] [--parquet-db DB] [--keep DIR] [--naive-cap 0]

Every measured run is a fresh child process (this same script with ``--child``) pinned to
one CPU (the idlest), so its peak RSS is its own and "on one core" holds; the child prints
its figures as one JSON line and the parent prints the tables. Figures, never assertions:
timing does not belong in tests. What is measured, and against which target of the issue:

- each profile with the fast generator: rows and seconds per entity and per step, setup and
  finishing work, peak RSS (``large``: <= 60 s on one core, <= 1 GiB). Master data only
  unless ``--history-months`` says otherwise (the targets were set for master data);
- ``medium`` vs ``large``: seconds should grow no faster than rows (linear in size);
- the naive baseline (``naive_baseline.py``) on ``medium``: the speed-up is measured in the
  same run as the fast generator it is compared with (target >= 20x);
- ``export --format parquet`` of the ``large`` price-list lines (target >= 2M rows/s).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import naive_baseline

from simulator.config import load_profile
from simulator.erp.database import content_digest, open_database
from simulator.erp.export import export_database
from simulator.erp.generate import generate

SEED = 7
# generate() simulates this many months of history after the master data unless told 0; the
# history's tables are written inside that step, not chunk by chunk through Progress.
HISTORY_STEP = "history"
# Naive rows per table before extrapolating (0: none). Writing all of medium takes ~20 s, and
# a capped run extrapolates low: per-row INSERTs slow down as price_list_lines and its index
# grow past SQLite's default page cache (first 60k rows: ~40k rows/s; all 476k: ~28k rows/s).
# Cap only for profiles bigger than medium.
NAIVE_CAP = 0
TARGET_LARGE_SECONDS = 60.0
TARGET_PEAK_RSS_KIB = 1024 * 1024  # 1 GiB
TARGET_PARQUET_ROWS_PER_S = 2_000_000
TARGET_SPEEDUP = 20.0
# "Linear in size": large/medium seconds over large/medium rows. Below 1 is fine (fixed costs
# are amortised); above this, time grows faster than the data.
LINEAR_TOLERANCE = 1.2


# The entities speed-ups are reported for: tables whose rows are made from the same draws (a
# block's contacts carry the draws its assortment and baskets use; a customer list's header
# carries its lines), so work done once for several tables is not charged to just one.
ENTITIES: dict[str, tuple[str, ...]] = {
    "reference data": (
        "currencies",
        "currency_exchange_rates",
        "payment_terms",
        "units_of_measure",
        "customer_price_groups",
        "customer_discount_groups",
        "item_discount_groups",
    ),
    "categories, locations, salespeople": ("item_categories", "locations", "salespeople"),
    "items & units of measure": ("items", "item_units_of_measure"),
    "stock": ("item_stock",),
    "customers": ("customers",),
    "contacts, assortment, baskets": (
        "contacts",
        "customer_assortment",
        "customer_preferred_items",
    ),
    "campaigns, price lists & lines": ("campaigns", "price_lists", "price_list_lines"),
}


# -- what a child measures ---------------------------------------------------------------------


class TableClock:
    """A generation ``Progress`` that charges the wall time since the previous callback to the
    table whose chunk was just inserted (making the chunk + inserting it).

    ``generate()`` only times whole steps, and some steps write several tables; the callbacks
    it already makes are enough to time each table without touching the generator."""

    def __init__(self) -> None:
        self.first_step: float | None = None
        self.last = time.perf_counter()
        self.current_step = ""
        self.seconds: dict[str, float] = defaultdict(float)
        self.rows: dict[str, dict[str, int]] = {}  # step -> table -> rows

    def step(self, name: str, chunks: int) -> None:
        self.last = time.perf_counter()
        self.current_step = name
        self.rows[name] = defaultdict(int)
        if self.first_step is None:
            self.first_step = self.last

    def advance(self, table: str, rows: int) -> None:
        now = time.perf_counter()
        self.seconds[table] += now - self.last
        self.last = now
        self.rows[self.current_step][table] += rows


@dataclass(frozen=True)
class FastRun:
    """One fast generation: counts, times (whole run, per step, per table) and peak RSS."""

    profile: str
    history_months: int
    counts: dict[str, int]
    seconds: float
    step_seconds: dict[str, float]
    table_seconds: dict[str, float]
    step_rows: dict[str, dict[str, int]]  # step -> table -> rows it wrote
    setup_seconds: float  # before the first step: catalog, accounts, empty schema
    finish_seconds: float  # after the last insert: indexes, content digest, metadata
    digest_seconds: float  # the content digest alone, re-measured on the finished file
    peak_rss_kib: int
    cpu_seconds: float  # user + system time of generate(): close to `seconds` unless the
    # machine was busy (wall time then includes waiting for the CPU)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def unreported(self) -> list[str]:
        """Tables with rows that no chunk callback reported (the history writes its own)."""
        reported = {table for tables in self.step_rows.values() for table in tables}
        return [t for t, rows in self.counts.items() if rows and t not in reported]

    def steps_writing(self, table: str) -> list[str]:
        steps = [step for step, tables in self.step_rows.items() if table in tables]
        if not steps and HISTORY_STEP in self.step_seconds and table in self.unreported():
            return [HISTORY_STEP]
        return steps

    def rows_of_step(self, step: str) -> int:
        rows = sum(self.step_rows.get(step, {}).values())
        if step == HISTORY_STEP:
            rows += sum(self.counts[table] for table in self.unreported())
        return rows

    def table_rate(self, table: str) -> float:
        return _rate(self.counts[table], self.table_seconds.get(table, 0.0))

    def step_rate(self, table: str) -> float:
        """Rows / seconds of the step(s) writing the table (steps may write several tables)."""
        seconds = sum(self.step_seconds[step] for step in self.steps_writing(table))
        return _rate(self.counts[table], seconds)


@dataclass(frozen=True)
class ParquetRun:
    """One `export --format parquet` of a table: the whole export_database() call (staging
    directory, every part, rename), then the file read back to check it."""

    table: str
    rows: int  # as the export reported them
    seconds: float  # wall time of the whole export
    cpu_seconds: float  # user + system time of all its threads
    cpus: int  # CPUs the child could run on
    bytes: int
    peak_rss_kib: int
    rows_read_back: int  # pyarrow.parquet.read_table() of the finished file
    rows_in_db: int  # SELECT count(*) of the table
    read_back_seconds: float  # not part of `seconds`


def _rate(rows: float, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("nan")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_kib() -> int:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_generate(profile: str, out: Path, history_months: int) -> dict[str, Any]:
    """Generate once and time it; then time the content digest alone on the finished file,
    since generate() reports it only inside its finishing work."""
    clock = TableClock()
    # generate() grew history_months while this bench was written; older trees lack it.
    history = (
        {"history_months": history_months}
        if "history_months" in inspect.signature(generate).parameters
        else {}
    )
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    summary = generate(
        load_profile(profile), seed=SEED, out=out, force=True, progress=clock, **history
    )
    ended, cpu_ended = time.perf_counter(), _cpu_seconds()
    peak = _peak_rss_kib()  # before the digest re-measure below, which is not part of the run
    conn = open_database(out)
    t0 = time.perf_counter()
    content_digest(conn)
    digest_seconds = time.perf_counter() - t0
    conn.close()
    return asdict(
        FastRun(
            profile=profile,
            history_months=history_months,
            counts=summary.counts,
            seconds=summary.seconds,
            step_seconds=summary.step_seconds,
            table_seconds=dict(clock.seconds),
            step_rows={
                step: {table: rows for table, rows in tables.items() if table in summary.counts}
                for step, tables in clock.rows.items()
            },
            setup_seconds=(clock.first_step or ended) - started,
            finish_seconds=ended - clock.last,
            digest_seconds=digest_seconds,
            peak_rss_kib=peak,
            cpu_seconds=cpu_ended - cpu_started,
        )
    )


def child_naive(counts_file: Path, out: Path, cap: int) -> dict[str, Any]:
    counts = json.loads(counts_file.read_text())
    run = naive_baseline.run(counts, out, cap=cap)
    return {**run.as_dict(), "peak_rss_kib": _peak_rss_kib()}


def child_parquet(db: Path, out: Path, table: str = "price_list_lines") -> dict[str, Any]:
    """Export one table, timing the whole call; then read the file back in full."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - the parquet extra

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    [written] = export_database(db, "parquet", out, force=True, tables=[table])
    seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak = _peak_rss_kib()
    t0 = time.perf_counter()
    rows_read_back = pq.read_table(written.path).num_rows
    read_back_seconds = time.perf_counter() - t0
    conn = open_database(db)
    rows_in_db = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    conn.close()
    return asdict(
        ParquetRun(
            table=written.table,
            rows=written.rows,
            seconds=seconds,
            cpu_seconds=cpu_seconds,
            cpus=len(os.sched_getaffinity(0)),
            bytes=written.path.stat().st_size,
            peak_rss_kib=peak,
            rows_read_back=rows_read_back,
            rows_in_db=rows_in_db,
            read_back_seconds=read_back_seconds,
        )
    )


def run_child(args: argparse.Namespace) -> None:
    """Entry point of a measured child: pin to one CPU (``--cpu -1``: keep every allowed
    CPU), measure, print one JSON line."""
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    if args.child == "generate":
        result = child_generate(args.profile, Path(args.out), args.history_months)
    elif args.child == "naive":
        result = child_naive(Path(args.counts), Path(args.out), args.naive_cap)
    else:
        result = child_parquet(Path(args.db), Path(args.out))
    print(json.dumps(result))


# -- the parent: run the children, print the figures -------------------------------------------


def idlest_cpu(interval: float = 0.5) -> int:
    """The allowed CPU that was idle longest over ``interval`` (from /proc/stat): on a shared
    machine, pinning to a fixed CPU could pin the run next to someone else's."""
    allowed = sorted(os.sched_getaffinity(0))

    def idle() -> dict[int, int]:
        ticks = {}
        for line in Path("/proc/stat").read_text().splitlines():
            name, *fields = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                ticks[int(name[3:])] = int(fields[3]) + int(fields[4])  # idle + iowait
        return ticks

    try:
        before = idle()
        time.sleep(interval)
        after = idle()
    except OSError:
        return allowed[0]
    return max(allowed, key=lambda cpu: after.get(cpu, 0) - before.get(cpu, 0))


def spawn(*child_args: str, pin: bool = True) -> dict[str, Any]:
    """Run this script as a child on the idlest CPU (every CPU unless ``pin``) and return the
    JSON it prints last."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *child_args]
    command += ["--cpu", str(idlest_cpu() if pin else -1)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def note(message: str) -> None:
    """Progress on stderr, so stdout holds only the figures."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain-text table: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def n(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"  # NaN: nothing measured


def s(value: float) -> str:
    return f"{value:.2f}"


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def print_fast(run: FastRun) -> None:
    print(f"\n== {run.profile}: fast generator, seed {SEED}, one core, {history_label(run)} ==")
    table_rows = [
        [
            table,
            " + ".join(run.steps_writing(table)),
            n(rows),
            s(run.table_seconds[table]) if table in run.table_seconds else "-",
            n(run.table_rate(table)),
            n(run.step_rate(table)),
        ]
        for table, rows in run.counts.items()
        if rows
    ]
    print(
        render(
            ["table", "written by step", "rows", "own s", "rows/s", "step rows/s"],
            table_rows,
            left=2,
        )
    )
    print(
        "own s: time from the previous insert to this table's inserts (making the chunk and\n"
        "inserting it); contacts also carry each account block's draws and the Faker pools.\n"
        "step rows/s: rows over the whole step(s) that write the table, as generate() times them."
    )
    if run.unreported():
        print("History tables are written inside one step: only its rate is known.")
    steps_total = sum(run.step_seconds.values())
    # With history, generate() builds the indexes as a step of their own, before the history.
    finishing = "digest, meta" if "indexes" in run.step_seconds else "indexes, digest, meta"
    other = run.seconds - run.setup_seconds - steps_total - run.finish_seconds
    phases = [
        ["setup: catalog, accounts, schema", s(run.setup_seconds), ""],
        *([name, s(sec), n(run.rows_of_step(name))] for name, sec in run.step_seconds.items()),
        ["between steps", s(other), ""],
        [f"finish: {finishing}", s(run.finish_seconds), ""],
        ["  of which the digest alone*", s(run.digest_seconds), ""],
        ["total (generate())", s(run.seconds), n(run.rows)],
        ["  CPU time of the run", s(run.cpu_seconds), ""],
    ]
    print()
    print(render(["phase", "seconds", "rows"], phases))
    print(
        f"* re-measured on the finished file. total - sum(steps) = "
        f"{s(run.seconds - steps_total)} s.\n"
        f"{n(run.rows)} rows in {s(run.seconds)} s = {n(_rate(run.rows, run.seconds))} rows/s; "
        f"peak RSS {mib(run.peak_rss_kib)}"
    )


def history_label(run: FastRun) -> str:
    if run.history_months:
        return f"master data + {run.history_months} months of history"
    return "master data only (no history)"


def print_scaling(medium: FastRun, large: FastRun) -> float:
    rows_ratio = large.rows / medium.rows
    seconds_ratio = large.seconds / medium.seconds
    linearity = seconds_ratio / rows_ratio
    print("\n== scaling: medium vs large ==")
    print(
        render(
            ["profile", "rows", "seconds", "rows/s", "peak RSS"],
            [
                [
                    r.profile,
                    n(r.rows),
                    s(r.seconds),
                    n(_rate(r.rows, r.seconds)),
                    mib(r.peak_rss_kib),
                ]
                for r in (medium, large)
            ],
        )
    )
    print(
        f"large/medium: rows x{rows_ratio:.2f}, seconds x{seconds_ratio:.2f}; "
        f"seconds ratio / rows ratio = {linearity:.2f} (1 = linear, < 1 = fixed costs amortised)"
    )
    return linearity


def print_naive(naive: naive_baseline.NaiveRun, fast: FastRun, peak_kib: int) -> float:
    """Per-table rates of both runs, then speed-ups per entity and overall."""
    cap = f"first {n(naive.cap)} rows of bigger tables" if naive.cap else "no cap"
    print(f"\n== naive baseline on medium ({cap}) vs the fast run above ==")
    per_table = [
        [
            t.table,
            n(t.target_rows),
            n(t.rows),
            s(t.full_seconds) + ("*" if t.capped else ""),
            n(t.rate),
            n(fast.table_rate(t.table)),
        ]
        for t in naive.tables
        if t.target_rows
    ]
    headers = ["table", "rows", "measured", "naive s", "naive rows/s", "fast rows/s"]
    print(render(headers, per_table))
    for note_line in _naive_gaps(naive):
        print(f"! {note_line}")

    by_table = {t.table: t for t in naive.tables}
    per_entity = []
    for entity, tables in ENTITIES.items():
        rows = sum(fast.counts.get(table, 0) for table in tables)
        naive_s = sum(by_table[table].full_seconds for table in tables if table in by_table)
        fast_s = sum(fast.table_seconds.get(table, 0.0) for table in tables)
        if rows:
            per_entity.append(_speedup_row(entity, rows, naive_s, fast_s))
    naive_total = naive.seconds
    per_entity.append(_speedup_row("total (whole runs)", fast.rows, naive_total, fast.seconds))
    no_digest = fast.seconds - fast.digest_seconds
    per_entity.append(_speedup_row("total, fast without digest", fast.rows, naive_total, no_digest))
    print()
    print(
        render(
            ["entity", "rows", "naive s", "naive rows/s", "fast s", "fast rows/s", "speed-up"],
            per_entity,
        )
    )
    if naive.extrapolated:
        print("* extrapolated: target rows / rate measured on the first rows (biased low).")
    print(
        f"Naive total {s(naive_total)} s incl. its commit ({s(naive.commit_seconds)} s); "
        f"naive peak RSS {mib(peak_kib)}.\n"
        "Entity rows are the fast run's counts (the naive run writes as many); fast s per\n"
        "entity is the own-s time of its tables. Whole runs: fast = generate() with setup,\n"
        "indexes and content digest; the naive run computes no digest, so the last row\n"
        "leaves it out (for comparison only: the target uses whole runs)."
    )
    return _rate(fast.rows, fast.seconds) / _rate(naive.target_rows, naive_total)


def _naive_gaps(naive: naive_baseline.NaiveRun) -> list[str]:
    """Where the naive run is not column for column the fast one (the schema moved on)."""
    gaps = [
        f"naive {t.table}: {', '.join(t.generic_columns)} filled by declared type"
        for t in naive.tables
        if t.generic_columns
    ]
    gaps += [
        f"naive {t.table}: makes {', '.join(t.dropped_columns)}, no longer in the schema"
        for t in naive.tables
        if t.dropped_columns
    ]
    if naive.skipped:
        gaps.append(f"not in the naive run (no naive maker yet): {', '.join(naive.skipped)}")
    return gaps


def _speedup_row(entity: str, rows: int, naive_s: float, fast_s: float) -> list[str]:
    naive_rate, fast_rate = _rate(rows, naive_s), _rate(rows, fast_s)
    return [
        entity,
        n(rows),
        s(naive_s),
        n(naive_rate),
        s(fast_s),
        n(fast_rate),
        f"{fast_rate / naive_rate:.1f}x",
    ]


def print_parquet(runs: list[ParquetRun]) -> float | None:
    """Every run, then the fastest one's rate (None if a file did not read back whole)."""
    print(f"\n== export --format parquet: large {runs[0].table} ({runs[0].cpus} CPUs) ==")
    rows = [
        [
            str(i + 1),
            n(run.rows),
            s(run.seconds),
            n(_rate(run.rows, run.seconds)),
            s(run.cpu_seconds),
            f"{run.bytes / 2**20:,.0f} MiB",
            mib(run.peak_rss_kib),
            f"{n(run.rows_read_back)} in {s(run.read_back_seconds)} s",
        ]
        for i, run in enumerate(runs)
    ]
    headers = ["run", "rows", "wall s", "rows/s", "CPU s", "file", "peak RSS", "read back"]
    print(render(headers, rows))
    print(
        "wall s: the whole export_database() call; CPU s: user + system time of all its\n"
        "threads (above wall s when reader threads ran on both CPUs). read back:\n"
        "pyarrow.parquet.read_table() of the finished file, not timed in wall s."
    )
    complete = [r for r in runs if r.rows_read_back == r.rows == r.rows_in_db]
    if len(complete) < len(runs):
        print(f"! {len(runs) - len(complete)} file(s) did not read back with every row")
        return None
    return max(_rate(r.rows, r.seconds) for r in runs)


def check(target: str, value: float | None, shown: str, ok: bool) -> list[str]:
    """A summary row: the target, what was measured, PASS/MISS (or skipped: no value)."""
    if value is None:
        return [target, "-", "skipped"]
    return [target, shown, "PASS" if ok else "MISS"]


def print_summary(
    large: FastRun | None, linearity: float | None, parquet: float | None, speedup: float | None
) -> None:
    seconds = large.seconds if large else None
    rss = large.peak_rss_kib if large else None
    what = f", {history_label(large)}" if large else ""
    rows = [
        check(
            f"large generate <= {TARGET_LARGE_SECONDS:.0f} s on one core{what}",
            seconds,
            f"{s(seconds or 0)} s (CPU {s(large.cpu_seconds if large else 0)} s)",
            (seconds or 0) <= TARGET_LARGE_SECONDS,
        ),
        check("large peak RSS <= 1 GiB", rss, mib(rss or 0), (rss or 0) <= TARGET_PEAK_RSS_KIB),
        check(
            f"time linear in size (seconds/rows ratio <= {LINEAR_TOLERANCE})",
            linearity,
            f"{linearity or 0:.2f}",
            (linearity or 0) <= LINEAR_TOLERANCE,
        ),
        check(
            "parquet export of large price lines >= 2M rows/s",
            parquet,
            f"{n(parquet or 0)} rows/s",
            (parquet or 0) >= TARGET_PARQUET_ROWS_PER_S,
        ),
        check(
            f"speed-up vs naive on medium >= {TARGET_SPEEDUP:.0f}x",
            speedup,
            f"{speedup or 0:.1f}x",
            (speedup or 0) >= TARGET_SPEEDUP,
        ),
    ]
    print("\n== summary ==")
    print(render(["target", "measured", "result"], rows))
    print(f"machine: {machine()}")
    print(f"command: {command_line()}")


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), generation children pinned to the idlest one, the\n"
        f"parquet export on all of them; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}\n"
        f"load average at the end: {load} (other work on the machine skews the figures)"
    )


def command_line() -> str:
    python = Path(sys.executable)
    if python.is_relative_to(Path.cwd()):
        python = python.relative_to(Path.cwd())
    return shlex.join([str(python), *sys.argv])


def run_benchmark(args: argparse.Namespace) -> None:
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    for profile in profiles:
        load_profile(profile)  # fail now, not after minutes of work
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="erpsim-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        fast: dict[str, FastRun] = {}
        for profile in profiles:
            note(f"generating {profile} x{args.repeat} (child pinned to one CPU)")
            db = workdir / f"{profile}.db"
            child = ["generate", "--profile", profile, "--out", str(db)]
            child += ["--history-months", str(args.history_months)]
            runs = [FastRun(**spawn(*child)) for _ in range(args.repeat)]
            fast[profile] = min(runs, key=lambda run: run.seconds)  # the least disturbed
            print_fast(fast[profile])
        linearity = (
            print_scaling(fast["medium"], fast["large"])
            if {"medium", "large"} <= fast.keys()
            else None
        )
        speedup = None
        if args.history_months and not args.skip_naive:
            note("naive baseline skipped: it writes master data only (use --history-months 0)")
        elif not args.skip_naive:
            speedup = _naive(fast, workdir, args.naive_cap)
        parquet = None
        if not args.skip_parquet:
            parquet = _parquet(fast, workdir, args.repeat, args.parquet_db)
        print_summary(fast.get("large"), linearity, parquet, speedup)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _naive(fast: dict[str, FastRun], workdir: Path, cap: int) -> float | None:
    if "medium" not in fast:
        note(
            "naive baseline skipped: it is compared with the medium run (add medium to --profiles)"
        )
        return None
    note(f"naive baseline on medium ({f'first {cap:,} rows per table' if cap else 'all rows'})")
    counts_file = workdir / "medium-counts.json"
    counts_file.write_text(json.dumps(fast["medium"].counts))
    result = spawn(
        "naive",
        "--counts",
        str(counts_file),
        "--out",
        str(workdir / "naive-medium.db"),
        "--naive-cap",
        str(cap),
    )
    naive = naive_baseline.NaiveRun.from_dict(result)
    return print_naive(naive, fast["medium"], result["peak_rss_kib"])


def _parquet(
    fast: dict[str, FastRun], workdir: Path, repeat: int, existing: str | None
) -> float | None:
    if existing:
        db = Path(existing)
    elif "large" in fast:
        db = workdir / "large.db"
    else:
        note("parquet export skipped: it exports the large run (add large to --profiles)")
        return None
    note(f"exporting large price_list_lines to parquet x{repeat} (child on every CPU)")
    runs = [
        ParquetRun(
            **spawn("parquet", "--db", str(db), "--out", str(workdir / "parquet"), pin=False)
        )
        for _ in range(repeat)
    ]
    return print_parquet(runs)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", default="medium,large", help="comma-separated profiles")
    parser.add_argument("--skip-naive", action="store_true", help="no naive baseline")
    parser.add_argument("--skip-parquet", action="store_true", help="no parquet export")
    parser.add_argument(
        "--parquet-db",
        metavar="DB",
        help="export this existing large database instead of the large run's",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the databases in DIR")
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="generate N times, keep the fastest"
    )
    parser.add_argument(
        "--history-months",
        type=int,
        default=0,
        metavar="MONTHS",
        help="months of simulated history (default 0: master data, as the targets and the "
        "naive baseline are set for; erpsim generate's own default is 24)",
    )
    parser.add_argument(
        "--naive-cap",
        type=int,
        default=NAIVE_CAP,
        help="naive rows per table, the rest extrapolated from their rate (default 0: all)",
    )
    # Internal: one measured run in a child process.
    parser.add_argument("--child", choices=["generate", "naive", "parquet"], help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--counts", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # keep notes in order
    if args.child:
        run_child(args)
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
