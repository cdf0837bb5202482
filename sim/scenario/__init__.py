"""Scenario files: TOML in, validated frozen attrs objects out.

A scenario file is data. It is read with :mod:`tomllib`, checked key by key against the attrs
classes below (unknown keys, types, ranges), merged over the files it ``extends`` (tables key by
key, arrays of tables such as ``[[aid.pledges]]`` by ``id``), then resolved into one
:class:`AllyConfig` per assessed ally with every value concrete. Every mistake becomes a
:class:`~sim.errors.ScenarioError` naming the file and the dotted key where it was written; a
value inside a key's hard bounds but outside its typical range becomes a
:class:`~sim.errors.ScenarioWarning` that the :class:`Scenario` carries (the library prints none).

Units: shares are % of GDP, growth and inflation are fractions per year, money is current USD.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from sim import schema
from sim.data.base import ALLIES, NOT_ASSESSED, load_base
from sim.data.history import announced_plans, announced_points
from sim.data.parameters import calibrated_table, load_parameters
from sim.data.prices import deflator_mean
from sim.data.related import load_related, related_evidence
from sim.data.threats import frontline_flags
from sim.errors import FieldError, LocatedError, ScenarioError, ScenarioWarning
from sim.kept import Kept
from sim.limits import read_text
from sim.mechanisms import MECHANISMS, plans
from sim.mechanisms.plans import ally_plan
from sim.resources import scenarios_dir
from sim.scenario.aid import AID_TABLES, AidModel, Spending, check_aid, parse_aid, table_class
from sim.schema import POINTS, SHARE, YEAR

PATHS = ("linear", "flat", "custom", "announced")
FIRST_BASE_YEAR, LAST_BASE_YEAR = 2014, 2026  # years the July 2026 NATO edition covers
MAX_HORIZON_YEARS = 50


def _check_code(code: Any, key: str, file: str) -> None:
    if not isinstance(code, str) or code not in ALLIES:
        raise ScenarioError(
            file, key, f"unknown ally code {code!r} (ISO 3166 alpha-3, e.g. DEU)"
            + schema.did_you_mean(str(code).upper(), ALLIES),
        )


# --- the objects a scenario resolves to --------------------------------------------------------



#: Typical core and related shares, % of GDP: NATO's 2014-2026 series runs from 0.37 (Luxembourg,
#: 2014) to 5.33 (Lithuania, 2026); below 0.3 a share is likely a fraction (0.035 for 3.5%), and
#: 10, twice the highest ally, is as far as any plan goes.
_SHARES = (0.3, 10.0)
#: Typical years of a goal, its review and the horizon: NATO's goals were set for 2024 (Wales,
#: 2014) and 2035 (The Hague, 2025); no plan looks past 2060.
_YEARS = (2015, 2060)


# The spending model's mechanisms declare their own tables (sim.mechanisms): each adds one
# table field, its KEY, to [defaults] and [allies.X].
_MECHANISMS = MECHANISMS


def _with_mechanism_tables(cls: type) -> type:
    """Add each mechanism's table as a field ``KEY`` (kind "table", default its defaults) to an
    attrs class about to be made, after the fields the class itself declares."""
    for mechanism in _MECHANISMS:
        cls.__annotations__[mechanism.KEY] = mechanism.Table.__name__
        setattr(cls, mechanism.KEY, attrs.field(factory=mechanism.Table,
                                                metadata={"kind": "table"}))
    return cls


@attrs.frozen
class Policy:
    """How a spending share moves toward the ally's intent (SPEC 3.2), in % of GDP.

    ``c[t] = c[t-1] + adjustment * (p[t] - c[t-1]) + noise * z[t]``, then ``max(c, floor)``.
    """

    path: str = schema.string("linear", PATHS)
    # Any speed from none (0) to reaching the path at once (1) is a planner's assumption; the
    # fit gives 0 to 0.12 a year per ally.
    adjustment: float = schema.number(0.35, 0.0, 1.0, typical=(0.0, 1.0),
                                unit="fraction of the gap closed a year")
    # Fitted 0.05 to 0.59 pp a year across allies; 1 pp is above any ally's 2014-2026 record.
    noise: float = schema.number(0.10, 0.0, 5.0, typical=(0.0, 1.0), unit=f"{POINTS} a year")
    # A floor of 0 (none) up to the highest shares anyone plans.
    floor: float = schema.number(0.0, 0.0, 100.0, hi_open=True, typical=(0.0, _SHARES[1]),
                                 unit=SHARE)
    #: Share the ``linear`` path reaches in the goal year; ``None`` means the goal's.
    target: float | None = schema.number(None, 0.0, 100.0, hi_open=True, typical=_SHARES,
                                         unit=SHARE)
    #: ``(year, share)`` points of a ``custom`` path, interpolated from the base year.
    custom: tuple[tuple[int, float], ...] = schema.points(typical=_SHARES, unit=SHARE)


@attrs.frozen
class Growth:
    """Real GDP growth, AR(1) around ``mean`` with a common alliance factor (SPEC 3.1).

    Fractions per year. ``mean`` ``None`` means the ally's IMF WEO projection.
    """

    # IMF WEO (Oct 2025) means for 2027-2030 run from 0.7% (Italy) to 3.8% (Turkey) a year; a
    # decade-long average below -3% or above 7% has no precedent among allies since 1990.
    mean: float | None = schema.number(None, -0.2, 0.2, typical=(-0.03, 0.07),
                                       unit="fraction a year")
    # Fitted 0.018 to 0.116 per ally (2014-2026, the pandemic included).
    sd: float = schema.number(0.01, 0.0, 0.2, typical=(0.0, 0.15), unit="fraction a year")
    # Fitted 0.14 for the alliance: annual growth is mildly persistent; beyond -0.5 it swings
    # year to year, beyond 0.9 it nearly never returns to its mean.
    persistence: float = schema.number(0.4, -1.0, 1.0, lo_open=True, hi_open=True,
                                 typical=(-0.5, 0.9), unit="AR(1) coefficient")
    # A loading between independent (0) and fully common (1) growth; fitted 0.89.
    common: float = schema.number(0.5, 0.0, 1.0, typical=(0.0, 1.0),
                            unit="loading on the common factor")
    # Allies' inflation 2014-2026 ran from -1% to about 15% a year outside Turkey (up to 72%);
    # 30% covers a high-inflation ally over a decade.
    #: Deterministic inflation of USD GDP; 0 reports money in constant base-year USD.
    inflation: float = schema.number(0.0, -0.5, 1.0, typical=(-0.02, 0.3), unit="fraction a year")
    #: National GDP-deflator inflation: budgets in money and debt are nominal in national
    #: currency (plans and fiscal space). ``None`` means the ally's IMF WEO projection.
    deflator: float | None = schema.number(None, -0.5, 1.0, typical=(-0.02, 0.3),
                                           unit="fraction a year")


@attrs.frozen
@_with_mechanism_tables
class AllySettings:
    """One ``[defaults]`` or ``[allies.ISO3]`` table as written: ``None`` means not set here."""

    core_base: float | None = schema.number(None, 0.0, 100.0, hi_open=True, typical=_SHARES,
                                      unit=SHARE)
    # No NATO series: the shipped scenarios assume 0, and the 1.5% goal bounds what counts;
    # 3 is twice that.
    related_base: float | None = schema.number(None, 0.0, 100.0, hi_open=True, typical=(0.0, 3.0),
                                         unit=SHARE)
    # Allies' GDP runs from USD 4.6bn (Montenegro, 2014) to USD 32.5tn (the US, 2026); the hard
    # bounds, USD 1 to USD 1,000tn (ten times the world's), keep shares and sums finite.
    gdp_base: float | None = schema.number(None, 1.0, 1e15, typical=(1e9, 1e14), unit="USD")
    policy: Policy = attrs.field(factory=Policy, metadata={"kind": "table"})
    related: Policy = attrs.field(factory=Policy, metadata={"kind": "table"})
    growth: Growth = attrs.field(factory=Growth, metadata={"kind": "table"})
    # and one table per mechanism (threat events: ``shocks``), from _with_mechanism_tables


@attrs.frozen
class Goal:
    """The Hague commitment: shares of GDP to reach by ``year`` (SPEC 3.2)."""

    # NATO's goals: 2% (Wales, 2014), 3.5% core and 5% in all (The Hague, 2025); below 1 a goal
    # is likely a fraction, above 10 (15 in all) beyond any ally's spending since the Cold War.
    core: float = schema.number(3.5, 0.0, 100.0, hi_open=True, typical=(1.0, 10.0), unit=SHARE)
    total: float = schema.number(5.0, 0.0, 100.0, hi_open=True, typical=(1.0, 15.0), unit=SHARE)
    year: int = schema.integer(2035, typical=_YEARS, unit=YEAR,
                         bounds="after the base year, up to the horizon")
    #: Year of the Hague review of "credible paths".
    review_year: int = schema.integer(2029, typical=_YEARS, unit=YEAR,
                                bounds="after the base year, up to goal.year")
    # NATO has not defined it; the baseline assumes 0.1 pp. A tolerance above 1 pp counts an
    # ally a third of the way short of a 3.5% goal as credible.
    #: Percentage points below the straight base-to-goal line still counted as credible.
    review_tolerance: float = schema.number(0.0, 0.0, 100.0, typical=(0.0, 1.0), unit=POINTS)


@attrs.frozen
class Meta:
    """The ``[scenario]`` table."""

    name: str | None = schema.string(None)
    description: str = schema.string("")
    extends: str | None = schema.string(None)
    allies: tuple[str, ...] | None = schema.codes(_check_code)
    # The years of the July 2026 NATO edition: every one is a legitimate base.
    base_year: int = schema.integer(LAST_BASE_YEAR, FIRST_BASE_YEAR, LAST_BASE_YEAR,
                              typical=(FIRST_BASE_YEAR, LAST_BASE_YEAR), unit=YEAR)
    horizon: int | None = schema.integer(None, typical=_YEARS, unit=YEAR,
                                   bounds=f"1 to {MAX_HORIZON_YEARS} years after the base year")


@attrs.frozen
@_with_mechanism_tables
class AllyConfig:
    """An assessed ally with every parameter resolved: what the engine runs."""

    code: str
    core_base: float  # % of GDP in the base year
    related_base: float  # % of GDP in the base year (an explicit assumption: no NATO series)
    gdp_base: float  # current USD in the base year
    policy: Policy
    related: Policy
    growth: Growth
    #: Dotted keys whose values come from calibration/parameters.toml, not the scenario.
    calibrated: tuple[str, ...] = ()
    #: The source of the ally's related-spending path (``related.path = "announced"`` with
    #: evidence in calibration/data/related_spending.csv); empty where the path is an assumption.
    related_evidence: str = ""
    # and one table per mechanism (threat events: ``shocks``), from _with_mechanism_tables


@attrs.frozen
class Inheritance:
    """What a file that ``extends`` another changed of it; everything else it inherits.

    Keys are dotted; entries of arrays of tables are named by id, ``aid.pledges[id=gbr-lmm]``.
    """

    parent: str  # the ``extends`` reference as written
    changes: tuple[str, ...] = ()  # keys the parent sets, given another value here
    sets: tuple[str, ...] = ()  # keys the parent leaves unset
    adds: tuple[str, ...] = ()  # entries with an id the parent lacks
    replaces: tuple[str, ...] = ()  # entries that replace the parent's of the same id
    removes: tuple[str, ...] = ()  # entries dropped with ``remove = true``
    #: ``(array, kept, of)``: how many of the parent's entries of each array of tables remain.
    inherited: tuple[tuple[str, int, int], ...] = ()

    def describe(self) -> str:
        """One line: ``extends udcg-2026: changes ...; adds aid.pledges[id=x]; inherits ...``."""
        parts = [f"{verb} {_listing(keys)}" for verb, keys in (
            ("changes", self.changes), ("sets", self.sets), ("adds", self.adds),
            ("replaces", self.replaces), ("removes", self.removes)) if keys]
        kept = [f"{n} {key}" if n == total else f"{n} of {total} {key}"
                for key, n, total in self.inherited]
        rest = "inherits the rest" + (f", with {', '.join(kept)}" if kept else "")
        return f"extends {self.parent}: " + "; ".join([*(parts or ["changes nothing"]), rest])


def _listing(keys: tuple[str, ...], most: int = 6) -> str:
    if len(keys) <= most:
        return ", ".join(keys)
    return f"{', '.join(keys[:most])} and {len(keys) - most} more"


@attrs.frozen
class Scenario:
    """A validated scenario: what to simulate, with every value concrete.

    Build one with :func:`load_scenario` or :meth:`Scenario.from_mapping`; vary it with
    :meth:`with_values` (dotted keys, re-validated) rather than by hand.
    """

    name: str
    description: str
    base_year: int
    horizon: int
    goal: Goal
    members: tuple[str, ...]  # every listed ally, Iceland included
    allies: tuple[AllyConfig, ...]  # the assessed ones, in code order
    document: Mapping[str, Any] = attrs.field(repr=False, eq=False)  # merged TOML
    source: str = ""
    #: The ``[aid]`` model, ``None`` when the scenario has none.
    aid: AidModel | None = attrs.field(default=None, repr=False, eq=False)
    #: Values accepted but worth a second look (outside their typical range), each naming the
    #: file and key that wrote it. The library never prints them; ``summit`` does.
    warnings: tuple[ScenarioWarning, ...] = attrs.field(default=(), repr=False, eq=False)
    #: What the file changed of the one it ``extends``; ``None`` when it extends none.
    inheritance: Inheritance | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def codes(self) -> tuple[str, ...]:
        """ISO3 codes of the assessed allies, in engine order."""
        return tuple(a.code for a in self.allies)

    @property
    def years(self) -> tuple[int, ...]:
        """Base year to horizon, inclusive."""
        return tuple(range(self.base_year, self.horizon + 1))

    @property
    def sha256(self) -> str:
        """Digest of the merged scenario: equal contents, equal digests, whatever they extend."""
        document = dict(self.document)
        document["scenario"] = {k: v for k, v in document.get("scenario", {}).items()
                                if k != "extends"}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def ally(self, code: str) -> AllyConfig:
        """The resolved configuration of one assessed ally."""
        for ally in self.allies:
            if ally.code == code:
                return ally
        raise KeyError(code)

    @classmethod
    def from_mapping(cls, document: Mapping[str, Any], *, file: str = "<scenario>") -> Scenario:
        """Validate and resolve one scenario document (no ``extends``) given as a mapping."""
        doc = copy.deepcopy(dict(document))
        origins, warnings = _check_document(doc, file)
        if doc["scenario"].get("extends"):
            raise ScenarioError(file, "scenario.extends", "only files can extend; load the file")
        doc, entries = _layer({}, {}, doc, file, None)
        return _resolve(doc, origins, entries, source=file, warnings=warnings)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Read, validate and resolve a scenario file and the chain it ``extends``."""
        chain = _read_chain(Path(path), ())
        return _resolve(chain.doc, chain.origins, chain.entries, source=str(path),
                        warnings=chain.warnings, inheritance=chain.inheritance)

    def with_values(self, values: Mapping[str, Any]) -> Scenario:
        """A re-validated variant with dotted keys set: ``{"defaults.policy.adjustment": 0.5}``.

        Its warnings are those of the variant; every key, set here or not, is reported at the
        scenario's source file.
        """
        doc = self._document_with(values)
        source = self.source or "<scenario>"
        origins, warnings = _check_document(doc, source)
        doc, entries = _layer({}, {}, doc, source, None)
        return _resolve(doc, origins, entries, source=self.source, warnings=warnings)

    def check_values(self, values: Mapping[str, Any]) -> tuple[ScenarioWarning, ...]:
        """Check dotted values on their own, as :meth:`with_values` would, and return the
        variant's warnings; raise a ScenarioError for an unknown key or a value outside its
        hard bounds. Checks across keys (a goal year within the horizon...) are not made."""
        _, warnings = _check_document(self._document_with(values), self.source or "<scenario>")
        return tuple(warnings)

    def _document_with(self, values: Mapping[str, Any]) -> dict[str, Any]:
        doc = _copy_tables(self.document)
        for key, value in values.items():
            _set_dotted(doc, key, value)
        doc.setdefault("scenario", {}).pop("extends", None)
        return doc


