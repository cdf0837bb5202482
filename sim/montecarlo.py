"""Monte Carlo over blocks of draws, on one core or a process pool, reproducibly.

The unit of seeding is a block of ``block_size`` draws: block ``b`` draws from
``default_rng(SeedSequence(seed, spawn_key=(b,)))``, which is the ``b``-th child that
``SeedSequence(seed).spawn`` would give. A block's draws depend only on the seed, its index and
its size, and tallies merge exactly, so a run's results are bit-identical for any number of
workers and any grouping of blocks into tasks.

A scenario with an ``[aid]`` table also runs the aid model on every block, from a stream of its
own: ``SeedSequence(seed, spawn_key=(b, 1))``, so adding aid never changes the spending draws;
each mechanism of the spending model that is on draws from ``(b, STREAM)``, its own stream
(:mod:`sim.mechanisms`; threat events ``(b, 2)``).

A pool's processes start from a fork server that has imported the engine, and never import the
caller's main module: a script that calls :func:`run` with ``workers=2`` at its top level, with
no ``if __name__ == "__main__":`` guard, from standard input or in a notebook, runs as it would
on one core (:func:`sim.pool.pool_context`).

Runs that share their random numbers, as a sweep's variants do (common random numbers,
:mod:`sim.sweeps.sweep`), may pass one :class:`SharedDraws` to :func:`run`: it keeps each
block's standard normals of SPEC 3.1 and 3.2 (:func:`sim.spending.inputs.sample_draws`), which
depend only on the seed, the block and the block's shape, and lends them to every later run of
the same seed and shape instead of drawing them again, with one workspace for all the runs; so
too the draws of a mechanism that declares them a function of their shape only
(``SHAPE_ONLY_DRAWS``: threat events), and the normals of one whose draws are its parameters'
transform of normals (``normals`` and ``from_normals``: commitment's credibilities), which each
run transforms with its own terms. The numbers are the same as drawn afresh, so a run's results
never depend on what ran before it. Aid's draws (a donor's reliability and delivered share) are
drawn for each run, from the same streams.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from sim.draw_outcomes import DrawRecorder
from sim.errors import OptionError, WorkerError
from sim.limits import draws_problem, workers_problem
from sim.mechanisms import MECHANISMS
from sim.results import Results
from sim.scenario import Scenario
from sim.spending.engine import Paths, simulate
from sim.spending.inputs import Draws, ModelInputs, sample_draws, sample_mechanisms
from sim.spending.tally import PackedTally, ProbabilityTally, Tally
from sim.workspace import Workspace

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized

    from sim.aid.tally import AidTally
    from sim.pool import PoolContext
    from sim.scenario.aid import AidModel

#: Draws per seeding block. Part of the reproducibility contract: changing it changes results.
DEFAULT_BLOCK_SIZE = 4096
#: Aid engines by ``--engine`` name, each its module's ``simulate``; both take the same sampled
#: inputs (SPEC 3.3). Imported when a scenario has aid: the event engine needs SimPy.
AID_ENGINES = {"vector": "sim.aid.vector", "event": "sim.aid.event"}


def aid_engine(name: str) -> Callable[..., Any]:
    """The ``simulate`` function of the aid engine called ``name`` (a key of AID_ENGINES)."""
    return importlib.import_module(AID_ENGINES[name]).simulate


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block``: the block-th child of ``SeedSequence(seed)``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


def aid_generator(seed: int, block: int) -> np.random.Generator:
    """The aid model's generator for block ``block``, apart from the spending model's."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 1)))


