"""What a sweep costs on top of the runs it is made of, on one core and two, and in memory.

Three measures of issue 5, each a ratio within one run of this script, on the shipped baseline:

- **throughput**: the shipped ``credibility-growth`` sweep (a Latin hypercube) at 256 variants,
  with one worker and with two (target: two workers at least 1.8 times as fast);
- **overhead**: the one-worker sweep against a plain loop of ``sim.run`` over the same variants,
  each built with ``Scenario.with_values`` and run with the seed the sweep gives it (target: the
  sweep at most 10% slower); the sweep adds the journal, the tables and the process pool;
- **memory**: peak resident memory of the process running the sweep, for 256 and for 2,048
  variants, each in a fresh subprocess (target: flat, taken as within 10%).

Run as ``python benchmarks/bench_sweep.py [--draws 2000] [--json]``; needs two free cores.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sim
from sim.resources import scenarios_dir
from sim.sweeps.designs import variant_seed
from sim.sweeps.spec import SweepSpec

SPEEDUP_TARGET = 1.8
OVERHEAD_TARGET = 0.10
MEMORY_TARGET = 0.10

#: The shipped example sweep (adjustment and growth on a Latin hypercube), run at the benchmark's
#: own number of variants and draws.
SWEEP = scenarios_dir() / "sweeps" / "credibility-growth.toml"

# Run in a fresh interpreter: the sweep, then the peak resident memory of this process in KiB.
_PEAK = """
import resource, sys
import sim
sim.sweep(sys.argv[1], out=sys.argv[2], workers=2)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_sweep(folder: Path, samples: int, draws: int) -> Path:
    """A sweep file of ``samples`` variants of ``draws`` draws, in ``folder``."""
    path = folder / f"sweep-{samples}-{draws}.toml"
    text = SWEEP.read_text(encoding="utf-8")
    for key, value in (("samples", samples), ("draws", draws)):
        text = re.sub(rf"(?m)^{key} = \d+", f"{key} = {value}", text, count=1)
    path.write_text(text, encoding="utf-8")
    return path


def timed_sweep(path: Path, out: Path, workers: int) -> float:
    """Seconds to run the sweep at ``path`` into the new folder ``out``."""
    start = time.perf_counter()
    sim.sweep(path, out=out, workers=workers)
    return time.perf_counter() - start


def plain_loop(spec: SweepSpec) -> float:
    """Seconds to run the sweep's variants one by one with ``sim.run``, nothing else."""
    start = time.perf_counter()
    for index, values in enumerate(spec.variants()):
        sim.run(spec.base.with_values(values), draws=spec.draws,
                seed=variant_seed(spec.seed, index))
    return time.perf_counter() - start


def peak_memory_kib(path: Path, out: Path) -> int:
    """Peak resident memory (KiB) of a fresh process running the sweep at ``path``."""
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path), str(out)], check=True,
                          capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def measure(draws: int) -> dict[str, object]:
    """The three measures; times in seconds, memory in MiB."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        path = write_sweep(folder, 256, draws)
        spec = SweepSpec.from_file(path)
        timed_sweep(write_sweep(folder, 8, draws), folder / "warm-up", 2)  # pool, caches
        plain_s = plain_loop(spec)
        one_s = timed_sweep(path, folder / "one", 1)
        two_s = timed_sweep(path, folder / "two", 2)
        tables = [(folder / name / "results.csv").read_bytes() for name in ("one", "two")]
        same = tables[0] == tables[1]
        # Memory: few draws per variant, so that the number of variants is what varies.
        small = peak_memory_kib(write_sweep(folder, 256, 200), folder / "m256")
        large = peak_memory_kib(write_sweep(folder, 2048, 200), folder / "m2048")
    speedup, overhead, growth = one_s / two_s, one_s / plain_s - 1.0, large / small - 1.0
    return {
        "variants": 256, "draws": draws,
        "plain_loop_s": plain_s, "sweep_1_worker_s": one_s, "sweep_2_workers_s": two_s,
        "speedup_2_workers": speedup, "speedup_met": speedup >= SPEEDUP_TARGET,
        "overhead": overhead, "overhead_met": overhead <= OVERHEAD_TARGET,
        "peak_mib_256": small / 1024, "peak_mib_2048": large / 1024,
        "memory_growth": growth, "memory_met": growth <= MEMORY_TARGET,
        "identical_across_workers": same,
    }


def _met(flag: object) -> str:
    return "met" if flag else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000, help="draws per variant")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    m = measure(args.draws)
    if args.json:
        print(json.dumps(m, indent=2))
        return
    print(f"sweep of {m['variants']} variants x {m['draws']:,} draws of the baseline (lhs)")
    print(f"  plain loop of sim.run      {m['plain_loop_s']:7.2f} s")
    print(f"  sweep, 1 worker            {m['sweep_1_worker_s']:7.2f} s")
    print(f"  sweep overhead             {m['overhead']:7.1%}   target <= "
          f"{OVERHEAD_TARGET:.0%}: {_met(m['overhead_met'])}")
    print(f"  sweep, 2 workers           {m['sweep_2_workers_s']:7.2f} s")
    print(f"  2-worker speed-up          {m['speedup_2_workers']:7.2f}x  target >= "
          f"{SPEEDUP_TARGET}x: {_met(m['speedup_met'])}")
    print(f"  peak memory, 256 variants  {m['peak_mib_256']:7.1f} MiB (200 draws each)")
    print(f"  peak memory, 2048 variants {m['peak_mib_2048']:7.1f} MiB")
    print(f"  memory growth              {m['memory_growth']:7.1%}   target <= "
          f"{MEMORY_TARGET:.0%}: {_met(m['memory_met'])}")
    print(f"  tables identical across workers: {'yes' if m['identical_across_workers'] else 'NO'}")


if __name__ == "__main__":
    main()
