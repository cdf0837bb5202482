"""What a sweep costs against the runs it is made of, with and without common random numbers.

The measures of issue 18, each a ratio within one run of this script, on the shipped baseline:

- **sweep against one long run**: the shipped ``credibility-growth`` sweep (a Latin hypercube) at
  256 variants of 2,000 draws on one worker, with common random numbers (the default) and with
  ``independent = true``, against ``summit run --draws 512000 --workers 1``, the same number of
  simulated draws (target: the common-random-numbers sweep at most 0.5 times the run's time);
- **the example Sobol sweep** (``sensitivity.toml``, 1,536 variants; ``--quick``: 64 base
  samples, 384 variants) on one worker, common against independent at equal draws: the time
  ratio (target: at least 3 times as fast) and the mean width of the Sobol indices' 95%
  intervals (SALib's ``S1_conf``, ``ST_conf``) of ``alliance_meets_goal`` (target: no wider);
- **two workers** against one for the 256-variant sweep (target: at least 1.8 times as fast),
  and peak resident memory of a sweep process for 256 and for 2,048 variants, each in a fresh
  subprocess (target: flat, taken as within 10%);
- **precision per second**: for the baseline, the draws a 95% Wilson interval of +-0.005 on
  P(alliance meets goal) needs at the long run's estimate, and the time they take at the long
  run's measured time per draw (start-up included).

Run as ``python benchmarks/bench_sweep.py [--draws 2000] [--quick] [--json]``; needs two free
cores. On a shared machine quote the ratios (both sides of each ran under the same load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import sim
from sim.resources import scenarios_dir
from sim.statistics import wilson_interval
from sim.sweeps.sensitivity import sobol_indices

RUN_RATIO_TARGET = 0.5
SOBOL_SPEEDUP_TARGET = 3.0
SPEEDUP_TARGET = 1.8
MEMORY_TARGET = 0.10
#: Half-width of the 95% interval on P(alliance meets goal) that precision per second asks for.
HALF_WIDTH = 0.005

SWEEPS = scenarios_dir() / "sweeps"
#: The shipped Latin-hypercube sweep, run at the benchmark's own number of variants and draws.
LHS = SWEEPS / "credibility-growth.toml"
#: The shipped Sobol sweep: 256 base samples x (4 + 2) = 1,536 variants.
SOBOL = SWEEPS / "sensitivity.toml"
METRIC = "alliance_meets_goal"

# Run in a fresh interpreter: the sweep, then the peak resident memory of this process in KiB.
_PEAK = """
import resource, sys
import sim
sim.sweep(sys.argv[1], out=sys.argv[2], workers=2)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_sweep(source: Path, folder: Path, samples: int, draws: int,
                independent: bool = False) -> Path:
    """``source`` with ``samples`` and ``draws`` set (and ``independent = true``), in
    ``folder``."""
    kind = "independent" if independent else "common"
    path = folder / f"{source.stem}-{samples}-{draws}-{kind}.toml"
    text = source.read_text(encoding="utf-8")
    for key, value in (("samples", samples), ("draws", draws)):
        text = re.sub(rf"(?m)^{key} = \d+", f"{key} = {value}", text, count=1)
    if independent:
        text = text.replace("[sweep]\n", "[sweep]\nindependent = true\n", 1)
    path.write_text(text, encoding="utf-8")
    return path


def timed_sweep(path: Path, out: Path, workers: int) -> tuple[float, pd.DataFrame]:
    """Seconds to run the sweep at ``path`` into the new folder ``out``, and its table."""
    start = time.perf_counter()
    table = sim.sweep(path, out=out, workers=workers)
    return time.perf_counter() - start, table


def timed_run(draws: int, out: Path) -> tuple[float, float]:
    """Seconds for ``summit run --draws DRAWS --workers 1`` of the baseline (a fresh process,
    start-up included), and its P(alliance meets goal)."""
    env = {**os.environ, "PYTHONPATH": str(Path(sim.__file__).parents[1])}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run", "baseline", "--draws", str(draws),
                    "--workers", "1", "--out", str(out)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return seconds, float(summary["probabilities"][METRIC]["p"])