def mechanism_generator(seed: int, block: int, stream: int) -> np.random.Generator:
    """Block ``block``'s generator of the mechanism whose ``STREAM`` is ``stream``
    (:mod:`sim.mechanisms`): a stream apart from the spending model's and aid's."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, stream)))


class SharedDraws:
    """What one process keeps from a run to the next of runs that share their random numbers:
    each block's standard normals, the draws of each mechanism whose draws depend on their
    shape only (``SHAPE_ONLY_DRAWS``, threat events) and the normals of each that transforms
    normals by its terms (``normals``, commitment), by seed, block and shape, with the last
    run's transform of them; and one workspace.

    At most ``max_bytes`` of draws are kept; beyond that the block used longest ago is let go
    (and drawn again if asked for), so memory stays flat however many runs share them.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.workspace = Workspace()
        self._kept: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        #: By the key of kept normals: (those normals, the terms read, what was made of them).
        self._made: dict[tuple[int, ...], tuple[Any, Any, Any]] = {}
        self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes of draws kept now."""
        return self._bytes

    def normals(self, inputs: ModelInputs, seed: int, block: int, size: int) -> Draws:
        """Block ``block``'s standard normals (``size`` draws) of a run with ``seed``: those
        :func:`sample_draws` draws from :func:`block_generator`, kept from an earlier run of the
        same shape or drawn now. The caller must not write into them."""
        # New arrays, not the workspace's: they outlive the block.
        return self._kept_or((seed, block, size, inputs.n_steps, inputs.n_allies), lambda: (
            sample_draws(inputs, block_generator(seed, block), size)))

    def draws(self, inputs: ModelInputs, seed: int, block: int, size: int,
              workspace: Workspace) -> Draws:
        """Block ``block``'s draws, as :func:`block_paths` makes them without sharing: the kept
        normals, and each mechanism's that is on, kept when its draws depend on their shape
        only, made from its kept normals by this run's terms when it has them, else drawn now
        into ``workspace``. Valid until the next run's draws of the block."""
        drawn = self.normals(inputs, seed, block, size)
        steps, allies = inputs.n_steps, inputs.n_allies
        mechanisms = {}
        for mechanism in MECHANISMS:
            terms = inputs.mechanisms[mechanism.NAME]
            if mechanism.STREAM is None or terms is None:
                continue
            rng = functools.partial(mechanism_generator, seed, block, mechanism.STREAM)
            key = (seed, block, size, steps, allies, mechanism.STREAM)
            # The generator is made only when the draws are (seeding one costs ~50 us).
            if getattr(mechanism, "SHAPE_ONLY_DRAWS", False):
                mechanisms[mechanism.NAME] = self._kept_or(key, _drawing(
                    functools.partial(mechanism.sample, terms), rng, steps, size))
            elif hasattr(mechanism, "normals") and hasattr(mechanism, "from_normals"):
                # Its normals depend on their shape only; each run's terms transform them.
                normals = self._kept_or(key, _drawing(mechanism.normals, rng, steps, size,
                                                      allies))
                mechanisms[mechanism.NAME] = self._transformed(key, mechanism, terms, normals)
            else:
                mechanisms[mechanism.NAME] = mechanism.sample(terms, rng(), steps, size,
                                                              workspace)
        return attrs.evolve(drawn, mechanisms=mechanisms) if mechanisms else drawn

    def _transformed(self, key: tuple[int, ...], mechanism: Any, terms: Any,
                     normals: Any) -> Any:
        """``mechanism.from_normals(terms, normals)``: the last run's under ``key`` again when
        the terms it reads (``FROM_NORMALS_TERMS``) are the same to the bit, else made now into
        the last run's arrays, which no run reads after its block (no new memory a run)."""
        reads = getattr(mechanism, "FROM_NORMALS_TERMS", None)
        # Bytes and dtype tell apart what equality would not (-0.0 from 0.0).
        made_by = None if reads is None else tuple(
            (array.dtype.str, array.shape, array.tobytes())
            for array in (np.asarray(getattr(terms, name)) for name in reads))
        last = self._made.get(key)
        if last is not None and last[0] is normals and made_by is not None \
                and last[1] == made_by:
            return last[2]
        made = mechanism.from_normals(terms, normals, None if last is None else last[2])
        if last is None:
            self._bytes += _nbytes(made)
        self._made[key] = normals, made_by, made
        return made

    def _kept_or(self, key: tuple[int, ...], draw: Callable[[], Any]) -> Any:
        """The draws kept under ``key``, or ``draw()`` kept now (letting the oldest go, and
        what was made of it)."""
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        kept = self._kept[key] = draw()
        self._bytes += _nbytes(kept)
        while self._bytes > self.max_bytes and len(self._kept) > 1:
            gone_key, gone = self._kept.popitem(last=False)
            self._bytes -= _nbytes(gone)
            made = self._made.pop(gone_key, None)
            if made is not None:
                self._bytes -= _nbytes(made[2])
        return kept


def _drawing(draw: Callable[..., Any], rng: Callable[[], np.random.Generator],
             *args: Any) -> Callable[[], Any]:
    """``draw(rng(), *args)`` when called, its generator made then."""
    return lambda: draw(rng(), *args)


