"""The fingerprint of everything summit writes: a sha256 for every file of every shipped output.

Runs each shipped scenario at a few fixed seeds and draw counts with ``summit run --out``, builds
the briefing of some of those runs with ``summit report``, runs each shipped sweep at a reduced
size with ``summit sweep --out`` and builds its briefing, then prints one ``sha256  path`` line
per file written, sorted, and a last line hashing them all. A refactoring that changes no
behaviour must leave every line unchanged; compare two commits by running this script in each:

    python tools/output_hashes.py > before.txt    # on the old commit
    python tools/output_hashes.py > after.txt     # on the new one
    diff before.txt after.txt

Files that record when or where they were made rather than what was computed are left out and
named in the output: a sweep's ``sweep.log`` (timings and the host) and ``journal.jsonl`` (rows in
the order variants finished, with their times). The script runs from the checkout's root with
scenario paths relative to it, so that the paths recorded in the files are the same in every
checkout; it needs the environment that ``make test`` installs.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (0, 7)
#: 2,000 draws is under one block; 5,000 spans a block boundary and ends in a partial block.
DRAWS = (2_000, 5_000)
#: Runs whose briefing is built too: the plain baseline and one with aid.
REPORTED = ("baseline", "udcg-2026")
#: Sweeps are run this small: samples and draws per variant.
SWEEP_SAMPLES = {"lhs": 6, "sobol": 4, "grid": None}
SWEEP_DRAWS = 400
#: Where the outputs are written, relative to the checkout's root (removed before and after), so
#: that every path a file records is the same in every checkout.
SCRATCH = Path(".output-hashes")
#: Written to say when and where, not what: not hashed.
UNHASHED = ("sweep.log", "journal.jsonl")


def summit(*args: str) -> None:
    """Run one ``summit`` command from the checkout's root; stop the script if it fails."""
    command = [sys.executable, "-m", "sim", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): summit {' '.join(args)}\n{done.stderr}")


def reduced_sweep(source: Path, target: Path) -> None:
    """A copy of the sweep file ``source`` with fewer samples and draws, its base made absolute
    only when it is a path (a shipped name stays a name)."""
    text = source.read_text(encoding="utf-8")
    sweep = tomllib.loads(text)["sweep"]
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        samples = SWEEP_SAMPLES.get(sweep.get("design", "grid"))
        if key == "samples" and samples is not None:
            line = f"samples = {samples}"
        elif key == "draws" and line.lstrip().startswith("draws"):
            line = f"draws = {SWEEP_DRAWS}"
        lines.append(line)
    base = source.parent / str(sweep.get("base", ""))
    if base.is_file():
        lines = [f'base = "{base.relative_to(ROOT).as_posix()}"' if ln.startswith("base")
                 else ln for ln in lines]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="One seed and one draw count, no sweeps (a smoke check).")
    options = parser.parse_args()
    seeds, draws = (SEEDS[:1], DRAWS[:1]) if options.quick else (SEEDS, DRAWS)
    scenarios = sorted(p for p in (ROOT / "scenarios").glob("*.toml"))
    sweeps = [] if options.quick else sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))
    out = SCRATCH
    shutil.rmtree(ROOT / out, ignore_errors=True)
    try:
        for scenario in scenarios:
            relative = scenario.relative_to(ROOT).as_posix()
            for seed in seeds:
                for n in draws:
                    folder = out / "runs" / f"{scenario.stem}-seed{seed}-draws{n}"
                    summit("run", relative, "--draws", str(n), "--seed", str(seed),
                           "--out", str(folder))
                    if scenario.stem in REPORTED and seed == seeds[0] and n == draws[0]:
                        summit("report", str(folder))
        for sweep_file in sweeps:
            reduced = out / "sweep-files" / sweep_file.name
            (ROOT / reduced.parent).mkdir(parents=True, exist_ok=True)
            reduced_sweep(sweep_file, ROOT / reduced)
            folder = out / "sweeps" / sweep_file.stem
            summit("sweep", str(reduced), "--out", str(folder))
            summit("report", str(folder))
        lines = []
        for path in sorted(p for p in (ROOT / out).rglob("*") if p.is_file()):
            name = path.relative_to(ROOT / out).as_posix()
            if path.name in UNHASHED:
                lines.append(f"{'(not hashed: when and where)':64}  {name}")
            else:
                lines.append(f"{digest(path)}  {name}")
    finally:
        shutil.rmtree(ROOT / out, ignore_errors=True)
    everything = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    print("\n".join(lines))
    print(f"{everything}  (all of the above)")


if __name__ == "__main__":
    main()
