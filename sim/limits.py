"""What a command refuses before it starts: input files, draws, variants and workers.

Every limit here is checked before anything is written and before any large list is built, so a
typing slip (``--draws 1000000000000``, ``samples = 1000000000``, ``/dev/zero`` as a sweep file,
``--workers 1000``) ends in one line naming the limit and what the run would have cost, never in
a machine out of memory or a folder left half-made. The limits are far above any planning run
(the shipped scenarios and sweeps are thousands of times below each); the README lists them.

The cost estimates are rough, from the speed of the baseline scenario on one core of a laptop
(:data:`DRAWS_PER_SECOND`) and the memory a process of the engine holds
(:data:`PROCESS_BYTES`): they say the order of magnitude a planner should expect.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from sim.errors import SimError

#: Largest input file read (a scenario or sweep file): the biggest shipped one is 5 kB.
MAX_FILE_BYTES = 1 << 20
#: Largest JSON record of a run or sweep folder read (``summary.json``, ``manifest.json``).
MAX_RECORD_BYTES = 64 << 20
#: Most draws of one run (``summit run --draws``, a sweep's ``draws``).
MAX_DRAWS = 100_000_000
#: Most variants of one sweep (``samples``, a grid's combinations, Saltelli's rows).
MAX_VARIANTS = 100_000
#: Most draws of a whole sweep, its variants times their draws.
MAX_SWEEP_DRAWS = 1_000_000_000
#: Most workers per core of this machine (``--workers``): beyond a few a core only adds memory.
WORKERS_PER_CORE = 4

#: Draws a second one core simulates of the baseline scenario (rough, for estimates).
DRAWS_PER_SECOND = 40_000
#: Memory one process of the engine holds, in bytes: the interpreter, the compiled kernels and
#: a block's workspace (rough, for estimates).
PROCESS_BYTES = 150 * 2**20
#: Memory a sweep holds for each variant, in bytes: its values, its row and its table line.
VARIANT_BYTES = 4 * 2**10
#: Memory a run holds for each block of draws it has still to count (its task), in bytes.
BLOCK_BYTES = 200

#: Makes the error for a problem of a file (the key is None: the whole file).
Fail = Callable[[str | None, str], SimError]


def read_text(path: Path, fail: Fail, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``, which must be a regular file of at most ``limit`` bytes
    (:func:`read_bytes`); text that is not UTF-8 is ``fail(None, problem)``."""
    data = read_bytes(path, fail, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise fail(None, f"cannot be read: not UTF-8 text ({err.reason} at byte "
                   f"{err.start})") from None


def read_bytes(path: Path, fail: Fail, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    The file is opened without blocking and checked on the open descriptor, so a FIFO (whose
    open would wait for a writer), a device such as ``/dev/zero`` (which never ends) or a huge
    file is refused at once, and no other file can be swapped in between check and read. A
    missing, unreadable or refused file is ``fail(None, problem)``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise fail(None, "no such file") from None
    except OSError as err:
        raise fail(None, f"cannot be read: {err.strerror or err}") from None
    try:
        kind = os.fstat(handle)
        if stat.S_ISDIR(kind.st_mode):
            raise fail(None, "is a folder, not a file")
        if not stat.S_ISREG(kind.st_mode):
            raise fail(None, "is not a regular file (a device, pipe or socket); give a file")
        if kind.st_size > limit:
            raise fail(None, f"is {kind.st_size:,} bytes, over the limit of {limit:,} for an "
                       "input file")
        try:
            # One byte past the limit: a file that grew since fstat is caught too.
            data = _read_at_most(handle, limit + 1)
        except OSError as err:
            raise fail(None, f"cannot be read: {err.strerror or err}") from None
    finally:
        os.close(handle)
    if len(data) > limit:
        raise fail(None, f"is over the limit of {limit:,} bytes for an input file")
    return data


def _read_at_most(handle: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``handle``, fewer only at the end of the file."""
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(handle, min(size, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def max_workers() -> int:
    """The most workers a run or sweep may start here: :data:`WORKERS_PER_CORE` per core."""
    return WORKERS_PER_CORE * cores()


def workers_problem(workers: int) -> str | None:
    """What is wrong with starting ``workers`` processes here, or None."""
    most = max_workers()
    if workers <= most:
        return None
    return (f"{workers} is over the limit of {most} ({WORKERS_PER_CORE} per core, {cores()} "
            f"cores here; estimated memory {_size(workers * PROCESS_BYTES)}); more processes "
            "than cores add memory, not speed")


def draws_problem(draws: int, workers: int = 1, block_size: int = 4096) -> str | None:
    """What is wrong with a run of ``draws`` draws on ``workers`` cores, or None."""
    if draws <= MAX_DRAWS:
        return None
    blocks = draws // block_size + 1
    return (f"{draws:,} is over the limit of {MAX_DRAWS:,} draws a run (estimated "
            f"{_duration(draws / (DRAWS_PER_SECOND * workers))} on {workers} "
            f"core{'s' if workers > 1 else ''} and {_size(blocks * BLOCK_BYTES)} of task "
            "list); the goal probabilities settle long before")


def sweep_problem(variants: int, draws: int) -> str | None:
    """What is wrong with a sweep of ``variants`` variants of ``draws`` draws each, or None;
    the draws of one variant are checked on their own by :func:`draws_problem`."""
    total = variants * draws
    cost = (f"estimated memory {_size(variants * VARIANT_BYTES)} and "
            f"{_duration(total / DRAWS_PER_SECOND)} on one core")
    if variants > MAX_VARIANTS:
        return f"{variants:,} variants is over the limit of {MAX_VARIANTS:,} a sweep ({cost})"
    if total > MAX_SWEEP_DRAWS:
        return (f"{variants:,} variants of {draws:,} draws is {total:,} draws, over the limit "
                f"of {MAX_SWEEP_DRAWS:,} a sweep ({cost})")
    return None


def _size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024:
            return f"{size:,.0f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"


def _duration(seconds: float) -> str:
    for unit, length in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600),
                         ("minutes", 60)):
        if seconds >= length:
            return f"about {seconds / length:,.1f} {unit}"
    return f"about {seconds:,.0f} s"
