"""Tasks whose pool process dies, for the tests of executors under faults, and a task that
tells what its process has loaded: importable by name in a pool's processes (the tests folder
is on their path).

They die only in a pool process, never in the process that runs the tests (a process pool runs
tasks in its caller too). Task 0 is the one that dies: a pool is handed the first tasks before
its caller takes one.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path


def in_pool() -> bool:
    """Whether this is a pool's process (not the one that runs the tests)."""
    return multiprocessing.parent_process() is not None


def die_once(marker: str, index: int) -> int:
    """``index``, except that the first call for index 0 in a pool process kills that process
    (``marker`` is a file that says it has been called)."""
    if index == 0 and in_pool() and not Path(marker).exists():
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def die_always(index: int) -> int:
    """``index``, except that every call for index 0 in a pool process kills that process."""
    if index == 0 and in_pool():
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def lost(*task: object) -> str:
    """What a task whose process died twice stands for in the results."""
    return f"lost {task[-1]}"


def where(shared: object, index: int) -> tuple[int, int, int, object]:
    """Where task ``index`` ran: its index, its process, the identity of the shared argument it
    was given there, and that argument."""
    return index, os.getpid(), id(shared), shared


def die_once_told(flag: str) -> None:
    """Wait until the file ``flag`` exists, then kill this pool process."""
    while not Path(flag).exists():
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGKILL)


def calibration_read(index: int) -> tuple[bool, bool]:
    """Whether this is a pool's process, and whether the shipped fiscal table had been read in
    it (this task reads nothing)."""
    from sim.data.fiscal import _read_fiscal

    return in_pool(), _read_fiscal.cache_info().currsize > 0
