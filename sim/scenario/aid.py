"""The aid model as written in a scenario: the ``[aid]`` table, validated into frozen objects.

``[aid]`` lives in the same TOML files as the spending model and is checked the same way: every
mistake is a :class:`~sim.errors.ScenarioError` naming the file and the dotted key
(``aid.pledges[2].condition.threshold``), unknown keys get a "did you mean", and each number
declares a unit and a typical range (outside it, a warning). The field kinds of
:mod:`sim.schema` do the key-by-key work; this module adds the aid objects and the
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

from sim import schema
from sim.data.base import ALLIES
from sim.errors import DataError, ScenarioError, ScenarioWarning
from sim.resources import calibration_dir

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
    check = schema.choice(options)

    def optional(instance: object, attribute: attrs.Attribute, value: str | None) -> None:
        if value is not None:
            check(instance, attribute, value)

    return attrs.field(default=None, validator=optional, metadata={"kind": "string"})


#: Units of the aid model's keys, as the README's units table gives them.
MONTHS = "months"
MONTH = "YYYY-MM"
USD = "USD"


@attrs.frozen
class LagTable:
    """A lag in whole months: triangular between ``min`` and ``max`` with its peak at ``mode``."""

    # Procurement "often takes months or even years" (Kiel Institute); the shipped scenario
    # assumes up to 9 months. Past three years a lag is a new programme.
    min: int = schema.integer(0, 0, 120, typical=(0, 36), unit=MONTHS)
    mode: int | None = schema.integer(None, 0, 120, typical=(0, 36), unit=MONTHS)
    max: int | None = schema.integer(None, 0, 120, typical=(0, 36), unit=MONTHS)


@attrs.frozen
class DonorTable:
    # A probability: any value is a planner's assumption (Kiel: 0.69 of promised heavy weapons
    # delivered by July 2024).
    reliability: float | None = schema.number(None, 0.0, 1.0, typical=(0.0, 1.0),
                                              unit="probability")
    lag: LagTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class ItemTable:
    # From a 155 mm shell (about USD 3,000-8,000) to an air-defence battery (about USD 1bn).
    unit_cost: float | None = schema.number(None, 0.0, None, typical=(1e3, 2e9), unit=USD)
    # Europe's shell output, about 2 million a year (170,000 a month), is the largest line.
    capacity: int | None = schema.integer(None, 0, None, typical=(0, 1_000_000),
                                    unit="units a month")
    # EU shell capacity roughly tripled in 2023-2025 (+70% a year); doubling a year is the
    # fastest ramp on record, halving the steepest fall.
    capacity_growth: float = schema.number(0.0, -1.0, 10.0, typical=(-0.5, 2.0),
                                     unit="fraction a year")


@attrs.frozen
class PoolTable:
    # PURL packages were USD 495-578m in 2025.
    package: float | None = schema.number(None, 0.0, None, typical=(1e7, 1e10), unit=USD)
    item: str | None = schema.string(None)
    lag: LagTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class ConditionTable:
    kind: str | None = _optional_choice(CONDITION_KINDS)
    program: str | None = schema.string(None)
    pool: str | None = schema.string(None)
    # Units or USD by the condition's unit (30 interceptors, USD 1bn): no narrower range holds
    # for both.
    threshold: float | None = schema.number(None, 0.0, None, typical=(0.0, 1e12),
                                      unit='units, or USD with unit = "usd"')
    unit: str | None = _optional_choice(UNITS)
    # Matched per unit the others pledge: 1 is one for one; ten for one is unheard of.
    ratio: float | None = schema.number(None, 0.0, None, typical=(0.0, 10.0),
                                  unit="matched per unit pledged")
    deadline: str | None = schema.string(None, unit=MONTH)


@attrs.frozen
class PledgeTable:
    id: str | None = schema.string(None)
    donor: str | None = schema.string(None)
    channel: str = schema.string("bilateral", CHANNELS)
    program: str = schema.string("general")
    # Single pledges run from about USD 1m to the US's USD 61bn (April 2024) and the EU's
    # EUR 50bn Ukraine Facility.
    amount: float | None = schema.number(None, 0.0, None, typical=(1e5, 2e11),
                                   unit="units of the pledge's currency")
    currency: str = schema.string("USD")
    # From one system to millions of shells.
    quantity: int | None = schema.integer(None, 0, None, typical=(1, 10_000_000), unit="units")
    item: str | None = schema.string(None)
    pool: str | None = schema.string(None)
    month: str | None = schema.string(None, unit=MONTH)
    # Delivered over up to five years; the shipped tranches spread over 10 months.
    spread: int = schema.integer(1, 1, 120, typical=(1, 60), unit=MONTHS)
    condition: ConditionTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class NeedTable:
    """One year of ``[aid.needs]``: ``2026 = 60e9`` or ``2026 = { mean = 60e9, sd = 10e9 }``."""

    # Ukraine's stated military need: USD 60bn for 2026 (Pistorius), EUR 83bn (Euronews).
    mean: float = schema.number(0.0, 0.0, None, typical=(1e9, 3e11), unit=USD)
    sd: float = schema.number(0.0, 0.0, None, typical=(0.0, 1.5e11), unit=USD)


@attrs.frozen
class AidTable:
    resolution: str = schema.string("greatest", RESOLUTIONS)
    counts_in_core: bool = schema.boolean(False)


# The ``lag`` and ``condition`` fields default to None, so ``schema.build`` cannot find their class
# from the default; these say which class each table field is built from.
_TABLE_CLASSES: dict[tuple[type, str], type] = {
    (DonorTable, "lag"): LagTable,
    (PoolTable, "lag"): LagTable,
    (PledgeTable, "condition"): ConditionTable,
}


def table_class(cls: type, name: str) -> type | None:
    """The class a table field of an aid table is built from, ``None`` for other fields."""
    return _TABLE_CLASSES.get((cls, name))


#: The aid model's tables by dotted key, for the README's units table (:func:`sim.scenario.
#: units_table`); ``NAME`` and ``YEAR`` stand for any name or year, ``[]`` for any pledge.
AID_TABLES: tuple[tuple[str, type], ...] = (
    ("aid", AidTable), ("aid.needs.YEAR", NeedTable), ("aid.defaults", DonorTable),
    ("aid.donors.NAME", DonorTable), ("aid.items.NAME", ItemTable),
    ("aid.pools.NAME", PoolTable), ("aid.pledges[]", PledgeTable))


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

    def condition_of(self, j: int) -> Condition:
        """The condition of pledge ``j``, which the caller knows to be conditional."""
        condition = self.pledges[j].condition
        if condition is None:
            raise ValueError(f"pledge {self.pledges[j].id!r} has no condition")  # a bug
        return condition


# --- parsing -----------------------------------------------------------------------------------


#: Locates a merged key: ``locate("aid.pledges[16].amount")`` -> ``(file, key as written)``.
Locate = Callable[[str], tuple[str, str]]


def check_aid(table: Any, locate: Locate, warnings: list[ScenarioWarning] | None = None) -> None:
    """Check one file's ``[aid]`` table on its own (types, ranges, unknown keys).

    With ``warnings``, each value outside its key's typical range adds a warning there.
    """
    _Tables.read(table, locate, warnings)


def parse_aid(table: Any, locate: Locate) -> AidModel:
    """Validate a merged ``[aid]`` table into an :class:`AidModel`.

    Each file's table has been checked on its own first (:func:`check_aid`; pledge ids unique).

    ``locate(dotted_key)`` names the file that wrote a key and the key as written there, for
    error messages.
    """
    return _resolve(_Tables.read(table, locate), locate)


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
    def read(cls, table: Any, locate: Locate,
             warnings: list[ScenarioWarning] | None = None) -> _Tables:
        def fail(key: str, problem: str) -> ScenarioError:
            return ScenarioError(*locate(key), problem)

        def build(kind: type, t: Any, key: str) -> Any:
            file, written = locate(key)
            return _build_table(kind, t, written, file, warnings)

        if not isinstance(table, dict):
            raise fail("aid", f"must be a table, got {schema.type_name(table)}")
        allowed = (*(f.name for f in attrs.fields(AidTable)), *cls.SECTIONS)
        for key in table:
            if key not in allowed:
                raise fail(f"aid.{key}", "unknown key" + schema.did_you_mean(key, allowed)
                           + f"; aid takes {', '.join(allowed)}")
        raw_pledges = table.get("pledges", [])
        if not isinstance(raw_pledges, list):
            raise fail("aid.pledges", "must be an array of tables ([[aid.pledges]])")

        def named(section: str, kind: type) -> dict[str, Any]:
            tables = _named(table.get(section, {}), f"aid.{section}", locate)
            return {name: build(kind, t, f"aid.{section}.{name}") for name, t in tables.items()}

        return cls(
            settings=build(AidTable, {k: v for k, v in table.items() if k not in cls.SECTIONS},
                           "aid"),
            needs=_needs(table.get("needs"), locate, warnings),
            defaults=build(DonorTable, table.get("defaults", {}), "aid.defaults"),
            donors=named("donors", DonorTable),
            items=named("items", ItemTable),
            pools=named("pools", PoolTable),
            pledges=tuple(build(PledgeTable, t, f"aid.pledges[{i}]")
                          for i, t in enumerate(raw_pledges)),
        )


def _build_table(cls: type[schema.Table], table: Any, key: str, file: str,
                 warnings: list[ScenarioWarning] | None = None) -> schema.Table:
    """``schema.build`` for the aid tables, whose nested tables default to ``None``."""
    if not isinstance(table, dict):
        raise ScenarioError(file, key, f"must be a table, got {schema.type_name(table)}")
    plain, nested = {}, {}
    for name, value in table.items():
        sub = _TABLE_CLASSES.get((cls, name))
        if sub is None:
            plain[name] = value
        elif sub is LagTable and isinstance(value, int) and not isinstance(value, bool):
            # ``lag = 2`` is ``lag = { min = 2 }``; a warning names the key as written.
            lag = _build_table(LagTable, {"min": value}, f"{key}.{name}", file)
            schema.check_typical(attrs.fields(LagTable).min, value, f"{key}.{name}", file, warnings)
            nested[name] = lag
        else:
            nested[name] = _build_table(sub, value, f"{key}.{name}", file, warnings)
    # ``schema.build`` knows numbers, integers and strings; booleans are checked here.
    kinds = {f.name: f.metadata.get("kind") for f in attrs.fields(cls)}
    booleans = {name: value for name, value in plain.items() if kinds.get(name) == "boolean"}
    for name, value in booleans.items():
        if not isinstance(value, bool):
            raise ScenarioError(file, f"{key}.{name}",
                                f"must be true or false, got {schema.type_name(value)}")
    built = schema.build(cls, {n: v for n, v in plain.items() if n not in booleans}, key, file,
                         warnings)
    # mypy's attrs plugin evolves only a named attrs class, not a type variable bound to one.
    return attrs.evolve(built, **booleans, **nested)  # type: ignore[misc]


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


def _resolve(tables: _Tables, locate: Locate) -> AidModel:
    """Defaults, cross-references and conversions: the checked tables as one model."""
    needs, defaults, settings = tables.needs, tables.defaults, tables.settings
    donor_tables, item_tables, pool_tables = tables.donors, tables.items, tables.pools
    pledge_tables = tables.pledges

    def fail(key: str, problem: str) -> ScenarioError:
        return ScenarioError(*locate(key), problem)

    def lag(table: LagTable | None, fallback: Lag, key: str) -> Lag:
        file, written = locate(key)
        return _lag(table, fallback, written, file)

    if not needs:
        raise fail("aid.needs", "required: at least one year = USD, e.g. 2026 = 60e9")
    default_reliability = 1.0 if defaults.reliability is None else defaults.reliability
    default_lag = lag(defaults.lag, Lag(0, 0, 0), "aid.defaults.lag")
    donors: dict[str, Donor] = {}
    for name, t in donor_tables.items():
        donors[name] = Donor(
            name, default_reliability if t.reliability is None else t.reliability,
            lag(t.lag, default_lag, f"aid.donors.{name}.lag"))

    items = []
    for name, item_table in item_tables.items():
        unit_cost, capacity = item_table.unit_cost, item_table.capacity
        if unit_cost is None:
            raise fail(f"aid.items.{name}.unit_cost", "required")
        if capacity is None:
            raise fail(f"aid.items.{name}.capacity", "required")
        if unit_cost <= 0:
            raise fail(f"aid.items.{name}.unit_cost", f"must be above 0, got {unit_cost}")
        items.append(Item(name, unit_cost, capacity, item_table.capacity_growth))
    item_index = {item.name: i for i, item in enumerate(items)}

    def find(kind: str, names: Mapping[str, int], name: str, key: str) -> int:
        if name not in names:
            hint = schema.did_you_mean(name, names) if names else f" (define [aid.{kind}s.{name}])"
            raise fail(key, f"no {kind} {name!r} in aid.{kind}s" + hint)
        return names[name]

    pools = []
    for name, pool_table in pool_tables.items():
        if pool_table.package is None or pool_table.package <= 0:
            raise fail(f"aid.pools.{name}.package", "required: the package size in USD, above 0")
        item = None if pool_table.item is None else find("item", item_index, pool_table.item,
                                                f"aid.pools.{name}.item")
        if item is not None and pool_table.package < items[item].unit_cost_usd:
            raise fail(f"aid.pools.{name}.package", "is smaller than one unit of its item")
        pools.append(Pool(name, pool_table.package, item,
                          lag(pool_table.lag, Lag(0, 0, 0), f"aid.pools.{name}.lag")))
    pool_index = {pool.name: i for i, pool in enumerate(pools)}

    first_year = needs[0].year
    months = []
    for i, pledge in enumerate(pledge_tables):
        if pledge.month is None:
            raise fail(f"aid.pledges[{i}].month", 'required: "YYYY-MM"')
        file, key = locate(f"aid.pledges[{i}].month")
        months.append(_month(pledge.month, key, file))
    first_year = min([first_year, *(year for year, _ in months)])
    last_month = 12 * (needs[-1].year - first_year + 1) - 1

    rates = usd_per_unit()
    pledges = []
    for i, (pledge, (year, month)) in enumerate(zip(pledge_tables, months, strict=True)):
        key = f"aid.pledges[{i}]"
        if not pledge.id:
            raise fail(f"{key}.id", "required: a short name, e.g. \"gbr-air-defence\"")
        if pledge.donor is None:
            raise fail(f"{key}.donor", "required: an ISO3 code or a donor in aid.donors")
        if pledge.donor not in donors:
            if pledge.donor not in ALLIES:
                raise fail(f"{key}.donor", f"unknown donor {pledge.donor!r}: use an ally's ISO3 "
                           "code or define [aid.donors." + pledge.donor + "]"
                           + schema.did_you_mean(pledge.donor, [*ALLIES, *donors]))
            donors[pledge.donor] = Donor(pledge.donor, default_reliability, default_lag)
        if (pledge.amount is None) == (pledge.quantity is None):
            raise fail(key, "needs exactly one of amount (money) and quantity (units of an item)")
        if pledge.currency not in rates:
            raise fail(f"{key}.currency", f"no rate for {pledge.currency!r} in calibration/data/"
                       f"{RATES_FILE} (has {', '.join(rates)})"
                       + schema.did_you_mean(pledge.currency, rates))
        item = (None if pledge.item is None
                else find("item", item_index, pledge.item, f"{key}.item"))
        pool = (None if pledge.pool is None
                else find("pool", pool_index, pledge.pool, f"{key}.pool"))
        if pledge.quantity is not None and item is None:
            raise fail(f"{key}.item", "required by quantity: which item the units are")
        if pool is not None and (item is not None or pledge.amount is None):
            raise fail(f"{key}.pool", "a pool takes money: give amount, not item or quantity")
        index = 12 * (year - first_year) + month - 1
        if index > last_month:
            raise fail(f"{key}.month", f"is after the last needs year {needs[-1].year}")
        # A pledge of money (no quantity) has its amount: exactly one of the two is set.
        money = 0.0 if pledge.amount is None else pledge.amount * rates[pledge.currency]
        if item is None:
            usd, quantity = money, 0
        elif pledge.quantity is not None:
            quantity = pledge.quantity
            usd = quantity * items[item].unit_cost_usd
        else:
            usd = money
            quantity = int(usd // items[item].unit_cost_usd)
        condition = None
        if pledge.condition is not None:
            condition = _condition(pledge.condition, pledge, f"{key}.condition", fail,
                                   pool_index, find, first_year, last_month, locate)
        pledges.append(Pledge(
            id=pledge.id, donor=pledge.donor, channel=pledge.channel, program=pledge.program,
            month=index, usd=usd, quantity=quantity, item=item, pool=pool, spread=pledge.spread,
            condition=condition,
            amount=pledge.amount, currency=pledge.currency,
        ))
    programs = {p.program for p in pledges}
    for i, p in enumerate(pledges):
        c = p.condition
        if c is not None and c.program is not None and c.program not in programs:
            raise fail(f"aid.pledges[{i}].condition.program",
                       f"no pledge is to program {c.program!r}" + schema.did_you_mean(c.program,
                                                                                 programs))
    return AidModel(first_year=first_year, needs=needs, donors=donors, items=tuple(items),
                    pools=tuple(pools), pledges=tuple(pledges), resolution=settings.resolution,
                    counts_in_core=settings.counts_in_core)


def _condition(t: ConditionTable, pledge: PledgeTable, key: str,
               fail: Callable[[str, str], ScenarioError], pool_index: Mapping[str, int],
               find: Callable[..., int], first_year: int, last_month: int,
               locate: Locate) -> Condition:
    if t.kind is None:
        raise fail(f"{key}.kind", f"required: one of {', '.join(CONDITION_KINDS)}")
    if t.deadline is None:
        raise fail(f"{key}.deadline", 'required: the month the condition is judged, "YYYY-MM"')
    file, written = locate(f"{key}.deadline")
    year, month = _month(t.deadline, written, file)
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
        assert t.pool is not None and t.threshold is not None  # required by the kind, above
        return Condition(t.kind, deadline, pool=find("pool", pool_index, t.pool, f"{key}.pool"),
                         threshold=t.threshold, unit="usd")
    if t.kind == "matching":
        assert t.ratio is not None  # required by the kind, above
        return Condition(t.kind, deadline, program=t.program, ratio=t.ratio,
                         unit="units" if pledge.quantity is not None else "usd")
    assert t.threshold is not None  # required by the kind, above
    return Condition(t.kind, deadline, program=t.program, threshold=t.threshold,
                     unit=t.unit or "units")


def _named(table: Any, key: str, locate: Locate) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(*locate(key), f"must be a table, got {schema.type_name(table)}")
    return table


def _needs(table: Any, locate: Locate,
           warnings: list[ScenarioWarning] | None = None) -> tuple[Need, ...]:
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise ScenarioError(*locate("aid.needs"),
                            "must be a table of year = USD, e.g. { 2026 = 60e9 }")
    fields = attrs.fields_dict(NeedTable)
    needs = []
    for year, value in table.items():
        file, key = locate(f"aid.needs.{year}")
        if not str(year).isdigit() or not 2000 <= int(year) <= 2100:
            raise ScenarioError(file, key, "must be a year, e.g. 2026")
        if isinstance(value, dict):
            unknown = set(value) - {"mean", "sd"}
            if unknown:
                name = sorted(unknown)[0]
                hint = schema.did_you_mean(name, ("mean", "sd"))
                raise ScenarioError(file, f"{key}.{name}",
                                    f"unknown key{hint}; {key} takes mean, sd")
            mean, sd = value.get("mean"), value.get("sd", 0.0)
        else:
            mean, sd = value, 0.0
        checked: dict[str, float] = {}
        for name, number in (("mean", mean), ("sd", sd)):
            where = key if not isinstance(value, dict) else f"{key}.{name}"
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ScenarioError(file, where,
                                    f"must be a number of USD, got {schema.type_name(number)}")
            if number < 0:
                raise ScenarioError(file, where, f"must be at least 0, got {number}")
            if (name in value) if isinstance(value, dict) else name == "mean":
                schema.check_typical(fields[name], number, where, file, warnings)
            checked[name] = float(number)
        needs.append(Need(int(year), checked["mean"], checked["sd"]))
    needs.sort(key=lambda n: n.year)
    years = [n.year for n in needs]
    if years != list(range(years[0], years[0] + len(years))):
        raise ScenarioError(*locate("aid.needs"), f"years must follow one another, got {years}")
    return tuple(needs)


__all__ = ["AidModel", "Condition", "Donor", "Item", "Lag", "Need", "Pledge",
           "Pool", "check_aid", "parse_aid", "usd_per_unit"]
