"""How long the commands a planner types first take, against what Python cannot avoid doing.

Each command runs in a fresh interpreter, as from a shell, and is timed against a reference
that does only the work it cannot do without:

- ``summit validate scenarios/baseline.toml`` against ``python -c "import numpy, click, attrs"``,
  the libraries that reading and checking a scenario needs (target: at most 3 times as long);
- ``summit run`` at its default 20,000 draws against a minimal NumPy script that draws the same
  random numbers the same way: the same ``SeedSequence`` blocks of ``DEFAULT_BLOCK_SIZE`` draws,
  the same generator calls into arrays made once and reused, as
  :func:`sim.spending.inputs.sample_draws`, :func:`sim.mechanisms.commitment.normals` (the
  credibilities' normals) and :func:`sim.mechanisms.threat.sample` draw them, and nothing else
  (target: at most 2 times as long). Its numbers are checked equal to those the engine draws,
  block by block, before the timing: a reference that draws other numbers measures nothing, and
  the benchmark stops, saying so.

``summit --version`` is timed too, for reference. The commands run as ``python -m sim`` (the
``summit`` script imports the same modules). Each is timed as the CPU time of its process, user
plus system, which another process on the machine disturbs less than the wall-clock time (also
shown). Every repetition runs all commands in turn, after one untimed run of each (which fills
the file cache and, after an edit, Numba's cache), and the best of ``--repeats`` is kept; the
one-minute load average before and after is printed with the figures.

Run as ``python benchmarks/bench_startup.py [--repeats 7] [--json]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import sim
from sim.mechanisms import MECHANISMS
from sim.montecarlo import DEFAULT_BLOCK_SIZE, block_generator, block_sizes, mechanism_generator
from sim.spending.inputs import ModelInputs, sample_draws
from sim.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "baseline"
DRAWS = 20_000  # summit run's default
SEED = 0  # summit run's default
REPEATS = 7
VALIDATE_TARGET = 3.0  # validate / import numpy, click, attrs
RUN_TARGET = 2.0  # summit run / the same random numbers in plain NumPy

#: The reference of ``summit run``: its random numbers, drawn block by block as a run draws them
#: (with ``check`` as its argument, it prints each block's digest instead of nothing).
RNG_SCRIPT = """\
import sys

import numpy as np

seed, draws, block_size, steps, allies = {seed}, {draws}, {block_size}, {steps}, {allies}
commitment_on, threat_on = {commitment_on}, {threat_on}
full, rest = divmod(draws, block_size)
sizes = [block_size] * full + ([rest] if rest else [])
common = np.empty(steps * block_size)
shocks = np.empty(3 * steps * block_size * allies)  # growth, core, related
threat = np.empty(steps * block_size)
jump = np.empty(steps * block_size * allies)
factor = np.empty(block_size)
own = np.empty(block_size * allies)
for block, size in enumerate(sizes):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    drawn = [common[:steps * size].reshape(steps, size),
             *shocks[:3 * steps * size * allies].reshape(3, steps, size, allies)]
    for out in drawn:
        rng.standard_normal(out=out)
    if commitment_on:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 3)))
        drawn += [factor[:size], own[:size * allies].reshape(size, allies)]
        rng.standard_normal(out=drawn[-2])
        rng.standard_normal(out=drawn[-1])
    if threat_on:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 2)))
        drawn += [threat[:steps * size].reshape(steps, size),
                  jump[:steps * size * allies].reshape(steps, size, allies)]
        rng.random(out=drawn[-2])
        rng.standard_normal(out=drawn[-1])
    if sys.argv[1:] == ["check"]:
        import hashlib
        print(hashlib.sha256(b"".join(a.tobytes() for a in drawn)).hexdigest())
"""


def rng_script(inputs: ModelInputs, draws: int = DRAWS) -> str:
    """The reference script for a run of ``draws`` draws of the scenario laid out as
    ``inputs``."""
    drawing = {mechanism.NAME for mechanism in MECHANISMS if mechanism.STREAM is not None
               and inputs.mechanisms[mechanism.NAME] is not None}
    if drawing - {"commitment", "threat"}:
        raise ValueError(f"the reference script does not draw for {sorted(drawing)}")
    return RNG_SCRIPT.format(seed=SEED, draws=draws, block_size=DEFAULT_BLOCK_SIZE,
                             steps=inputs.n_steps, allies=inputs.n_allies,
                             commitment_on=inputs.mechanisms["commitment"] is not None,
                             threat_on=inputs.mechanisms["threat"] is not None)


def engine_digests(inputs: ModelInputs, draws: int = DRAWS) -> list[str]:
    """Each block's digest of the numbers a run draws, in this process, as the script prints:
    its standard normals, then each mechanism's draws in the order of ``MECHANISMS`` (the
    credibilities' normals, which the run transforms)."""
    digests, workspace = [], Workspace()
    steps, allies = inputs.n_steps, inputs.n_allies
    for block, size in enumerate(block_sizes(draws, DEFAULT_BLOCK_SIZE)):
        block_draws = sample_draws(inputs, block_generator(SEED, block), size, workspace)
        drawn = [block_draws.common, block_draws.growth, block_draws.core, block_draws.related]
        for mechanism in MECHANISMS:
            terms = inputs.mechanisms[mechanism.NAME]
            if mechanism.STREAM is None or terms is None:
                continue
            rng = mechanism_generator(SEED, block, mechanism.STREAM)
            # What a mechanism that transforms its normals (SharedDraws keeps them) draws.
            if hasattr(mechanism, "normals"):
                drawn += mechanism.normals(rng, steps, size, allies, workspace)
            else:
                drawn += mechanism.sample(terms, rng, steps, size, workspace)
        digests.append(hashlib.sha256(b"".join(a.tobytes() for a in drawn)).hexdigest())
    return digests