def draws_for_half_width(p: float, half_width: float = HALF_WIDTH) -> int:
    """Fewest draws whose 95% Wilson interval at estimate ``p`` is at most +-``half_width``."""
    def wide(n: int) -> bool:
        low, high = wilson_interval(round(p * n), n)
        return (high - low) / 2 > half_width

    low, high = 1, 1
    while wide(high):
        low, high = high, 2 * high
    while low < high:  # the interval narrows as the draws grow
        middle = (low + high) // 2
        low, high = (middle + 1, high) if wide(middle) else (low, middle)
    return high


def interval_width(table: pd.DataFrame, keys: list[str]) -> dict[str, float]:
    """Mean width of the S1 and ST intervals of :data:`METRIC` over the parameters."""
    frame = sobol_indices(table, keys, METRIC)
    return {name: float((frame[f"{name}_hi"] - frame[f"{name}_lo"]).mean())
            for name in ("S1", "ST")}


def peak_memory_kib(path: Path, out: Path) -> int:
    """Peak resident memory (KiB) of a fresh process running the sweep at ``path``."""
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path), str(out)], check=True,
                          capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def measure(draws: int, quick: bool) -> dict[str, object]:
    """The measures; times in seconds, memory in MiB."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        common = write_sweep(LHS, folder, 256, draws)
        independent = write_sweep(LHS, folder, 256, draws, independent=True)
        timed_sweep(write_sweep(LHS, folder, 8, draws), folder / "warm-up", 2)  # pool, caches
        run_s, p_goal = timed_run(256 * draws, folder / "run")
        common_s, one = timed_sweep(common, folder / "common", 1)
        independent_s, _ = timed_sweep(independent, folder / "independent", 1)
        two_s, two = timed_sweep(common, folder / "two", 2)
        same = one.equals(two)

        samples = 64 if quick else 256
        sobol_common_s, sobol_common = timed_sweep(write_sweep(SOBOL, folder, samples, draws),
                                                   folder / "sobol-common", 1)
        sobol_independent_s, sobol_independent = timed_sweep(
            write_sweep(SOBOL, folder, samples, draws, independent=True),
            folder / "sobol-independent", 1)
        keys = [p.key for p in sim.SweepSpec.from_file(SOBOL).parameters]
        width_common = interval_width(sobol_common, keys)
        width_independent = interval_width(sobol_independent, keys)

        # Memory: few draws per variant, so that the number of variants is what varies.
        small = peak_memory_kib(write_sweep(LHS, folder, 256, 200), folder / "m256")
        large = peak_memory_kib(write_sweep(LHS, folder, 2048, 200), folder / "m2048")
    needed = draws_for_half_width(p_goal)
    sobol_speedup = sobol_independent_s / sobol_common_s
    width_ratio = {name: width_common[name] / width_independent[name] for name in ("S1", "ST")}
    speedup, growth = common_s / two_s, large / small - 1.0
    return {
        "variants": 256, "draws": draws, "run_draws": 256 * draws,
        "run_1_worker_s": run_s,
        "sweep_common_1_worker_s": common_s, "sweep_independent_1_worker_s": independent_s,
        "common_to_run": common_s / run_s, "independent_to_run": independent_s / run_s,
        "run_ratio_met": common_s / run_s <= RUN_RATIO_TARGET,
        "sobol_variants": samples * (len(keys) + 2), "sobol_quick": quick,
        "sobol_common_s": sobol_common_s, "sobol_independent_s": sobol_independent_s,
        "sobol_speedup": sobol_speedup, "sobol_speedup_met": sobol_speedup >= SOBOL_SPEEDUP_TARGET,
        "sobol_width_common": width_common, "sobol_width_independent": width_independent,
        "sobol_width_ratio": width_ratio,
        "sobol_width_met": all(ratio <= 1.0 for ratio in width_ratio.values()),
        "sweep_2_workers_s": two_s, "speedup_2_workers": speedup,
        "speedup_met": speedup >= SPEEDUP_TARGET, "identical_across_workers": same,
        "peak_mib_256": small / 1024, "peak_mib_2048": large / 1024,
        "memory_growth": growth, "memory_met": growth <= MEMORY_TARGET,
        "p_alliance_meets_goal": p_goal, "draws_for_half_width": needed,
        "seconds_per_draw": run_s / (256 * draws),
        "seconds_for_half_width": needed * run_s / (256 * draws),
        "load_average": os.getloadavg(),
    }


def _met(flag: object) -> str:
    return "met" if flag else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000, help="draws per variant")
    parser.add_argument("--quick", action="store_true",
                        help="the Sobol sweep at 64 base samples (384 variants), not 256")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    m = measure(args.draws, args.quick)
    if args.json:
        print(json.dumps(m, indent=2))
        return
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in m['load_average'])}")
    print(f"sweep of {m['variants']} variants x {m['draws']:,} draws of the baseline (lhs), "
          f"1 worker, against one run of {m['run_draws']:,} draws")
    print(f"  summit run --workers 1        {m['run_1_worker_s']:7.2f} s")
    print(f"  sweep, common random numbers  {m['sweep_common_1_worker_s']:7.2f} s  "
          f"{m['common_to_run']:5.2f}x the run  target <= {RUN_RATIO_TARGET}x: "
          f"{_met(m['run_ratio_met'])}")
    print(f"  sweep, independent = true     {m['sweep_independent_1_worker_s']:7.2f} s  "
          f"{m['independent_to_run']:5.2f}x the run")
    print(f"Sobol sweep, {m['sobol_variants']:,} variants"
          f"{' (--quick)' if m['sobol_quick'] else ''}, 1 worker")
    print(f"  common random numbers         {m['sobol_common_s']:7.2f} s")
    print(f"  independent = true            {m['sobol_independent_s']:7.2f} s")
    print(f"  speed-up                      {m['sobol_speedup']:7.2f}x  target >= "
          f"{SOBOL_SPEEDUP_TARGET}x: {_met(m['sobol_speedup_met'])}")
    for name in ("S1", "ST"):
        print(f"  mean {name} interval width      common {m['sobol_width_common'][name]:.4f}, "
              f"independent {m['sobol_width_independent'][name]:.4f}: "
              f"{m['sobol_width_ratio'][name]:.2f}x")
    print(f"  intervals no wider with common random numbers: {_met(m['sobol_width_met'])}")
    print("two workers and memory (common random numbers)")
    print(f"  sweep, 2 workers              {m['sweep_2_workers_s']:7.2f} s")
    print(f"  2-worker speed-up             {m['speedup_2_workers']:7.2f}x  target >= "
          f"{SPEEDUP_TARGET}x: {_met(m['speedup_met'])}")
    print(f"  tables identical across workers: {'yes' if m['identical_across_workers'] else 'NO'}")
    print(f"  peak memory, 256 variants     {m['peak_mib_256']:7.1f} MiB (200 draws each)")
    print(f"  peak memory, 2048 variants    {m['peak_mib_2048']:7.1f} MiB")
    print(f"  memory growth                 {m['memory_growth']:7.1%}   target <= "
          f"{MEMORY_TARGET:.0%}: {_met(m['memory_met'])}")
    print(f"precision per second (baseline, P(alliance meets goal) = "
          f"{m['p_alliance_meets_goal']:.3f})")
    print(f"  draws for +-{HALF_WIDTH} (95% Wilson) {m['draws_for_half_width']:,}")
    print(f"  time per draw, 1 worker       {m['seconds_per_draw'] * 1e6:7.2f} us")
    print(f"  time to +-{HALF_WIDTH}               {m['seconds_for_half_width']:7.2f} s")


if __name__ == "__main__":
    main()
