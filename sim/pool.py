"""How a process pool's processes start, for a run on several cores and for a sweep.

Each process is a fork of a fork server: a clean process (not a fork of whatever threads the caller
runs) that has imported the engine once and, for a sweep, run it on a few draws
(:func:`start_server`). Unlike with the standard ``forkserver`` start method, a process started
here does not run the caller's main module again. With the standard method, a script that calls
``sim.run(..., workers=2)`` at its top level, without an ``if __name__ == "__main__":`` guard, ran
again in every pool process and tried to start a pool there, which broke the pool; and a main
module read from standard input (``python - < script.py``) could not be run again at all. A pool
here runs only this package's functions on this package's objects, so it needs nothing from the
main module.

A pool process dies with the process that started it: a thread of its own waits on the pipe
whose write end only that process holds (:func:`multiprocessing.parent_process`'s sentinel),
and ends the pool process when it closes. Without it, a ``kill -9`` of ``summit`` left its pool
processes counting draws no one would read, then blocked forever.

A pool process runs the same ``sim`` as its caller. The fork server is this module's own (not
the standard library's, which any other user of the ``forkserver`` start method in the caller's
process shares), and it imports its preloads with the caller's ``sys.path``. Python 3.11 starts
the standard server with ``python -c``, so its ``sys.path`` began with its working directory,
the caller's, and ignored the caller's path: a caller working in a folder holding another package
named ``sim`` (an older checkout, a worktree) got pool processes that silently ran that other
code. As a second guard, each pool process compares the file of the ``sim`` it runs with its
caller's before it runs anything, and the caller raises a :class:`~sim.errors.WorkerError`
naming both if they differ.

A pool whose work fails ends every process it started (:meth:`PoolContext.executor`). When a
pool process dies, ``concurrent.futures`` ends the pool's other processes and waits for them;
but it ends only those it knows of, and a process it was starting for a task submitted at that
moment (it starts one a task, up to its size) became known just after: the pool then waited for
it for ever, and so did the caller leaving the pool's ``with`` block. A kill of one process of a
three-worker run, as it started, hung the run this way about one time in six.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import multiprocessing
import os
import socket
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import (
    connection,
    context,
    forkserver,
    popen_forkserver,
    reduction,
    resource_tracker,
    spawn,
    util,
)
from typing import Any

from sim.errors import WorkerError

#: What a new process would be told about the caller's main module, to run it again.
_MAIN_MODULE_KEYS = ("init_main_from_path", "init_main_from_name")


def pool_context(preload: list[str]) -> PoolContext:
    """The multiprocessing context of a pool: processes forked from a server that has imported
    the modules ``preload``, and that never run the main module."""
    pool = PoolContext()
    pool.set_forkserver_preload(preload)
    return pool


def start_server(preload: list[str], warm_up: str | None = None) -> None:
    """Start the pools' fork server now, importing the modules ``preload``, unless it runs;
    ``warm_up`` (``"module:function"``) is called there first, to fill caches that every
    process forked from the server then starts with.

    A pool made later in this process forks its processes from it at once; otherwise the
    pool's first task starts the server, and waits while it imports the engine (~0.4 s). A
    caller that will make a pool calls this first, so that the server starts on another core
    while the caller goes on with its own work. The server's preloads are those of the first
    start in a process; the warm-up is this start's only, so that a server started again later
    (for a run's pool, after this one died) does not run a sweep's.
    """
    _server.set_forkserver_preload(preload)
    _server.warm_up = warm_up
    try:
        _server.ensure_running()
    finally:
        _server.warm_up = None


def _serve(listener: int, alive: int, preload: list[str], warm_up: str | None) -> None:
    """The fork server's main: the standard one (``multiprocessing.forkserver.main``), once
    ``warm_up`` has been called."""
    if warm_up:
        module, _, function = warm_up.partition(":")
        # A head start only, silent: whatever fails or warns here does so again in the pool
        # process that needs it, and is reported there.
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(importlib.import_module(module), function)()
    forkserver.main(listener, alive, preload)


class _PoolServer(forkserver.ForkServer):
    """The pools' fork server: the standard library's, started with the caller's ``sys.path``.

    Only the start differs from ``ForkServer.ensure_running``, which offers no say in the
    server's command line: the server runs the standard ``forkserver.main`` (which serves the
    standard protocol, and ignores the ``sys_path`` it is given), after setting ``sys.path`` to
    the caller's (``-P`` keeps the working directory out of it until then) and calling the
    warm-up, if one was given (:func:`start_server`).
    """

    # The standard ForkServer's state, private and so not in its type stubs.
    _lock: threading.Lock
    _preload_modules: list[str]
    _forkserver_address: str | None
    _forkserver_alive_fd: int | None
    _forkserver_pid: int | None
    #: What the server calls before it serves, while start_server starts it; else None.
    warm_up: str | None = None

    def ensure_running(self) -> None:
        with self._lock:
            resource_tracker.ensure_running()
            if self._forkserver_pid is not None:
                if os.waitpid(self._forkserver_pid, os.WNOHANG)[0] == 0:
                    return  # still serving
                if self._forkserver_alive_fd is not None:  # it died: start another
                    os.close(self._forkserver_alive_fd)
                self._forkserver_address = self._forkserver_alive_fd = self._forkserver_pid = None
            self._start()

    def _start(self) -> None:
        """Start the server process; it exits once no process holds the write end of its
        "alive" pipe (this one and every process it forked hold one)."""
        command = ("import sys; sys.path[:] = {path!r}; "
                   "from sim.pool import _serve; "
                   "_serve({listener}, {alive}, {preload!r}, {warm_up!r})")
        with socket.socket(socket.AF_UNIX) as listener:
            # arbitrary_address and _args_from_interpreter_flags are multiprocessing's own,
            # private and so not in its type stubs.
            address = connection.arbitrary_address("AF_UNIX")  # type: ignore[attr-defined]
            listener.bind(address)
            if not util.is_abstract_socket_namespace(address):
                os.chmod(address, 0o600)
            listener.listen()
            alive_r, alive_w = os.pipe()
            try:
                executable = spawn.get_executable()
                # The caller's interpreter flags that a child should share (-O, -W, ...).
                flags = util._args_from_interpreter_flags()  # type: ignore[attr-defined]
                args = [executable, *flags, "-P", "-c",
                        command.format(path=sys.path, listener=listener.fileno(),
                                       alive=alive_r, preload=self._preload_modules,
                                       warm_up=self.warm_up)]
                pid = util.spawnv_passfds(os.fsencode(executable), args,
                                          [listener.fileno(), alive_r])
            except BaseException:
                os.close(alive_w)
                raise
            finally:
                os.close(alive_r)
        self._forkserver_address = address
        self._forkserver_alive_fd = alive_w
        self._forkserver_pid = pid


#: The pools' fork server, one for the process (as the standard library's is).
_server = _PoolServer()


def _caller_sim() -> str:
    """The real path of the file of the ``sim`` this process runs."""
    return os.path.realpath(sys.modules["sim"].__file__ or "")


class _PoolPopen(popen_forkserver.Popen):
    """Starts one pool process from the fork server, telling it nothing of the main module.

    This follows the fork server's protocol (see ``ForkServer.connect_to_new_process``): ask
    the server for a new process, write it the pickled preparation data and process object,
    read back its pid. The preparation data are the standard ones
    (``multiprocessing.spawn.get_preparation_data``: sys.path, the working directory, the
    authentication key, ...) less the keys that make the new process run the main module. The
    process object carries the file of this process's ``sim`` and a pipe on which the new
    process says, as it unpickles the object, whether it runs another
    (:meth:`_PoolProcess._check_sim`).
    """

    def _launch(self, process_obj: Any) -> None:
        preparation = spawn.get_preparation_data(process_obj._name)
        for key in _MAIN_MODULE_KEYS:
            preparation.pop(key, None)
        verdict_r, verdict_w = os.pipe()
        with open(verdict_r, "rb", closefd=True) as verdict:
            try:
                process_obj._caller_sim = _caller_sim()
                process_obj._verdict = self.duplicate_for_child(verdict_w)
                pickled = io.BytesIO()
                # While this is set, pickling the pool's locks and counters hands their file
                # descriptors to duplicate_for_child, which sends them with the request below.
                context.set_spawning_popen(self)
                try:
                    reduction.dump(preparation, pickled)
                    reduction.dump(process_obj, pickled)
                except OSError as error:
                    # The pool's queues were closed under it: another of its processes died
                    # just as this one was asked for, and the pool, broken, is ending.
                    raise BrokenProcessPool(f"the pool broke as it started a process ({error})"
                                            ) from error
                finally:
                    context.set_spawning_popen(None)
                # _fds and util.close_fds are multiprocessing's own (Popen.duplicate_for_child
                # fills the list), private and so not in its type stubs.
                self.sentinel, to_child = _server.connect_to_new_process(
                    self._fds)  # type: ignore[attr-defined]
            finally:
                os.close(verdict_w)  # sent: the new process holds the only copy left
            # The new process learns that this one has gone when its copy of the write end of
            # the pipe is the last one open: keep one for as long as this object lives.
            parent_alive = os.dup(to_child)
            self.finalizer = util.Finalize(self, util.close_fds,  # type: ignore[attr-defined]
                                           (parent_alive, self.sentinel))
            with open(to_child, "wb", closefd=True) as stream:
                stream.write(pickled.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)
            # Nothing before end-of-file: the same sim, or a process that died before it could
            # tell (the pool sees that death as any other).
            problem = verdict.read().decode("utf-8", "replace")
        if problem:
            raise WorkerError(problem)


class _PoolProcess(context.ForkServerProcess):
    """A pool process, started by :class:`_PoolPopen`, that dies with its parent."""

    #: Set by :class:`_PoolPopen`: the real path of the file of the caller's ``sim``, and the
    #: index among the fork server's inherited descriptors of the pipe to tell it a difference.
    _caller_sim: str
    _verdict: int

    @staticmethod
    def _Popen(process_obj: Any) -> _PoolPopen:
        return _PoolPopen(process_obj)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt by a function that checks the sim first. A process whose sim is another
        # version of this package, one without the function, fails to rebuild and ends, rather
        # than running that code and keeping the parent waiting for its word.
        return _checked_process, (type(self), self.__dict__)

    def run(self) -> None:
        _die_with_parent()
        super().run()

    def _check_sim(self) -> None:
        """Tell the parent whether this process runs the same ``sim`` as it does; end the
        process, quietly, if not (the parent raises the error)."""
        running = _caller_sim()
        problem = ("" if running == self._caller_sim else
                   f"a pool process runs sim from {running}, not from {self._caller_sim} as "
                   "the process that started it does (did sys.path change after sim was "
                   "imported?): start again, with sys.path finding the one sim to run")
        inherited = forkserver.get_inherited_fds()
        assert inherited is not None  # a pool process is started by the fork server
        with open(inherited[self._verdict], "wb", closefd=True) as stream:
            stream.write(problem.encode("utf-8"))
        if problem:
            raise SystemExit(OTHER_SIM)


def _checked_process(kind: type[_PoolProcess], state: dict[str, Any]) -> _PoolProcess:
    """In a new pool process: its process object, once it has checked its ``sim``."""
    process = kind.__new__(kind)
    process.__dict__.update(state)
    process._check_sim()
    return process


#: The exit status of a pool process whose parent has gone.
PARENT_GONE = 70
#: The exit status of a pool process that runs another sim than its parent's.
OTHER_SIM = 71


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


class PoolContext(context.ForkServerContext):
    """The forkserver start method, on this module's fork server, with processes that never run
    the main module; it keeps the processes it made, to end them if their pool's work fails."""

    def __init__(self) -> None:
        super().__init__()
        self._made: weakref.WeakSet[_PoolProcess] = weakref.WeakSet()

    # A method where the standard context has a class: a pool only calls it, and so the context
    # learns of each process as it is made, before the pool starts it.
    def Process(self, *args: Any, **kwargs: Any) -> _PoolProcess:  # type: ignore[override]
        """A new pool process, not yet started."""
        process = _PoolProcess(*args, **kwargs)
        self._made.add(process)
        return process

    def set_forkserver_preload(self, module_names: list[str]) -> None:
        # The standard one sets the preloads of the standard library's server.
        _server.set_forkserver_preload(module_names)

    @contextlib.contextmanager
    def executor(self, processes: int, initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = ()) -> Iterator[ProcessPoolExecutor]:
        """A pool of up to ``processes`` processes of this context, shut down on leaving; if
        the work in the ``with`` block raises, every process of this context still running is
        ended first, so that the shutdown cannot wait on one the pool did not know to end.

        Whoever submits to the pool from another thread must have finished submitting before
        the error leaves the block: a process is made while a task is submitted.
        """
        with ProcessPoolExecutor(max_workers=processes, mp_context=self,
                                 initializer=initializer, initargs=initargs) as pool:
            try:
                yield pool
            except BaseException:
                self.end_processes()
                raise

    def end_processes(self) -> None:
        """End (SIGTERM) every process of this context that is still running."""
        for process in list(self._made):
            if process.is_alive():
                process.terminate()
