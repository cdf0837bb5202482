"""What a sweep costs against the runs it is made of, with and without common random numbers.

The measures of issue 18, each a ratio within one run of this script, on the shipped baseline:

- **sweep against one long run**: the shipped ``credibility-growth`` sweep (a Latin hypercube) at
  256 variants of 2,000 draws on one worker, with common random numbers (the default) and with
  ``independent = true``, against ``summit run --draws 512000 --workers 1``, the same number of
  simulated draws (target: the common-random-numbers sweep at most 0.5 times the run's time);
- **the example Sobol sweep against the code when issue 18 was filed** (``sensitivity.toml``,
  1,536 variants; ``--quick``: 64 base samples, 384 variants) on one worker at equal draws:
  today's code against the tree of ``--against REV`` (default :data:`AGAINST`, ``60a93fd``: the
  last commit before ``76ef1c4``, "Sweeps run on common random numbers by default", the first of
  the issue's work, so the code as it was when the issue was filed), extracted with ``git
  archive REV | tar -x`` from the repository holding this script into :data:`TREES`, kept. The
  time ratio REV / today (target: at least 3) and the mean width of the Sobol indices' 95%
  intervals (SALib's, :func:`sim.sweeps.sensitivity.sobol_indices` of today's code on both
  tables) of ``alliance_meets_goal`` (target: today's no wider). Both sides run the same sweep
  file text (today's ``sensitivity.toml``, or REV's where their keys differ), both checked to
  read the same ``samples`` and ``draws``; each in a fresh process whose current directory and
  ``PYTHONPATH`` are its own tree, first one untimed warm-up (REV compiles its Numba kernels
  into its temporary tree: a minute or more), then alternately twice, best of the two. The
  sweep call alone is timed, inside each process: interpreter start-up and imports are not
  counted on either side (loading the Numba kernels from the disk cache, at the first variant,
  is, on both). Also: whether today's code with ``independent = true`` gives REV's table
  exactly. ``--against none`` skips this; so does a checkout without git history or an unknown
  REV, saying so in one line. For reference only, **today's code's two settings**: the same
  sweep in this process with common random numbers against ``independent = true`` (which has
  every speed-up since REV too, so its ratio understates the issue's);
- **two workers** against one for the 256-variant sweep (target: at least 1.8 times as fast),
  run alternately :data:`PAIRS` times, best of each (a single run of either varies by 10-20% on
  a shared 2-core VM), and peak resident memory of a sweep process for 256 and for 2,048
  variants, each in a fresh subprocess (target: flat, taken as within 10%); for reference, with
  each pair, what two cores give work with no overhead at all at that moment, in this process
  alone and in two pool processes side by side, each as much (the best of each; on a shared VM
  this moves from run to run too): NumPy drawing :data:`REFERENCE_NORMALS` normals, which
  streams through memory as a sweep's variants do, and arithmetic on an array that stays in
  each core's own cache (:data:`CACHED_ROUNDS` rounds), the most two cores give; and each
  pair's speed-ups, the sweep's beside both references, measured at the same moment;
- **precision per second**: for the baseline, the draws a 95% Wilson interval of +-0.005 on
  P(alliance meets goal) needs at the long run's estimate, and the time they take at the long
  run's measured time per draw (start-up included).

Run as ``python benchmarks/bench_sweep.py [--draws 2000] [--quick] [--against REV] [--json]``
from the repository's root; needs two free cores. On a shared machine quote the ratios (both
sides of each ran under the same load).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.resources import scenarios_dir
from sim.statistics import wilson_interval
from sim.sweeps.sensitivity import sobol_indices

RUN_RATIO_TARGET = 0.5
SOBOL_SPEEDUP_TARGET = 3.0
SPEEDUP_TARGET = 1.8
MEMORY_TARGET = 0.10
#: Alternate runs of the sweep on one worker and on two, for the best of each: five, as the
#: engine benchmark repeats. Single pairs on the 2-core VM ranged from 1.55x to 1.93x within
#: minutes on the same code; the best of three still moved by 0.15 from one run to the next.
PAIRS = 5
#: Normals each process draws for the two-core reference (~0.3 s of drawing).
REFERENCE_NORMALS = 30_000_000
#: Rounds of arithmetic on a 160 kB array (within a core's 1 MiB L2) for the in-cache reference
#: (~0.3 s).
CACHED_ROUNDS = 2_000
#: Half-width of the 95% interval on P(alliance meets goal) that precision per second asks for.
HALF_WIDTH = 0.005

#: The code when issue 18 was filed: the last commit before common random numbers (76ef1c4).
AGAINST = "60a93fd"
#: The repository holding this script, whose history ``--against`` reads.
REPOSITORY = Path(__file__).resolve().parents[1]
#: Today's code: the tree ``sim`` is imported from.
TODAY = Path(sim.__file__).resolve().parents[1]

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

# Run in a fresh interpreter whose directory and path are one tree: the sweep on one worker,
# then its seconds (the sweep call alone: start-up and imports are not counted).
_TIMED = """
import sys, time
import sim
start = time.perf_counter()
sim.sweep(sys.argv[1], out=sys.argv[2], workers=1)
print(time.perf_counter() - start)
"""


def sweep_text(text: str, samples: int, draws: int, independent: bool = False) -> str:
    """The sweep file ``text`` with ``samples`` and ``draws`` set, and ``independent`` (its
    random numbers) as asked. Raises ``ValueError`` if the result does not read those values:
    a key the rewriting missed would leave the two sides of a measure at different sizes."""
    for key, value in (("samples", samples), ("draws", draws)):
        text = re.sub(rf"(?m)^{key}[ \t]*=[ \t]*\d+", f"{key} = {value}", text, count=1)
    setting = f"independent = {'true' if independent else 'false'}"
    text, found = re.subn(r"(?m)^independent[ \t]*=[ \t]*\w+", setting, text, count=1)
    if not found and independent:
        text = re.sub(r"(?m)^\[sweep\][ \t]*$", f"[sweep]\n{setting}", text, count=1)
    table = tomllib.loads(text).get("sweep", {})
    read = (table.get("samples"), table.get("draws"), table.get("independent", False))
    if read != (samples, draws, independent):
        raise ValueError(f"the sweep file reads samples, draws, independent = {read}, not "
                         f"{(samples, draws, independent)}")
    return text


def write_sweep(source: Path | str, folder: Path, samples: int, draws: int,
                independent: bool = False) -> Path:
    """The sweep file ``source`` (a path, or a file's text) with ``samples`` and ``draws`` set
    (and ``independent = true``), written in ``folder``."""
    kind = "independent" if independent else "common"
    if isinstance(source, Path):
        name, text = source.stem, source.read_text(encoding="utf-8")
    else:
        name, text = "sweep", source
    path = folder / f"{name}-{samples}-{draws}-{kind}.toml"
    path.write_text(sweep_text(text, samples, draws, independent), encoding="utf-8")
    return path


def same_sweep_text(today: str, then: str) -> tuple[str, str]:
    """The one sweep file text both sides of the measure against REV run, and whose it is:
    today's where its keys and values are REV's (comments may differ), else REV's, which
    REV's code reads as written."""
    if tomllib.loads(today) == tomllib.loads(then):
        return today, "today's"
    return then, "REV's"


class NotMeasured(Exception):
    """The measure against REV cannot be made here; the message says why, in one line."""


def find_commit(rev: str) -> str:
    """The full hash of commit ``rev`` in :data:`REPOSITORY`."""
    try:
        found = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "--verify", "--quiet",
                                f"{rev}^{{commit}}"], capture_output=True, text=True)
    except OSError as error:
        raise NotMeasured(f"git cannot run here ({error.strerror})") from None
    if found.returncode != 0:
        raise NotMeasured(f"{REPOSITORY} holds no commit {rev!r} (a checkout without git "
                          "history, or an unknown revision)")
    return found.stdout.strip()


