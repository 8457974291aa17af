"""Writing an output file or directory all at once, or not at all.

Every command that writes an output goes through here. The output is built under a hidden
temporary name beside the target and renamed onto it only when complete, so an error, Ctrl-C
or SIGTERM leaves the old output (or nothing) in place, never half of one. Replacing an
existing output (``--force``) moves the old one aside, renames the new one in and only then
deletes the old one, with SIGINT and SIGTERM held back for the two renames.

Targets a user cannot mean are refused before any work: the current directory or one of its
parents (``--out .``, ``--out ""``, ``--out ..``, ``/``), a device node or other non-regular
file (``--out /dev/null``), a symbolic link where a directory is replaced, a file where a
directory is expected and the other way round.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from simulator.errors import UserError

Kind = Literal["file", "directory"]
_HELD = {signal.SIGINT, signal.SIGTERM}
_DISK_ERRORS = ("disk is full", "disk i/o error", "unable to open database file")


def check_target(out: str | Path, *, kind: Kind, force: bool) -> Path:
    """The output path, or a UserError saying why it cannot be (re)written."""
    if str(out).strip() == "":
        raise UserError("output path is empty")
    path = Path(out)
    resolved = path.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents or path.name in ("", ".", ".."):
        raise UserError(
            f"refusing to write over {str(out)!r}: it is the current directory or above"
        )
    try:
        info = path.lstat()
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if kind == "directory":
        if stat.S_ISLNK(info.st_mode):
            raise UserError(f"output path is a symbolic link: {path}")
        if not stat.S_ISDIR(info.st_mode):
            raise UserError(f"output path is not a directory: {path}")
        if not force:
            raise UserError(f"output directory exists: {path} (use --force to replace it)")
        return path
    target = path.stat() if stat.S_ISLNK(info.st_mode) else info
    if stat.S_ISDIR(target.st_mode):
        raise UserError(f"output path is a directory: {path}")
    if not stat.S_ISREG(target.st_mode):
        raise UserError(f"output path is not a regular file: {path}")
    if not force:
        raise UserError(f"output file exists: {path} (use --force to overwrite)")
    return path


@contextlib.contextmanager
def atomic_file(out: str | Path, *, force: bool, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file beside ``out``, renamed onto it when the block completes."""
    path = check_target(out, kind="file", force=force)
    parent = _parent(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    temp = Path(name)
    try:
        with _write_errors(path):
            yield temp
            check_target(path, kind="file", force=True)  # nothing odd appeared meanwhile
            with _signals_held():
                os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(out: str | Path, *, force: bool) -> Iterator[Path]:
    """A staging directory beside ``out`` that becomes ``out`` when the block completes."""
    path = check_target(out, kind="directory", force=force)
    parent = _parent(path)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the result is an ordinary directory
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with _write_errors(path):
            yield staging
            check_target(path, kind="directory", force=force)
            _swap_in(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_text(path: str | Path, text: str) -> None:
    """Replace one file's text atomically (a temp file beside it, then rename)."""
    with atomic_file(path, force=True) as temp:
        temp.write_text(text, encoding="utf-8")


def _parent(path: Path) -> Path:
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return parent


def _swap_in(staging: Path, out: Path) -> None:
    """Rename ``staging`` to ``out``; an old ``out`` is deleted only once the new one is in.

    Signals are held for the two renames; a signal that still lands between them (another
    thread took it) finds ``out`` missing and puts the old one back before unwinding."""
    if not os.path.lexists(out):
        with _signals_held():
            os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    try:
        with _signals_held():
            os.rename(out, old)  # onto the empty placeholder: POSIX replaces it
            os.rename(staging, out)
    except BaseException:
        if not os.path.lexists(out):
            os.rename(old, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """A full disk, a read-only file system... as one line naming the output."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except sqlite3.OperationalError as exc:
        if not any(text in str(exc).lower() for text in _DISK_ERRORS):
            raise
        raise UserError(f"cannot write {path}: {exc}") from exc


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
