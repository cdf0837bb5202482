"""Sweeps: many variants of one scenario, each a full Monte Carlo run, into one results table.

A sweep file names a base scenario, the dotted scenario keys to vary (each over a range, a list of
values or a distribution), a design (``grid``, ``lhs`` or ``sobol``) and the draws per variant.
A grid runs every combination of the values; ``lhs`` runs ``samples`` variants; ``sobol`` runs
Saltelli's scheme for Sobol indices, ``samples * (parameters + 2)`` variants (see
:func:`unit_points`), which :mod:`sim.sweeps.sensitivity` analyses. Variant ``i`` is
``base.with_values({key: value, ...})`` run with a seed that depends only on the sweep seed and
``i``, so a variant's row is the same whatever the worker count or the order variants finish in.
Reading a sweep file checks it whole without running anything: each parameter's key, and the
values at its ends against that key's hard bounds (an error) and typical range (a warning).

Rows stream to ``DIR/journal.jsonl`` as variants finish, one flushed line each, so a killed
process loses only the variants in flight; the journal is also synced to disk at most once every
``SYNC_SECONDS`` and at the end, so a machine crash loses at most that much more (a sync per row
cost about a third of a 2,000-draw variant's time). A line cut short by a crash is ignored on
reading. ``--resume`` runs only the indices the journal lacks. The tables
``results.csv`` and ``results.parquet`` are written from the journal, sorted by index, through a
temporary file and a rename, so they hold only what the sweep determines; timings and the host go
to ``DIR/sweep.log``. ``DIR/manifest.json``, written at the start, records the design (base
scenario, design, samples, seed, draws, each parameter's key and range, values or distribution),
so that a report needs only the folder (:class:`SweepRecord` reads it back).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import socket
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from sim.errors import (
    OptionError,
    ResultsError,
    ScenarioError,
    ScenarioWarning,
    SimError,
    SweepError,
)
from sim.files import JOURNAL, MANIFEST, SUMMARY_NAME, read_json
from sim.montecarlo import progress_bar, run
from sim.pool import pool_context
from sim.reports.outputs import atomic_write_bytes, atomic_write_text
from sim.scenario import Scenario, find_scenario
from sim.schema import did_you_mean as _did_you_mean

DESIGNS = ("grid", "lhs", "sobol")
EXECUTORS = ("processes", "dask")
_SWEEP_KEYS = ("base", "design", "samples", "seed", "draws", "parameters")
_PARAMETER_KEYS = ("key", "range", "values", "distribution")
#: Distributions a parameter may follow, with the numbers each takes, in order.
DISTRIBUTIONS = {"normal": ("mean", "sd"), "triangular": ("low", "mode", "high")}
LOG = "sweep.log"
#: Version of manifest.json's layout; a folder without it predates the recorded design.
MANIFEST_FORMAT = 1
#: Scrambled Sobol points lie on a grid of 2**-30 (scipy's default 30 bits); an end of the unit
#: interval, which a normal's quantile function maps to -inf or +inf, is moved half a step inward:
#: about 6.1 standard deviations from the mean.
_UNIT_EDGE = 2.0**-31

#: Longest time, in seconds, finished rows may sit in the journal unsynced to disk.
SYNC_SECONDS = 1.0


@attrs.frozen
class Parameter:
    """One varied scenario key: over ``[low, high]``, a list of ``values`` or a distribution.

    ``distribution`` is a name of :data:`DISTRIBUTIONS` and its numbers, e.g.
    ``("normal", (0.015, 0.005))``; a design point is mapped through its quantile function.
    """

    key: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] | None = None
    distribution: tuple[str, tuple[float, ...]] | None = None

    def at(self, unit: float) -> Any:
        """The value at ``unit`` in [0, 1]: a point of the range, one of the values, or the
        distribution's ``unit`` quantile (finite even at 0 and 1)."""
        if self.values is not None:
            return self.values[min(max(int(unit * len(self.values)), 0), len(self.values) - 1)]
        if self.distribution is not None:
            name, numbers = self.distribution
            if name == "normal":
                return float(stats.norm.ppf(min(max(unit, _UNIT_EDGE), 1 - _UNIT_EDGE),
                                            *numbers))
            low, mode, high = numbers
            return float(stats.triang.ppf(unit, (mode - low) / (high - low), low, high - low))
        return float(self.low + unit * (self.high - self.low))

    def record(self) -> dict[str, Any]:
        """The parameter as the sweep file writes it, for ``manifest.json``."""
        if self.values is not None:
            return {"key": self.key, "values": list(self.values)}
        if self.distribution is not None:
            name, numbers = self.distribution
            return {"key": self.key, "distribution": {
                "name": name, **dict(zip(DISTRIBUTIONS[name], numbers, strict=True))}}
        return {"key": self.key, "range": [self.low, self.high]}

    @property
    def written(self) -> str:
        """The sweep file's key that says what the parameter takes: range, values or
        distribution."""
        if self.values is not None:
            return "values"
        return "distribution" if self.distribution is not None else "range"

    def ends(self) -> tuple[Any, ...]:
        """The values that bound what the parameter takes: the ends of its range, each of its
        values, the ends of a triangular distribution; a normal's mean (its tails have none)."""
        if self.values is not None:
            return self.values
        if self.distribution is not None:
            name, numbers = self.distribution
            return (numbers[0],) if name == "normal" else (numbers[0], numbers[-1])
        return (self.low, self.high)

    def describe(self) -> str:
        """What the sweep varies the key over, in words: ``0.1 to 0.6``, ``normal(0.3, 0.1)``."""
        if self.values is not None:
            return "one of " + ", ".join(str(v) for v in self.values)
        if self.distribution is not None:
            name, numbers = self.distribution
            return f"{name}({', '.join(f'{n:g}' for n in numbers)})"
        return f"{self.low:g} to {self.high:g}"


