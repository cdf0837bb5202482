"""Monte Carlo over blocks of draws, on one core or a process pool, reproducibly.

The unit of seeding is a block of ``block_size`` draws: block ``b`` draws from
``default_rng(SeedSequence(seed, spawn_key=(b,)))``, which is the ``b``-th child that
``SeedSequence(seed).spawn`` would give. A block's draws depend only on the seed, its index and
its size, and tallies merge exactly, so a run's results are bit-identical for any number of
workers and any grouping of blocks into tasks.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import attrs
import numpy as np
from tqdm import tqdm

from .engine import simulate
from .errors import OptionError
from .inputs import ModelInputs, sample_shocks, sample_threat
from .results import Results
from .scenario import Scenario
from .tally import Tally

#: Draws per seeding block. Part of the reproducibility contract: changing it changes results.
DEFAULT_BLOCK_SIZE = 4096


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block``: the block-th child of ``SeedSequence(seed)``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


def threat_generator(seed: int, block: int) -> np.random.Generator:
    """Block ``block``'s generator of threat events: a stream apart from its other shocks."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 2)))


def block_sizes(draws: int, block_size: int) -> list[int]:
    """Draws in each block: full blocks, then the remainder."""
    full, rest = divmod(draws, block_size)
    return [block_size] * full + ([rest] if rest else [])


def simulate_blocks(inputs: ModelInputs, seed: int, draws: int, block_size: int,
                    blocks: range) -> Tally:
    """Simulate and tally the given blocks of a run of ``draws`` draws."""
    sizes = block_sizes(draws, block_size)
    tally = Tally.empty(inputs)
    for block in blocks:
        shocks = sample_shocks(inputs, block_generator(seed, block), sizes[block])
        if inputs.threat_enabled:
            threat, jump = sample_threat(inputs, threat_generator(seed, block), sizes[block])
            shocks = attrs.evolve(shocks, threat=threat, threat_jump=jump)
        tally.add(inputs, simulate(inputs, shocks))
    return tally


def _check_positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise OptionError(f"{name}: must be a positive whole number, got {value!r}")
    return int(value)


def run(scenario: Scenario, *, draws: int = 20_000, seed: int = 0, workers: int = 1,
        block_size: int = DEFAULT_BLOCK_SIZE, blocks_per_task: int | None = None,
        progress: bool = False) -> Results:
    """Simulate ``draws`` draws of ``scenario`` and return aggregated :class:`Results`.

    ``workers`` > 1 uses a process pool. ``blocks_per_task`` groups blocks into pool tasks
    (default: a few tasks per worker); it never changes the results. ``progress`` shows a bar
    on a terminal.
    """
    draws = _check_positive("draws", draws)
    workers = _check_positive("workers", workers)
    block_size = _check_positive("block_size", block_size)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise OptionError(f"seed: must be a whole number >= 0, got {seed!r}")
    inputs = ModelInputs.from_scenario(scenario)
    n_blocks = len(block_sizes(draws, block_size))
    if blocks_per_task is None:
        blocks_per_task = 1 if workers == 1 else max(1, math.ceil(n_blocks / (4 * workers)))
    blocks_per_task = _check_positive("blocks_per_task", blocks_per_task)
    tasks = [range(start, min(start + blocks_per_task, n_blocks))
             for start in range(0, n_blocks, blocks_per_task)]

    tally = Tally.empty(inputs)
    with tqdm(total=draws, unit="draw", disable=None if progress else True, leave=False,
              desc=scenario.name) as bar:
        for part in _tallies(inputs, int(seed), draws, block_size, tasks, workers):
            tally.merge(part)
            bar.update(part.draws)
    return Results(scenario=scenario, inputs=inputs, tally=tally, seed=int(seed),
                   block_size=block_size)


def _tallies(inputs: ModelInputs, seed: int, draws: int, block_size: int,
             tasks: list[range], workers: int) -> Iterator[Tally]:
    if workers == 1:
        for blocks in tasks:
            yield simulate_blocks(inputs, seed, draws, block_size, blocks)
        return
    # forkserver: workers start from a clean process with the engine imported, not a fork of
    # whatever threads the caller runs.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.montecarlo"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # At most two tasks per worker in flight: memory stays flat however many tasks there are.
        pending: list[Future[Tally]] = []
        for blocks in tasks:
            pending.append(pool.submit(simulate_blocks, inputs, seed, draws, block_size, blocks))
            if len(pending) >= 2 * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
