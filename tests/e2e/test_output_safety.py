"""Outputs as a user can get them wrong: `--out .`, device nodes, SIGTERM mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    return caught.value.code or 0, capsys.readouterr().err


@pytest.mark.parametrize("out", [".", "", "./", ".."])
@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "csv"],
        ["simulate", str(ROOT / "scenarios/baseline.toml"), "--runs", "1"],
        ["generate", "--profile", "small"],
    ],
)
def test_out_of_the_current_directory_deletes_nothing(
    capsys, tmp_path: Path, monkeypatch, small_db: Path, out: str, command: list[str]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "precious.txt").write_text("keep me", encoding="utf-8")
    monkeypatch.chdir(work)
    extra = ["--db", str(small_db)] if command[0] != "generate" else []
    code, err = run(capsys, *command, *extra, "--out", out, "--force")
    assert code == 2
    assert err.startswith("erpsim: error: "), err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in work.iterdir()) == ["precious.txt"]
    assert (work / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_generate_never_replaces_a_device_node(capsys) -> None:
    before = os.stat("/dev/null")
    code, err = run(capsys, "generate", "--out", "/dev/null", "--force", "--quiet")
    assert code == 2
    assert "not a regular file: /dev/null" in err
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text(encoding="utf-8").split()
        found.update(int(child) for child in text)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_sigterm_during_generate_leaves_no_temp_file_and_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "erp.sqlite"
    out.write_bytes(b"old")
    for _attempt in range(3):  # a run that ended before the signal came proves nothing: again
        process = subprocess.Popen(
            # medium (half a minute): still running when the signal comes, however busy
            [sys.executable, "-m", "simulator", "generate", "--profile", "medium", "--quiet",
             "--out", str(out), "--force"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_for(lambda: any(p.name.startswith(".erp.sqlite.") for p in tmp_path.iterdir()))
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        if process.returncode != 0:
            break
        out.write_bytes(b"old")
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "erpsim: terminated" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["erp.sqlite"]
    assert out.read_bytes() == b"old"


def test_sigterm_during_simulate_leaves_no_workers(tmp_path: Path, small_db: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "simulate", str(ROOT / "scenarios/baseline.toml"),
         "--db", str(small_db), "--runs", "20000", "--workers", "2",
         "--out", str(tmp_path / "out")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers: set[int] = set()

    def started() -> bool:
        workers.update(_children(process.pid))
        return len(workers) >= 2

    try:
        _wait_for(started)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:  # a hung process fails this test only, not the next one by its open pipe
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signal.SIGTERM, err
    _wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
