"""Executors: where a sweep's variants run, behind one interface.

An :class:`Executor` calls one function on many tasks and yields the results as they finish, in
any order; the sweep puts the rows back in index order, so its table is the same whatever the
executor or the number of workers. :class:`ProcessPool` runs the tasks on processes of this
machine (or in this process, for one worker); :class:`Dask` runs them on a Dask cluster, the one
at a scheduler's address or a local one (:func:`local_cluster`). :func:`executor` chooses one by
the name a user gives (``summit sweep --executor``).
"""

from __future__ import annotations

import functools
import itertools
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from sim.errors import OptionError, WorkerError
from sim.limits import workers_problem
from sim.pool import pool_context, start_server

if TYPE_CHECKING:
    from distributed import LocalCluster

Result = TypeVar("Result")


class Executor(Protocol):
    """Runs ``function(*task)`` for each task, yielding the results as they finish."""

    #: The name that chooses it (``--executor``).
    name: ClassVar[str]

    def map_unordered(self, function: Callable[..., Result], tasks: Iterable[Sequence[Any]],
                      lost: Callable[..., Result] | None = None,
                      shared: Sequence[Any] = ()) -> Iterator[Result]:
        """The result of ``function(*shared, *task)`` for each task, in the order they finish;
        at most a few tasks per worker are in flight, so memory stays flat however many there
        are. ``shared``, the arguments every task begins with (a sweep's base scenario), need
        not travel with every task. A task whose process dies is run again once; if it dies
        again its result is ``lost(*shared, *task)`` (without ``lost``, a WorkerError)."""
        ...

    def prepare(self, function: Callable[..., Any],
                warm_up: Callable[[], object] | None = None) -> None:
        """Start getting ready, in the background, to run ``function`` on tasks, the caller
        going on with its own work meanwhile; ``warm_up``, a function of no arguments at the
        top level of a module, may be called where the workers start, to fill the caches they
        start with (nothing to do for some executors)."""
        ...

    def describe(self) -> str:
        """Where the tasks run, for the sweep's log: ``executor=NAME scheduler=...``."""
        ...