def timed(command: list[str]) -> tuple[float, float]:
    """CPU time (user + system) and wall-clock time of ``command`` in a new process, seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=_environment(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def _environment() -> dict[str, str]:
    # This checkout's package first, whatever is installed.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def commands(inputs: ModelInputs) -> dict[str, list[str]]:
    """The timed commands by name."""
    python, summit = sys.executable, [sys.executable, "-m", "sim"]
    return {
        "import numpy, click, attrs": [python, "-c", "import numpy, click, attrs"],
        "summit validate": [*summit, "validate", f"scenarios/{SCENARIO}.toml"],
        "summit --version": [*summit, "--version"],
        "NumPy: the run's random numbers": [python, "-c", rng_script(inputs)],
        "summit run": [*summit, "run", SCENARIO, "--draws", str(DRAWS), "--seed", str(SEED)],
    }


def measure(repeats: int) -> dict[str, object]:
    """Best CPU and wall-clock time of each command over ``repeats`` rounds; and the ratios."""
    inputs = ModelInputs.from_scenario(sim.load_scenario(SCENARIO))
    checked = subprocess.run([sys.executable, "-c", rng_script(inputs), "check"], cwd=ROOT,
                             env=_environment(), check=True, capture_output=True, text=True)
    if checked.stdout.split() != engine_digests(inputs):
        raise SystemExit("bench_startup: the reference script draws other numbers than a run "
                         "draws: fix RNG_SCRIPT before timing it")
    timed_commands = commands(inputs)
    load_before = os.getloadavg()[0]
    for command in timed_commands.values():
        timed(command)
    cpu: dict[str, list[float]] = {name: [] for name in timed_commands}
    wall: dict[str, list[float]] = {name: [] for name in timed_commands}
    for _ in range(repeats):
        for name, command in timed_commands.items():
            seconds_cpu, seconds_wall = timed(command)
            cpu[name].append(seconds_cpu)
            wall[name].append(seconds_wall)
    best_cpu = {name: min(times) for name, times in cpu.items()}
    best_wall = {name: min(times) for name, times in wall.items()}
    validate_ratio = best_cpu["summit validate"] / best_cpu["import numpy, click, attrs"]
    run_ratio = best_cpu["summit run"] / best_cpu["NumPy: the run's random numbers"]
    return {
        "scenario": SCENARIO,
        "draws": DRAWS,
        "block_size": DEFAULT_BLOCK_SIZE,
        "repeats": repeats,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "cpu_s": best_cpu,
        "wall_s": best_wall,
        "validate_ratio": validate_ratio,
        "validate_target": VALIDATE_TARGET,
        "validate_met": validate_ratio <= VALIDATE_TARGET,
        "validate_ratio_wall": (best_wall["summit validate"]
                                / best_wall["import numpy, click, attrs"]),
        "run_ratio": run_ratio,
        "run_target": RUN_TARGET,
        "run_met": run_ratio <= RUN_TARGET,
        "run_ratio_wall": best_wall["summit run"] / best_wall["NumPy: the run's random numbers"],
    }


def _met(flag: object) -> str:
    return "met" if flag else "NOT met"


def render(figures: dict[str, object]) -> str:
    """The figures as a short plain-text table."""
    f = figures
    cpu, wall = f["cpu_s"], f["wall_s"]
    lines = [f"start-up, best of {f['repeats']} (one-minute load {f['load_before']:.2f} before, "
             f"{f['load_after']:.2f} after); {f['scenario']}, {f['draws']:,} draws",
             f"  {'command':<34} {'CPU s':>7} {'wall s':>7}"]
    lines += [f"  {name:<34} {cpu[name]:7.3f} {wall[name]:7.3f}" for name in cpu]
    lines += [
        f"  validate / import numpy, click, attrs  {f['validate_ratio']:5.2f} "
        f"(wall {f['validate_ratio_wall']:.2f})   target <= {f['validate_target']}: "
        f"{_met(f['validate_met'])}",
        f"  run / NumPy drawing its numbers        {f['run_ratio']:5.2f} "
        f"(wall {f['run_ratio_wall']:.2f})   target <= {f['run_target']}: "
        f"{_met(f['run_met'])}",
        "  the reference draws the run's numbers: yes (checked block by block)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help="rounds of timing")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats: must be a positive whole number, got {args.repeats}")
    figures = measure(args.repeats)
    print(json.dumps(figures, indent=2) if args.json else render(figures))


if __name__ == "__main__":
    main()