@attrs.frozen
class SweepSpec:
    """A validated sweep: the base scenario, the parameters and how to sample them."""

    file: str
    base: Scenario = attrs.field(repr=False)
    design: str
    samples: int
    seed: int
    draws: int
    parameters: tuple[Parameter, ...]
    #: Digest of the sweep and its merged base scenario; ``--resume`` refuses another sweep's DIR.
    digest: str
    #: The base scenario's warnings, then the sweep file's (a range that leaves its key's
    #: typical range), each naming its file and key.
    warnings: tuple[ScenarioWarning, ...] = attrs.field(default=(), repr=False, eq=False)

    @classmethod
    def from_file(cls, path: str | Path) -> SweepSpec:
        """Read and validate a sweep file: its keys, its base scenario, and each parameter's
        key and the values it takes (each on its own), without running anything. Errors name
        the file and the dotted key (a SweepError, or the base's ScenarioError)."""
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SweepError(path, None, "no such file") from None
        except (OSError, UnicodeDecodeError) as err:
            raise SweepError(path, None, f"cannot be read: {err}") from None
        except tomllib.TOMLDecodeError as err:
            raise SweepError(path, None, f"not valid TOML: {err}") from None
        return _parse(doc, path)

    @property
    def size(self) -> int:
        """Variants the sweep runs."""
        return design_size(self.design, self.samples, len(self.parameters))

    def variants(self) -> list[dict[str, Any]]:
        """Each variant's values by dotted key, in index order."""
        if self.design == "grid":
            return [dict(zip((p.key for p in self.parameters), combo, strict=True))
                    for combo in itertools.product(*(p.values for p in self.parameters))]
        points = unit_points(self.design, self.samples, len(self.parameters), self.seed)
        return [{p.key: p.at(u) for p, u in zip(self.parameters, row, strict=True)}
                for row in points]

    def columns(self) -> list[str]:
        """The table's columns, fixed and ordered so that tables compare equal run to run."""
        metrics = [*_HEADLINE, *aid_metrics(self.base),
                   *(f"p_meet_goal_{code}" for code in self.base.codes)]
        return ["index", *(p.key for p in self.parameters), "status", "error",
                *(f"{m}{end}" for m in metrics for end in ("", "_lo", "_hi"))]

    def manifest(self) -> dict[str, Any]:
        """What ``manifest.json`` records: the design, enough to report without the sweep file."""
        return {"format": MANIFEST_FORMAT, "sweep": self.file, "digest": self.digest,
                "base": self.base.name, "base_sha256": self.base.sha256, "design": self.design,
                "samples": self.samples, "variants": self.size,
                "seed": self.seed, "draws": self.draws,
                "parameters": [p.record() for p in self.parameters]}


