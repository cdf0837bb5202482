"""The aid model as written in a scenario: the ``[aid]`` table, validated into frozen objects.

``[aid]`` lives in the same TOML files as the spending model and is checked the same way: every
mistake is a :class:`~sim.errors.ScenarioError` naming the file and the dotted key
(``aid.pledges[2].condition.threshold``), unknown keys get a "did you mean". The table helpers of
:mod:`sim.scenario` do the key-by-key work; this module adds the aid objects and the
cross-references between them (a pledge's donor, item, pool; a condition's program or pool).

Units: money in USD once converted (pledges may be written in GBP, EUR... and are converted with
the sourced rates of ``calibration/data/exchange_rates.csv``); time in months, month 0 being
January of the first year the aid model covers; capacities in units of an item per month.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..data import ALLIES
from ..errors import DataError, ScenarioError
from ..resources import calibration_dir
from ..scenario import _build, _choice, _did_you_mean, _integer, _number, _string, _type_name

CHANNELS = ("bilateral", "UDCG", "PURL", "EU")
CONDITION_KINDS = ("others_total_at_least", "pool_at_least", "matching")
RESOLUTIONS = ("greatest", "least")
UNITS = ("units", "usd")
RATES_FILE = "exchange_rates.csv"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@functools.lru_cache(maxsize=1)
def usd_per_unit() -> dict[str, float]:
    """USD per unit of each currency, from the sourced calibration table."""
    path = calibration_dir() / "data" / RATES_FILE
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise DataError(f"{path}: calibration data file is missing") from None
    try:
        return {row["currency"]: float(row["usd_per_unit"]) for row in rows}
    except (KeyError, ValueError):
        raise DataError(f"{path}: needs columns currency and usd_per_unit (a number)") from None


# --- tables as written (``None``: not set) ------------------------------------------------------


def _optional_choice(options: tuple[str, ...]) -> Any:
    """A string field that may be left out (``None``) but, when set, is one of ``options``."""
    check = _choice(options)

    def optional(instance: object, attribute: attrs.Attribute, value: str | None) -> None:
        if value is not None:
            check(instance, attribute, value)

    return attrs.field(default=None, validator=optional, metadata={"kind": "string"})


@attrs.frozen
class LagTable:
    """A lag in whole months: triangular between ``min`` and ``max`` with its peak at ``mode``."""

    min: int = _integer(0, 0, 120)
    mode: int | None = _integer(None, 0, 120)
    max: int | None = _integer(None, 0, 120)


@attrs.frozen
class DonorTable:
    reliability: float | None = _number(None, 0.0, 1.0)
    lag: LagTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class ItemTable:
    unit_cost: float | None = _number(None, 0.0, None)
    capacity: int | None = _integer(None, 0, None)
    capacity_growth: float = _number(0.0, -1.0, 10.0)


@attrs.frozen
class PoolTable:
    package: float | None = _number(None, 0.0, None)
    item: str | None = _string(None)
    lag: LagTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class ConditionTable:
    kind: str | None = _optional_choice(CONDITION_KINDS)
    program: str | None = _string(None)
    pool: str | None = _string(None)
    threshold: float | None = _number(None, 0.0, None)
    unit: str | None = _optional_choice(UNITS)
    ratio: float | None = _number(None, 0.0, None)
    deadline: str | None = _string(None)


@attrs.frozen
class PledgeTable:
    id: str | None = _string(None)
    donor: str | None = _string(None)
    channel: str = _string("bilateral", CHANNELS)
    program: str = _string("general")
    amount: float | None = _number(None, 0.0, None)
    currency: str = _string("USD")
    quantity: int | None = _integer(None, 0, None)
    item: str | None = _string(None)
    pool: str | None = _string(None)
    month: str | None = _string(None)
    spread: int = _integer(1, 1, 120)
    condition: ConditionTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class AidTable:
    resolution: str = _string("greatest", RESOLUTIONS)
    counts_in_core: bool = attrs.field(default=False, metadata={"kind": "boolean"})


# The ``lag`` and ``condition`` fields default to None, so ``_build`` cannot find their class
# from the default; these say which class each table field is built from.
_TABLE_CLASSES: dict[tuple[type, str], type] = {
    (DonorTable, "lag"): LagTable,
    (PoolTable, "lag"): LagTable,
    (PledgeTable, "condition"): ConditionTable,
}


# --- the resolved model ------------------------------------------------------------------------


@attrs.frozen
class Lag:
    """A lag in whole months, triangular on [low, high] with its peak at ``mode``."""

    low: int
    mode: int
    high: int


@attrs.frozen
class Need:
    """Ukraine's military need in one calendar year, USD: normal(mean, sd) clipped at 0."""

    year: int
    mean_usd: float
    sd_usd: float