def _nbytes(drawn: Any) -> int:
    """Bytes of the arrays of a block's draws (:class:`Draws` or a mechanism's NamedTuple)."""
    fields = (attrs.astuple(drawn, recurse=False) if attrs.has(type(drawn)) else tuple(drawn))
    return sum(field.nbytes for field in fields if isinstance(field, np.ndarray))


def block_sizes(draws: int, block_size: int) -> list[int]:
    """Draws in each block: full blocks, then the remainder."""
    full, rest = divmod(draws, block_size)
    return [block_size] * full + ([rest] if rest else [])


def simulate_blocks(inputs: ModelInputs, seed: int, draws: int, block_size: int,
                    blocks: range, aid: AidModel | None = None, engine: str = "vector",
                    aid_allies: tuple[str, ...] = (), workspace: Workspace | None = None,
                    into: tuple[Tally, AidTally | None] | None = None,
                    record: DrawRecorder | None = None,
                    shared: SharedDraws | None = None) -> tuple[Tally, AidTally | None]:
    """Simulate and tally the given blocks of a run of ``draws`` draws (and their aid).

    Every block reuses the memory of ``workspace``, a new one if not given. The counts go into
    the tallies ``into`` (its aid tally when ``aid`` is given), or into new ones; they are
    returned. ``record`` keeps each block's per-draw outcomes, if given. With ``shared``, the
    blocks' standard normals come from it (the same numbers).
    """
    sizes = block_sizes(draws, block_size)
    workspace = Workspace() if workspace is None else workspace
    if into is None:
        into = Tally.empty(inputs), _aid_tally(aid, aid_allies)
    tally, aid_tally = into
    if aid is not None:
        # Here: a run without aid never imports them.
        from sim.aid.core import add_on_top
        from sim.aid.sampling import sample_aid

        simulate_aid = aid_engine(engine)
    for block in blocks:
        paths = block_paths(inputs, seed, block, sizes[block], workspace, shared)
        if aid is None:
            alliance = tally.add(inputs, paths, workspace)
            if record is not None:
                record.add(block, inputs, paths, alliance)
            continue
        # Aid runs on the block's spending paths: budget lines follow each draw's GDP, and
        # aid counted on top of the defence plans adds to the core share the tally counts.
        aid_draws = sample_aid(aid, aid_generator(seed, block), sizes[block], inputs, paths)
        outcome = simulate_aid(aid, aid_draws)
        if aid.counts_toward_core == "on_top":
            add_on_top(aid, outcome, inputs, paths)
        alliance = tally.add(inputs, paths, workspace)
        assert aid_tally is not None  # made with the aid model: _aid_tally
        aid_tally.add(aid, aid_draws, outcome, aid_allies, inputs, paths, alliance)
        if record is not None:
            record.add(block, inputs, paths, alliance, (aid, aid_draws, outcome))
    return tally, aid_tally


def block_paths(inputs: ModelInputs, seed: int, block: int, size: int,
                workspace: Workspace | None = None, shared: SharedDraws | None = None) -> Paths:
    """The spending paths of block ``block`` (``size`` draws) of a run with ``seed``; its
    standard normals from ``shared`` when given."""
    workspace = Workspace() if workspace is None else workspace
    if shared is not None:
        return simulate(inputs, shared.draws(inputs, seed, block, size, workspace), workspace)
    drawn = sample_draws(inputs, block_generator(seed, block), size, workspace)
    drawn = sample_mechanisms(inputs, drawn, functools.partial(mechanism_generator, seed,
                                                               block), workspace)
    return simulate(inputs, drawn, workspace)


def _aid_tally(aid: AidModel | None, aid_allies: tuple[str, ...]) -> AidTally | None:
    """An empty aid tally for a scenario with aid, else None."""
    if aid is None:
        return None
    from sim.aid.tally import AidTally

    return AidTally.empty(aid, aid_allies)


def _tasks(n_blocks: int, blocks_per_task: int | None) -> list[range]:
    """Consecutive blocks grouped into tasks, one block each by default.

    On one core the tasks run in order and the progress bar moves once a task; on a pool the
    workers claim tasks one after another (see :func:`_count`), so small tasks leave no worker
    idle while another finishes a long one.
    """
    size = 1 if blocks_per_task is None else _check_positive("blocks_per_task", blocks_per_task)
    return [range(start, min(start + size, n_blocks)) for start in range(0, n_blocks, size)]


