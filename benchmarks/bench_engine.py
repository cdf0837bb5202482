"""How far the spending engine is from the cost of its own random numbers, on one core and two.

The engine's floor is the time NumPy takes to draw the standard normals it consumes: every draw
of every ally-year needs three of them (growth, core and related noise) plus one common growth
factor per draw-year (and, when the scenario enables threat events, a uniform per draw-year and
a normal jump per ally-year), and nothing the engine does can make them cheaper without changing
the results. This script times, in one process and one run, the best of five repetitions of each
(on a shared 2-core VM single repetitions of the pool run vary by 10-20%):

- **RNG**: the same normals drawn the same way as a run, block by block (``DEFAULT_BLOCK_SIZE``
  draws, a ``default_rng`` per block from the run's seed, the shapes and order of
  :func:`sim.spending.inputs.sample_draws` and each mechanism's ``sample``), and nothing else;
- **engine**: ``sim.montecarlo.run`` on the shipped baseline scenario with ``workers=1``, which
  draws those normals, simulates the paths and tallies them (in the compiled loops of
  :mod:`sim.spending.kernels`, compiled or loaded from Numba's cache before the timing starts);
- **engine, 2 workers**: the same run counted by two processes (this one and a pool of one),
  pool start-up included.

It reports ratios rather than judging absolute times, because absolute times depend on the
machine, its load and the NumPy build, while the ratio engine/RNG measures only what the engine
adds on top of work it cannot avoid (target: at most 1.5, i.e. simulating and tallying cost at
most half of the drawing), and the ratio of one-worker to two-worker time measures how well the
blocks spread over cores (target: close to 2, taken as at least 1.8). Ally-years per second is
given for scale. The two runs' tallies are compared too: a speed-up that changed the results
would not count. For reference, not as a target, it also times the random numbers alone drawn by
two processes side by side, each half of them: what two cores of this machine give work that
has no overhead at all, at that moment (on a shared VM it varies from run to run, and no engine
scales better).

The four are timed in turn within each repetition, after one short untimed run of each, so that
a passing slowdown of the machine tends to hit all of them, and so that all meet the process in
the same state: modules imported, the pool's server started, and the memory allocator grown to
the size a run needs (the first blocks of a process pay for fresh pages; later ones reuse them).

Run as ``python benchmarks/bench_engine.py [--draws 200000] [--json]``; needs two free cores for
a meaningful speed-up.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import attrs
import numpy as np

import sim
from sim.montecarlo import (
    DEFAULT_BLOCK_SIZE,
    block_generator,
    block_sizes,
    mechanism_generator,
    run,
)
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms
from sim.spending.tally import Tally
from sim.workspace import Workspace

SCENARIO = "baseline"
SEED = 20250625  # any fixed seed; the work done does not depend on it
REPEATS = 5
RATIO_TARGET = 1.5  # engine time / RNG time, one core
SPEEDUP_TARGET = 1.8  # one-worker time / two-worker time; 2.0 is perfect scaling

T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Wall-clock time of one call (seconds), and its result."""
    gc.collect()
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def draw_normals(inputs: ModelInputs, draws: int) -> int:
    """Draw a run's numbers block by block as the engine does, keeping none; return their count.

    The threat-event numbers (a uniform per draw-year and a normal jump per ally) are drawn too
    when the scenario enables threat events, from their own stream as the engine does. Into
    one workspace, block after block, as a run draws them: fresh arrays each block would add
    the cost of faulting their pages in, which a run does not pay (about 5% of the drawing).
    """
    normals = 0
    workspace = Workspace()
    for block, size in enumerate(block_sizes(draws, DEFAULT_BLOCK_SIZE)):
        drawn = sample_draws(inputs, block_generator(SEED, block), size, workspace)
        drawn = sample_mechanisms(inputs, drawn, functools.partial(mechanism_generator, SEED,
                                                                   block), workspace)
        normals += drawn.common.size + drawn.growth.size + drawn.core.size + drawn.related.size
        normals += sum(array.size for arrays in drawn.mechanisms.values() for array in arrays)
    return normals


def draw_normals_timed(inputs: ModelInputs, draws: int) -> float:
    """:func:`draw_normals`, timed inside the process that draws (seconds)."""
    return timed(lambda: draw_normals(inputs, draws))[0]