def rev_sweep_text(commit: str) -> str:
    """``scenarios/sweeps/sensitivity.toml`` as written at ``commit``."""
    shown = subprocess.run(["git", "-C", str(REPOSITORY), "show",
                            f"{commit}:scenarios/sweeps/sensitivity.toml"],
                           capture_output=True, text=True)
    if shown.returncode != 0:
        raise NotMeasured(f"commit {commit[:12]} has no scenarios/sweeps/sensitivity.toml")
    return shown.stdout


#: Where the trees of earlier commits are kept from one benchmark run to the next (ignored by
#: git): a tree extracted afresh has new files, so Numba compiled its kernels again each time,
#: about 40 s a run; kept, its cache next to the sources is found.
TREES = REPOSITORY / ".bench-trees"


def extract(commit: str, trees: Path = TREES) -> Path:
    """The tree of ``commit`` of :data:`REPOSITORY`, in ``trees``: extracted the first time
    (into a new folder, renamed into place once whole), reused after."""
    tree = trees / f"tree-{commit}"
    if tree.is_dir():
        return tree
    trees.mkdir(exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".tree-{commit[:12]}-", dir=trees))
    archive = subprocess.Popen(["git", "-C", str(REPOSITORY), "archive", commit],
                               stdout=subprocess.PIPE)
    unpacked = subprocess.run(["tar", "-x", "-C", str(partial)], stdin=archive.stdout)
    assert archive.stdout is not None
    archive.stdout.close()
    if archive.wait() != 0 or unpacked.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise NotMeasured(f"git archive {commit[:12]} | tar -x failed")
    try:
        partial.rename(tree)
    except OSError:  # another benchmark run put it in place first
        shutil.rmtree(partial, ignore_errors=True)
    return tree