def _check_positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(f"{name}: must be a positive whole number, got {value!r}")
    return int(value)


def run(scenario: Scenario, *, draws: int = 20_000, seed: int = 0, workers: int = 1,
        block_size: int = DEFAULT_BLOCK_SIZE, blocks_per_task: int | None = None,
        progress: bool = False, engine: str = "vector", per_draw: bool = False,
        shared: SharedDraws | None = None, distributions: bool = True) -> Results:
    """Simulate ``draws`` draws of ``scenario`` and return aggregated :class:`Results`.

    ``workers`` processes count blocks: this one and, beyond one, a process pool.
    ``blocks_per_task`` groups blocks into tasks (default: one block a task); it never changes
    the results. ``progress`` shows a bar on a terminal or in a Jupyter notebook. ``engine``
    picks the aid engine, ``"vector"`` or ``"event"`` (same results, the event engine is the
    slow readable reference). ``per_draw`` also keeps the per-draw outcomes of the headline
    measures (:mod:`sim.draw_outcomes`), for comparisons that pair two runs' draws. ``shared``
    (one worker only) lends the standard normals kept from earlier runs and its workspace
    (:class:`SharedDraws`); it never changes the results. ``distributions`` false counts the
    probabilities alone (:class:`~sim.spending.tally.ProbabilityTally`: the same counts, sooner),
    and the results then refuse the share bands, shortfalls and first years.
    """
    draws = _check_positive("draws", draws)
    workers = _check_positive("workers", workers)
    block_size = _check_positive("block_size", block_size)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise OptionError(f"seed: must be a whole number >= 0, got {seed!r}")
    if engine not in AID_ENGINES:
        raise OptionError(f"engine: must be one of {', '.join(AID_ENGINES)}, got {engine!r}")
    check_size(draws, workers, block_size)
    if shared is not None and workers != 1:
        raise OptionError(f"shared: draws are shared on one worker only, got workers={workers}")
    inputs = ModelInputs.from_scenario(scenario)
    aid = scenario.aid
    # Allies whose aid counts inside their core spending (SPEC 3.2), when the scenario says so.
    aid_allies = () if aid is None or not aid.counts_in_core else tuple(
        sorted({p.donor for p in aid.pledges} & set(inputs.codes)))
    tasks = _tasks(len(block_sizes(draws, block_size)), blocks_per_task)

    if not isinstance(distributions, bool):
        raise OptionError(f"distributions: must be true or false, got {distributions!r}")
    kind = Tally if distributions else ProbabilityTally
    tally, aid_tally = kind.empty(inputs), _aid_tally(aid, aid_allies)
    record = DrawRecorder.for_run(inputs, aid, draws) if per_draw else None
    bar = progress_bar(draws, "draw", scenario.name) if progress else None
    try:
        for counted in _count(inputs, int(seed), draws, block_size, tasks, workers,
                              (aid, engine, aid_allies), (tally, aid_tally), record, shared):
            if bar is not None:
                bar.update(counted)
    finally:
        if bar is not None:
            bar.close()
    outcomes = None if record is None else record.outcomes(int(seed), block_size, tally,
                                                           aid_tally)
    return Results(scenario=scenario, inputs=inputs, tally=tally, seed=int(seed),
                   block_size=block_size, aid_tally=aid_tally, aid_allies=aid_allies,
                   draw_outcomes=outcomes)


def check_size(draws: int, workers: int, block_size: int = DEFAULT_BLOCK_SIZE) -> None:
    """Refuse a run of more draws or workers than :mod:`sim.limits` allows (an OptionError
    saying the limit and the estimated cost), before any task list is built."""
    problem = draws_problem(draws, workers, block_size)
    if problem is not None:
        raise OptionError(f"draws: {problem}")
    problem = workers_problem(workers)
    if problem is not None:
        raise OptionError(f"workers: {problem}")


def progress_bar(total: int, unit: str, desc: str | None = None,
                 iterable: Iterable[Any] | None = None) -> Any:
    """A progress bar of ``total`` ``unit``s (over ``iterable`` if given) on a terminal or in a
    Jupyter notebook; None elsewhere.

    :mod:`tqdm.auto` draws a widget in a notebook and text on a terminal. Where there is
    neither, as when standard error is a file or a pipe, there is no bar and tqdm is not
    imported (it takes ~45 ms).
    """
    if not (sys.stderr.isatty() or "ipykernel" in sys.modules):
        return None
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, unit=unit, leave=False, desc=desc)


