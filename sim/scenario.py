"""Scenario files: TOML in, validated frozen attrs objects out.

A scenario file is data. It is read with :mod:`tomllib`, checked key by key against the attrs
classes below (unknown keys, types, ranges), merged over the files it ``extends``, then resolved
into one :class:`AllyConfig` per assessed ally with every value concrete. Every mistake becomes a
:class:`~sim.errors.ScenarioError` naming the file and the dotted key where it was written.

Units: shares are % of GDP, growth and inflation are fractions per year, money is current USD.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .data import ALLIES, NOT_ASSESSED, load_base
from .errors import FieldError, ScenarioError
from .history import announced_points
from .parameters import calibrated_table
from .resources import scenarios_dir

if TYPE_CHECKING:
    from .aid.model import AidModel

PATHS = ("linear", "flat", "custom", "announced")
FIRST_BASE_YEAR, LAST_BASE_YEAR = 2014, 2026  # years the July 2026 NATO edition covers
MAX_HORIZON_YEARS = 50


# --- field helpers: each field declares its TOML kind so the loader can check types ----------


def _range(lo: float | None, hi: float | None, *, lo_open: bool = False,
           hi_open: bool = False) -> Callable[..., None]:
    if lo is not None and hi is not None and not (lo_open or hi_open):
        bound = f"between {lo} and {hi}"
    else:
        parts = []
        if lo is not None:
            parts.append(f"{'above' if lo_open else 'at least'} {lo}")
        if hi is not None:
            parts.append(f"{'below' if hi_open else 'at most'} {hi}")
        bound = " and ".join(parts)

    def check(_instance: object, attribute: attrs.Attribute, value: Any) -> None:
        if value is None:
            return
        below = lo is not None and (value <= lo if lo_open else value < lo)
        above = hi is not None and (value >= hi if hi_open else value > hi)
        if below or above:
            raise FieldError(attribute.name, f"must be {bound}, got {value}")

    return check


def _choice(options: tuple[str, ...]) -> Callable[..., None]:
    def check(_instance: object, attribute: attrs.Attribute, value: str) -> None:
        if value not in options:
            raise FieldError(
                attribute.name,
                f"must be one of {', '.join(repr(o) for o in options)}, got {value!r}"
                + _did_you_mean(value, options),
            )

    return check


def _number(default: float | None, lo: float | None = None, hi: float | None = None, *,
            lo_open: bool = False, hi_open: bool = False) -> Any:
    return attrs.field(default=default,
                       validator=_range(lo, hi, lo_open=lo_open, hi_open=hi_open),
                       metadata={"kind": "number"})


def _integer(default: int | None, lo: int | None = None, hi: int | None = None) -> Any:
    return attrs.field(default=default, validator=_range(lo, hi), metadata={"kind": "integer"})


def _boolean(default: bool) -> Any:
    return attrs.field(default=default, metadata={"kind": "boolean"})


def _string(default: str | None, choices: tuple[str, ...] | None = None) -> Any:
    validator = _choice(choices) if choices else None
    return attrs.field(default=default, validator=validator, metadata={"kind": "string"})


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- the objects a scenario resolves to --------------------------------------------------------


@attrs.frozen
class Policy:
    """How a spending share moves toward the ally's intent (SPEC 3.2), in % of GDP.

    ``c[t] = c[t-1] + adjustment * (p[t] - c[t-1]) + noise * z[t]``, then ``max(c, floor)``.
    """

    path: str = _string("linear", PATHS)
    adjustment: float = _number(0.35, 0.0, 1.0)
    noise: float = _number(0.10, 0.0, 5.0)
    floor: float = _number(0.0, 0.0, 100.0, hi_open=True)
    #: Share the ``linear`` path reaches in the goal year; ``None`` means the goal's.
    target: float | None = _number(None, 0.0, 100.0, hi_open=True)
    #: ``(year, share)`` points of a ``custom`` path, interpolated from the base year.
    custom: tuple[tuple[int, float], ...] = attrs.field(default=(), metadata={"kind": "points"})


@attrs.frozen
class Growth:
    """Real GDP growth, AR(1) around ``mean`` with a common alliance factor (SPEC 3.1).

    Fractions per year. ``mean`` ``None`` means the ally's IMF WEO projection.
    """

    mean: float | None = _number(None, -0.2, 0.2)
    sd: float = _number(0.01, 0.0, 0.2)
    persistence: float = _number(0.4, -1.0, 1.0, lo_open=True, hi_open=True)
    common: float = _number(0.5, 0.0, 1.0)
    #: Deterministic inflation of USD GDP; 0 reports money in constant base-year USD.
    inflation: float = _number(0.0, -0.5, 1.0)


@attrs.frozen
class Threat:
    """Threat events: rare alliance-wide jumps in intended core spending (``[defaults.shocks]``).

    Off unless ``enabled``. In a year with an event, the ally's intended core share rises for
    good by ``size`` pp of GDP, and its actual core share rises that year by a jump, normal with
    mean ``size`` and sd ``spread`` (the jump's own part fades at the adjustment speed). One
    uniform number per year and draw is shared by all allies: an ally reacts when it falls below
    its ``rate``, so with equal rates every ally sees the same events. Calibrated from 2014-2026
    history (see :mod:`sim.calibrate`).
    """

    enabled: bool = _boolean(False)
    rate: float = _number(0.0, 0.0, 1.0)  # events a year
    size: float = _number(0.0, 0.0, 10.0)  # pp of GDP added to intent per event, mean
    spread: float = _number(0.0, 0.0, 10.0)  # pp of GDP, sd of that rise across allies


@attrs.frozen
class AllySettings:
    """One ``[defaults]`` or ``[allies.ISO3]`` table as written: ``None`` means not set here."""

    core_base: float | None = _number(None, 0.0, 100.0, hi_open=True)
    related_base: float | None = _number(None, 0.0, 100.0, hi_open=True)
    gdp_base: float | None = _number(None, 0.0, None)
    policy: Policy = attrs.field(factory=Policy, metadata={"kind": "table"})
    related: Policy = attrs.field(factory=Policy, metadata={"kind": "table"})
    growth: Growth = attrs.field(factory=Growth, metadata={"kind": "table"})
    shocks: Threat = attrs.field(factory=Threat, metadata={"kind": "table"})


@attrs.frozen
class Goal:
    """The Hague commitment: shares of GDP to reach by ``year`` (SPEC 3.2)."""

    core: float = _number(3.5, 0.0, 100.0, hi_open=True)
    total: float = _number(5.0, 0.0, 100.0, hi_open=True)
    year: int = _integer(2035)
    #: Year of the Hague review of "credible paths".
    review_year: int = _integer(2029)
    #: Percentage points below the straight base-to-goal line still counted as credible.
    review_tolerance: float = _number(0.0, 0.0, 100.0)


@attrs.frozen
class Meta:
    """The ``[scenario]`` table."""

    name: str | None = _string(None)
    description: str = _string("")
    extends: str | None = _string(None)
    allies: tuple[str, ...] | None = attrs.field(default=None, metadata={"kind": "codes"})
    base_year: int = _integer(LAST_BASE_YEAR, FIRST_BASE_YEAR, LAST_BASE_YEAR)
    horizon: int | None = _integer(None)


@attrs.frozen
class AllyConfig:
    """An assessed ally with every parameter resolved: what the engine runs."""

    code: str
    core_base: float  # % of GDP in the base year
    related_base: float  # % of GDP in the base year (an explicit assumption: no NATO series)
    gdp_base: float  # current USD in the base year
    policy: Policy
    related: Policy
    growth: Growth
    shocks: Threat = Threat()
    #: Dotted keys whose values come from calibration/parameters.toml, not the scenario.
    calibrated: tuple[str, ...] = ()


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
        origins = _check_document(doc, file)
        if doc["scenario"].get("extends"):
            raise ScenarioError(file, "scenario.extends", "only files can extend; load the file")
        return _resolve(doc, origins, source=file)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Read, validate and resolve a scenario file and the chain it ``extends``."""
        doc, origins = _read_chain(Path(path), ())
        return _resolve(doc, origins, source=str(path))

    def with_values(self, values: Mapping[str, Any]) -> Scenario:
        """A re-validated variant with dotted keys set: ``{"defaults.policy.adjustment": 0.5}``."""
        doc = copy.deepcopy(dict(self.document))
        for key, value in values.items():
            _set_dotted(doc, key, value)
        doc.setdefault("scenario", {}).pop("extends", None)
        origins = _check_document(doc, self.source or "<scenario>")
        return _resolve(doc, origins, source=self.source)


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
        + _did_you_mean(str(path_or_name), shipped),
    )


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario from a TOML path or a shipped scenario's name (``"baseline"``)."""
    return Scenario.from_file(find_scenario(path_or_name))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(path, None, f"cannot be read: {err}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, None, f"not valid TOML: {err}") from None
    if not doc:
        raise ScenarioError(path, None,
                            'is empty: a scenario needs at least [scenario] name = "..."')
    return doc


def _read_chain(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """The document of ``path`` merged over its ``extends`` chain, and each key's origin file."""
    resolved = path.resolve()
    doc = _read_toml(path)
    origins = _check_document(doc, str(path))
    parent_ref = doc["scenario"].get("extends")
    if parent_ref is None:
        return doc, origins
    parent = _find_parent(path, parent_ref)
    if parent.resolve() in (*seen, resolved):
        chain = " -> ".join(p.name for p in (*seen, resolved, parent.resolve()))
        raise ScenarioError(path, "scenario.extends", f"extends itself in a cycle: {chain}")
    base, base_origins = _read_chain(parent, (*seen, resolved))
    base["scenario"].pop("name", None)
    base["scenario"].pop("extends", None)
    base["scenario"].pop("description", None)
    merged = _merge(base, doc)
    merged["scenario"]["extends"] = parent_ref
    return merged, {**base_origins, **origins}


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
        f"({', '.join(shipped)})" + _did_you_mean(ref, shipped),
    )


#: Tables that are one value (a path's year -> share points), replaced whole, never merged.
_WHOLE_TABLES = frozenset({"custom"})


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value in ``top`` replaces the one in ``base``."""
    out = dict(base)
    for key, value in top.items():
        if (key not in _WHOLE_TABLES and isinstance(value, Mapping)
                and isinstance(out.get(key), Mapping)):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _set_dotted(doc: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    table = doc
    for part in parts[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ScenarioError("<values>", key, f"{part!r} is not a table")
    table[parts[-1]] = value


# --- checking one document ---------------------------------------------------------------------

_SECTIONS = ("scenario", "goal", "defaults", "allies", "aid")


def _check_document(doc: dict[str, Any], file: str) -> dict[str, str]:
    """Check every key of one file; return dotted key -> file for the keys it sets."""
    for key in doc:
        if key not in _SECTIONS:
            raise ScenarioError(file, key, "unknown section" + _did_you_mean(key, _SECTIONS))
    for section in _SECTIONS:
        if section in doc and not isinstance(doc[section], dict):
            raise ScenarioError(file, section, f"must be a table, got {_type_name(doc[section])}")
    scenario = doc.setdefault("scenario", {})
    _build(Meta, scenario, "scenario", file)
    if not isinstance(scenario.get("name"), str) or not scenario["name"].strip():
        raise ScenarioError(file, "scenario.name", "required: every scenario file names itself")
    _build(Goal, doc.get("goal", {}), "goal", file)
    _build(AllySettings, doc.get("defaults", {}), "defaults", file)
    for code, table in doc.get("allies", {}).items():
        key = f"allies.{code}"
        _check_code(code, key, file)
        if code in NOT_ASSESSED:
            raise ScenarioError(
                file, key, f"{ALLIES[code]} has no armed forces or spending figures and is "
                "not assessed for the spending goal",
            )
        if not isinstance(table, dict):
            raise ScenarioError(file, key, f"must be a table, got {_type_name(table)}")
        _build(AllySettings, table, key, file)
    if "aid" in doc:
        from .aid.model import check_aid  # the aid model builds on this module's helpers

        check_aid(doc["aid"], file)
    return {key: file for key in _leaf_keys(doc)}


def _leaf_keys(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            keys.extend(_leaf_keys(value, dotted + "."))
        keys.append(dotted)
    return keys


def _check_code(code: Any, key: str, file: str) -> None:
    if not isinstance(code, str) or code not in ALLIES:
        raise ScenarioError(
            file, key, f"unknown ally code {code!r} (ISO 3166 alpha-3, e.g. DEU)"
            + _did_you_mean(str(code).upper(), ALLIES),
        )


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _build(cls: type, table: Any, key: str, file: str) -> Any:
    """Construct ``cls`` from a TOML table, turning every problem into a ScenarioError."""
    if not isinstance(table, dict):
        raise ScenarioError(file, key, f"must be a table, got {_type_name(table)}")
    fields = {f.name: f for f in attrs.fields(cls)}
    kwargs = {}
    for name, value in table.items():
        if name not in fields:
            raise ScenarioError(
                file, f"{key}.{name}", "unknown key" + _did_you_mean(name, fields)
                + f"; {key} takes {', '.join(fields)}",
            )
        kwargs[name] = _convert(fields[name], value, f"{key}.{name}", file)
    try:
        return cls(**kwargs)
    except FieldError as err:
        raise ScenarioError(file, f"{key}.{err.field}", err.problem) from None


def _convert(field: attrs.Attribute, value: Any, key: str, file: str) -> Any:
    kind = field.metadata.get("kind")
    if kind == "table":
        return _build(field.default.factory, value, key, file)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(file, key, f"must be a number, got {_type_name(value)}")
        if not math.isfinite(value):
            raise ScenarioError(file, key, f"must be a finite number, got {value}")
        return float(value)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(file, key, f"must be an integer, got {_type_name(value)}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ScenarioError(file, key, f"must be true or false, got {_type_name(value)}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise ScenarioError(file, key, f"must be a string, got {_type_name(value)}")
        return value
    if kind == "codes":
        if not isinstance(value, list) or not value:
            raise ScenarioError(file, key, "must be a non-empty array of ISO3 codes")
        for i, code in enumerate(value):
            _check_code(code, f"{key}[{i}]", file)
        if len(set(value)) != len(value):
            raise ScenarioError(file, key, "lists an ally twice")
        return tuple(value)
    if kind == "points":
        return _points(value, key, file)
    raise AssertionError(f"field {field.name} has no TOML kind")  # a bug, not user input


def _points(value: Any, key: str, file: str) -> tuple[tuple[int, float], ...]:
    if not isinstance(value, dict) or not value:
        raise ScenarioError(file, key, 'must be a table of year = share, e.g. { 2030 = 3.0 }')
    points = []
    for year, share in value.items():
        if not str(year).isdigit():
            raise ScenarioError(file, f"{key}.{year}", "must be a year, e.g. 2030")
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise ScenarioError(file, f"{key}.{year}", f"must be a number, got {_type_name(share)}")
        if not 0.0 <= share < 100.0:
            raise ScenarioError(file, f"{key}.{year}", f"must be between 0 and 100, got {share}")
        points.append((int(year), float(share)))
    return tuple(sorted(points))


# --- resolving a checked document --------------------------------------------------------------


def _resolve(doc: dict[str, Any], origins: Mapping[str, str], *, source: str) -> Scenario:
    """Cross-field checks and per-ally resolution of a merged, key-checked document."""

    def fail(key: str, problem: str) -> ScenarioError:
        file = origins.get(key) or source
        return ScenarioError(file, key, problem)

    meta = _build(Meta, doc["scenario"], "scenario", source)
    goal = _build(Goal, doc.get("goal", {}), "goal", source)
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
    for code in sorted(c for c in members if c not in NOT_ASSESSED):
        written = _merge(defaults, overrides.get(code, {}))
        # Values the scenario leaves unset come from the fitted parameter file.
        fitted = calibrated_table(code)
        table = _merge(fitted, written)
        calibrated = tuple(k for k in _leaf_keys(fitted)
                           if k not in _leaf_keys(written) and "." in k)

        def key_of(dotted: str, code: str = code) -> str:
            # The dotted key as written: the ally's own table if it sets it, else the defaults.
            own = f"allies.{code}.{dotted}"
            return own if own in origins else f"defaults.{dotted}"

        settings = _build(AllySettings, table, f"allies.{code}", source)
        if not settings.shocks.enabled:  # fitted but unused: not reported as calibrated
            calibrated = tuple(k for k in calibrated if not k.startswith("shocks."))
        figures = base[code]
        core_base = (settings.core_base if settings.core_base is not None
                     else figures.core_share.value)
        gdp_base = settings.gdp_base if settings.gdp_base is not None else figures.gdp_usd.value
        if settings.related_base is None:
            raise fail(f"allies.{code}.related_base", "required: NATO publishes no per-ally "
                       "figure for defence- and security-related spending, so the scenario "
                       "must state its assumption (defaults.related_base)")
        mean = settings.growth.mean
        if mean is None:
            if figures.growth_mean is None:
                raise fail(f"allies.{code}.growth.mean", "no IMF projection for this ally: set it")
            mean = figures.growth_mean.value
        policy = settings.policy
        if policy.path == "announced":
            # The ally's published plan; an ally without one intends the straight line.
            points = tuple(p for p in announced_points(code, base_year) if p[0] <= horizon)
            policy = attrs.evolve(policy, custom=points)
        policy = _resolve_policy(policy, goal.core, base_year, horizon,
                                 lambda name, problem: fail(key_of(f"policy.{name}"), problem))
        if settings.related.path == "announced":
            raise fail(key_of("related.path"), "national plans are core shares; 'announced' "
                       "applies to policy.path only")
        related = _resolve_policy(settings.related, goal.total - goal.core, base_year, horizon,
                                  lambda name, problem: fail(key_of(f"related.{name}"), problem))
        configs.append(AllyConfig(
            code=code, core_base=core_base, related_base=settings.related_base,
            gdp_base=gdp_base, policy=policy, related=related,
            growth=attrs.evolve(settings.growth, mean=mean),
            shocks=settings.shocks, calibrated=calibrated,
        ))
    if not configs:
        raise fail("scenario.allies", "lists no assessed ally (Iceland is not assessed)")
    aid = None
    if "aid" in doc:
        from .aid.model import parse_aid

        def file_of(key: str) -> str:
            # Keys inside an array of tables (aid.pledges[2].x) were written with the array.
            return origins.get(key) or origins.get(key.split("[")[0]) or source

        aid = parse_aid(doc["aid"], file_of)
    return Scenario(
        name=meta.name or "", description=meta.description, base_year=base_year,
        horizon=horizon, goal=goal, members=tuple(sorted(members)), allies=tuple(configs),
        document=doc, source=source, aid=aid,
    )


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
    return attrs.evolve(policy, target=target)