@attrs.frozen
class Donor:
    name: str
    reliability: float  # probability a pledge is honoured in full
    lag: Lag  # contracting lag, months


@attrs.frozen
class Item:
    """A produced item and its production line, shared first-come-first-served by all donors."""

    name: str
    unit_cost_usd: float
    capacity: int  # units a month in month 0
    capacity_growth: float  # fraction a year, compounded monthly

    def capacity_in(self, month: int) -> int:
        """Whole units the line can deliver in ``month``."""
        # The small epsilon keeps exact products (e.g. 10 * 1.0) from flooring one unit short.
        return max(0, int(self.capacity * (1.0 + self.capacity_growth) ** (month / 12) + 1e-9))


@attrs.frozen
class Pool:
    """A money pool (PURL): buys a package of ``package_usd`` whenever it holds enough."""

    name: str
    package_usd: float
    item: int | None  # index into AidModel.items, or None: packages are delivered as money
    lag: Lag  # purchase to delivery (or to the production queue), months


@attrs.frozen
class Condition:
    kind: str
    deadline: int  # month index
    program: str | None = None
    pool: int | None = None  # index into AidModel.pools
    threshold: float = 0.0  # units or USD (pool_at_least: USD)
    unit: str = "units"
    ratio: float = 0.0  # matching


@attrs.frozen
class Pledge:
    """A pledge with its money converted: ``usd`` for amounts, ``quantity`` for items.

    A pledge of money for an item becomes ``floor(usd / unit_cost)`` units; a pledge into a pool
    is money; any other pledge of money is delivered as money over ``spread`` months.
    """

    id: str
    donor: str
    channel: str
    program: str
    month: int  # month index of the pledge
    usd: float  # value in USD (quantity pledges: quantity * unit cost)
    quantity: int  # units of ``item``; 0 when no item
    item: int | None
    pool: int | None
    spread: int
    condition: Condition | None
    amount: float | None  # as written, in ``currency``
    currency: str

    @property
    def start(self) -> int:
        """Month the pledge takes effect: a conditional one only once its deadline has passed."""
        return max(self.month, self.condition.deadline) if self.condition else self.month


@attrs.frozen
class AidModel:
    """The validated ``[aid]`` table: what the aid engines simulate."""

    first_year: int  # month 0 is January of this year
    needs: tuple[Need, ...]
    donors: Mapping[str, Donor]
    items: tuple[Item, ...]
    pools: tuple[Pool, ...]
    pledges: tuple[Pledge, ...]
    resolution: str
    counts_in_core: bool

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(n.year for n in self.needs)

    @property
    def months(self) -> int:
        """Months simulated: January of ``first_year`` to December of the last needs year."""
        return 12 * (self.needs[-1].year - self.first_year + 1)

    def month_label(self, month: int) -> str:
        return f"{self.first_year + month // 12}-{month % 12 + 1:02d}"

    def donor_of(self, pledge: Pledge) -> Donor:
        return self.donors[pledge.donor]


# --- parsing -----------------------------------------------------------------------------------


def check_aid(table: Any, file: str) -> None:
    """Check one file's ``[aid]`` table on its own (types, ranges, unknown keys)."""
    _Tables.read(table, lambda _key: file)


def parse_aid(table: Any, file_of: Callable[[str], str]) -> AidModel:
    """Validate a merged ``[aid]`` table into an :class:`AidModel`.

    ``file_of(dotted_key)`` names the file that wrote a key, for error messages.
    """
    return _resolve(_Tables.read(table, file_of), file_of)


