"""How a process pool's processes start, for a run on several cores and for a sweep.

Each process is a fork of a fork server: a clean process (not a fork of whatever threads the
caller runs) that has imported the engine and loaded its compiled kernels once. Unlike with the
standard ``forkserver`` start method, a process started here does not run the caller's main
module again. With the standard method, a script that calls ``sim.run(..., workers=2)`` at its
top level, without an ``if __name__ == "__main__":`` guard, ran again in every pool process and
tried to start a pool there, which broke the pool; and a main module read from standard input
(``python - < script.py``) could not be run again at all. A pool here runs only this package's
functions on this package's objects, so it needs nothing from the main module.

A pool process dies with the process that started it: a thread of its own waits on the pipe
whose write end only that process holds (:func:`multiprocessing.parent_process`'s sentinel),
and ends the pool process when it closes. Without it, a ``kill -9`` of ``summit`` left its pool
processes counting draws no one would read, then blocked forever.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from multiprocessing import (
    connection,
    context,
    forkserver,
    popen_forkserver,
    reduction,
    spawn,
    util,
)
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
    """A pool process, started by :class:`_PoolPopen`, that dies with its parent."""

    @staticmethod
    def _Popen(process_obj: Any) -> _PoolPopen:
        return _PoolPopen(process_obj)

    def run(self) -> None:
        _die_with_parent()
        super().run()


#: The exit status of a pool process whose parent has gone.
PARENT_GONE = 70


def _die_with_parent() -> None:
    """In a pool process: end it as soon as the process that started it has gone.

    The sentinel is the read end of the pipe the parent keeps open (see :class:`_PoolPopen`);
    it reads end-of-file when the parent exits or is killed. Waiting on it costs nothing, and
    ``os._exit`` ends the process even while its main thread counts (a compiled kernel returns
    to the interpreter at least once a block).
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch(sentinel: int) -> None:
        connection.wait([sentinel])
        os._exit(PARENT_GONE)

    threading.Thread(target=watch, args=(parent.sentinel,), name="summit-parent-watch",
                     daemon=True).start()


class _PoolContext(context.ForkServerContext):
    """The forkserver start method, with processes that never run the main module."""

    Process = _PoolProcess