# --- reading files ----------------------------------------------------------------------------


def shipped_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios shipped in ``scenarios/``."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.toml"))}


def find_scenario(path_or_name: str | Path) -> Path:
    """A scenario path, or a shipped scenario's path by name."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    shipped = shipped_scenarios()
    if str(path_or_name) in shipped:
        return shipped[str(path_or_name)]
    if path.exists():
        raise ScenarioError(path, None, "is not a file")
    raise ScenarioError(
        path_or_name, None,
        f"no such file or shipped scenario (shipped: {', '.join(shipped)})"
        + schema.did_you_mean(str(path_or_name), shipped),
    )


def is_sweep_file(path: str | Path) -> bool:
    """Whether a TOML file holds a ``[sweep]`` table (:mod:`sim.sweeps`) rather than a scenario."""
    return isinstance(_read_toml(Path(path)).get("sweep"), dict)


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario from a TOML path or a shipped scenario's name (``"baseline"``)."""
    return Scenario.from_file(find_scenario(path_or_name))


#: The deepest a scenario or sweep file may nest arrays and tables (the shipped ones: 5).
MAX_DEPTH = 32
#: The most files a chain of ``extends`` may hold, the file itself included (the shipped ones: 3).
MAX_CHAIN = 32
TOO_DEEP = f"nests arrays or tables more than {MAX_DEPTH} deep"


