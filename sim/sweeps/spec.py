"""The sweep file: what a sweep varies, over what, by which design, read and checked whole.

A sweep file names a base scenario, the dotted scenario keys to vary (each over a range, a list of
values or a distribution), a design (``grid``, ``lhs`` or ``sobol``, :mod:`sim.sweeps.designs`)
and the draws per variant, and whether the variants share their random numbers (the default) or
each draws its own (``independent = true``). A grid runs every combination of the values;
``lhs`` runs ``samples`` variants; ``sobol`` runs Saltelli's scheme for Sobol indices,
``samples * (parameters + 2)`` variants, which :mod:`sim.sweeps.sensitivity` analyses. Variant
``i`` is ``base.with_values({key: value, ...})``. Reading a sweep file checks it whole without
running anything: each parameter's key, and the values at its ends against that key's hard
bounds (an error) and typical range (a warning). Every problem of the sweep file is a
:class:`~sim.errors.SweepError`; a problem of its base scenario stays a ScenarioError naming the
scenario file.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from sim.errors import LocatedError, ScenarioError, ScenarioWarning, SweepError
from sim.limits import draws_problem, read_text, sweep_problem
from sim.scenario import TOO_DEEP, Scenario, check_depth, find_scenario
from sim.schema import did_you_mean, type_name
from sim.sweeps.designs import DESIGNS, design_size, grid_points, unit_points

_SWEEP_KEYS = ("base", "design", "samples", "seed", "draws", "independent", "parameters")
_PARAMETER_KEYS = ("key", "range", "values", "distribution")
#: Distributions a parameter may follow, with the numbers each takes, in order.
DISTRIBUTIONS = {"normal": ("mean", "sd"), "triangular": ("low", "mode", "high")}
#: Makes the error for a dotted key of the file being read (None: the whole file).
Fail = Callable[[str | None, str], LocatedError]

#: Scrambled Sobol points lie on a grid of 2**-30 (scipy's default 30 bits); an end of the unit
#: interval, which a normal's quantile function maps to -inf or +inf, is moved half a step inward:
#: about 6.1 standard deviations from the mean.
_UNIT_EDGE = 2.0**-31


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
            # Here: SciPy takes ~0.7 s to import, time in which a sweep's pool starts, and
            # reading a sweep file needs it only for a distribution.
            from scipy import stats

            name, numbers = self.distribution
            if name == "normal":
                return float(stats.norm.ppf(min(max(unit, _UNIT_EDGE), 1 - _UNIT_EDGE),
                                            *numbers))
            low, mode, high = numbers
            return float(stats.triang.ppf(unit, (mode - low) / (high - low), low, high - low))
        if self.low is None or self.high is None:
            raise ValueError(f"parameter {self.key}: no range, values or distribution")
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
    #: Each variant on random numbers of its own (``independent = true``), not the common
    #: random numbers every variant shares by default (:mod:`sim.sweeps.sweep`).
    independent: bool = False

    @classmethod
    def from_file(cls, path: str | Path) -> SweepSpec:
        """Read and validate a sweep file: its keys, its base scenario, and each parameter's
        key and the values it takes (each on its own), without running anything. Errors name
        the file and the dotted key (a SweepError, or the base's ScenarioError)."""
        path = Path(path)
        # A regular file of bounded size only: a FIFO or a device would hang or fill memory.
        text = read_text(path, lambda key, problem: SweepError(path, key, problem))
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SweepError(path, None, f"not valid TOML: {err}") from None
        except RecursionError:  # tomllib parses nested arrays and tables by recursion
            raise SweepError(path, None, TOO_DEEP) from None
        check_depth(doc, lambda key, problem: SweepError(path, key, problem))
        return _parse(doc, path)

    @property
    def size(self) -> int:
        """Variants the sweep runs."""
        return design_size(self.design, self.samples, len(self.parameters))

    def variants(self) -> list[dict[str, Any]]:
        """Each variant's values by dotted key, in index order."""
        if self.design == "grid":
            return [dict(zip((p.key for p in self.parameters), combo, strict=True))
                    for combo in grid_points([p.values or () for p in self.parameters])]
        points = unit_points(self.design, self.samples, len(self.parameters), self.seed)
        return [{p.key: p.at(u) for p, u in zip(self.parameters, row, strict=True)}
                for row in points]

    def columns(self) -> list[str]:
        """The table's columns, fixed and ordered so that tables compare equal run to run."""
        metrics = [*_HEADLINE, *aid_metrics(self.base),
                   *(f"p_meet_goal_{code}" for code in self.base.codes)]
        return ["index", *(p.key for p in self.parameters), "status", "error",
                *(f"{m}{end}" for m in metrics for end in ("", "_lo", "_hi"))]


_HEADLINE = ("all_allies_meet_goal", "all_allies_meet_core", "alliance_meets_goal",
             "alliance_meets_core", "alliance_credible_path")


def aid_metrics(scenario: Scenario) -> list[str]:
    """``ukraine_needs_met_<YEAR>`` for each needs year of the scenario's aid, if it has any."""
    return [] if scenario.aid is None else [f"ukraine_needs_met_{year}"
                                            for year in scenario.aid.years]


# --- reading a sweep file ----------------------------------------------------------------------


def _parse(doc: Mapping[str, Any], path: Path) -> SweepSpec:
    file = str(path)

    def fail(key: str | None, problem: str) -> SweepError:
        return SweepError(file, key, problem)

    for key in doc:
        if key != "sweep":
            raise fail(key, "unknown section" + did_you_mean(key, ["sweep"]))
    sweep = doc.get("sweep")
    if not isinstance(sweep, dict):
        raise fail("sweep", "required: a sweep file holds one [sweep] table")
    _refuse_unknown(sweep, _SWEEP_KEYS, "sweep", "sweep takes", fail)
    base_name = sweep.get("base")
    if not isinstance(base_name, str) or not base_name:
        raise fail("sweep.base", "required: a scenario path or shipped name, e.g. \"baseline\"")
    # A path is read beside the sweep file first, so a sweep and its scenario travel together.
    beside = path.parent / base_name
    try:
        found = beside if beside.is_file() else find_scenario(base_name)
    except ScenarioError as err:
        raise fail("sweep.base", f"{base_name!r}: {err.problem}") from None
    base = Scenario.from_file(found)
    design = sweep.get("design", "lhs")
    if design not in DESIGNS:
        raise fail("sweep.design", f"must be one of {', '.join(DESIGNS)}, got {design!r}"
                   + did_you_mean(design, DESIGNS))
    seed = whole_number(sweep.get("seed", 0), "sweep.seed", 0, fail)
    draws = whole_number(sweep.get("draws", 4000), "sweep.draws", 1, fail)
    independent = sweep.get("independent", False)
    if not isinstance(independent, bool):
        raise fail("sweep.independent", "must be true (each variant its own random numbers) or "
                   f"false (common random numbers, the default), got {independent!r}")
    raw = sweep.get("parameters")
    if not isinstance(raw, list) or not raw:
        raise fail("sweep.parameters", "required: one [[sweep.parameters]] table per varied key")
    parameters = tuple(parameter_from(table, f"sweep.parameters.{n}", design, fail)
                       for n, table in enumerate(raw))
    keys = [p.key for p in parameters]
    for n, key in enumerate(keys):
        if key in keys[:n]:
            raise fail(f"sweep.parameters.{n}.key", f"varies {key!r} twice")
    if design == "grid":
        if "samples" in sweep:
            raise fail("sweep.samples", "a grid runs every combination of the values; "
                       "leave samples out")
        samples = math.prod(len(p.values or ()) for p in parameters)
    else:
        samples = whole_number(sweep.get("samples"), "sweep.samples", 1, fail)
        if design == "sobol" and samples & (samples - 1):
            raise fail("sweep.samples", f"a Sobol design needs a power of two, got {samples}")
    # Before anything is built or written: a runaway size is refused with what it would cost.
    problem = draws_problem(draws)
    if problem is not None:
        raise fail("sweep.draws", problem)
    problem = sweep_problem(design_size(design, samples, len(parameters)), draws)
    if problem is not None:
        raise fail("sweep.parameters" if design == "grid" else "sweep.samples", problem)
    warnings = list(base.warnings)
    for n, parameter in enumerate(parameters):
        warnings.extend(_check_parameter(base, parameter, f"sweep.parameters.{n}", file, fail))
    described = {"base": base.sha256, "design": design, "samples": samples, "seed": seed,
                 "draws": draws, "parameters": [attrs.asdict(p) for p in parameters],
                 "independent": independent}
    if design == "sobol":
        # The sobol design was a plain Sobol sequence before it became Saltelli's scheme: a
        # folder of the old design must not be resumed with the new one.
        described["scheme"] = "saltelli"
    digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
    return SweepSpec(file=file, base=base, design=design, samples=samples, seed=seed,
                     draws=draws, parameters=parameters, digest=digest, warnings=tuple(warnings),
                     independent=independent)


def whole_number(value: Any, key: str, lowest: int, fail: Fail) -> int:
    """``value`` if it is a whole number of at least ``lowest``; else ``fail`` at ``key``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise fail(key, f"must be a whole number >= {lowest}, got {value!r}")
    return value


def _refuse_unknown(table: Mapping[str, Any], allowed: Sequence[str], key: str, takes: str,
                    fail: Fail) -> None:
    """Fail at the first key of ``table`` not in ``allowed``, suggesting the closest."""
    for name in table:
        if name not in allowed:
            raise fail(f"{key}.{name}", "unknown key" + did_you_mean(name, allowed)
                       + f"; {takes} {', '.join(allowed)}")


def parameter_from(table: Any, key: str, design: str, fail: Fail) -> Parameter:
    """The parameter a sweep file's (or a manifest's) table at ``key`` writes, checked for a
    ``design``; a problem is ``fail`` at the dotted key it is at."""
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
        _refuse_mixed(values, f"{key}.values", fail)
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


def _refuse_mixed(values: list[Any], key: str, fail: Fail) -> None:
    """Fail unless ``values`` are all of one kind (numbers, integers and floats alike, or all
    strings, booleans, tables or arrays): a column of the results table holds one type, and a
    key that takes either of two kinds (a need as a number or a {mean, sd} table) would
    otherwise run every variant before the table could not be written."""
    def kind(value: Any) -> str:
        return "a number" if type(value) in (int, float) else type_name(value)

    first = kind(values[0])
    for n, value in enumerate(values):
        if kind(value) != first:
            raise fail(key, f"must all be of one kind: value 0 is {first}, value {n} is "
                       f"{kind(value)} ({value!r})")


def _distribution(table: Any, key: str, fail: Fail) -> tuple[str, tuple[float, ...]]:
    examples = "{ name = \"normal\", mean = 0.015, sd = 0.005 }"
    if not isinstance(table, dict) or table.get("name") not in DISTRIBUTIONS:
        name = table.get("name") if isinstance(table, dict) else None
        raise fail(f"{key}.name", f"must be one of {', '.join(DISTRIBUTIONS)}, got {name!r}"
                   + did_you_mean(str(name), DISTRIBUTIONS) + f", e.g. {examples}")
    name = table["name"]
    wanted = DISTRIBUTIONS[name]
    for field in table:
        if field != "name" and field not in wanted:
            raise fail(f"{key}.{field}", "unknown key" + did_you_mean(field, wanted)
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
                     fail: Fail) -> list[ScenarioWarning]:
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
    # A key the model never reads for the base scenario would give a flat table that looks like
    # a finding: refuse it, with the loader's reason.
    try:
        variant = base.with_values({parameter.key: parameter.ends()[0]})
    except ScenarioError:
        return warnings  # fails only with the base's other values: a failed variant, not inert
    for warning in variant.warnings:
        if warning.key == parameter.key and warning.problem.startswith("cannot take effect"):
            raise fail(f"{key}.key", f"{parameter.key!r}: {warning.problem}")
    return warnings