def _count(inputs: ModelInputs, seed: int, draws: int, block_size: int,
           tasks: list[range], workers: int,
           aid: tuple[AidModel | None, str, tuple[str, ...]],
           into: tuple[Tally, AidTally | None],
           record: DrawRecorder | None = None, shared: SharedDraws | None = None
           ) -> Iterator[int]:
    """Count the tasks' blocks into the tallies ``into`` (their per-draw outcomes into
    ``record``, if given); yield draws counted since the last yield, as they are counted.
    ``shared`` lends normals and a workspace on one worker."""
    sizes = block_sizes(draws, block_size)
    if workers == 1:
        # One workspace and the run's own tallies for all tasks: on one core they follow one
        # another, and a tally per block would cost ~10 MB to zero and to merge every block.
        workspace = Workspace() if shared is None else shared.workspace
        for blocks in tasks:
            simulate_blocks(inputs, seed, draws, block_size, blocks, *aid, workspace=workspace,
                            into=into, record=record, shared=shared)
            yield sum(sizes[block] for block in blocks)
        return
    from concurrent.futures.process import BrokenProcessPool

    from sim.pool import pool_context  # here: a run on one core needs no pool
    from sim.spending.compiled import preload

    context = pool_context(["sim.montecarlo", *preload()])
    try:
        yield from _count_on_pool(inputs, seed, draws, block_size, tasks, workers, aid, into,
                                  context, record)
    except BrokenProcessPool:
        # A process that died took its share of the counts with it: the run cannot finish.
        raise WorkerError("a pool process died (killed, or out of memory) before the run "
                          "finished; nothing was written: run again, with fewer --workers if "
                          "memory is short") from None


def _count_on_pool(inputs: ModelInputs, seed: int, draws: int, block_size: int,
                   tasks: list[range], workers: int,
                   aid: tuple[AidModel | None, str, tuple[str, ...]],
                   into: tuple[Tally, AidTally | None], context: PoolContext,
                   record: DrawRecorder | None = None) -> Iterator[int]:
    """:func:`_count` on a pool of ``workers - 1`` processes of ``context`` and this one."""
    from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

    # Every process, this one and the pool's, claims task after task from a shared counter
    # until none is left, counting them all into one tally: each stays busy to the end whatever
    # its speed, and a pool process ships one tally back. Which process counts a block never
    # changes the merged counts.
    counters = context.Value("q", 0), context.Value("q", 0)  # tasks claimed, draws counted
    with context.executor(workers - 1, initializer=_join_pool, initargs=counters) as pool:
        # Submitting starts the pool's processes, which waits until the fork server has
        # imported the engine (a second or two in a new process): a thread submits, while this
        # process starts counting at once, into the run's own tallies (no shipping for those).
        # Leaving this block waits for that thread, so that an error reaches the pool's block
        # once every process is made (see PoolContext.executor).
        with ThreadPoolExecutor(max_workers=1) as starter:
            def stop() -> None:
                # The pool failed: this one stops claiming tasks after the block in hand, so
                # the error surfaces now, not after it has counted the rest alone, and without
                # waiting on a lock that a dead process may hold for ever.
                failed.set()
                _stop_claims(counters[0], len(tasks))

            def stop_on_error(job: Future[Any]) -> None:
                if job.cancelled() or job.exception() is not None:  # failed or died
                    stop()

            def start() -> list[Future[Any]]:
                try:
                    jobs = [pool.submit(_pool_job, inputs, seed, draws, block_size, tasks, aid,
                                        record is not None, into[0].distributions)
                            for _ in range(workers - 1)]
                except BaseException:  # cannot start: another sim, or the pool broke as it started
                    stop()
                    raise
                for job in jobs:
                    job.add_done_callback(stop_on_error)
                return jobs

            failed = threading.Event()
            submitting = starter.submit(start)
            shown = 0
            try:
                for now in _claim_and_count(inputs, seed, draws, block_size, tasks, aid,
                                            counters, Workspace(), into, record, failed):
                    yield now - shown
                    shown = now
            except BaseException:
                # An error or an interrupt here: the pool stops after the blocks in hand.
                _stop_claims(counters[0], len(tasks))
                raise
            jobs = submitting.result()
        while not all(job.done() for job in jobs):
            wait(jobs, timeout=0.2, return_when=FIRST_EXCEPTION)
            if any(job.done() and job.exception() is not None for job in jobs):
                break
            now = counters[1].value
            yield now - shown
            shown = now
        parts = [job.result() for job in jobs]
    for part in parts:
        _merge(part, into, record)
    yield draws - shown