def _read_toml(path: Path) -> dict[str, Any]:
    # A regular file of bounded size only: a FIFO or a device would hang or fill memory.
    text = read_text(path, lambda key, problem: ScenarioError(path, key, problem))
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, None, f"not valid TOML: {err}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise ScenarioError(path, None, TOO_DEEP) from None
    check_depth(doc, lambda key, problem: ScenarioError(path, key, problem))
    if not doc:
        raise ScenarioError(path, None,
                            'is empty: a scenario needs at least [scenario] name = "..."')
    return doc


def check_depth(doc: dict[str, Any],
                fail: Callable[[str | None, str], LocatedError]) -> None:
    """Raise ``fail(key, problem)`` at the first value of ``doc``, a TOML document, nested more
    than :data:`MAX_DEPTH` deep in arrays and tables (the loaders walk them by recursion); the
    walk itself is a loop, so any depth is measured."""
    stack: list[tuple[str, Any, int]] = [("", doc, 0)]
    while stack:
        key, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise fail(key.lstrip(".") or None, TOO_DEEP)
        children = value.items() if isinstance(value, dict) else \
            enumerate(value) if isinstance(value, list) else ()
        # The key as written, with the index into an array but none into the arrays inside it.
        stack.extend((f"{key}.{name}" if isinstance(value, dict) else
                      key if key.endswith("]") else f"{key}[{name}]", child, depth + 1)
                     for name, child in children)


@attrs.define
class _Chain:
    """A file merged over the chain it extends, with where each part was written."""

    doc: dict[str, Any]
    origins: dict[str, str]  # dotted key -> the file that wrote it
    #: Each entry of an array of tables, ``aid.pledges[16]``, -> (file, its key there).
    entries: dict[str, tuple[str, str]]
    warnings: list[ScenarioWarning]  # only those whose value is still in effect
    inheritance: Inheritance | None = None


def _read_chain(path: Path, seen: tuple[Path, ...]) -> _Chain:
    """The document of ``path`` merged over its ``extends`` chain, and each key's origin file."""
    resolved = path.resolve()
    file = str(path)
    doc = _read_toml(path)
    origins, warnings = _check_document(doc, file)
    parent_ref = doc["scenario"].get("extends")
    if parent_ref is None:
        merged, entries = _layer({}, {}, doc, file, None)
        return _Chain(merged, origins, entries, warnings)
    parent = _find_parent(path, parent_ref)
    if parent.resolve() in (*seen, resolved):
        chain = " -> ".join(p.name for p in (*seen, resolved, parent.resolve()))
        raise ScenarioError(path, "scenario.extends", f"extends itself in a cycle: {chain}")
    if len(seen) + 2 > MAX_CHAIN:
        raise ScenarioError(path, "scenario.extends",
                            f"a chain of more than {MAX_CHAIN} files extending one another "
                            f"(from {(*seen, resolved)[0].name})")
    base = _read_chain(parent, (*seen, resolved))
    for key in ("name", "extends", "description"):
        base.doc["scenario"].pop(key, None)
    inheritance = _inheritance(parent_ref, base.doc, doc)
    merged, entries = _layer(base.doc, base.entries, doc, file, parent_ref)
    merged["scenario"]["extends"] = parent_ref
    written = [key for key, _ in _written(doc)]
    surviving = set(entries.values())

    def in_effect(warning: ScenarioWarning) -> bool:
        # A parent's value is in effect unless this file wrote over it (or dropped its entry).
        key = warning.key or ""
        head, bracket, _ = key.partition("]")
        if bracket:
            return (warning.file, head + "]") in surviving
        return not any(key == k or key.startswith(k + ".") for k in written)

    return _Chain(merged, {**base.origins, **origins}, entries,
                  [w for w in base.warnings if in_effect(w)] + warnings, inheritance)