class ProcessPool:
    """Tasks on ``workers`` processes of this machine, one task each at a time: this process
    and a pool of ``workers - 1``, as a run's blocks are counted (:mod:`sim.montecarlo`).

    This process takes a task whenever the pool has two batches a process in flight, and
    yields the pool's results between its own. It starts at once, with its caches warm, while
    the pool's processes start; and its work of handing out tasks and writing their results is
    done between its own tasks, not taken from the pool's cores.

    A pool process that dies (killed, or out of memory) breaks the pool: the tasks it had in
    flight are run again in a new pool, each on its own, so that a task whose process dies
    again is the one that kills it; that task's result is then ``lost(*shared, *task)``. A task
    that kills this process ends the work, as on one worker (a sweep then resumes).

    The ``shared`` arguments go to each pool process once, when it starts, and every task it
    runs gets those same objects: pickling a sweep's base with each of its variants cost this
    process ~0.5 ms of CPU a variant.
    """

    name: ClassVar[str] = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map_unordered(self, function: Callable[..., Result], tasks: Iterable[Sequence[Any]],
                      lost: Callable[..., Result] | None = None,
                      shared: Sequence[Any] = ()) -> Iterator[Result]:
        if self.workers == 1:
            for task in tasks:
                yield function(*shared, *task)
            return
        _check_importable(function)
        from concurrent.futures.process import BrokenProcessPool

        context = pool_context(_preload(function))
        queue: Iterator[Sequence[Any]] = iter(tasks)
        suspects: list[Sequence[Any]] = []  # in flight when a process died: to run alone
        if lost is not None:
            lost = functools.partial(lost, *shared)
        for _ in range(_MOST_BREAKS):
            try:
                with context.executor(self.workers - 1, initializer=_hold,
                                      initargs=(tuple(shared),)) as pool:
                    yield from _alone(pool, function, suspects, lost)
                    yield from self._beside_pool(pool, function, queue, suspects, shared)
                return
            except BrokenProcessPool:
                continue  # a new pool, for the suspects and the rest
        raise WorkerError(f"pool processes died {_MOST_BREAKS} times (killed, or out of "
                          "memory); the work cannot finish: run it again, with fewer workers "
                          "if memory is short")

    def prepare(self, function: Callable[..., Any],
                warm_up: Callable[[], object] | None = None) -> None:
        """Start the pools' fork server (beyond one worker): it imports the engine and calls
        ``warm_up`` on another core while the caller reads its sweep file and makes its design
        (SciPy's import alone takes ~0.7 s), instead of after, while the pool's first
        variants wait for it."""
        if self.workers > 1:
            named = None if warm_up is None else f"{warm_up.__module__}:{warm_up.__qualname__}"
            start_server(_preload(function), named)

    def _beside_pool(self, pool: ProcessPoolExecutor, function: Callable[..., Result],
                     queue: Iterator[Sequence[Any]], suspects: list[Sequence[Any]],
                     shared: Sequence[Any]) -> Iterator[Result]:
        """Run the queue's tasks on ``pool``, at most two batches a pool process in flight, and
        in this process whenever the pool has its fill; if the pool breaks, its tasks not
        finished go to ``suspects`` and the pool's error is raised."""
        pending: dict[Future[list[Result]], list[Sequence[Any]]] = {}
        in_flight = 2 * (self.workers - 1)
        # Taken from the queue, not yet pending: the pool's first batches, then each next one.
        taken: list[list[Sequence[Any]]] = [
            batch for batch in (list(itertools.islice(queue, BATCH)) for _ in range(in_flight))
            if batch]
        try:
            # Submitting makes the pool's processes, which waits until the fork server has
            # started (~0.4 s the first time in a process): a thread submits the first batches
            # while this process runs tasks at once. Leaving this block waits for that thread,
            # so an error reaches the pool's block once every process is made (see
            # PoolContext.executor).
            with ThreadPoolExecutor(max_workers=1) as starter:
                starting = starter.submit(_submit_each, pool, function, taken, pending)
                while not starting.done():
                    task = next(queue, None)
                    if task is None:
                        break
                    yield function(*shared, *task)
                starting.result()  # a pool that broke as it started raises here
            while True:
                # The pool's finished batches are replaced as soon as this process sees them,
                # before it runs its next task: replaced after it, the pool process had only
                # its last batch to run meanwhile, and idled 43-312 ms in all over a 256-variant
                # 2-worker sweep.
                yield from _finished(pending, timeout=0.0)
                while len(pending) < in_flight:
                    batch = list(itertools.islice(queue, BATCH))
                    if not batch:
                        break
                    # A pool that broke since the last look refuses the batch: it stays in
                    # taken, and goes to the suspects with those in flight, not missing from
                    # the results.
                    taken.append(batch)
                    _submit_each(pool, function, taken, pending)
                task = next(queue, None)
                if task is None:
                    break
                yield function(*shared, *task)
            while pending:
                yield from _finished(pending)
        except BaseException:
            suspects.extend(task for batch in (*pending.values(), *taken) for task in batch)
            raise

    def describe(self) -> str:
        return f"executor={self.name} scheduler=local"


def _preload(function: Callable[..., Any]) -> list[str]:
    """What a pool's fork server imports to run ``function``: its module and the kernels', so
    that the pool's processes start with them (they never run the main module)."""
    from sim.spending.compiled import preload

    return [function.__module__, *preload()]


def _check_importable(function: Callable[..., Any]) -> None:
    """Refuse a function that a pool process cannot import by name, as it must to run it (a
    pool process never runs the caller's main module): otherwise every pool process died
    unpickling its first task, with a traceback, and the work ended as though a task had
    killed its process twice."""
    target = function
    while isinstance(target, functools.partial):
        target = target.func
    module = getattr(target, "__module__", None)
    name = getattr(target, "__qualname__", "")
    found: Any = sys.modules.get(module or "")
    for part in name.split("."):
        found = getattr(found, part, None)
    if module == "__main__" or found is None:
        raise OptionError(f"function: a process pool runs only functions its processes can "
                          f"import by name, and {name or target!r} is not one (defined in "
                          f"{module or 'no module'}): define it at the top level of a module")