@attrs.frozen
class _Tables:
    """The ``[aid]`` table as written, each part checked on its own."""

    settings: AidTable
    needs: tuple[Need, ...]
    defaults: DonorTable
    donors: Mapping[str, DonorTable]
    items: Mapping[str, ItemTable]
    pools: Mapping[str, PoolTable]
    pledges: tuple[PledgeTable, ...]

    SECTIONS = ("needs", "defaults", "donors", "items", "pools", "pledges")

    @classmethod
    def read(cls, table: Any, file_of: Callable[[str], str]) -> _Tables:
        if not isinstance(table, dict):
            raise ScenarioError(file_of("aid"), "aid",
                                f"must be a table, got {_type_name(table)}")
        allowed = (*(f.name for f in attrs.fields(AidTable)), *cls.SECTIONS)
        for key in table:
            if key not in allowed:
                raise ScenarioError(file_of(f"aid.{key}"), f"aid.{key}", "unknown key"
                                    + _did_you_mean(key, allowed)
                                    + f"; aid takes {', '.join(allowed)}")
        raw_pledges = table.get("pledges", [])
        if not isinstance(raw_pledges, list):
            raise ScenarioError(file_of("aid.pledges"), "aid.pledges",
                                "must be an array of tables ([[aid.pledges]])")

        def named(section: str, kind: type) -> dict[str, Any]:
            tables = _named(table.get(section, {}), f"aid.{section}", file_of)
            return {name: _build_table(kind, t, f"aid.{section}.{name}",
                                       file_of(f"aid.{section}.{name}"))
                    for name, t in tables.items()}

        return cls(
            settings=_build_table(AidTable, {k: v for k, v in table.items()
                                             if k not in cls.SECTIONS}, "aid", file_of("aid")),
            needs=_needs(table.get("needs"), file_of),
            defaults=_build_table(DonorTable, table.get("defaults", {}), "aid.defaults",
                                  file_of("aid.defaults")),
            donors=named("donors", DonorTable),
            items=named("items", ItemTable),
            pools=named("pools", PoolTable),
            pledges=tuple(_build_table(PledgeTable, t, f"aid.pledges[{i}]",
                                       file_of(f"aid.pledges[{i}]"))
                          for i, t in enumerate(raw_pledges)),
        )


def _build_table(cls: type, table: Any, key: str, file: str) -> Any:
    """``_build`` for the aid tables, whose nested tables default to ``None``."""
    if not isinstance(table, dict):
        raise ScenarioError(file, key, f"must be a table, got {_type_name(table)}")
    plain, nested = {}, {}
    for name, value in table.items():
        sub = _TABLE_CLASSES.get((cls, name))
        if sub is None:
            plain[name] = value
        elif sub is LagTable and isinstance(value, int) and not isinstance(value, bool):
            nested[name] = _build_table(LagTable, {"min": value}, f"{key}.{name}", file)
        else:
            nested[name] = _build_table(sub, value, f"{key}.{name}", file)
    # ``_build`` knows numbers, integers and strings; booleans are checked here.
    kinds = {f.name: f.metadata.get("kind") for f in attrs.fields(cls)}
    booleans = {name: value for name, value in plain.items() if kinds.get(name) == "boolean"}
    for name, value in booleans.items():
        if not isinstance(value, bool):
            raise ScenarioError(file, f"{key}.{name}",
                                f"must be true or false, got {_type_name(value)}")
    built = _build(cls, {n: v for n, v in plain.items() if n not in booleans}, key, file)
    return attrs.evolve(built, **booleans, **nested)


def _lag(table: LagTable | None, fallback: Lag, key: str, file: str) -> Lag:
    if table is None:
        return fallback
    mode = table.min if table.mode is None else table.mode
    high = mode if table.max is None else table.max
    if not table.min <= mode <= high:
        raise ScenarioError(file, key, f"needs min <= mode <= max, got {table.min}, {mode}, "
                            f"{high}")
    return Lag(table.min, mode, high)


def _month(text: str, key: str, file: str) -> tuple[int, int]:
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ScenarioError(file, key, f'must be a month "YYYY-MM", e.g. "2026-02", got {text!r}')
    return int(match.group(1)), int(match.group(2))


