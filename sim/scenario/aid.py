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

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from sim import schema
from sim.data import sourced
from sim.data.base import ALLIES
from sim.errors import ScenarioError, ScenarioWarning
from sim.resources import calibration_dir

CHANNELS = ("bilateral", "UDCG", "PURL", "EU")
CONDITION_KINDS = ("others_total_at_least", "pool_at_least", "matching")
RESOLUTIONS = ("greatest", "least")
UNITS = ("units", "usd")
#: What a budget line does after its last published year (``after``).
AFTER_RULES = ("share_of_gdp", "money", "stop")
#: Where a budget line without published figures starts (``start``): the donor's Kiel
#: allocation of 2024 or of 2025, or both (``"kiel"``), as money in those years.
STARTS = ("kiel-2024", "kiel-2025", "kiel")
KIEL_YEARS = {"kiel-2024": (2024,), "kiel-2025": (2025,), "kiel": (2024, 2025)}
#: How aid counts toward the donor's core spending (``counts_toward_core``).
COUNTS = ("on_top", "inside", "no")
#: The United States' aid (``us``): as its lines and pledges say, none, or its 2022-2024
#: average (Kiel), held as a share of GDP.
US_AID = ("as_written", "zero", "kiel-2022-2024")
#: Allies outside Europe, left out of the European policy options.
NOT_EUROPEAN = ("USA", "CAN")
#: Tranches a year of the policy options' lines (a quarterly decision, as budget lines).
POLICY_TRANCHES = 4
RATES_FILE = "exchange_rates.csv"
KIEL_FILE = "aid_kiel_allocations.csv"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: The largest sum of money a key may hold, 10tn (as a budget line's amounts; every ally's aid
#: since 2022 is below a thousandth of it): beyond it the tally's sums leave floats' exact range.
MONEY_HIGH = 1e13


@functools.lru_cache(maxsize=1)
def usd_per_unit() -> dict[str, float]:
    """USD per unit of each currency, from the sourced calibration table."""
    path = calibration_dir() / "data" / RATES_FILE
    return {row["currency"]: sourced.number(row, "usd_per_unit")
            for row in sourced.read_rows(path, ("currency", "usd_per_unit"))}


def kiel_eur(donor: str, year: int) -> float:
    """A donor's military allocations in ``year``, EUR, from Kiel's Ukraine Support Tracker."""
    return _kiel_allocations()[donor, year]


def kiel_2025_eur() -> dict[str, float]:
    """Each donor's 2025 military allocations, EUR (:func:`kiel_eur`)."""
    return {donor: eur for (donor, year), eur in _kiel_allocations().items() if year == 2025}


@functools.lru_cache(maxsize=1)
def _kiel_allocations() -> dict[tuple[str, int], float]:
    """Donors' military allocations by year, EUR, from Kiel's Ukraine Support Tracker
    (Release 29; the sourced rows copied to ``calibration/data/aid_kiel_allocations.csv``)."""
    path = calibration_dir() / "data" / KIEL_FILE
    rows = sourced.read_rows(path, ("donor_iso3", "period", "metric", "value"))
    return {(row["donor_iso3"], sourced.year(row, "period")): sourced.number(row, "value") * 1e9
            for row in rows if row["metric"] == "military_allocations"}


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
    # The mean share of what is pledged that arrives, drawn per pledge from a Beta: Kiel's
    # delivered-vs-promised rates run from 0.38 (US, July 2022) to 1.0 (Poland).
    delivered: float | None = schema.number(None, 0.0, 1.0, typical=(0.3, 1.0),
                                            unit="fraction")
    # The Beta's a + b: 20 puts 90% of draws within about +-0.18 of a mean of 0.7.
    concentration: float | None = schema.number(None, 0.0, None, lo_open=True,
                                                typical=(2.0, 500.0), unit="a + b of the Beta")
    lag: LagTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class ItemTable:
    # From a 155 mm shell (about USD 3,000-8,000) to an air-defence battery (about USD 1bn);
    # the hard bounds, USD 1 to 10tn, keep a package's count of units a finite integer.
    unit_cost: float | None = schema.number(None, 1.0, MONEY_HIGH, typical=(1e3, 2e9), unit=USD)
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
    package: float | None = schema.number(None, 0.0, MONEY_HIGH, typical=(1e7, 1e10), unit=USD)
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
    amount: float | None = schema.number(None, 0.0, MONEY_HIGH, typical=(1e5, 2e11),
                                   unit="units of the pledge's currency")
    currency: str = schema.string("USD")
    # From one system to millions of shells.
    quantity: int | None = schema.integer(None, 0, None, typical=(1, 10_000_000), unit="units")
    item: str | None = schema.string(None)
    pool: str | None = schema.string(None)
    month: str | None = schema.string(None, unit=MONTH)
    # Delivered over up to five years; the shipped tranches spread over 10 months.
    spread: int = schema.integer(1, 1, 120, typical=(1, 60), unit=MONTHS)
    # Equal parts each delivered (or not) on its own: ten parts of a Contact Group total.
    tranches: int = schema.integer(1, 1, 120, typical=(1, 24), unit="parts")
    condition: ConditionTable | None = attrs.field(default=None, metadata={"kind": "table"})


@attrs.frozen
class BudgetTable:
    """A donor's yearly military-aid line, ``[aid.budgets.DONOR]``: one of ``amounts`` (money
    by year), ``share_of_gdp``, ``share_of_defence`` (by year) or ``start``."""

    # Germany's EUR 11.5bn (2026) is the largest published line; Denmark's DKK 1bn (2028)
    # among the smallest.
    amounts: tuple[tuple[int, float], ...] = schema.points(
        typical=(1e8, 1e11), unit="units of the line's currency", high=1e13)
    currency: str = schema.string("USD")
    # 0.25% of GDP is the proposed floor; the Nordic and Baltic top seven gave 0.38% on
    # average in 2022-2024 (CEPA).
    share_of_gdp: tuple[tuple[int, float], ...] = schema.points(typical=(0.0, 1.0),
                                                                unit="% of GDP")
    share_of_defence: tuple[tuple[int, float], ...] = schema.points(
        typical=(0.0, 30.0), unit="% of core defence spending")
    start: str | None = _optional_choice(STARTS)
    after: str | None = _optional_choice(AFTER_RULES)  # None: "share_of_gdp"
    # Four a year: a quarterly decision; twelve is every month.
    tranches: int = schema.integer(4, 1, 12, typical=(1, 12), unit="parts a year")
    channel: str = schema.string("bilateral", CHANNELS)
    program: str = schema.string("budget")
    # A share of the line paid into a money pool (PURL), up front, the rest given bilaterally.
    pool: str | None = schema.string(None)
    pool_share: float | None = schema.number(None, 0.0, 1.0, typical=(0.0, 1.0),
                                             unit="fraction")


@attrs.frozen
class NeedTable:
    """One year of ``[aid.needs]``: ``2026 = 60e9``, ``2026 = { mean = 60e9, sd = 10e9 }``
    (normal, clipped at 0) or ``2026 = { low = 50e9, mode = 60e9, high = 80e9 }``
    (triangular)."""

    # Ukraine's stated military need: USD 60bn for 2026 (Pistorius), EUR 83bn (Euronews).
    mean: float = schema.number(0.0, 0.0, None, typical=(1e9, 3e11), unit=USD)
    sd: float = schema.number(0.0, 0.0, None, typical=(0.0, 1.5e11), unit=USD)
    low: float = schema.number(0.0, 0.0, None, typical=(1e9, 3e11), unit=USD)
    mode: float = schema.number(0.0, 0.0, None, typical=(1e9, 3e11), unit=USD)
    high: float = schema.number(0.0, 0.0, None, typical=(1e9, 3e11), unit=USD)


@attrs.frozen
class AidTable:
    resolution: str = schema.string("greatest", RESOLUTIONS)
    counts_in_core: bool = schema.boolean(False)
    # "on_top": a donor's aid is added to its core share (a rise in aid on top of its defence
    # plan); "inside": part of the planned budget, reported as a share of it; "no": neither.
    counts_toward_core: str | None = _optional_choice(COUNTS)
    # The months start in January of this year at the latest: a year before the first needs
    # year lets budget lines and pledges of that year deliver into it (a run-in).
    first_year: int | None = schema.integer(None, 2000, 2100, typical=(2022, 2030), unit="year")
    us: str = schema.string("as_written", US_AID)
    # Policy options. The proposed floor is 0.25% of GDP (Rutte, April 2026); seven allies gave
    # that much or more in 2025 (derived from Kiel).
    floor_share_of_gdp: float | None = schema.number(None, 0.0, 5.0, typical=(0.05, 1.0),
                                                     unit="% of GDP")
    # European allies make up what the US gives below its 2022-2024 average, in proportion to
    # their GDP, each up to this share of its GDP.
    europe_fills_gap_up_to: float | None = schema.number(None, 0.0, 5.0, typical=(0.05, 1.0),
                                                         unit="% of GDP")


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
    ("aid.pools.NAME", PoolTable), ("aid.pledges[]", PledgeTable),
    ("aid.budgets.DONOR", BudgetTable))