#: Most times a pool may break in one sweep before the work is given up.
_MOST_BREAKS = 20
#: Tasks a pool process is handed at a time. Its results and its next tasks pass through this
#: process's threads, which wait for the interpreter's lock while this process runs a task of
#: its own: handed one task at a time, the pool process of a 2-worker sweep idled between them
#: and ran 100 of its 256 variants, to this process's 156.
BATCH = 2

#: In a pool process: the shared arguments of the tasks it runs (see ProcessPool).
_HELD: tuple[Any, ...] = ()


def _hold(shared: tuple[Any, ...]) -> None:
    """In a pool process, as it starts: keep the tasks' ``shared`` arguments."""
    global _HELD
    _HELD = shared


def _with_held(function: Callable[..., Result], batch: list[Sequence[Any]]) -> list[Result]:
    """In a pool process: ``function`` called on each task of ``batch``, with the arguments
    held and the task's."""
    return [function(*_HELD, *task) for task in batch]


def _submit_each(pool: ProcessPoolExecutor, function: Callable[..., Result],
                 taken: list[list[Sequence[Any]]], pending: dict[Future[list[Result]], Any]
                 ) -> None:
    """Submit the batches ``taken`` to ``pool`` in order, moving each into ``pending`` once
    submitted: one the pool refuses stays in ``taken``, with those after it."""
    while taken:
        pending[pool.submit(_with_held, function, taken[0])] = taken[0]
        del taken[0]


def _finished(pending: dict[Future[list[Result]], Any], timeout: float | None = None
              ) -> Iterator[Result]:
    """Wait for a batch of ``pending`` to finish (at most ``timeout`` seconds); yield the
    results of those finished, removing them (a batch whose process died stays in ``pending``
    and the pool's error is raised)."""
    finished, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
    for future in finished:
        results = future.result()  # a broken pool raises here, with the batch still pending
        del pending[future]
        yield from results


def _alone(pool: ProcessPoolExecutor, function: Callable[..., Result],
           suspects: list[Sequence[Any]], lost: Callable[..., Result] | None
           ) -> Iterator[Result]:
    """Run each suspect on its own: one whose process dies again is ``lost``, the pool's error
    raised; each that finishes leaves the suspects."""
    from concurrent.futures.process import BrokenProcessPool

    while suspects:
        task = suspects[0]
        try:
            result, = pool.submit(_with_held, function, [task]).result()
        except BrokenProcessPool:
            suspects.pop(0)
            if lost is None:
                raise WorkerError(f"a pool process died twice running task {task!r} (killed, "
                                  "or out of memory)") from None
            yield lost(*task)
            raise
        suspects.pop(0)
        yield result



class Dask:
    """Tasks on the Dask cluster at ``scheduler`` (``tcp://host:port``), or on a local cluster
    of ``workers`` processes on loopback when no address is given.

    The ``shared`` arguments travel with every task: a Dask task costs several times the ~20 kB
    of a pickled base anyway, and a copy scattered to the workers once would die with the
    workers that hold it, failing the tasks that need it instead of running them again.
    """

    name: ClassVar[str] = "dask"

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        self.workers = workers
        self.scheduler = scheduler

    def prepare(self, function: Callable[..., Any],
                warm_up: Callable[[], object] | None = None) -> None:
        """Nothing: the cluster is reached, or a local one started, by :meth:`map_unordered`."""

    def map_unordered(self, function: Callable[..., Result], tasks: Iterable[Sequence[Any]],
                      lost: Callable[..., Result] | None = None,
                      shared: Sequence[Any] = ()) -> Iterator[Result]:
        # Imported here: Dask is needed only by those who use it, and it is slow to import.
        from distributed import Client, KilledWorker, as_completed

        cluster = None if self.scheduler else local_cluster(self.workers)
        try:
            with Client(self.scheduler or cluster) as client:
                in_flight = 2 * max(len(client.scheduler_info()["workers"]), 1)
                queue = iter(tasks)

                submitted: dict[Any, Sequence[Any]] = {}  # future -> its task

                def submit(task: Sequence[Any]) -> Any:
                    # pure=False: the key is fresh for each submission, never a cached result.
                    future = client.submit(function, *shared, *task, pure=False)
                    submitted[future] = task
                    return future

                finished = as_completed([submit(t) for t in itertools.islice(queue, in_flight)])
                for future in finished:
                    task = submitted.pop(future)
                    try:
                        result = future.result()
                    except KilledWorker:
                        # Dask has run it again on other workers already, and they died too.
                        if lost is None:
                            raise WorkerError(f"Dask workers died running task {task!r} "
                                              "(killed, or out of memory)") from None
                        result = lost(*shared, *task)
                    yield result
                    future.release()
                    following = next(queue, None)
                    if following is not None:
                        finished.add(submit(following))
        finally:
            if cluster is not None:
                cluster.close()

    def describe(self) -> str:
        return f"executor={self.name} scheduler={self.scheduler or 'local'}"