def _find_parent(path: Path, ref: str) -> Path:
    relative = path.parent / ref
    if relative.is_file():
        return relative
    shipped = shipped_scenarios()
    if ref in shipped:
        return shipped[ref]
    raise ScenarioError(
        path, "scenario.extends",
        f"{ref!r} is neither a file relative to this one nor a shipped scenario "
        f"({', '.join(shipped)})" + schema.did_you_mean(ref, shipped),
    )


#: Tables that are one value (a path's year -> share points), replaced whole, never merged.
_WHOLE_TABLES = frozenset({"custom"})

#: Entries of an array of tables are matched by this key when a file extends another.
ENTRY_ID = "id"


def _merge(base: dict[str, Any], top: Mapping[str, Any],
           entries: Callable[[str, list[Any], list[Any]], list[Any]] | None = None,
           prefix: str = "") -> dict[str, Any]:
    """Tables merge key by key; any other value in ``top`` replaces the one in ``base``.

    With ``entries``, an array of tables in ``top`` is merged with ``base``'s instead, by
    ``entries(dotted_key, base_entries, top_entries)``.
    """
    out = dict(base)
    for key, value in top.items():
        if type(value) in _PLAIN:
            # A plain value is its own deep copy (a sweep merges every variant's allies).
            out[key] = value
            continue
        # With ``entries``, a table new in ``top`` is walked too, for the arrays inside it.
        if (key not in _WHOLE_TABLES and isinstance(value, Mapping)
                and isinstance(out.get(key, {} if entries else None), Mapping)):
            out[key] = _merge(dict(out.get(key, {})), value, entries, f"{prefix}{key}.")
        elif entries is not None and _is_entries(value) and isinstance(out.get(key, []), list):
            out[key] = entries(f"{prefix}{key}", list(out.get(key, [])), value)
        else:
            out[key] = (_copy_tables(value) if isinstance(value, dict)
                        else copy.deepcopy(value))
    return out


#: TOML's immutable values.
_PLAIN = frozenset({bool, int, float, str})


def _copy_tables(document: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a TOML document that shares its plain values, as a deep copy would."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        out[key] = (value if type(value) in _PLAIN else _copy_tables(value)
                    if isinstance(value, dict) else copy.deepcopy(value))
    return out


def _is_entries(value: Any) -> bool:
    """An array of tables (``[[aid.pledges]]``): merged by id, not replaced."""
    return isinstance(value, list) and bool(value) and all(isinstance(e, dict) for e in value)


def _entry_lists(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, list[Any]]]:
    """Every array of tables in ``table``, by dotted key."""
    found = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            found.extend(_entry_lists(value, f"{prefix}{key}."))
        elif _is_entries(value):
            found.append((f"{prefix}{key}", value))
    return found


def _layer(base: dict[str, Any], base_entries: Mapping[str, tuple[str, str]],
           top: Mapping[str, Any], file: str, parent: str | None, *,
           removals: bool = True) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """``top`` (the document of ``file``) merged over ``base`` (what it extends, if anything).

    In an array of tables, an entry of ``top`` replaces ``base``'s entry of the same id whole
    (in its place), an entry with a new id is added after ``base``'s, and one with
    ``remove = true`` drops ``base``'s (``removals=False``: removal entries are left out, for
    checking a file on its own). Returns the merged document and, for each entry of its arrays,
    the file that wrote it and its key there.
    """
    layered: dict[str, dict[str, tuple[str, str]]] = {}

    def merge_entries(key: str, old: list[Any], new: list[Any]) -> list[Any]:
        merged: list[tuple[Any, tuple[str, str]] | None] = [
            (entry, base_entries.get(f"{key}[{n}]", (file, f"{key}[{n}]")))
            for n, entry in enumerate(old)]
        index = {entry[ENTRY_ID]: n for n, entry in enumerate(old)
                 if isinstance(entry.get(ENTRY_ID), str)}
        for j, entry in enumerate(new):
            ident = entry.get(ENTRY_ID)
            at = index.get(ident) if isinstance(ident, str) else None
            if entry.get("remove") is True:
                if not removals:
                    continue
                if at is None and parent is None:
                    raise ScenarioError(file, f"{key}[{j}].{ENTRY_ID}", f"removes {ident!r}, but "
                                        "this file extends no other: there is nothing to remove")
                if at is None:
                    raise ScenarioError(file, f"{key}[{j}].{ENTRY_ID}", f"removes {ident!r}, but "
                                        f"{parent!r} has no entry of that id in {key}"
                                        + schema.did_you_mean(ident, index))
                merged[at] = None
            elif at is not None:
                merged[at] = (copy.deepcopy(entry), (file, f"{key}[{j}]"))
            else:
                merged.append((copy.deepcopy(entry), (file, f"{key}[{j}]")))
        kept = [m for m in merged if m is not None]
        layered[key] = {f"{key}[{n}]": where for n, (_, where) in enumerate(kept)}
        return [entry for entry, _ in kept]

    doc = _merge(base, top, merge_entries)
    entries: dict[str, tuple[str, str]] = {}
    for key, values in _entry_lists(doc):
        source = layered.get(key, base_entries)
        for n in range(len(values)):
            entries[f"{key}[{n}]"] = source.get(f"{key}[{n}]", (file, f"{key}[{n}]"))
    return doc, entries