# --- the resolved model ------------------------------------------------------------------------


@attrs.frozen
class Lag:
    """A lag in whole months, triangular on [low, high] with its peak at ``mode``."""

    low: int
    mode: int
    high: int


@attrs.frozen
class Need:
    """Ukraine's military need in one calendar year, USD: normal(mean, sd) clipped at 0, or
    triangular on [low, high] with its peak at ``mode`` (``mean_usd`` and ``sd_usd`` then the
    triangle's mean and sd)."""

    year: int
    mean_usd: float
    sd_usd: float
    triangle: tuple[float, float, float] | None = None  # (low, mode, high) USD


@attrs.frozen
class Donor:
    name: str
    reliability: float  # probability a pledge is honoured at all
    lag: Lag  # contracting lag, months
    delivered: float = 1.0  # mean fraction of an honoured pledge that arrives (Beta)
    concentration: float = 20.0  # the Beta's a + b


@attrs.frozen
class Line:
    """How a budget line's tranche is worth its USD in a draw.

    ``kind`` ``"usd"``: ``value`` USD; ``"share_of_gdp"``: ``value`` % of the donor's GDP in
    ``year``; ``"share_of_defence"``: ``value`` % of its core defence spending in ``year``;
    ``"grown"``: ``value`` USD of ``year`` grown with the donor's nominal GDP to ``to_year``.
    GDP and core spending are the draw's own, from the spending model.
    """

    kind: str
    value: float
    year: int
    to_year: int


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
    line: Line | None = None  # a budget line's tranche: its USD is the draw's (``usd`` 0)

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
    counts_toward_core: str = "no"
    #: What Europe fills up to: the US's 2022-2024 average military aid, USD a year (Kiel).
    us_reference_usd: float = 0.0

    @property
    def linked(self) -> bool:
        """Whether some pledge's USD is drawn from the spending model (a budget line)."""
        return any(p.line is not None and p.line.kind != "usd" for p in self.pledges)

    @property
    def donor_names(self) -> tuple[str, ...]:
        """Donors with a pledge, in order of first appearance (per-donor results' order)."""
        return tuple(dict.fromkeys(p.donor for p in self.pledges))

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