_HEADLINE = ("all_allies_meet_goal", "all_allies_meet_core", "alliance_meets_goal",
             "alliance_meets_core", "alliance_credible_path")


def aid_metrics(scenario: Scenario) -> list[str]:
    """``ukraine_needs_met_<YEAR>`` for each needs year of the scenario's aid, if it has any."""
    return [] if scenario.aid is None else [f"ukraine_needs_met_{year}"
                                            for year in scenario.aid.years]


def design_size(design: str, samples: int, dimensions: int) -> int:
    """Variants a design of ``samples`` runs: Saltelli's scheme needs D + 2 for each sample."""
    return samples * (dimensions + 2) if design == "sobol" else samples


def unit_points(design: str, samples: int, dimensions: int, seed: int) -> np.ndarray:
    """Points of the unit cube from an ``lhs`` or a ``sobol`` (Saltelli) design.

    ``lhs``: ``samples`` points of a Latin hypercube, shape (samples, dimensions). ``sobol``:
    Saltelli's scheme without second-order terms (``SALib.sample.sobol.sample``, scrambled),
    shape (samples * (dimensions + 2), dimensions): for each of ``samples`` base points, the row
    of matrix A, then D rows that take A's values except column j from B, then the row of B.
    ``SALib.analyze.sobol.analyze`` reads the runs in exactly that order.

    The design's generator is a stream of its own, ``SeedSequence(seed, spawn_key=(0,))``, apart
    from the variants' run seeds.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    if design == "lhs":
        return qmc.LatinHypercube(dimensions, rng=rng).random(samples)
    # Imported here: SALib is needed only for this design, and it is slow to import.
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": dimensions, "names": [f"x{j}" for j in range(dimensions)],
               "bounds": [[0.0, 1.0]] * dimensions}
    return saltelli.sample(problem, samples, calc_second_order=False, scramble=True, seed=rng)


def variant_seed(seed: int, index: int) -> int:
    """The run seed of variant ``index``: a function of the sweep seed and the index only."""
    return int(np.random.SeedSequence(seed, spawn_key=(1, index)).generate_state(1)[0])


# --- reading a sweep file ----------------------------------------------------------------------


def _parse(doc: Mapping[str, Any], path: Path) -> SweepSpec:
    file = str(path)

    def fail(key: str | None, problem: str) -> SweepError:
        return SweepError(file, key, problem)

    for key in doc:
        if key != "sweep":
            raise fail(key, "unknown section" + _did_you_mean(key, ["sweep"]))
    sweep = doc.get("sweep")
    if not isinstance(sweep, dict):
        raise fail("sweep", "required: a sweep file holds one [sweep] table")
    _refuse_unknown(sweep, _SWEEP_KEYS, "sweep", "sweep takes", fail)
    base_name = sweep.get("base")
    if not isinstance(base_name, str) or not base_name:
        raise fail("sweep.base", "required: a scenario path or shipped name, e.g. \"baseline\"")
    # A path is read beside the sweep file first, so a sweep and its scenario travel together.
    beside = path.parent / base_name
    base = Scenario.from_file(beside if beside.is_file() else find_scenario(base_name))
    design = sweep.get("design", "lhs")
    if design not in DESIGNS:
        raise fail("sweep.design", f"must be one of {', '.join(DESIGNS)}, got {design!r}"
                   + _did_you_mean(design, DESIGNS))
    seed = _whole(sweep.get("seed", 0), "sweep.seed", 0, fail)
    draws = _whole(sweep.get("draws", 4000), "sweep.draws", 1, fail)
    raw = sweep.get("parameters")
    if not isinstance(raw, list) or not raw:
        raise fail("sweep.parameters", "required: one [[sweep.parameters]] table per varied key")
    parameters = tuple(_parameter(table, f"sweep.parameters.{n}", design, fail)
                       for n, table in enumerate(raw))
    keys = [p.key for p in parameters]
    for n, key in enumerate(keys):
        if key in keys[:n]:
            raise fail(f"sweep.parameters.{n}.key", f"varies {key!r} twice")
    if design == "grid":
        if "samples" in sweep:
            raise fail("sweep.samples", "a grid runs every combination of the values; "
                       "leave samples out")
        samples = math.prod(len(p.values) for p in parameters)
    else:
        samples = _whole(sweep.get("samples"), "sweep.samples", 1, fail)
        if design == "sobol" and samples & (samples - 1):
            raise fail("sweep.samples", f"a Sobol design needs a power of two, got {samples}")
    warnings = list(base.warnings)
    for n, parameter in enumerate(parameters):
        warnings.extend(_check_parameter(base, parameter, f"sweep.parameters.{n}", file, fail))
    described = {"base": base.sha256, "design": design, "samples": samples, "seed": seed,
                 "draws": draws, "parameters": [attrs.asdict(p) for p in parameters]}
    if design == "sobol":
        # The sobol design was a plain Sobol sequence before it became Saltelli's scheme: a
        # folder of the old design must not be resumed with the new one.
        described["scheme"] = "saltelli"
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
    return SweepSpec(file=file, base=base, design=design, samples=samples, seed=seed,
                     draws=draws, parameters=parameters, digest=digest, warnings=tuple(warnings))


@attrs.frozen
class SweepRecord:
    """A finished or running sweep's design, read back from its folder's ``manifest.json``."""

    folder: Path
    base: str  # the base scenario's name
    design: str
    samples: int
    seed: int
    draws: int
    variants: int
    parameters: tuple[Parameter, ...]

    @classmethod
    def from_folder(cls, folder: str | Path) -> SweepRecord:
        """Read ``folder/manifest.json``; a missing or malformed one is a ResultsError."""
        path = Path(folder) / MANIFEST
        doc = read_json(path, missing="missing: not a sweep folder (summit sweep writes one)")

        def fail(key: str | None, problem: str) -> ResultsError:
            return ResultsError(path, key, problem)

        if "format" not in doc:
            raise fail("format", "missing: the folder predates recorded designs (and Saltelli "
                       "Sobol designs); run the sweep again into a new folder")
        if doc["format"] != MANIFEST_FORMAT:
            raise fail("format", f"must be {MANIFEST_FORMAT}, got {doc['format']!r}")
        design = doc.get("design")
        if design not in DESIGNS:
            raise fail("design", f"must be one of {', '.join(DESIGNS)}, got {design!r}")
        base = doc.get("base")
        if not isinstance(base, str):
            raise fail("base", f"must be the base scenario's name, got {base!r}")
        numbers = {key: _whole(doc.get(key), key, lowest, fail)
                   for key, lowest in (("samples", 1), ("seed", 0), ("draws", 1),
                                       ("variants", 1))}
        raw = doc.get("parameters")
        if not isinstance(raw, list) or not raw:
            raise fail("parameters", "must be a non-empty list of parameter records")
        parameters = tuple(_parameter(table, f"parameters.{n}", design, fail)
                           for n, table in enumerate(raw))
        if numbers["variants"] != design_size(design, numbers["samples"], len(parameters)):
            raise fail("variants", f"does not match a {design} design of {numbers['samples']} "
                       f"samples and {len(parameters)} parameters")
        return cls(folder=Path(folder), base=base, design=design, parameters=parameters,
                   **numbers)


def _whole(value: Any, key: str, lowest: int, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise fail(key, f"must be a whole number >= {lowest}, got {value!r}")
    return value


def _refuse_unknown(table: Mapping[str, Any], allowed: Sequence[str], key: str, takes: str,
                    fail: Any) -> None:
    """Fail at the first key of ``table`` not in ``allowed``, suggesting the closest."""
    for name in table:
        if name not in allowed:
            raise fail(f"{key}.{name}", "unknown key" + _did_you_mean(name, allowed)
                       + f"; {takes} {', '.join(allowed)}")


def _parameter(table: Any, key: str, design: str, fail: Any) -> Parameter:
    if not isinstance(table, dict):
        raise fail(key, "must be a table with key and range or values")
    _refuse_unknown(table, _PARAMETER_KEYS, key, "a parameter takes", fail)
    dotted = table.get("key")
    if not isinstance(dotted, str) or not dotted:
        raise fail(f"{key}.key", "required: the dotted scenario key, e.g. "
                   "\"defaults.policy.adjustment\"")
    if sum(name in table for name in ("range", "values", "distribution")) != 1:
        raise fail(key, "needs exactly one of range = [low, high], values = [...] or "
                   "distribution = { name = ..., ... }")
    if "values" in table:
        values = table["values"]
        if not isinstance(values, list) or not values:
            raise fail(f"{key}.values", "must be a non-empty array")
        return Parameter(dotted, values=tuple(values))
    if design == "grid":
        what = "range" if "range" in table else "distribution"
        raise fail(f"{key}.{what}", f"a grid needs values = [...], not a {what}")
    if "distribution" in table:
        return Parameter(dotted, distribution=_distribution(table["distribution"],
                                                            f"{key}.distribution", fail))
    bounds = table["range"]
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)):
        raise fail(f"{key}.range", f"must be [low, high], two numbers, got {bounds!r}")
    low, high = (float(b) for b in bounds)
    if not low < high:
        raise fail(f"{key}.range", f"low must be below high, got [{low}, {high}]")
    return Parameter(dotted, low=low, high=high)


def _distribution(table: Any, key: str, fail: Any) -> tuple[str, tuple[float, ...]]:
    examples = "{ name = \"normal\", mean = 0.015, sd = 0.005 }"
    if not isinstance(table, dict) or table.get("name") not in DISTRIBUTIONS:
        name = table.get("name") if isinstance(table, dict) else None
        raise fail(f"{key}.name", f"must be one of {', '.join(DISTRIBUTIONS)}, got {name!r}"
                   + _did_you_mean(name, DISTRIBUTIONS) + f", e.g. {examples}")
    name = table["name"]
    wanted = DISTRIBUTIONS[name]
    for field in table:
        if field != "name" and field not in wanted:
            raise fail(f"{key}.{field}", "unknown key" + _did_you_mean(field, wanted)
                       + f"; a {name} distribution takes {', '.join(wanted)}")
    numbers = []
    for field in wanted:
        value = table.get(field)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"{key}.{field}", f"required: a number, got {value!r}")
        numbers.append(float(value))
    if name == "normal" and not numbers[1] > 0:
        raise fail(f"{key}.sd", f"must be above 0, got {numbers[1]}")
    low, high = numbers[0], numbers[-1]
    if name == "triangular" and not (low <= numbers[1] <= high and low < high):
        raise fail(key, f"needs low <= mode <= high and low < high, got {numbers}")
    return name, tuple(numbers)


def _check_parameter(base: Scenario, parameter: Parameter, key: str, file: str,
                     fail: Any) -> list[ScenarioWarning]:
    """The parameter's key must be a scenario key, and each value at its ends must suit it on
    its own; return a warning for each end outside the key's typical range. A value that fails
    only with others (a goal total below the core goal) is a failed variant, not an error."""
    where = f"{key}.{parameter.written}"
    warnings: list[ScenarioWarning] = []
    for value in parameter.ends():
        try:
            found = base.check_values({parameter.key: value})
        except ScenarioError as err:
            # Unknown names and non-tables are wrong whatever the value.
            if err.problem.startswith("unknown") or "is not a table" in err.problem:
                raise fail(f"{key}.key", f"{parameter.key!r}: {err.problem}") from None
            raise fail(where, f"{err.key}: {err.problem}") from None
        for warning in found:
            if warning.key == parameter.key or (warning.key or "").startswith(parameter.key + "."):
                warnings.append(ScenarioWarning(file, where, f"{warning.key}: {warning.problem}"))
    return warnings


# --- running -----------------------------------------------------------------------------------


def run_variant(base: Scenario, index: int, values: Mapping[str, Any], draws: int,
                seed: int) -> dict[str, Any]:
    """Run one variant and return its row; a bad combination of values is a ``failed`` row."""
    row: dict[str, Any] = {"index": index, **values}
    try:
        results = run(base.with_values(values), draws=draws, seed=variant_seed(seed, index))
    except SimError as err:
        problem = str(err).removeprefix(f"{getattr(err, 'file', '')}: ")
        return {**row, "status": "failed", "error": " ".join(problem.split())}
    row.update(status="ok", error="")
    probabilities = {**results.headline(),
                     **{f"p_meet_goal_{code}": results.p_meet_goal(code)
                        for code in results.codes}}
    if results.aid_tally is not None:
        probabilities.update({f"ukraine_needs_met_{year}": results.aid_tally.p_needs_met(y)
                              for y, year in enumerate(results.scenario.aid.years)})
    for name, prob in probabilities.items():
        row[name], row[f"{name}_lo"], row[f"{name}_hi"] = prob.p, *prob.ci95
    return row


def read_journal(out: Path) -> list[dict[str, Any]]:
    """The complete rows of ``out``'s journal; a line cut short by a crash is left out."""
    path = out / JOURNAL
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def sweep(spec: SweepSpec | str | Path, *, out: str | Path, workers: int = 1,
          resume: bool = False, progress: bool = False, executor: str = "processes",
          scheduler: str | None = None) -> pd.DataFrame:
    """Run a sweep into folder ``out`` and return its results table, one row per variant.

    ``resume`` continues a sweep in ``out`` with the same sweep file, running only the
    variants its journal lacks; the final table equals an uninterrupted run's. ``executor``
    ``"dask"`` runs the variants on the Dask scheduler at ``scheduler`` (``tcp://host:port``), or
    on a local cluster of ``workers`` processes when no address is given; the table is the same.
    """
    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_file(spec)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(f"workers: must be a positive whole number, got {workers!r}")
    if executor not in EXECUTORS:
        raise OptionError(f"executor: must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and executor != "dask":
        raise OptionError("scheduler: only the dask executor takes a scheduler address")
    out = Path(out)
    done = _prepare(spec, out, resume)
    variants = spec.variants()
    todo = [i for i in range(len(variants)) if i not in done]
    with (open(out / JOURNAL, "a", encoding="utf-8") as journal,
          open(out / LOG, "a", encoding="utf-8") as log):
        log.write(f"{_now()} start host={socket.gethostname()} workers={workers} "
                  f"variants={len(variants)} done={len(done)} todo={len(todo)}\n")
        started = time.monotonic()
        rows = (_dask_rows(spec, variants, todo, workers, scheduler) if executor == "dask"
                else _rows(spec, variants, todo, workers))
        log.write(f"{_now()} executor={executor} scheduler={scheduler or 'local'}\n")
        synced = time.monotonic()
        for row in _progress(rows, len(todo), progress):
            journal.write(json.dumps(row, sort_keys=True) + "\n")
            journal.flush()
            if time.monotonic() - synced >= SYNC_SECONDS:
                os.fsync(journal.fileno())
                synced = time.monotonic()
            log.write(f"{_now()} variant {row['index']} {row['status']}\n")
        os.fsync(journal.fileno())
        log.write(f"{_now()} finished {len(todo)} variants in "
                  f"{time.monotonic() - started:.1f} s\n")
    return write_tables(spec, out)


def write_tables(spec: SweepSpec, out: Path) -> pd.DataFrame:
    """Write ``results.csv`` and ``results.parquet`` from the journal, sorted by index."""
    rows = {row["index"]: row for row in read_journal(out)}
    table = pd.DataFrame([rows[i] for i in sorted(rows)], columns=spec.columns())
    table["error"] = table["error"].fillna("")
    atomic_write_text(out / "results.csv", table.to_csv(index=False, lineterminator="\n"))
    # In memory first (a few hundred kB for thousands of variants), then written as every
    # file is, so the table gets the same mode as the others.
    atomic_write_bytes(out / "results.parquet", table.to_parquet(index=False))
    return table


def _prepare(spec: SweepSpec, out: Path, resume: bool) -> set[int]:
    """Check ``out`` against the sweep; return the indices already done."""
    manifest = out / MANIFEST
    if resume:
        if not manifest.is_file():
            raise OptionError(f"--resume: {out} holds no sweep to resume")
        recorded = read_json(manifest).get("digest")
        if recorded != spec.digest:
            raise OptionError(f"--resume: {out} holds another sweep (or the sweep file or its "
                              "base scenario changed since)")
        rows = read_journal(out)
        # Rewrite the journal without a cut-off last line, so new lines start on a fresh line.
        atomic_write_text(out / JOURNAL, "".join(json.dumps(r, sort_keys=True) + "\n"
                                                 for r in rows))
        return {row["index"] for row in rows}
    if manifest.exists() or (out / JOURNAL).exists():
        raise OptionError(f"--out: {out} already holds a sweep; pass --resume or another folder")
    if (out / SUMMARY_NAME).exists():
        raise OptionError(f"--out: {out} holds a run ({SUMMARY_NAME}); write the sweep into a "
                          "folder of its own")
    atomic_write_text(manifest, json.dumps(spec.manifest(), indent=2) + "\n")
    return set()


def _rows(spec: SweepSpec, variants: Sequence[Mapping[str, Any]], todo: list[int],
          workers: int) -> Iterator[dict[str, Any]]:
    if workers == 1:
        for i in todo:
            yield run_variant(spec.base, i, variants[i], spec.draws, spec.seed)
        return
    # One variant a task, each run on one core: the parallelism is across variants.
    # Processes that never run the main module, with the sweep and the kernels loaded.
    from sim.spending.compiled import preload

    context = pool_context(["sim.sweeps.sweep", *preload()])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # At most two variants per worker in flight: memory stays flat however many there are.
        pending: set[Future[dict[str, Any]]] = set()
        for i in todo:
            pending.add(pool.submit(run_variant, spec.base, i, variants[i], spec.draws,
                                    spec.seed))
            if len(pending) >= 2 * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()


def _dask_rows(spec: SweepSpec, variants: Sequence[Mapping[str, Any]], todo: list[int],
               workers: int, scheduler: str | None) -> Iterator[dict[str, Any]]:
    """Rows from a Dask cluster: the one at ``scheduler``, or a local one on loopback."""
    # Imported here: Dask is needed only by those who use it, and it is slow to import.
    from distributed import Client, as_completed

    cluster = None if scheduler else local_cluster(workers)
    try:
        with Client(scheduler or cluster) as client:
            in_flight = 2 * max(len(client.scheduler_info()["workers"]), 1)
            queue = iter(todo)

            def submit(i: int) -> Any:
                # pure=False: the key is fresh for each submission, never a cached result.
                return client.submit(run_variant, spec.base, i, variants[i], spec.draws,
                                     spec.seed, pure=False)

            finished = as_completed([submit(i) for i in itertools.islice(queue, in_flight)])
            for future in finished:
                yield future.result()
                future.release()
                following = next(queue, None)
                if following is not None:
                    finished.add(submit(following))
    finally:
        if cluster is not None:
            cluster.close()


def local_cluster(workers: int) -> Any:
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


def _progress(rows: Iterator[dict[str, Any]], total: int, show: bool
              ) -> Iterator[dict[str, Any]]:
    """A bar with rate and ETA on a terminal or in a notebook; a plain line every 10 s
    otherwise."""
    if not show:
        yield from rows
        return
    bar = progress_bar(total, "variant", iterable=rows)
    if bar is not None:
        yield from bar
        return
    started = last = time.monotonic()
    for count, row in enumerate(rows, 1):
        yield row
        now = time.monotonic()
        if now - last >= 10 or count == total:
            rate = count / max(now - started, 1e-9)
            print(f"sweep: {count}/{total} variants, {rate:.2f}/s, "
                  f"about {(total - count) / rate:.0f} s left", file=sys.stderr, flush=True)
            last = now


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