def timed_in(tree: Path, path: Path, out: Path) -> float:
    """Seconds of the sweep at ``path`` into ``out`` on one worker, in a fresh process whose
    current directory and ``PYTHONPATH`` are ``tree`` (a pool's fork server would import
    ``sim`` from the current directory), timed there."""
    done = subprocess.run([sys.executable, "-c", _TIMED, str(path), str(out)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
                          stdout=subprocess.PIPE, text=True)
    return float(done.stdout.split()[-1])


def table_differences(then: pd.DataFrame, today: pd.DataFrame) -> list[str]:
    """How table ``today`` differs from ``then``, one phrase each; none if they are equal."""
    if then.equals(today):
        return []
    found = []
    if list(then.columns) != list(today.columns):
        found.append(f"columns only then: {sorted(set(then.columns) - set(today.columns))}, "
                     f"only today: {sorted(set(today.columns) - set(then.columns))}, or in "
                     "another order")
    if len(then) != len(today):
        return [*found, f"{len(then)} rows then, {len(today)} today"]
    for column in (c for c in then.columns if c in today.columns):
        if not then[column].equals(today[column]):
            rows = int((then[column].astype(str) != today[column].astype(str)).sum())
            found.append(f"{column}: {rows} of {len(then)} rows differ"
                         if rows else f"{column}: dtype {then[column].dtype} then, "
                                      f"{today[column].dtype} today")
    return found


def measure_against(commit: str, text: str, samples: int, draws: int, folder: Path,
                    keys: list[str], independent_table: Path) -> dict[str, object]:
    """The example Sobol sweep (file ``text``) on one worker, today's code against that of
    ``commit``, each in its own process: seconds (best of 2), their ratio, interval widths, and
    whether today's ``independent = true`` table (at ``independent_table``) is REV's."""
    tree = extract(commit)
    sides = {"rev": tree, "today": TODAY}
    path = write_sweep(text, folder, samples, draws)
    warm_up = write_sweep(text, folder, 4, draws)  # 24 variants: kernels compiled, files read
    for side, where in sides.items():
        timed_in(where, warm_up, folder / f"against-warm-up-{side}")
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    for attempt in range(2):
        for side, where in sides.items():  # alternately, so that both meet the same load
            seconds[side].append(timed_in(where, path, folder / f"against-{side}-{attempt}"))
    tables = {side: pd.read_parquet(folder / f"against-{side}-0" / "results.parquet")
              for side in sides}
    width = {side: interval_width(tables[side], keys) for side in sides}
    width_ratio = {name: width["today"][name] / width["rev"][name] for name in ("S1", "ST")}
    best = {side: min(times) for side, times in seconds.items()}
    speedup = best["rev"] / best["today"]
    differences = table_differences(tables["rev"], pd.read_parquet(independent_table))
    return {
        "commit": commit, "samples": samples, "draws": draws, "variants": len(tables["today"]),
        "rev_s": seconds["rev"], "today_s": seconds["today"],
        "rev_best_s": best["rev"], "today_best_s": best["today"],
        "speedup": speedup, "speedup_met": speedup >= SOBOL_SPEEDUP_TARGET,
        "width_rev": width["rev"], "width_today": width["today"], "width_ratio": width_ratio,
        "width_met": all(ratio <= 1.0 for ratio in width_ratio.values()),
        "independent_is_rev": not differences, "independent_differences": differences,
    }


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


def draw_normals_timed(count: int = REFERENCE_NORMALS) -> float:
    """Seconds this process takes to draw ``count`` standard normals, a million at a time into
    one array."""
    rng, out = np.random.default_rng(0), np.empty(1_000_000)
    start = time.perf_counter()
    for _ in range(count // out.size):
        rng.standard_normal(out=out)
    return time.perf_counter() - start


def compute_in_cache_timed(rounds: int = CACHED_ROUNDS) -> float:
    """Seconds this process takes for ``rounds`` rounds of a sine and an addition over 20,000
    numbers, an array that stays in the core's own cache."""
    numbers = np.random.default_rng(0).standard_normal(20_000)  # 160 kB
    start = time.perf_counter()
    for _ in range(rounds):
        np.sin(numbers, out=numbers)
        numbers += 1.0
    return time.perf_counter() - start


def side_by_side(pool: ProcessPoolExecutor, timed: Callable[[], float]) -> float:
    """Seconds two processes of ``pool`` take to run ``timed`` each, at once: the slower one's
    time, start-up excluded."""
    return max(job.result() for job in [pool.submit(timed) for _ in range(2)])


def peak_memory_kib(path: Path, out: Path) -> int:
    """Peak resident memory (KiB) of a fresh process running the sweep at ``path``."""
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path), str(out)], check=True,
                          capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def measure(draws: int, quick: bool, against: str | None) -> dict[str, object]:
    """The measures; times in seconds, memory in MiB. ``against``: the revision the Sobol sweep
    is measured against, or None to skip that."""
    text, whose = SOBOL.read_text(encoding="utf-8"), "today's"
    skipped: str | None = "--against none"  # why the measure against REV is not made, if not
    commit = ""
    if against:
        try:
            commit = find_commit(against)
            text, whose = same_sweep_text(text, rev_sweep_text(commit))
            skipped = None
        except NotMeasured as error:
            skipped = str(error)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        common = write_sweep(LHS, folder, 256, draws)
        independent = write_sweep(LHS, folder, 256, draws, independent=True)
        timed_sweep(write_sweep(LHS, folder, 8, draws), folder / "warm-up", 2)  # pool, caches
        run_s, p_goal = timed_run(256 * draws, folder / "run")
        common_s, one = timed_sweep(common, folder / "common", 1)
        independent_s, _ = timed_sweep(independent, folder / "independent", 1)
        # Two workers against one: alternately, best of each (single runs of either on a
        # shared 2-core VM vary by 10-20%, as the engine benchmark found).
        context = multiprocessing.get_context("forkserver")
        references = {"numbers": draw_normals_timed, "cached": compute_in_cache_timed}
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            side_by_side(pool, compute_in_cache_timed)  # the pool's processes started
            pairs = []
            # Seconds of each reference in this process alone, and two side by side, each pair.
            alone: dict[str, list[float]] = {name: [] for name in references}
            together: dict[str, list[float]] = {name: [] for name in references}
            for k in range(PAIRS):
                pairs.append((timed_sweep(common, folder / f"one-{k}", 1)[0],
                              timed_sweep(common, folder / f"two-{k}", 2)))
                for name, timed in references.items():
                    alone[name].append(timed())
                    together[name].append(side_by_side(pool, timed))
        one_best_s = min(one_s for one_s, _ in pairs)
        two_s = min(two_s for _, (two_s, _) in pairs)
        same = all(one.equals(two) for _, (_, two) in pairs)
        each_pair = [{"sweep": one_s / two_s,
                      **{name: 2 * alone[name][k] / together[name][k] for name in references}}
                     for k, (one_s, (two_s, _)) in enumerate(pairs)]

        samples = 64 if quick else 256
        sobol = write_sweep(text, folder, samples, draws)
        sobol_common_s, sobol_common = timed_sweep(sobol, folder / "sobol-common", 1)
        sobol_independent_s, sobol_independent = timed_sweep(
            write_sweep(text, folder, samples, draws, independent=True),
            folder / "sobol-independent", 1)
        keys = [p.key for p in sim.SweepSpec.from_file(sobol).parameters]
        width_common = interval_width(sobol_common, keys)
        width_independent = interval_width(sobol_independent, keys)
        then: dict[str, object] = {"rev": against, "sweep_file": whose, "skipped": skipped}
        if skipped is None:
            try:
                then.update(measure_against(commit, text, samples, draws, folder, keys,
                                            folder / "sobol-independent" / "results.parquet"))
            except NotMeasured as error:
                then["skipped"] = str(error)

        # Memory: few draws per variant, so that the number of variants is what varies.
        small = peak_memory_kib(write_sweep(LHS, folder, 256, 200), folder / "m256")
        large = peak_memory_kib(write_sweep(LHS, folder, 2048, 200), folder / "m2048")
    needed = draws_for_half_width(p_goal)
    sobol_speedup = sobol_independent_s / sobol_common_s
    width_ratio = {name: width_common[name] / width_independent[name] for name in ("S1", "ST")}
    speedup, growth = one_best_s / two_s, large / small - 1.0
    return {
        "variants": 256, "draws": draws, "run_draws": 256 * draws,
        "run_1_worker_s": run_s,
        "sweep_common_1_worker_s": common_s, "sweep_independent_1_worker_s": independent_s,
        "common_to_run": common_s / run_s, "independent_to_run": independent_s / run_s,
        "run_ratio_met": common_s / run_s <= RUN_RATIO_TARGET,
        "sobol_variants": samples * (len(keys) + 2), "sobol_quick": quick,
        "sobol_common_s": sobol_common_s, "sobol_independent_s": sobol_independent_s,
        "sobol_speedup": sobol_speedup,
        "sobol_width_common": width_common, "sobol_width_independent": width_independent,
        "sobol_width_ratio": width_ratio, "sobol_against": then,
        "sweep_1_worker_best_s": one_best_s, "sweep_2_workers_s": two_s,
        "speedup_pairs": PAIRS, "speedup_2_workers": speedup,
        "speedup_met": speedup >= SPEEDUP_TARGET, "identical_across_workers": same,
        "numbers_speedup_2_processes": 2 * min(alone["numbers"]) / min(together["numbers"]),
        "cached_speedup_2_processes": 2 * min(alone["cached"]) / min(together["cached"]),
        "speedups_each_pair": each_pair,
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
    parser.add_argument("--against", default=AGAINST, metavar="REV",
                        help="the commit the Sobol sweep is measured against (default "
                             f"{AGAINST}, the code when issue 18 was filed); 'none' skips it")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    m = measure(args.draws, args.quick, None if args.against == "none" else args.against)
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
    then = m["sobol_against"]
    print(f"Sobol sweep, {m['sobol_variants']:,} variants"
          f"{' (--quick)' if m['sobol_quick'] else ''}, 1 worker, against the code when issue 18 "
          f"was filed ({then['rev'] or 'none'}), each in its own process, best of 2")
    if then["skipped"]:
        print(f"  not measured: {then['skipped']}")
    else:
        print(f"  sweep file                    {then['sweep_file']} sensitivity.toml, "
              f"samples = {then['samples']}, draws = {then['draws']:,} on both sides")
        for side, name in (("rev", then["commit"][:12]), ("today", "today")):
            times = ", ".join(f"{t:.2f}" for t in then[f"{side}_s"])
            print(f"  {name:<29} {then[f'{side}_best_s']:7.2f} s  ({times})")
        print(f"  speed-up                      {then['speedup']:7.2f}x  target >= "
              f"{SOBOL_SPEEDUP_TARGET}x: {_met(then['speedup_met'])}")
        for name in ("S1", "ST"):
            print(f"  mean {name} interval width      today {then['width_today'][name]:.4f}, "
                  f"then {then['width_rev'][name]:.4f}: {then['width_ratio'][name]:.2f}x")
        print(f"  intervals no wider today: {_met(then['width_met'])}")
        print(f"  today's independent = true gives its table exactly: "
              f"{'yes' if then['independent_is_rev'] else 'NO'}")
        for difference in then["independent_differences"]:
            print(f"    {difference}")
    print("  for reference, today's code's two settings (in this process):")
    print(f"  common random numbers         {m['sobol_common_s']:7.2f} s")
    print(f"  independent = true            {m['sobol_independent_s']:7.2f} s")
    print(f"  ratio                         {m['sobol_speedup']:7.2f}x")
    for name in ("S1", "ST"):
        print(f"  mean {name} interval width      common {m['sobol_width_common'][name]:.4f}, "
              f"independent {m['sobol_width_independent'][name]:.4f}: "
              f"{m['sobol_width_ratio'][name]:.2f}x")
    print("two workers and memory (common random numbers)")
    print(f"  sweep, 1 worker               {m['sweep_1_worker_best_s']:7.2f} s   best of "
          f"{m['speedup_pairs']}, alternately with")
    print(f"  sweep, 2 workers              {m['sweep_2_workers_s']:7.2f} s")
    print(f"  2-worker speed-up             {m['speedup_2_workers']:7.2f}x  target >= "
          f"{SPEEDUP_TARGET}x: {_met(m['speedup_met'])}")
    print("  for reference, 2 processes side by side against 1 alone, each as much:")
    print(f"    NumPy's random numbers      {m['numbers_speedup_2_processes']:7.2f}x")
    print(f"    arithmetic in cache         {m['cached_speedup_2_processes']:7.2f}x")
    print("  each pair (sweep / random numbers / in cache): " + ", ".join(
        f"{pair['sweep']:.2f}/{pair['numbers']:.2f}/{pair['cached']:.2f}"
        for pair in m["speedups_each_pair"]))
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