def _claim_and_count(inputs: ModelInputs, seed: int, draws: int, block_size: int,
                     tasks: list[range], aid: tuple[AidModel | None, str, tuple[str, ...]],
                     counters: tuple[Synchronized, Synchronized], workspace: Workspace,
                     into: tuple[Tally, AidTally | None],
                     record: DrawRecorder | None = None,
                     failed: threading.Event | None = None) -> Iterator[int]:
    """Claim tasks from the shared ``counters`` (tasks claimed, draws counted) until none is
    left, counting each into ``into``; after each, yield the draws counted by all processes.
    Once ``failed`` is set (a pool process failed or died) it stops, even while it waits for
    a counter's lock: a pool process killed while it held the lock never releases it."""
    claimed, counted = counters
    sizes = block_sizes(draws, block_size)
    while True:
        if not _acquire(claimed, failed):
            return
        try:
            task = claimed.value
            claimed.value += 1
        finally:
            claimed.get_lock().release()
        if task >= len(tasks):
            return
        simulate_blocks(inputs, seed, draws, block_size, tasks[task], *aid, workspace=workspace,
                        into=into, record=record)
        if not _acquire(counted, failed):
            return
        try:
            counted.value += sum(sizes[block] for block in tasks[task])
            now = counted.value
        finally:
            counted.get_lock().release()
        yield now


#: Seconds between looks at whether the pool failed, while a process waits for a counter's lock.
LOCK_POLL = 0.2


def _acquire(counter: Synchronized, failed: threading.Event | None) -> bool:
    """Take ``counter``'s lock and return True; or False, without it, once ``failed`` is set."""
    lock = counter.get_lock()
    while not lock.acquire(timeout=LOCK_POLL):
        if failed is not None and failed.is_set():
            return False
    return True


def _stop_claims(claimed: Synchronized, n_tasks: int) -> None:
    """Mark every task claimed, so that no process claims another; given up if the lock is not
    free within a second (then a dead process holds it: the pool is broken, and ended)."""
    lock = claimed.get_lock()
    if lock.acquire(timeout=1.0):
        try:
            claimed.value = n_tasks
        finally:
            lock.release()


#: The pool's shared counters, in each pool process: tasks claimed so far, and draws counted.
_pool_counters: tuple[Synchronized, Synchronized] | None = None


def _join_pool(claimed: Synchronized, counted: Synchronized) -> None:
    """Pool process initializer: keep the shared counters."""
    global _pool_counters
    _pool_counters = claimed, counted


def _pool_job(inputs: ModelInputs, seed: int, draws: int, block_size: int, tasks: list[range],
              aid: tuple[AidModel | None, str, tuple[str, ...]], per_draw: bool = False,
              distributions: bool = True
              ) -> tuple[PackedTally, AidTally | None, DrawRecorder | None]:
    """A pool process's job: claim and count tasks until none is left; pack the tally (and
    keep its blocks' per-draw outcomes if ``per_draw``), counting the distributions too if
    ``distributions``."""
    model, _, aid_allies = aid
    assert _pool_counters is not None  # set by _join_pool, the pool's initializer
    into = (Tally if distributions else ProbabilityTally).empty(inputs), _aid_tally(model,
                                                                                     aid_allies)
    record = DrawRecorder.for_run(inputs, model, draws) if per_draw else None
    for _ in _claim_and_count(inputs, seed, draws, block_size, tasks, aid, _pool_counters,
                              Workspace(), into, record):
        pass
    tally, aid_tally = into
    return tally.pack(), aid_tally, record


def _merge(part: tuple[PackedTally, AidTally | None, DrawRecorder | None],
           into: tuple[Tally, AidTally | None], record: DrawRecorder | None = None) -> int:
    """Add a task's tallies (and per-draw outcomes) to the run's; return the task's draws."""
    (tally, aid_tally), (part_tally, part_aid, part_record) = into, part
    tally.merge(part_tally)
    if aid_tally is not None and part_aid is not None:
        aid_tally.merge(part_aid)
    if record is not None and part_record is not None:
        record.merge(part_record)
    return part_tally.draws

