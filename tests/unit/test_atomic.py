"""The one atomic-output helper: refused targets, all-or-nothing writes, replacement by rename."""

from __future__ import annotations

import errno
import os
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from simulator.atomic import atomic_directory, atomic_file, check_target, write_text
from simulator.errors import UserError


def _write_then_fail(output: AbstractContextManager[Path], error: BaseException) -> None:
    """Write something into the output, then fail before it completes."""
    with output as path:
        target = path / "new.txt" if path.is_dir() else path
        target.write_text("half", encoding="utf-8")
        raise error


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("target", [".", "", "..", "./", "/"])
@pytest.mark.parametrize("kind", ["file", "directory"])
def test_the_current_directory_and_above_are_refused(in_tmp: Path, target: str, kind) -> None:
    with pytest.raises(UserError, match=r"current directory|empty"):
        check_target(target, kind=kind, force=True)
    assert (in_tmp / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_a_device_node_is_never_replaced() -> None:
    with pytest.raises(UserError, match="not a regular file: /dev/null"):
        check_target("/dev/null", kind="file", force=True)
    with pytest.raises(UserError, match="not a directory: /dev/null"):
        check_target("/dev/null", kind="directory", force=True)


def test_a_fifo_is_not_a_file_output(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        check_target(fifo, kind="file", force=True)


def test_a_symlinked_directory_is_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(UserError, match="symbolic link"):
        check_target(tmp_path / "link", kind="directory", force=True)


def test_existing_outputs_need_force(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    (tmp_path / "d").mkdir()
    with pytest.raises(UserError, match="use --force"):
        check_target(tmp_path / "f", kind="file", force=False)
    with pytest.raises(UserError, match="use --force"):
        check_target(tmp_path / "d", kind="directory", force=False)
    with pytest.raises(UserError, match="is a directory"):
        check_target(tmp_path / "d", kind="file", force=True)
    with pytest.raises(UserError, match="not a directory"):
        check_target(tmp_path / "f", kind="directory", force=True)


def test_a_failed_replacement_keeps_the_old_directory_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        _write_then_fail(atomic_directory(out, force=True), RuntimeError("boom"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_a_replacement_swaps_the_whole_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    with atomic_directory(out, force=True) as staging:
        (staging / "new.txt").write_text("new", encoding="utf-8")
        assert (out / "old.txt").is_file()  # the old output stays until the new one is in
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert oct(out.stat().st_mode & 0o777) == oct(0o755)


def test_a_file_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(atomic_file(out, force=True), KeyboardInterrupt())
    assert out.read_text(encoding="utf-8") == "old"
    write_text(out, "new")
    assert out.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_full_disk_is_one_user_error_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    full = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(UserError, match=r"cannot write .*out: No space left on device"):
        _write_then_fail(atomic_directory(out, force=False), full)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_between_the_two_renames_puts_the_old_output_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    real_rename = os.rename
    calls: list[str] = []

    def rename_then_interrupt(src: str | Path, dst: str | Path) -> None:
        calls.append(Path(dst).name)
        if len(calls) == 2:  # the new output's rename: SIGTERM arrives just before it
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename_then_interrupt)
    with pytest.raises(KeyboardInterrupt), atomic_directory(out, force=True) as staging:
        (staging / "new.txt").write_text("new", encoding="utf-8")
    monkeypatch.undo()
    assert calls[1] == "out"
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