def _written(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The values a file writes, by dotted key: tables are walked, arrays of tables skipped."""
    found = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and key not in _WHOLE_TABLES:
            found.extend(_written(value, dotted + "."))
        elif not _is_entries(value):
            found.append((dotted, value))
    return found


_MISSING = object()


def _get_dotted(doc: Mapping[str, Any], key: str) -> Any:
    value: Any = doc
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _inheritance(parent: str, base: Mapping[str, Any], doc: Mapping[str, Any]) -> Inheritance:
    """What ``doc`` changes of ``base``, the merged document of the file it extends."""
    changes = []
    new_tables: dict[str, list[str]] = {}  # keys the parent lacks, by the outermost it lacks
    for key, value in _written(doc):
        if key in ("scenario.name", "scenario.description", "scenario.extends"):
            continue
        before = _get_dotted(base, key)
        if before is _MISSING:
            parts = key.split(".")
            outer = next(".".join(parts[:n]) for n in range(1, len(parts) + 1)
                         if _get_dotted(base, ".".join(parts[:n])) is _MISSING)
            new_tables.setdefault(outer, []).append(key)
        elif before != value:
            changes.append(key)
    sets = [f"{outer} ({len(keys)} keys)" if len(keys) > 1 else keys[0]
            for outer, keys in new_tables.items()]
    adds, replaces, removes = [], [], []
    gone: dict[str, set[str]] = {}  # ids of the parent's entries replaced or removed
    for key, new in _entry_lists(doc):
        old = _get_dotted(base, key)
        if not _is_entries(old):
            adds.append(f"{len(new)} {key}")  # the parent has none to keep or replace
            continue
        old_by_id = {e.get(ENTRY_ID): e for e in old}
        for entry in new:
            ident = entry.get(ENTRY_ID)
            named = f"{key}[{ENTRY_ID}={ident}]"
            if entry.get("remove") is True:
                removes.append(named)
            elif ident not in old_by_id:
                adds.append(named)
                continue
            elif old_by_id[ident] != entry:
                replaces.append(named)
            else:
                continue  # the parent's entry, written again
            gone.setdefault(key, set()).add(ident)
    inherited = []
    for key, old in _entry_lists(base):
        value = _get_dotted(doc, key)
        if isinstance(value, list) and not _is_entries(value):
            inherited.append((key, 0, len(old)))  # replaced whole by a plain array
            continue
        dropped = gone.get(key, set())
        inherited.append((key, sum(e.get(ENTRY_ID) not in dropped for e in old), len(old)))
    return Inheritance(parent, tuple(changes), tuple(sets), tuple(adds), tuple(replaces),
                       tuple(removes), tuple(inherited))


def _set_dotted(doc: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    table = doc
    for part in parts[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ScenarioError("<values>", key, f"{part!r} is not a table")
    table[parts[-1]] = value


# --- the keys and their units (the README's units table) ---------------------------------------


def keyed_fields() -> list[tuple[str, type, attrs.Attribute]]:
    """Every key of a scenario file that has a unit: ``(dotted key, class, field)``, file order.

    Keys of ``[defaults]`` and ``[allies.X]`` are given without that prefix (``policy.noise``);
    ``NAME`` and ``YEAR`` stand for any name or year, ``[]`` for any entry of an array.
    """
    roots = [("scenario", Meta), ("goal", Goal), ("", AllySettings), *AID_TABLES]
    found: list[tuple[str, type, attrs.Attribute]] = []

    def walk(prefix: str, cls: type) -> None:
        for field in attrs.fields(cls):
            key = f"{prefix}.{field.name}" if prefix else field.name
            sub = schema.nested_class(field) or table_class(cls, field.name)
            if sub is not None:
                walk(key, sub)
            elif "unit" in field.metadata:
                found.append((f"{key}.YEAR" if field.metadata["kind"] == "points" else key,
                              cls, field))

    for prefix, cls in roots:
        walk(prefix, cls)
    return found


def units_table() -> str:
    """The README's table of units, hard bounds and typical ranges, made from the fields."""
    rows: dict[tuple[type, str], list[str]] = {}
    fields: dict[tuple[type, str], attrs.Attribute] = {}
    for key, cls, field in keyed_fields():
        rows.setdefault((cls, field.name), []).append(f"`{key}`")
        fields[(cls, field.name)] = field
    lines = ["| key | unit | allowed | typical |", "|---|---|---|---|"]
    for group, keys in rows.items():
        meta = fields[group].metadata
        typical = schema.span(meta["typical"]) if "typical" in meta else ""
        lines.append(f"| {', '.join(keys)} | {meta['unit']} | {meta.get('bounds', '')} | "
                     f"{typical} |")
    return "\n".join(lines) + "\n"


# --- checking one document ---------------------------------------------------------------------

_SECTIONS = ("scenario", "goal", "defaults", "allies", "aid")


def _check_document(doc: dict[str, Any],
                    file: str) -> tuple[dict[str, str], list[ScenarioWarning]]:
    """Check every key of one file on its own; return dotted key -> file for the keys it sets,
    and the warnings its values raise (at the keys as written in it)."""
    if "sweep" in doc:
        raise ScenarioError(file, None, "is a sweep file, not a scenario: `summit sweep` runs it, "
                            "`summit validate` checks it")
    for key in doc:
        if key not in _SECTIONS:
            raise ScenarioError(file, key, "unknown section" + schema.did_you_mean(key, _SECTIONS))
    for section in _SECTIONS:
        if section in doc and not isinstance(doc[section], dict):
            raise ScenarioError(file, section,
                                f"must be a table, got {schema.type_name(doc[section])}")
    warnings: list[ScenarioWarning] = []
    scenario = doc.setdefault("scenario", {})
    schema.build(Meta, scenario, "scenario", file, warnings)
    if not isinstance(scenario.get("name"), str) or not scenario["name"].strip():
        raise ScenarioError(file, "scenario.name", "required: every scenario file names itself")
    schema.build(Goal, doc.get("goal", {}), "goal", file, warnings)
    schema.build(AllySettings, doc.get("defaults", {}), "defaults", file, warnings)
    for code, table in doc.get("allies", {}).items():
        key = f"allies.{code}"
        _check_code(code, key, file)
        if code in NOT_ASSESSED:
            raise ScenarioError(
                file, key, f"{ALLIES[code]} has no armed forces or spending figures and is "
                "not assessed for the spending goal",
            )
        if not isinstance(table, dict):
            raise ScenarioError(file, key, f"must be a table, got {schema.type_name(table)}")
        schema.build(AllySettings, table, key, file, warnings)
    _check_entries(doc, file)
    if "aid" in doc:
        # Entries that remove an inherited pledge are the merge's business, not pledges.
        view, entries = _layer({}, {}, {"aid": doc["aid"]}, file, None, removals=False)
        check_aid(view["aid"], _locator({}, entries, file), warnings)
    return {key: file for key in _leaf_keys(doc)}, warnings


def _check_entries(doc: Mapping[str, Any], file: str) -> None:
    """Within one file, ids of an array of tables are unique and removals name only an id."""
    for key, entries in _entry_lists(doc):
        seen: dict[str, int] = {}
        for j, entry in enumerate(entries):
            where = f"{key}[{j}]"
            if "remove" in entry:
                if entry["remove"] is not True:
                    raise ScenarioError(file, f"{where}.remove", "must be true, to drop the "
                                        "inherited entry of that id (leave it out to keep it)")
                extra = sorted(set(entry) - {ENTRY_ID, "remove"})
                if extra:
                    raise ScenarioError(file, f"{where}.{extra[0]}", "an entry with remove = "
                                        "true takes only the id of the entry it drops")
                if not isinstance(entry.get(ENTRY_ID), str):
                    raise ScenarioError(file, f"{where}.{ENTRY_ID}",
                                        "required: the id of the inherited entry to remove")
            ident = entry.get(ENTRY_ID)
            if isinstance(ident, str):
                if ident in seen:
                    raise ScenarioError(file, f"{where}.{ENTRY_ID}",
                                        f"{ident!r} is already the id of {key}[{seen[ident]}]")
                seen[ident] = j


def _locator(origins: Mapping[str, str], entries: Mapping[str, tuple[str, str]],
             source: str) -> Callable[[str], tuple[str, str]]:
    """``locate(key)``: the file that wrote a merged key, and the key as written there."""

    def locate(key: str) -> tuple[str, str]:
        # Keys inside an array of tables (aid.pledges[16].amount) are where that entry was.
        head, bracket, rest = key.partition("]")
        if bracket and head + "]" in entries:
            file, written = entries[head + "]"]
            return file, written + rest
        return origins.get(key) or origins.get(key.split("[")[0]) or source, key

    return locate


def _leaf_keys(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if type(value) not in _PLAIN and isinstance(value, Mapping) and value:
            keys.extend(_leaf_keys(value, dotted + "."))
        keys.append(dotted)
    return keys


# --- resolving a checked document --------------------------------------------------------------


def _resolve(doc: dict[str, Any], origins: Mapping[str, str],
             entries: Mapping[str, tuple[str, str]], *, source: str,
             warnings: list[ScenarioWarning], inheritance: Inheritance | None = None
             ) -> Scenario:
    """Cross-field checks and per-ally resolution of a merged, key-checked document."""

    def fail(key: str, problem: str) -> ScenarioError:
        file = origins.get(key) or source
        return ScenarioError(file, key, problem)

    meta = schema.build(Meta, doc["scenario"], "scenario", source)
    goal = schema.build(Goal, doc.get("goal", {}), "goal", source)
    base_year = meta.base_year
    horizon = meta.horizon if meta.horizon is not None else goal.year
    if not base_year < horizon <= base_year + MAX_HORIZON_YEARS:
        # Without scenario.horizon the goal year is the horizon: name the key that was written.
        key = "scenario.horizon" if meta.horizon is not None else "goal.year"
        raise fail(key, f"must be between {base_year + 1} and "
                   f"{base_year + MAX_HORIZON_YEARS} (after the base year), got {horizon}")
    if not base_year < goal.year <= horizon:
        raise fail("goal.year", f"must be within the horizon {base_year + 1}-{horizon}, "
                   f"got {goal.year}")
    if not base_year < goal.review_year <= goal.year:
        raise fail("goal.review_year", f"must be after the base year {base_year} and no later "
                   f"than the goal year {goal.year}, got {goal.review_year}")
    if goal.total < goal.core:
        # Blame the one the scenario itself wrote, not a parent file the user cannot edit.
        if origins.get("goal.core") == source and origins.get("goal.total") != source:
            raise fail("goal.core", f"must be at most goal.total ({goal.total}), got {goal.core}")
        raise fail("goal.total", f"must be at least goal.core ({goal.core}), got {goal.total}")

    members = meta.allies or tuple(ALLIES)
    base = load_base(base_year)
    defaults = doc.get("defaults", {})
    overrides = doc.get("allies", {})
    for code in overrides:
        if code not in members:
            raise fail(f"allies.{code}", f"{code} is not in scenario.allies")
    configs = []
    # Every ally without a table of its own reads the defaults alone: merged and keyed once.
    plain = _merge(defaults, {})
    plain_keys = frozenset(_leaf_keys(plain))
    # The numbers of the written tables' contents by id, each with its table (so no id is
    # another's later).
    contents: dict[int, tuple[dict[str, Any], int | None]] = {}
    for code in sorted(c for c in members if c not in NOT_ASSESSED):
        own_table = overrides.get(code)
        written = plain if own_table is None else _merge(defaults, own_table)
        # Values the scenario leaves unset come from the fitted parameter file.
        fitted, fitted_keys, fitted_contents = _fitted(code)
        written_keys = plain_keys if own_table is None else frozenset(_leaf_keys(written))
        calibrated = _calibrated(fitted_keys, written_keys)

        def key_of(dotted: str, code: str = code) -> str:
            # The dotted key as written: the ally's own table if it sets it, else the defaults.
            own = f"allies.{code}.{dotted}"
            return own if own in origins else f"defaults.{dotted}"

        settings = _ally_settings(fitted, fitted_contents, written, f"allies.{code}", source,
                                  contents)
        for mechanism in _MECHANISMS:  # fitted but unused: not reported as calibrated
            if not getattr(settings, mechanism.KEY).enabled:
                calibrated = tuple(k for k in calibrated
                                   if not k.startswith(f"{mechanism.KEY}."))
        figures = base[code]
        core_share, gdp_usd = figures.core_share, figures.gdp_usd
        # load_base refuses data without both for an assessed ally.
        assert core_share is not None and gdp_usd is not None
        core_base = settings.core_base if settings.core_base is not None else core_share.value
        gdp_base = settings.gdp_base if settings.gdp_base is not None else gdp_usd.value
        if settings.related_base is None:
            raise fail(f"allies.{code}.related_base", "required: NATO publishes no per-ally "
                       "figure for defence- and security-related spending, so the scenario "
                       "must state its assumption (defaults.related_base)")
        mean = settings.growth.mean
        if mean is None:
            if figures.growth_mean is None:
                raise fail(f"allies.{code}.growth.mean", "no IMF projection for this ally: set it")
            mean = figures.growth_mean.value
        deflator = settings.growth.deflator
        if deflator is None:
            deflator = deflator_mean(code).value
        money = dict(getattr(settings, plans.KEY).money)
        if money and base_year not in money:
            raise fail(key_of("plans.money"), f"a plan in money needs the base year "
                       f"{base_year}'s amount, to scale the base-year share by")
        if money and settings.policy.path in ("flat", "custom"):
            raise fail(key_of("plans.money"), f"set either plans.money or a "
                       f"{settings.policy.path!r} policy.path as the plan, not both")
        policy = _RESOLVED.made(
            functools.partial(_core_policy, settings.policy, code, goal.core, base_year, horizon,
                              lambda name, problem: fail(key_of(f"policy.{name}"), problem)),
            (code, "policy", repr(goal.core), base_year, horizon),
            (settings.policy, announced_plans()))
        related, related_evidence = _RESOLVED.made(
            functools.partial(_related, settings.related, code, goal.total - goal.core, base_year,
                              horizon,
                              lambda name, problem: fail(key_of(f"related.{name}"), problem)),
            (code, "related", repr(goal.total - goal.core), base_year, horizon),
            (settings.related, load_related()))
        configs.append(AllyConfig(
            code=code, core_base=core_base, related_base=settings.related_base,
            gdp_base=gdp_base, policy=policy, related=related,
            # The same object where nothing was left to fill in (no copy to make).
            growth=settings.growth if (mean is settings.growth.mean
                                       and deflator is settings.growth.deflator)
            else _filled_growth(settings.growth, mean, deflator),
            calibrated=calibrated, related_evidence=related_evidence,
            **{mechanism.KEY: getattr(settings, mechanism.KEY) for mechanism in _MECHANISMS},
        ))
    if not configs:
        raise fail("scenario.allies", "lists no assessed ally (Iceland is not assessed)")
    warnings = [*warnings, *_inert_paths(configs, origins, source, base_year, horizon),
                *_unused_settings(configs, origins, source, base_year, horizon)]
    aid = None
    if "aid" in doc:
        aid = parse_aid(doc["aid"], _locator(origins, entries, source),
                        Spending(tuple(c.code for c in configs), base_year, horizon), warnings)
    return Scenario(
        name=meta.name or "", description=meta.description, base_year=base_year,
        horizon=horizon, goal=goal, members=tuple(sorted(members)), allies=tuple(configs),
        document=doc, source=source, aid=aid, warnings=tuple(warnings), inheritance=inheritance,
    )


#: The fitted keys a written table leaves unset, by the fitted keys (:func:`_fitted`; kept with
#: the entry) and the written keys: every variant of a sweep writes the same keys. Emptied when
#: full.
_UNSET = Kept(4096)


def _calibrated(fitted_keys: list[str], written_keys: frozenset[str]) -> tuple[str, ...]:
    """The dotted fitted keys (a table's, not a table) not among the written keys."""
    return _UNSET.made(lambda: tuple(k for k in fitted_keys if k not in written_keys
                                     and "." in k), (written_keys,), (fitted_keys,))


#: Growth tables with their mean and deflator filled in before, by the table as built (the same
#: object for the same values: :func:`_ally_settings`; kept with the entry) and the two values
#: by ``repr``: a sweep's variants fill the same tables in again. Emptied when full.
_FILLED = Kept(4096)


def _filled_growth(growth: Growth, mean: float, deflator: float) -> Growth:
    """``attrs.evolve(growth, mean=mean, deflator=deflator)``, or the one it gave before."""
    return _FILLED.made(lambda: attrs.evolve(growth, mean=mean, deflator=deflator),
                        (repr(mean), repr(deflator)), (growth,))


#: An ally's tables built before, by class and the numbers of the contents
#: (:func:`_contents_token`) of the fitted and the written table merged into it: a sweep's
#: variants build every ally again, most of whose tables are those of the variant before.
#: Emptied when full.
_MERGED_BUILT: dict[tuple[Any, ...], Any] = {}
_MERGED_BUILT_MOST = 4096


#: A number for each table's contents (:func:`sim.schema.contents`), never given to other
#: contents, so that a key of :data:`_MERGED_BUILT` is hashed at the cost of two numbers, not
#: of every value of two tables, and emptying this leaves no entry found for the wrong
#: contents. Emptied when full.
_CONTENT_TOKENS: dict[tuple[Any, ...], int] = {}
_CONTENT_TOKENS_MOST = 16384
_NEXT_TOKEN = itertools.count()


def _contents_token(found: tuple[Any, ...] | None) -> int | None:
    """The number of a table's contents; None for a table that has none (holding a table)."""
    if found is None:
        return None
    token = _CONTENT_TOKENS.get(found)
    if token is None:
        if len(_CONTENT_TOKENS) >= _CONTENT_TOKENS_MOST:
            _CONTENT_TOKENS.clear()
        token = _CONTENT_TOKENS[found] = next(_NEXT_TOKEN)
    return token


#: Each ally's fitted table (:func:`calibrated_table`), its dotted keys and the numbers of the
#: contents of its tables (:func:`_contents_token`), with the parameter file's document they
#: were read from: kept while :func:`load_parameters` gives that document, which is while
#: ``calibrated_table`` would give the same table. Never written into.
_FITTED: dict[str, tuple[dict[str, Any], dict[str, Any], list[str], dict[str, Any]]] = {}


def _fitted(code: str) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """``calibrated_table(code)``, its leaf keys and its tables' contents, read once."""
    document = load_parameters()
    kept = _FITTED.get(code)
    if kept is None or kept[0] is not document:
        fitted = calibrated_table(code)
        kept = _FITTED[code] = document, fitted, _leaf_keys(fitted), {
            name: _contents_token(schema.contents(table)) for name, table in fitted.items()
            if type(table) is dict}
    return kept[1], kept[2], kept[3]


_PLAIN_OR_NONE = (*_PLAIN, type(None))
_TABLE_OR_NONE = (dict, type(None))


@functools.cache
def _settings_fields() -> dict[str, tuple[attrs.Attribute, type | None]]:
    """AllySettings' fields by name, each with the class of its table (None for a value)."""
    return {field.name: (field, None if field.name in _WHOLE_TABLES
                         else schema.nested_class(field))
            for field in attrs.fields(AllySettings)}


def _ally_settings(fitted: dict[str, Any], fitted_contents: Mapping[str, Any],
                   written: dict[str, Any], key: str, file: str,
                   contents: dict[int, tuple[dict[str, Any], int | None]]
                   ) -> AllySettings:
    """``schema.build(AllySettings, _merge(fitted, written), key, file)``, each table of plain
    values that was built before from the same fitted and written contents found again without
    merging; ``fitted_contents`` are the numbers of the fitted tables' contents
    (:func:`_fitted`), and ``contents`` keeps the written tables' by id, for the caller's
    allies.

    The same object, and the same error at the same key for a table that fails: the tables are
    converted in the merged table's order, and one that fails is never kept.
    """
    fields = _settings_fields()
    kwargs: dict[str, Any] = {}
    for name in {**fitted, **written}:  # the order _merge gives: fitted's keys, then the new
        field, nested = fields.get(name, (None, None))
        under, over = fitted.get(name), written.get(name)
        if nested is None:
            if field is None or type(under) not in _PLAIN_OR_NONE \
                    or type(over) not in _PLAIN_OR_NONE:
                return schema.build(AllySettings, _merge(fitted, written), key, file)
            kwargs[name] = schema.convert(field, over if name in written else under,
                                          f"{key}.{name}", file)
            continue
        if type(under) not in _TABLE_OR_NONE or type(over) not in _TABLE_OR_NONE:
            return schema.build(AllySettings, _merge(fitted, written), key, file)
        seen = None if over is None else contents.get(id(over))
        if over is not None and (seen is None or seen[0] is not over):
            seen = contents[id(over)] = over, _contents_token(schema.contents(over))
        found = (nested, None if under is None else fitted_contents[name],
                 None if seen is None else seen[1])
        if (under is not None and found[1] is None) or (over is not None and found[2] is None):
            # A table holding a table or an array: merged and built as ever.
            kwargs[name] = schema.build(nested, _merge(fitted, {name: over})[name]
                                        if over is not None else under, f"{key}.{name}", file)
            continue
        kept = _MERGED_BUILT.get(found)
        if kept is None:
            kept = schema.build(nested, _merge(fitted, {name: over})[name]
                                if over is not None else under, f"{key}.{name}", file)
            if len(_MERGED_BUILT) >= _MERGED_BUILT_MOST:
                _MERGED_BUILT.clear()
            _MERGED_BUILT[found] = kept
        kwargs[name] = kept
    try:
        return AllySettings(**kwargs)
    except FieldError as err:
        raise ScenarioError(file, f"{key}.{err.field}", err.problem) from None


def _inert_paths(configs: list[AllyConfig], origins: Mapping[str, str], source: str,
                 base_year: int, horizon: int) -> list[ScenarioWarning]:
    """A warning at each path key a scenario wrote for one ally whose adjustment is 0.

    With ``adjustment = 0`` the share never moves toward its path (SPEC 3.2), so a path, target
    or custom table written for such an ally (``allies.USA.policy.path = "flat"``) cannot take
    effect: the tool says so rather than answer as if the planner's setting had been used.
    A core path that is the ally's plan (plans enabled) acts through the plan, and with
    commitment enabled SPEC 3.2 is not used (:func:`_unused_settings` says when a path is inert
    there). (A ``[defaults]`` path reaches the three allies fitted at 0 in every scenario that
    extends the baseline; the planning model replaces that fit, so it is not warned about here.)
    """
    inert: dict[str, list[AllyConfig]] = {}
    for ally in configs:
        for table in ("policy", "related"):
            if getattr(ally, table).adjustment != 0.0:
                continue
            if table == "policy" and (_on(ally, "commitment") or (
                    _on(ally, "plans") and ally_plan(ally, base_year, horizon) is not None)):
                continue
            for name in ("path", "target", "custom"):
                key = f"allies.{ally.code}.{table}.{name}"
                if key in origins:
                    inert.setdefault(key, []).append(ally)
    found = []
    for key, allies in inert.items():
        table = key.split(".")[-2]
        where = ("calibrated" if all(f"{table}.adjustment" in a.calibrated for a in allies)
                 else "as set")
        codes = ", ".join(a.code for a in allies)
        found.append(ScenarioWarning(
            origins.get(key) or source, key,
            f"cannot take effect for {codes}: {table}.adjustment is 0 ({where}), so the share "
            f"never moves toward the path; for it to act, set allies.{allies[0].code}.{table}."
            "adjustment above 0"))
    return found


#: Each ally's resolved policies, by the policy table as built (the same object for the same
#: values: :func:`_ally_settings`) and the data they read, both kept with the entry, and by
#: what else they read: a sweep's variants resolve the same policies again. Emptied when full.
_RESOLVED = Kept(4096)


def _core_policy(policy: Policy, code: str, goal_share: float, base_year: int, horizon: int,
                 fail: Callable[[str, str], ScenarioError]) -> Policy:
    """The core policy with its plan's points (``announced``) and its target filled in."""
    if policy.path == "announced":
        # The ally's published plan; an ally without one intends the straight line.
        points = tuple(p for p in announced_points(code, base_year) if p[0] <= horizon)
        policy = attrs.evolve(policy, custom=points)
    return _resolve_policy(policy, goal_share, base_year, horizon, fail)


def _related(related: Policy, code: str, goal_share: float, base_year: int, horizon: int,
             fail: Callable[[str, str], ScenarioError]) -> tuple[Policy, str]:
    """The related-spending policy resolved, and the source it rests on."""
    related, evidence = _related_policy(related, code, horizon)
    return _resolve_policy(related, goal_share, base_year, horizon, fail), evidence


def _related_policy(related: Policy, code: str, horizon: int) -> tuple[Policy, str]:
    """The related-spending policy and the source it rests on ("" for an assumption).

    ``announced`` follows the ally's sourced evidence (:func:`sim.data.related.related_evidence`:
    the middle of its stated range by its stated year, held after); an ally with none keeps the
    straight line to the goal's 1.5%, an assumption.
    """
    if related.path != "announced":
        return related, ""
    evidence = related_evidence(code)
    if evidence is None or evidence.year > horizon:
        return attrs.evolve(related, custom=()), ""
    share = (evidence.low + evidence.high) / 2.0
    return attrs.evolve(related, custom=((evidence.year, share),)), evidence.source


def _on(ally: AllyConfig, key: str) -> bool:
    """Whether the mechanism whose table is ``key`` is on for ``ally``."""
    return bool(getattr(ally, key).enabled)


def _unused_settings(configs: list[AllyConfig], origins: Mapping[str, str], source: str,
                     base_year: int, horizon: int) -> list[ScenarioWarning]:
    """A warning at each planning-layer key a scenario wrote that no year of the model reads.

    A key of a mechanism's table (``[allies.DEU.fiscal] elasticity``) while that table is off
    for the ally; ``policy.adjustment`` where the plan and the commitment set every year's speed;
    a core path other than linear where the commitment starts from the base year (plans off);
    ``growth.deflator`` where neither a plan in money nor fiscal space uses it; ``shocks.exposure``
    for an ally that does not border Russia. A ``[defaults]``
    key is warned about when it acts for none of the allies it reaches. A table switched off on
    purpose is not warned about: one whose ``enabled = false`` was written in the same file as
    the key, or in a file that extends the key's (a variant without the layer).
    """
    tables = {mechanism.KEY for mechanism in _MECHANISMS}

    def switched_off(ally: AllyConfig, table: str, key: str) -> bool:
        # Off, and not by a deliberate ``enabled = false`` (see the docstring).
        if _on(ally, table):
            return False
        for where in (f"allies.{ally.code}.{table}.enabled", f"defaults.{table}.enabled"):
            if where in origins:
                return origins[key] == source and origins[where] != source
        return True

    def reason(ally: AllyConfig, table: str, name: str, key: str) -> str | None:
        if (table, name) == ("shocks", "exposure") and not frontline_flags([ally.code])[0]:
            return ("exposure scales the events of an ally bordering Russia "
                    "(calibration/data/frontline.csv), and this one does not")
        if table in tables and name != "enabled":
            return (f"{table}.enabled is false; set {table}.enabled = true for it to act"
                    if switched_off(ally, table, key) else None)
        plan = ally_plan(ally, base_year, horizon) if _on(ally, "plans") else None
        if (table, name) == ("policy", "adjustment"):
            if _on(ally, "commitment"):
                return ("with commitment enabled, spending follows the plan (plans.follow_*) "
                        "and after it the commitment (commitment.follow), never "
                        "policy.adjustment; set commitment.follow instead")
            if plan is not None and plan.last_year >= horizon:
                return ("the plan covers every year to the horizon, and spending follows it at "
                        "plans.follow_*, never policy.adjustment")
        # A linear path is no plan: the commitment's own line runs to the same target.
        if (table == "policy" and name in ("path", "custom") and ally.policy.path != "linear"
                and _on(ally, "commitment") and switched_off(ally, "plans", key)):
            return ("plans.enabled is false, so intent follows the commitment toward "
                    "policy.target from the base year; set plans.enabled = true for the path "
                    "to be the ally's plan")
        if (table, name) == ("growth", "deflator") and not _on(ally, "fiscal") and (
                plan is None or plan.kind != "money"):
            return ("only a plan in money (plans) and fiscal space (fiscal) use the GDP "
                    "deflator, and neither is in use for this ally")
        return None

    # The allies whose own table sets each (table, name): those a [defaults] key does not reach.
    own: dict[tuple[str, str], set[str]] = {}
    for key in origins:
        parts = key.split(".")
        if parts[0] == "allies" and len(parts) == 4:
            own.setdefault((parts[2], parts[3]), set()).add(parts[1])
    found = []
    for key in origins:
        parts = key.split(".")
        if parts[0] == "allies" and len(parts) == 4:
            ally, table, name = next((a for a in configs if a.code == parts[1]), None), *parts[2:]
            why = None if ally is None else reason(ally, table, name, key)
            if why is not None:
                found.append(ScenarioWarning(origins[key], key,
                                             f"cannot take effect for {parts[1]}: {why}"))
        elif parts[0] == "defaults" and len(parts) == 3:
            table, name = parts[1:]
            setting = own.get((table, name), set())
            reached = [a for a in configs if a.code not in setting]
            whys: set[str] = set()
            for reached_ally in reached:
                reached_why = reason(reached_ally, table, name, key)
                if reached_why is None:
                    break  # it acts for this ally: no warning, so the others need no reason
                whys.add(reached_why)
            else:
                if reached:
                    who = "" if len(reached) == len(configs) else (
                        " for " + ", ".join(a.code for a in reached))
                    found.append(ScenarioWarning(origins[key], key, f"cannot take effect{who}: "
                                                 + "; ".join(sorted(whys))))
    return found


def _resolve_policy(policy: Policy, goal_share: float, base_year: int, horizon: int,
                    fail: Callable[[str, str], ScenarioError]) -> Policy:
    # ``fail(field, problem)``: field is the Policy field the problem is reported at.
    if policy.path in ("custom", "announced"):
        if policy.path == "custom" and not policy.custom:
            raise fail("path", "'custom' requires a custom table of year = share")
        for year, _ in policy.custom:
            if not base_year < year <= horizon:
                raise fail("custom", f"year {year} must lie within {base_year + 1}-{horizon}")
    target = policy.target if policy.target is not None else goal_share
    return policy if target is policy.target else attrs.evolve(policy, target=target)