#: The names that choose an executor.
EXECUTORS = (ProcessPool.name, Dask.name)


def executor(name: str, workers: int, scheduler: str | None = None) -> Executor:
    """The executor called ``name`` with ``workers`` workers; only Dask takes a ``scheduler``
    address, which must answer as a Dask scheduler (:func:`reach_scheduler`). A name or an
    option it cannot take is an OptionError."""
    if name not in EXECUTORS:
        raise OptionError(f"executor: must be one of {', '.join(EXECUTORS)}, got {name!r}")
    problem = workers_problem(workers)
    if problem is not None:
        raise OptionError(f"workers: {problem}")
    if name == Dask.name:
        if scheduler is not None:
            reach_scheduler(scheduler)
        return Dask(workers, scheduler)
    if scheduler is not None:
        raise OptionError("scheduler: only the dask executor takes a scheduler address")
    return ProcessPool(workers)


def local_cluster(workers: int) -> LocalCluster:
    """A Dask cluster of ``workers`` one-thread processes on loopback, without a dashboard, on
    ports the system picks: two sweeps, or a sweep beside a notebook's cluster, never collide."""
    from distributed import LocalCluster

    # The scheduler serves HTTP (health and metrics) even with its dashboard off, and
    # ``dashboard_address=None`` means its default port 8787: with 8787 taken, by a notebook's
    # cluster or another sweep, Dask warns and moves, and where warnings are errors it fails.
    # Port 0 lets the system pick a free port; ``dashboard=False`` overrides the dashboard
    # LocalCluster turns on for any address. Nannies and workers take port 0 when given none.
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", scheduler_port=0, dashboard_address="127.0.0.1:0",
                        worker_dashboard_address=None, scheduler_kwargs={"dashboard": False})


#: Longest wait, in seconds, for a Dask scheduler to answer before a sweep starts.
SCHEDULER_SECONDS = 10.0


def reach_scheduler(address: str) -> None:
    """Check that a Dask scheduler answers at ``address`` (``tcp://host:port``) within
    :data:`SCHEDULER_SECONDS`, or raise an OptionError saying why, before a sweep touches its
    folder.

    Dask's own client waits for ever on a server that accepts the connection but never speaks
    Dask, and retries a closed port for 30 s before a traceback: the check here asks the
    scheduler who it is, with one deadline for the connection and the answer.
    """
    import asyncio

    parts = urllib.parse.urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    where = f"--scheduler: {address}"
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
        raise OptionError(f"{where}: must be tcp://host:port, a scheduler's address and port")

    async def identity() -> Any:
        from distributed.comm import connect

        comm = await connect(parts.geturl(), timeout=SCHEDULER_SECONDS)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    try:
        answer = asyncio.run(asyncio.wait_for(identity(), SCHEDULER_SECONDS))
    except TimeoutError:
        raise OptionError(f"{where}: no Dask scheduler answered within {SCHEDULER_SECONDS:g} s "
                          "(is it a Dask scheduler's address?)") from None
    except OSError as err:
        # Dask words a closed port as a time-out too: "Timed out trying to connect ...".
        reason = " ".join(str(err).split()) or type(err).__name__
        raise OptionError(f"{where}: cannot be reached: {reason}") from None
    except Exception as err:  # a server that is not Dask may answer anything
        raise OptionError(f"{where}: did not answer as a Dask scheduler "
                          f"({type(err).__name__})") from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise OptionError(f"{where}: answered, but not as a Dask scheduler")
