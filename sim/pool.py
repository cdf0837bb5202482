"""How a process pool's processes start, for a run on several cores and for a sweep.

Each process is a fork of a fork server: a clean process (not a fork of whatever threads the
caller runs) that has imported the engine and loaded its compiled kernels once. Unlike with the
standard ``forkserver`` start method, a process started here does not run the caller's main
module again. With the standard method, a script that calls ``sim.run(..., workers=2)`` at its
top level, without an ``if __name__ == "__main__":`` guard, ran again in every pool process and
tried to start a pool there, which broke the pool; and a main module read from standard input
(``python - < script.py``) could not be run again at all. A pool here runs only this package's
functions on this package's objects, so it needs nothing from the main module.
"""

from __future__ import annotations

import io
import os
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from typing import Any

#: What a new process would be told about the caller's main module, to run it again.
_MAIN_MODULE_KEYS = ("init_main_from_path", "init_main_from_name")


def pool_context(preload: list[str]) -> context.BaseContext:
    """The multiprocessing context of a pool: processes forked from a server that has imported
    the modules ``preload``, and that never run the main module."""
    pool = _PoolContext()
    pool.set_forkserver_preload(preload)
    return pool


class _PoolPopen(popen_forkserver.Popen):
    """Starts one pool process from the fork server, telling it nothing of the main module.

    This follows the fork server's protocol (see ``ForkServer.connect_to_new_process``): ask
    the server for a new process, write it the pickled preparation data and process object,
    read back its pid. The preparation data are the standard ones
    (``multiprocessing.spawn.get_preparation_data``: sys.path, the working directory, the
    authentication key, ...) less the keys that make the new process run the main module.
    """

    def _launch(self, process_obj: Any) -> None:
        preparation = spawn.get_preparation_data(process_obj._name)
        for key in _MAIN_MODULE_KEYS:
            preparation.pop(key, None)
        pickled = io.BytesIO()
        # While this is set, pickling the pool's locks and counters hands their file
        # descriptors to duplicate_for_child, which sends them with the request below.
        context.set_spawning_popen(self)
        try:
            reduction.dump(preparation, pickled)
            reduction.dump(process_obj, pickled)
        finally:
            context.set_spawning_popen(None)
        # _fds and util.close_fds are multiprocessing's own (Popen.duplicate_for_child fills
        # the list), private and so not in its type stubs.
        self.sentinel, to_child = forkserver.connect_to_new_process(
            self._fds)  # type: ignore[attr-defined]
        # The new process learns that this one has gone when its copy of the write end of the
        # pipe is the last one open: keep one for as long as this object lives.
        parent_alive = os.dup(to_child)
        self.finalizer = util.Finalize(self, util.close_fds,  # type: ignore[attr-defined]
                                       (parent_alive, self.sentinel))
        with open(to_child, "wb", closefd=True) as stream:
            stream.write(pickled.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _PoolProcess(context.ForkServerProcess):
    """A pool process, started by :class:`_PoolPopen`."""

    @staticmethod
    def _Popen(process_obj: Any) -> _PoolPopen:
        return _PoolPopen(process_obj)


class _PoolContext(context.ForkServerContext):
    """The forkserver start method, with processes that never run the main module."""

    Process = _PoolProcess