@attrs.frozen
class Spending:
    """What the aid model needs of the spending scenario: its assessed allies (whose GDP and
    core spending the spending model simulates) and its years."""

    allies: tuple[str, ...] = ()
    base_year: int = 0
    horizon: int = -1


def parse_aid(table: Any, locate: Locate, spending: Spending | None = None,
              warnings: list[ScenarioWarning] | None = None) -> AidModel:
    """Validate a merged ``[aid]`` table into an :class:`AidModel`.

    Each file's table has been checked on its own first (:func:`check_aid`; pledge ids unique).

    ``locate(dotted_key)`` names the file that wrote a key and the key as written there, for
    error messages. ``spending`` says which donors' budget lines can follow the spending
    model; settings that cannot take effect add a warning to ``warnings``.
    """
    return _resolve(_Tables.read(table, locate), locate, spending or Spending(),
                    [] if warnings is None else warnings)


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
    budgets: Mapping[str, BudgetTable]

    SECTIONS = ("needs", "defaults", "donors", "items", "pools", "pledges", "budgets")

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
            budgets=named("budgets", BudgetTable),
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


def _resolve(tables: _Tables, locate: Locate, spending: Spending,
             warnings: list[ScenarioWarning]) -> AidModel:
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
    default_delivered = 1.0 if defaults.delivered is None else defaults.delivered
    default_concentration = 20.0 if defaults.concentration is None else defaults.concentration

    def new_donor(name: str, t: DonorTable | None = None) -> Donor:
        t = DonorTable() if t is None else t
        return Donor(
            name, default_reliability if t.reliability is None else t.reliability,
            lag(t.lag, default_lag, f"aid.donors.{name}.lag"),
            default_delivered if t.delivered is None else t.delivered,
            default_concentration if t.concentration is None else t.concentration)

    donors: dict[str, Donor] = {name: new_donor(name, t) for name, t in donor_tables.items()}

    items = []
    for name, item_table in item_tables.items():
        unit_cost, capacity = item_table.unit_cost, item_table.capacity
        if unit_cost is None:
            raise fail(f"aid.items.{name}.unit_cost", "required")
        if capacity is None:
            raise fail(f"aid.items.{name}.capacity", "required")
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
    if settings.first_year is not None:
        if settings.first_year > needs[0].year:
            raise fail("aid.first_year", f"must be at most the first needs year "
                       f"{needs[0].year}, got {settings.first_year}")
        first_year = min(first_year, settings.first_year)
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
            donors[pledge.donor] = new_donor(pledge.donor)
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
            if condition.kind == "matching" and pledge.tranches > 1:
                raise fail(f"{key}.tranches", "a matching pledge cannot be split: each part "
                           "would match the others' whole pledges")
        n = pledge.tranches
        for k in range(n):
            # Equal parts; whole units go one more to the first ``quantity % n`` parts.
            cost = 0.0 if item is None else items[item].unit_cost_usd
            part_quantity = (quantity // n + (k < quantity % n) if pledge.quantity is not None
                             or item is None else int((usd / n) // cost))
            part_usd = part_quantity * cost if pledge.quantity is not None else usd / n
            pledges.append(Pledge(
                id=pledge.id if n == 1 else f"{pledge.id}-t{k + 1:02d}", donor=pledge.donor,
                channel=pledge.channel, program=pledge.program, month=index,
                usd=usd if n == 1 else part_usd, quantity=quantity if n == 1 else part_quantity,
                item=item, pool=pool, spread=pledge.spread, condition=condition,
                amount=pledge.amount if pledge.amount is None or n == 1 else pledge.amount / n,
                currency=pledge.currency,
            ))
    for name, budget in tables.budgets.items():
        if name not in donors:
            if name not in ALLIES:
                raise fail(f"aid.budgets.{name}", f"unknown donor {name!r}: use an ally's ISO3 "
                           f"code or define [aid.donors.{name}]"
                           + schema.did_you_mean(name, [*ALLIES, *donors]))
            donors[name] = new_donor(name)
        pool = (None if budget.pool is None
                else find("pool", pool_index, budget.pool, f"aid.budgets.{name}.pool"))
        if budget.pool_share is not None and pool is None:
            warnings.append(ScenarioWarning(*locate(f"aid.budgets.{name}.pool_share"),
                                            "has no effect without pool"))
        # Kiel counts a pledge in the year it is made: a donor's 2025 pledges listed here are
        # inside its 2025 allocation, so they come out of a line that starts from it.
        pledged_2025 = sum(p.usd for p in pledges if p.donor == name and p.line is None
                           and first_year + p.month // 12 == 2025)
        pledges += _budget_pledges(name, budget, needs, first_year, spending, rates, locate,
                                   warnings, pool, pledged_2025)
    programs = {p.program for p in pledges}
    for i, p in enumerate(pledges):
        c = p.condition
        if c is not None and c.program is not None and c.program not in programs:
            raise fail(f"aid.pledges[{i}].condition.program",
                       f"no pledge is to program {c.program!r}" + schema.did_you_mean(c.program,
                                                                                 programs))
    pledges = _us_policy(settings.us, pledges, needs, first_year, spending, rates, locate,
                         warnings)
    for option, kind in (("europe_fills_gap_up_to", "fill"), ("floor_share_of_gdp", "floor")):
        share = getattr(settings, option)
        if share is None:
            continue
        europe = [code for code in spending.allies if code not in NOT_EUROPEAN]
        years = [n.year for n in needs if spending.base_year <= n.year <= spending.horizon]
        if not europe or not years:
            warnings.append(ScenarioWarning(*locate(f"aid.{option}"), "no European ally of "
                            "the spending model in a needs year it simulates: no effect"))
        for code in europe:
            if code not in donors:
                donors[code] = new_donor(code)
            for year in years:
                for k in range(POLICY_TRANCHES):
                    start = 12 * k // POLICY_TRANCHES
                    pledges.append(Pledge(
                        id=f"{code}-{kind}-{year}-t{k + 1:02d}", donor=code, channel="bilateral",
                        program=kind, month=12 * (year - first_year) + start, usd=0.0,
                        quantity=0, item=None, pool=None,
                        spread=12 * (k + 1) // POLICY_TRANCHES - start, condition=None,
                        amount=None, currency="USD", line=Line(kind, share, year, year)))
    counts = settings.counts_toward_core
    if counts is not None and settings.counts_in_core:
        raise fail("aid.counts_in_core", "set counts_toward_core alone (counts_in_core = true "
                   'is counts_toward_core = "inside")')
    counts = counts or ("inside" if settings.counts_in_core else "no")
    if counts != "no" and not {p.donor for p in pledges} & set(spending.allies):
        warnings.append(ScenarioWarning(*locate("aid.counts_toward_core" if settings.
                                                counts_toward_core else "aid.counts_in_core"),
                                        "no donor is an ally of the spending model: no aid "
                                        "counts toward core spending"))
    concentrations = [("aid.defaults", defaults, default_delivered),
                      *((f"aid.donors.{name}", t, donors[name].delivered)
                        for name, t in donor_tables.items())]
    for key, t, delivered in concentrations:
        if t.concentration is not None and delivered in (0.0, 1.0):
            warnings.append(ScenarioWarning(
                *locate(f"{key}.concentration"), f"has no effect: a delivered share of "
                f"{delivered:g} is certain (a Beta needs a mean between 0 and 1)"))
    return AidModel(first_year=first_year, needs=needs, donors=donors, items=tuple(items),
                    pools=tuple(pools), pledges=tuple(pledges), resolution=settings.resolution,
                    counts_in_core=counts != "no", counts_toward_core=counts,
                    us_reference_usd=_us_average_usd(rates))


def _us_average_usd(rates: Mapping[str, float]) -> float:
    """The US's average yearly military aid allocations 2022-2024, USD (Kiel, in EUR)."""
    return sum(kiel_eur("USA", year) for year in (2022, 2023, 2024)) / 3 * rates["EUR"]


def _us_policy(us: str, pledges: list[Pledge], needs: tuple[Need, ...], first_year: int,
               spending: Spending, rates: Mapping[str, float], locate: Locate,
               warnings: list[ScenarioWarning]) -> list[Pledge]:
    """The pledges with the United States' aid as ``us`` says: as written, none (``"zero"``),
    or its 2022-2024 average as a budget line from its first year, held as a share of GDP."""
    if us == "as_written":
        return pledges
    if not any(p.donor == "USA" for p in pledges) and us == "zero":
        warnings.append(ScenarioWarning(*locate("aid.us"), "no US budget line or pledge to "
                                        "set to zero: no effect"))
    others = [p for p in pledges if p.donor != "USA"]
    if us == "zero":
        return others
    if "USA" not in spending.allies:
        raise ScenarioError(*locate("aid.us"), "the US is not an ally of this scenario's "
                            "spending model, so its aid cannot follow its GDP")
    average = _us_average_usd(rates)
    line = BudgetTable(amounts=((max(first_year, spending.base_year), average),))
    return others + _budget_pledges("USA", line, needs, first_year, spending, rates, locate,
                                    warnings)


def _budget_pledges(name: str, budget: BudgetTable, needs: tuple[Need, ...], first_year: int,
                    spending: Spending, rates: Mapping[str, float], locate: Locate,
                    warnings: list[ScenarioWarning], pool: int | None = None,
                    pledged_2025: float = 0.0) -> list[Pledge]:
    """A donor's budget line as pledges: each needs year's amount in ``tranches`` equal parts
    spread over the year (part k of n from month 12k/n), each delivered on its own; with a
    ``pool``, ``pool_share`` of each part is paid into it. A line that starts from the 2025
    allocation has ``pledged_2025`` USD (the donor's own 2025 pledges) taken out of it."""
    key = f"aid.budgets.{name}"

    def fail(where: str, problem: str) -> ScenarioError:
        return ScenarioError(*locate(where), problem)

    def warn(where: str, problem: str) -> None:
        warnings.append(ScenarioWarning(*locate(where), problem))

    given = [field for field in ("amounts", "share_of_gdp", "share_of_defence", "start")
             if getattr(budget, field)]
    if given == ["amounts", "start"]:
        given = ["amounts"]  # the 2025 allocation, then the published amounts
    if len(given) != 1:
        raise fail(key, "needs one of amounts (money by year, after start = \"kiel-2025\" if "
                   "given), share_of_gdp, share_of_defence (% by year) and start, got "
                   f"{', '.join(given) or 'none'}")
    kind = given[0]
    if kind == "amounts" and budget.currency not in rates:
        raise fail(f"{key}.currency", f"no rate for {budget.currency!r} in calibration/data/"
                   f"{RATES_FILE} (has {', '.join(rates)})"
                   + schema.did_you_mean(budget.currency, rates))
    modelled = name in spending.allies
    years = list(range(first_year, needs[-1].year + 1))
    after = budget.after or "share_of_gdp"
    if not modelled and kind in ("share_of_gdp", "share_of_defence"):
        raise fail(f"{key}.{kind}", f"{name} is not an ally of this scenario's spending model, "
                   "so it has no simulated GDP or defence budget: give amounts (money by year)")
    if not modelled and after == "share_of_gdp" and kind in ("amounts", "start"):
        # Non-NATO donors (EU institutions, Australia, Japan...) are outside the spending model.
        last_written = (budget.amounts[-1][0] if budget.amounts
                        else KIEL_YEARS[budget.start or "kiel"][-1])
        if last_written < years[-1]:
            warn(f"{key}.after", f"{name} is not an ally of this scenario's spending model: its "
                 "line holds its last amount in money after its last year instead of following "
                 "GDP")
        after = "money"
    published: tuple[tuple[int, float], ...] = ()
    if budget.start is not None:
        allocations = _kiel_allocations()
        for year in KIEL_YEARS[budget.start]:
            if (name, year) not in allocations:
                known = sorted({donor for donor, _ in allocations})
                raise fail(f"{key}.start", f"no {year} Kiel allocation for {name!r} in "
                           f"calibration/data/{KIEL_FILE}" + schema.did_you_mean(name, known))
            published += ((year, allocations[name, year] * rates["EUR"]),)
    if kind == "amounts":
        if published and budget.amounts[0][0] <= published[-1][0]:
            raise fail(f"{key}.amounts.{budget.amounts[0][0]}", f"comes at or before the "
                       f"{published[-1][0]} allocation start = \"{budget.start}\" gives: drop "
                       "one of them")
        published += tuple((year, value * rates[budget.currency])
                           for year, value in budget.amounts)
    elif kind != "start":
        published = getattr(budget, kind)
    for year, _ in published:
        if not years[0] <= year <= years[-1] and not (kind == "start" or (year <= 2025
                                                      and budget.start is not None)):
            warn(f"{key}.{kind}.{year}", f"{year} is outside the months simulated "
                 f"({years[0]}-{years[-1]}): not simulated")
    if budget.after is not None and published and published[-1][0] >= years[-1]:
        warn(f"{key}.after", f"has no effect: the line's last year, {published[-1][0]}, is at or "
             f"after the last year simulated, {years[-1]}")
    # Allocations start a line in the first year simulated at the earliest.
    by_year = dict(published)
    first, last = published[0][0], published[-1][0]
    # The 2025 allocation less the donor's own 2025 pledges listed apart: for 2025 alone,
    # since later years follow the allocation whole.
    net = ({2025: max(by_year[2025] - pledged_2025, 0.0)}
           if budget.start in ("kiel-2025", "kiel") else {})
    lines = []
    for year in years:
        if year in by_year:
            value = net.get(year, by_year[year])
            line = (Line("usd", value, year, year) if kind in ("amounts", "start")
                    else Line(kind, value, year, year))
        elif year < first or after == "stop" or year < last:
            continue  # before the line's first year, after it stops, or a year it skips
        elif kind in ("amounts", "start"):
            value = by_year[last]
            # The last published year's money, grown with nominal GDP from the spending
            # model's base year at the earliest (a 2025 allocation is the 2026 line).
            line = (Line("usd", value, year, year) if after == "money" else
                    Line("grown", value, max(last, spending.base_year), year))
        else:
            # A share held after its last year; "money" holds the last year's amount.
            line = Line(kind, by_year[last], last if after == "money" else year, year)
        lines.append((year, line))
    outside = [year for year, line in lines if line.kind != "usd" and not all(
        spending.base_year <= y <= spending.horizon for y in (line.year, line.to_year))]
    if outside:
        raise fail(key, f"follows {name}'s simulated GDP in {outside[0]}, outside the spending "
                   f"model's years {spending.base_year}-{spending.horizon}")
    pool_share = 0.0 if pool is None else (1.0 if budget.pool_share is None
                                           else budget.pool_share)
    # (id suffix, share of the line, pool, channel): the bilateral part and the pool's.
    parts = [part for part in (("", 1.0 - pool_share, None, budget.channel),
                               ("-pool", pool_share, pool, "PURL")) if part[1] > 0]
    pledges = []
    for year, line in lines:
        n = budget.tranches
        for k in range(n):
            start, end = 12 * k // n, 12 * (k + 1) // n
            for suffix, share, into, channel in parts:
                part = Line(line.kind, line.value * share / n, line.year, line.to_year)
                pledges.append(Pledge(
                    id=f"{name}-{year}" + (f"-t{k + 1:02d}" if n > 1 else "") + suffix,
                    donor=name, channel=channel, program=budget.program,
                    month=12 * (year - first_year) + start,
                    usd=part.value if part.kind == "usd" else 0.0, quantity=0, item=None,
                    pool=into, spread=end - start, condition=None, amount=None,
                    currency="USD", line=part))
    return pledges


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
    normal, triangle = ("mean", "sd"), ("low", "mode", "high")
    needs = []
    for year, value in table.items():
        file, key = locate(f"aid.needs.{year}")
        if not (str(year).isascii() and str(year).isdigit()) or not 2000 <= int(year) <= 2100:
            raise ScenarioError(file, key, "must be a year, e.g. 2026")
        if isinstance(value, dict):
            unknown = set(value) - {*normal, *triangle}
            if unknown:
                name = sorted(unknown)[0]
                hint = schema.did_you_mean(name, (*normal, *triangle))
                raise ScenarioError(file, f"{key}.{name}", f"unknown key{hint}; {key} takes "
                                    "mean and sd (normal) or low, mode and high (triangular)")
            names = triangle if set(value) & set(triangle) else normal
            if names is triangle:
                if set(value) & set(normal):
                    raise ScenarioError(file, key, "give mean and sd (normal) or low, mode and "
                                        "high (triangular), not both")
                missing = [name for name in triangle if name not in value]
                if missing:
                    raise ScenarioError(file, f"{key}.{missing[0]}",
                                        "required: a triangular need takes low, mode and high")
            written = {name: value.get(name, 0.0) for name in names}
        else:
            names, written = normal, {"mean": value, "sd": 0.0}
        checked: dict[str, float] = {}
        for name, number in written.items():
            where = key if not isinstance(value, dict) else f"{key}.{name}"
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ScenarioError(file, where,
                                    f"must be a number of USD, got {schema.type_name(number)}")
            if number < 0:
                raise ScenarioError(file, where, f"must be at least 0, got {number}")
            if (name in value) if isinstance(value, dict) else name == "mean":
                schema.check_typical(fields[name], number, where, file, warnings)
            checked[name] = float(number)
        if names is triangle:
            low, mode, high = (checked[name] for name in triangle)
            if not low <= mode <= high:
                raise ScenarioError(file, key, f"needs low <= mode <= high, got {low:g}, "
                                    f"{mode:g}, {high:g}")
            variance = (low * low + mode * mode + high * high - low * mode - low * high
                        - mode * high) / 18.0
            needs.append(Need(int(year), (low + mode + high) / 3.0, max(variance, 0.0) ** 0.5,
                              (low, mode, high)))
        else:
            needs.append(Need(int(year), checked["mean"], checked["sd"]))
    if not needs:
        raise ScenarioError(*locate("aid.needs"),
                            "required: at least one year = USD, e.g. 2026 = 60e9")
    needs.sort(key=lambda n: n.year)
    years = [n.year for n in needs]
    if years != list(range(years[0], years[0] + len(years))):
        raise ScenarioError(*locate("aid.needs"), f"years must follow one another, got {years}")
    return tuple(needs)


__all__ = ["AidModel", "Condition", "Donor", "Item", "Lag", "Need", "Pledge",
           "Pool", "check_aid", "parse_aid", "usd_per_unit"]
