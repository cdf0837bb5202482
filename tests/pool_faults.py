"""Tasks whose pool process dies, for the tests of executors under faults: importable by name
in a pool's processes (the tests folder is on their path)."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def die_once(marker: str, index: int) -> int:
    """``index``, except that the first call for index 3 kills its process (``marker`` is a
    file that says it has been called)."""
    if index == 3 and not Path(marker).exists():
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def die_always(index: int) -> int:
    """``index``, except that every call for index 3 kills its process."""
    if index == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def lost(*task: object) -> str:
    """What a task whose process died twice stands for in the results."""
    return f"lost {task[-1]}"
