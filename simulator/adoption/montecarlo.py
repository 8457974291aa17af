"""Independent seeded runs, in batches, across processes.

Run ``i`` draws from ``SeedSequence(seed).spawn(runs)[i]`` and from nothing else, and runs are
cut into batches by a size that depends only on the population (never on the number of
workers), so the same seed gives the same counts, byte for byte, with 1 worker or 16. The
batches go to a ``ProcessPoolExecutor`` (``workers`` processes, default: every core).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import types
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import repeat
from typing import Literal

import numpy as np

from simulator.adoption.buyers import simulate_batch
from simulator.adoption.calendar import Schedule
from simulator.adoption.levers import ModelInputs
from simulator.adoption.reference import simulate_reference
from simulator.errors import UserError

Model = Literal["fast", "reference"]
BATCH_CELLS = 400_000  # runs x contacts held in one batch's arrays
MAX_BATCH_RUNS = 16
MAX_RUNS = 100_000
PR_SET_PDEATHSIG = 1  # prctl(2)
Simulator = Callable[[ModelInputs, Schedule, Sequence[np.random.SeedSequence]], np.ndarray]


def simulator_for(model: Model) -> Simulator:
    """The buyer model behind ``--model``."""
    if model == "fast":
        return simulate_batch
    if model == "reference":
        return simulate_reference
    raise UserError(f"bad --model {model!r}: choose fast or reference")


def default_workers() -> int:
    return os.cpu_count() or 1


def check_runs(runs: int, workers: int | None) -> None:
    """Flags a user can get wrong: at least one run and one worker."""
    if not 1 <= runs <= MAX_RUNS:
        raise UserError(f"bad --runs {runs}: must be between 1 and {MAX_RUNS:,}")
    if workers is not None and workers < 1:
        raise UserError(f"bad --workers {workers}: must be at least 1")


def batch_runs(contacts: int, model: Model) -> int:
    """Runs per batch: enough to amortise Python overhead, few enough to stay in memory."""
    if model == "reference":
        return 1
    return max(1, min(MAX_BATCH_RUNS, BATCH_CELLS // max(contacts, 1)))


class WorkerPool(ProcessPoolExecutor):
    """A process pool whose workers do not outlive an error, Ctrl-C or SIGTERM: leaving the
    ``with`` block by an exception kills them instead of waiting for the queued batches."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> bool | None:
        if exc_type is None:
            return super().__exit__(exc_type, exc, tb)
        processes = list((self._processes or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join(timeout=5)
        return None


def _worker_init() -> None:
    """Workers die with their parent (Linux) and take SIGTERM's default action."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def make_executor(workers: int) -> ProcessPoolExecutor:
    """A process pool. ``fork`` on Linux while this process has a single thread (cheap start,
    nothing to re-import); otherwise ``forkserver`` where available (forking a threaded
    process is unsafe), else the platform's default."""
    methods = multiprocessing.get_all_start_methods()
    context: multiprocessing.context.BaseContext | None
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in methods:
        context = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
    else:
        context = None
    return WorkerPool(max_workers=workers, mp_context=context, initializer=_worker_init)


def run_monte_carlo(
    inputs: ModelInputs,
    schedule: Schedule,
    *,
    runs: int,
    seed: int,
    workers: int | None = None,
    model: Model = "fast",
    executor: Executor | None = None,
) -> np.ndarray:
    """Counts of every run, shape (runs, months, counters), in run order."""
    check_runs(runs, workers)
    simulate = simulator_for(model)
    if seed < 0:
        raise UserError(f"bad --seed {seed}: must be >= 0")
    seeds = np.random.SeedSequence(seed).spawn(runs)
    size = batch_runs(inputs.contacts, model)
    chunks = [seeds[start : start + size] for start in range(0, runs, size)]
    workers = workers or default_workers()
    if executor is not None:
        parts = list(executor.map(simulate, repeat(inputs), repeat(schedule), chunks))
    elif workers == 1 or len(chunks) == 1:
        parts = [simulate(inputs, schedule, chunk) for chunk in chunks]
    else:
        with make_executor(min(workers, len(chunks))) as pool:
            parts = list(pool.map(simulate, repeat(inputs), repeat(schedule), chunks))
    return np.concatenate(parts, axis=0)