def rng_side_by_side(pool: ProcessPoolExecutor, inputs: ModelInputs, draws: int) -> float:
    """Wall-clock time of two processes of ``pool`` each drawing half of ``draws`` at once:
    the slower one's time, start-up excluded."""
    halves = [pool.submit(draw_normals_timed, inputs, part)
              for part in (draws // 2, draws - draws // 2)]
    return max(half.result() for half in halves)


def same_tally(a: Tally, b: Tally) -> bool:
    """Whether two tallies hold identical counts."""
    return a.draws == b.draws and all(
        np.array_equal(getattr(a, field.name), getattr(b, field.name))
        for field in attrs.fields(Tally)
    )


def measure(draws: int) -> dict[str, object]:
    """Time RNG, engine and two-worker engine on the baseline scenario; figures in seconds."""
    scenario = sim.load_scenario(SCENARIO)
    inputs = ModelInputs.from_scenario(scenario)
    warm_up = min(draws, 4 * DEFAULT_BLOCK_SIZE)
    draw_normals(inputs, warm_up)
    for workers in (1, 2):
        run(scenario, draws=warm_up, seed=SEED, workers=workers)
    # What two cores give NumPy's random numbers alone, for reference: on a shared VM the cores
    # do not always run at full speed side by side, and no engine can scale better than that.
    context = multiprocessing.get_context("forkserver")
    rng_times, engine_times, pool_times, side_by_side_times = [], [], [], []
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as reference:
        rng_side_by_side(reference, inputs, warm_up)
        for _ in range(REPEATS):
            side_by_side_times.append(rng_side_by_side(reference, inputs, draws))
            seconds, normals = timed(lambda: draw_normals(inputs, draws))
            rng_times.append(seconds)
            seconds, one = timed(lambda: run(scenario, draws=draws, seed=SEED, workers=1))
            engine_times.append(seconds)
            seconds, two = timed(lambda: run(scenario, draws=draws, seed=SEED, workers=2))
            pool_times.append(seconds)
    rng_s, engine_s, pool_s = min(rng_times), min(engine_times), min(pool_times)
    ratio = engine_s / rng_s
    speedup = engine_s / pool_s
    ally_years = draws * inputs.n_allies * inputs.n_steps
    return {
        "scenario": SCENARIO,
        "draws": draws,
        "allies": inputs.n_allies,
        "years": f"{inputs.years[0]}-{inputs.years[-1]}",
        "block_size": DEFAULT_BLOCK_SIZE,
        "repeats": REPEATS,
        "normals": normals,
        "rng_s": rng_s,
        "rng_ns_per_normal": rng_s / normals * 1e9,
        "engine_s": engine_s,
        "ratio": ratio,
        "ratio_target": RATIO_TARGET,
        "ratio_met": ratio <= RATIO_TARGET,
        "ally_years_per_s": ally_years / engine_s,
        "engine_2_workers_s": pool_s,
        "speedup_2_workers": speedup,
        "speedup_target": SPEEDUP_TARGET,
        "speedup_met": speedup >= SPEEDUP_TARGET,
        "rng_side_by_side_s": min(side_by_side_times),
        "rng_speedup_2_processes": rng_s / min(side_by_side_times),
        "identical_across_workers": same_tally(one.tally, two.tally),
    }


def _met(flag: object) -> str:
    return "met" if flag else "NOT met"


def render(figures: dict[str, object]) -> str:
    """The figures as a short plain-text table."""
    f = figures
    identical = "yes" if f["identical_across_workers"] else "NO"
    return "\n".join(
        [
            f"{f['scenario']}: {f['draws']:,} draws x {f['allies']} allies, {f['years']}, "
            f"blocks of {f['block_size']}, best of {f['repeats']}",
            f"  RNG alone          {f['rng_s']:8.3f} s   {f['normals']:,} normals, "
            f"{f['rng_ns_per_normal']:.1f} ns each",
            f"  engine, 1 worker   {f['engine_s']:8.3f} s   "
            f"{f['ally_years_per_s']:,.0f} ally-years/s",
            f"  engine / RNG       {f['ratio']:8.2f}     target <= {f['ratio_target']}: "
            f"{_met(f['ratio_met'])}",
            f"  engine, 2 workers  {f['engine_2_workers_s']:8.3f} s",
            f"  2-worker speed-up  {f['speedup_2_workers']:8.2f}x    target >= "
            f"{f['speedup_target']}x: {_met(f['speedup_met'])}",
            f"  for reference: RNG alone in 2 processes side by side, each drawing half: "
            f"{f['rng_side_by_side_s']:.3f} s, {f['rng_speedup_2_processes']:.2f}x",
            f"  results identical across workers: {identical}",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=200_000, help="draws per run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.draws < 1:
        parser.error(f"--draws: must be a positive whole number, got {args.draws}")
    figures = measure(args.draws)
    print(json.dumps(figures, indent=2) if args.json else render(figures))


if __name__ == "__main__":
    main()