def _resolve(tables: _Tables, file_of: Callable[[str], str]) -> AidModel:
    """Defaults, cross-references and conversions: the checked tables as one model."""
    needs, defaults, settings = tables.needs, tables.defaults, tables.settings
    donor_tables, item_tables, pool_tables = tables.donors, tables.items, tables.pools
    pledge_tables = tables.pledges

    def fail(key: str, problem: str) -> ScenarioError:
        return ScenarioError(file_of(key), key, problem)

    if not needs:
        raise fail("aid.needs", "required: at least one year = USD, e.g. 2026 = 60e9")
    default_reliability = 1.0 if defaults.reliability is None else defaults.reliability
    default_lag = _lag(defaults.lag, Lag(0, 0, 0), "aid.defaults.lag", file_of("aid.defaults"))
    donors: dict[str, Donor] = {}
    for name, t in donor_tables.items():
        donors[name] = Donor(
            name, default_reliability if t.reliability is None else t.reliability,
            _lag(t.lag, default_lag, f"aid.donors.{name}.lag", file_of(f"aid.donors.{name}")))

    items = []
    for name, t in item_tables.items():
        for field in ("unit_cost", "capacity"):
            if getattr(t, field) is None:
                raise fail(f"aid.items.{name}.{field}", "required")
        if t.unit_cost <= 0:
            raise fail(f"aid.items.{name}.unit_cost", f"must be above 0, got {t.unit_cost}")
        items.append(Item(name, t.unit_cost, t.capacity, t.capacity_growth))
    item_index = {item.name: i for i, item in enumerate(items)}

    def find(kind: str, names: Mapping[str, int], name: str, key: str) -> int:
        if name not in names:
            hint = _did_you_mean(name, names) if names else f" (define [aid.{kind}s.{name}])"
            raise fail(key, f"no {kind} {name!r} in aid.{kind}s" + hint)
        return names[name]

    pools = []
    for name, t in pool_tables.items():
        if t.package is None or t.package <= 0:
            raise fail(f"aid.pools.{name}.package", "required: the package size in USD, above 0")
        item = None if t.item is None else find("item", item_index, t.item,
                                                f"aid.pools.{name}.item")
        if item is not None and t.package < items[item].unit_cost_usd:
            raise fail(f"aid.pools.{name}.package", "is smaller than one unit of its item")
        pools.append(Pool(name, t.package, item,
                          _lag(t.lag, Lag(0, 0, 0), f"aid.pools.{name}.lag",
                               file_of(f"aid.pools.{name}"))))
    pool_index = {pool.name: i for i, pool in enumerate(pools)}

    first_year = needs[0].year
    months = []
    for i, t in enumerate(pledge_tables):
        if t.month is None:
            raise fail(f"aid.pledges[{i}].month", 'required: "YYYY-MM"')
        months.append(_month(t.month, f"aid.pledges[{i}].month", file_of(f"aid.pledges[{i}]")))
    first_year = min([first_year, *(year for year, _ in months)])
    last_month = 12 * (needs[-1].year - first_year + 1) - 1

    rates = usd_per_unit()
    pledges, seen = [], set()
    for i, (t, (year, month)) in enumerate(zip(pledge_tables, months, strict=True)):
        key = f"aid.pledges[{i}]"
        if not t.id:
            raise fail(f"{key}.id", "required: a short name, e.g. \"gbr-air-defence\"")
        if t.id in seen:
            raise fail(f"{key}.id", f"{t.id!r} is used by another pledge")
        seen.add(t.id)
        if t.donor is None:
            raise fail(f"{key}.donor", "required: an ISO3 code or a donor in aid.donors")
        if t.donor not in donors:
            if t.donor not in ALLIES:
                raise fail(f"{key}.donor", f"unknown donor {t.donor!r}: use an ally's ISO3 code "
                           "or define [aid.donors." + t.donor + "]"
                           + _did_you_mean(t.donor, [*ALLIES, *donors]))
            donors[t.donor] = Donor(t.donor, default_reliability, default_lag)
        if (t.amount is None) == (t.quantity is None):
            raise fail(key, "needs exactly one of amount (money) and quantity (units of an item)")
        if t.currency not in rates:
            raise fail(f"{key}.currency", f"no rate for {t.currency!r} in calibration/data/"
                       f"{RATES_FILE} (has {', '.join(rates)})" + _did_you_mean(t.currency, rates))
        item = None if t.item is None else find("item", item_index, t.item, f"{key}.item")
        pool = None if t.pool is None else find("pool", pool_index, t.pool, f"{key}.pool")
        if t.quantity is not None and item is None:
            raise fail(f"{key}.item", "required by quantity: which item the units are")
        if pool is not None and (item is not None or t.amount is None):
            raise fail(f"{key}.pool", "a pool takes money: give amount, not item or quantity")
        index = 12 * (year - first_year) + month - 1
        if index > last_month:
            raise fail(f"{key}.month", f"is after the last needs year {needs[-1].year}")
        if item is None:
            usd, quantity = t.amount * rates[t.currency], 0
        elif t.quantity is not None:
            quantity = t.quantity
            usd = quantity * items[item].unit_cost_usd
        else:
            usd = t.amount * rates[t.currency]
            quantity = int(usd // items[item].unit_cost_usd)
        condition = None
        if t.condition is not None:
            condition = _condition(t.condition, t, f"{key}.condition", fail, pool_index, find,
                                   first_year, last_month, file_of(key))
        pledges.append(Pledge(
            id=t.id, donor=t.donor, channel=t.channel, program=t.program, month=index, usd=usd,
            quantity=quantity, item=item, pool=pool, spread=t.spread, condition=condition,
            amount=t.amount, currency=t.currency,
        ))
    programs = {p.program for p in pledges}
    for i, p in enumerate(pledges):
        c = p.condition
        if c is not None and c.program is not None and c.program not in programs:
            raise fail(f"aid.pledges[{i}].condition.program",
                       f"no pledge is to program {c.program!r}" + _did_you_mean(c.program,
                                                                                 programs))
    return AidModel(first_year=first_year, needs=needs, donors=donors, items=tuple(items),
                    pools=tuple(pools), pledges=tuple(pledges), resolution=settings.resolution,
                    counts_in_core=settings.counts_in_core)


def _condition(t: ConditionTable, pledge: PledgeTable, key: str,
               fail: Callable[[str, str], ScenarioError], pool_index: Mapping[str, int],
               find: Callable[..., int], first_year: int, last_month: int,
               file: str) -> Condition:
    if t.kind is None:
        raise fail(f"{key}.kind", f"required: one of {', '.join(CONDITION_KINDS)}")
    if t.deadline is None:
        raise fail(f"{key}.deadline", 'required: the month the condition is judged, "YYYY-MM"')
    year, month = _month(t.deadline, f"{key}.deadline", file)
    deadline = 12 * (year - first_year) + month - 1
    if not 0 <= deadline <= last_month:
        raise fail(f"{key}.deadline", "must lie within the months the needs cover")
    allowed = {"others_total_at_least": {"kind", "deadline", "program", "threshold", "unit"},
               "pool_at_least": {"kind", "deadline", "pool", "threshold"},
               "matching": {"kind", "deadline", "program", "ratio"}}[t.kind]
    for field in attrs.fields(ConditionTable):
        if getattr(t, field.name) is not None and field.name not in allowed:
            raise fail(f"{key}.{field.name}", f"does not apply to kind {t.kind!r} (it takes "
                       f"{', '.join(sorted(allowed))})")
    for name in allowed - {"unit"}:
        if getattr(t, name) is None:
            raise fail(f"{key}.{name}", f"required by kind {t.kind!r}")
    if t.kind == "pool_at_least":
        return Condition(t.kind, deadline, pool=find("pool", pool_index, t.pool, f"{key}.pool"),
                         threshold=t.threshold, unit="usd")
    if t.kind == "matching":
        return Condition(t.kind, deadline, program=t.program, ratio=t.ratio,
                         unit="units" if pledge.quantity is not None else "usd")
    return Condition(t.kind, deadline, program=t.program, threshold=t.threshold,
                     unit=t.unit or "units")


def _named(table: Any, key: str, file_of: Callable[[str], str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(file_of(key), key, f"must be a table, got {_type_name(table)}")
    return table


def _needs(table: Any, file_of: Callable[[str], str]) -> tuple[Need, ...]:
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise ScenarioError(file_of("aid.needs"), "aid.needs",
                            "must be a table of year = USD, e.g. { 2026 = 60e9 }")
    needs = []
    for year, value in table.items():
        key = f"aid.needs.{year}"
        if not str(year).isdigit() or not 2000 <= int(year) <= 2100:
            raise ScenarioError(file_of(key), key, "must be a year, e.g. 2026")
        if isinstance(value, dict):
            unknown = set(value) - {"mean", "sd"}
            if unknown:
                name = sorted(unknown)[0]
                hint = _did_you_mean(name, ("mean", "sd"))
                raise ScenarioError(file_of(key), f"{key}.{name}",
                                    f"unknown key{hint}; {key} takes mean, sd")
            mean, sd = value.get("mean"), value.get("sd", 0.0)
        else:
            mean, sd = value, 0.0
        for name, number in (("mean", mean), ("sd", sd)):
            where = key if not isinstance(value, dict) else f"{key}.{name}"
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ScenarioError(file_of(key), where,
                                    f"must be a number of USD, got {_type_name(number)}")
            if number < 0:
                raise ScenarioError(file_of(key), where, f"must be at least 0, got {number}")
        needs.append(Need(int(year), float(mean), float(sd)))
    needs.sort(key=lambda n: n.year)
    years = [n.year for n in needs]
    if years != list(range(years[0], years[0] + len(years))):
        raise ScenarioError(file_of("aid.needs"), "aid.needs",
                            f"years must follow one another, got {years}")
    return tuple(needs)


__all__ = ["AidModel", "Condition", "Donor", "Item", "Lag", "Need", "Pledge",
           "Pool", "check_aid", "parse_aid", "usd_per_unit"]
