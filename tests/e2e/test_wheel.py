"""The built wheel, installed outside the checkout, knows its profiles and scenarios and runs
the demo. The fresh venv borrows this venv's dependencies (a path in a ``.pth`` file: no
download, and the checkout's editable `simulator` is not on it), so only the wheel is new."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv in a temp directory with only the wheel installed; its bin directory."""
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.parents
    source = base / "source"  # setuptools builds in the source tree: not in the checkout's
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("simulator", "loadtests"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(base / "dist"), str(source)],
        cwd=base, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("erpsim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "simulator/data/profiles/small.toml" in names
    assert "simulator/data/scenarios/baseline.toml" in names
    assert "simulator/data/scenarios/load-month-end.toml" in names
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                cwd=base, timeout=60).stdout.strip()  # fmt: skip
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        cwd=base, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    where = _run([str(python), "-c", "import simulator; print(simulator.__file__)"], base, 60)
    assert where.stdout.startswith(str(env_dir)), where.stdout + where.stderr
    return env_dir / "bin"


def test_installed_wheel_generates_the_small_profile(installed: Path, tmp_path: Path) -> None:
    result = _run(
        [str(installed / "erpsim"), "generate", "--profile", "small", "--quiet",
         "--history-months", "0", "--out", "erp.sqlite"],
        cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "erp.sqlite").stat().st_size > 100_000
    assert "profile small" in result.stdout


def test_installed_wheel_simulates_a_scenario_by_name(installed: Path, tmp_path: Path) -> None:
    result = _run(
        [str(installed / "erpsim"), "simulate", "baseline", "--runs", "2", "--workers", "1",
         "--out", "out"],
        cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "summary.json").is_file()


def test_installed_wheel_runs_the_demo(installed: Path, tmp_path: Path) -> None:
    result = _run([str(installed / "erpsim"), "demo"], cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "data" / "demo" / "erp.sqlite").is_file()
