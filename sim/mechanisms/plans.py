"""National plans: an ally's published budget or share is its intent to the plan's last year.

A planning layer (SPEC 3.5; :mod:`sim.mechanisms`), off unless ``[defaults.plans]`` enables it.
An ally's plan is, in order of precedence: a scenario's money plan (``[allies.X.plans] money``);
a scenario's ``flat`` or ``custom`` core path; with ``path = "announced"``, the published plan
rows the baseline follows (``calibration/data/budget_plans.csv``, :mod:`sim.data.plans`). An
ally whose path is ``linear`` has no plan. In each year the plan covers, spending closes
``follow`` of the gap to the plan's intent, by the status of the plan point that year belongs to
(an enacted budget more surely than a minister's statement):

    c[t] = max(c[t-1]*(1 - f) + f*p[t] + noise*z[t], floor)

Budgets are made in money, so the intent ``p`` is a share of the GDP actually realised:

- a plan in money gives ``p[t] = c0 * (M[t]/M[0]) * Y[0]/Y[t] * ((1 + usd_inflation) /
  (1 + deflator))**t``: the base-year NATO core share ``c0`` scaled by the plan's money growth,
  over nominal GDP growth in the plan's currency (the base-year exchange rate held; ``Y`` is USD
  GDP). The money is a national line whose growth is taken as core's (``core_relation`` in the
  data says how each maps);
- a plan in shares is set in money when the budget is made, ``lag`` years ahead, from the GDP
  then expected: ``p[t] = s[t] * Y[t-lag]/Y[t] * ((1 + forecast)(1 + usd_inflation))**lag``,
  so growth other than the forecast moves the share. The forecast is the IMF WEO projection
  the budget makers had (:func:`forecast_growth`), not the scenario's growth: a scenario of weak
  growth is growth the budgets did not expect.

Both are ``p[t] = coef[t] * Y[ref[t]] / Y[t]``, the form the kernel computes. Years between the
base year and a plan point are interpolated (in money or in share) from the base year's value;
after the plan's last point the ally's intent is the commitment's (:mod:`sim.mechanisms.
commitment`) or, with that off, SPEC 3.2's path.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

import attrs
import numpy as np

from sim import schema
from sim.data.base import load_base
from sim.data.plans import STATUSES, PlanRow, baseline_by_year, load_plans
from sim.kept import Kept
from sim.workspace import Workspace

NAME, KEY = "plans", "plans"
#: Plans draw no random numbers (their execution noise is the core share's).
STREAM: int | None = None

_FOLLOW = "fraction of the gap to the plan closed a year"
#: Money amounts of a scenario's plan: thousand-millions of the plan's currency.
MONEY_HIGH = 1e7


@attrs.frozen
class Plans:
    """National plans as intent (``[defaults.plans]``, ``[allies.X.plans]``); off unless
    ``enabled``. The four speeds are how closely spending follows a plan of each status."""

    enabled: bool = schema.boolean(False)
    # A plan followed at 1 is spent exactly (bar execution noise); below 0.3 a plan closes less
    # than a third of its gap a year, slower than allies moved between 2014 and 2026.
    follow_enacted: float = schema.number(0.9, 0.0, 1.0, lo_open=True, typical=(0.3, 1.0),
                                          unit=_FOLLOW)
    follow_proposal: float = schema.number(0.75, 0.0, 1.0, lo_open=True, typical=(0.3, 1.0),
                                           unit=_FOLLOW)
    follow_target: float = schema.number(0.5, 0.0, 1.0, lo_open=True, typical=(0.2, 1.0),
                                         unit=_FOLLOW)
    follow_statement: float = schema.number(0.5, 0.0, 1.0, lo_open=True, typical=(0.2, 1.0),
                                            unit=_FOLLOW)
    # Budgets are voted the autumn before the year they fund; 3 years ahead is a medium-term
    # plan's horizon.
    lag: int = schema.integer(1, 0, 5, typical=(0, 3), unit="years")
    #: A scenario's plan in money: ``year = amount`` in the plan's currency, thousand-millions;
    #: the base year's amount anchors it.
    money: tuple[tuple[int, float], ...] = schema.points(typical=(0.0, 2e3), high=MONEY_HIGH,
                                                         unit="bn of the plan's currency")
    #: The status of a plan the scenario writes (money, or a flat or custom path).
    status: str = schema.string("enacted", STATUSES)

    def follow(self, status: str) -> float:
        """The speed for a plan point of ``status``."""
        return float(getattr(self, f"follow_{status}"))


Table: type[Plans] = Plans


@attrs.frozen
class Plan:
    """One ally's resolved plan: points after the base year, each ``(year, value, status)``,
    in money (``kind == "money"``, with the base-year ``anchor``) or in shares."""

    kind: str  # "money" or "share"
    points: tuple[tuple[int, float, str], ...]
    anchor: float | None  # money in the base year; None for shares
    source: str  # where it comes from: "scenario", or the data file's lines

    @property
    def last_year(self) -> int:
        return self.points[-1][0]


def _value(row: PlanRow) -> float:
    # A published range ("5-6% of GDP") is taken at its middle.
    return (row.low + row.high) / 2.0


# Cached as the plans file it reads is (sim.data.plans.load_plans): a scenario's checks and
# arrays ask for each ally's plan hundreds of times, a sweep for every variant.
@functools.lru_cache(maxsize=1024)
def _data_plan(code: str, base_year: int, horizon: int) -> Plan | None:
    """The plan the baseline follows for ``code``: money where a base-year amount anchors a
    later one, then shares for the years after the money plan's last."""
    money = baseline_by_year(code, "money", last_year=horizon)
    points: list[tuple[int, float, str]] = []
    lines: list[int] = []
    kind = "share"
    anchor = None
    if base_year in money and any(year > base_year for year in money):
        kind, anchor = "money", _value(money[base_year])
        for year, row in money.items():
            if year > base_year:
                points.append((year, _value(row), row.status))
                lines.append(row.line)
        return Plan(kind, tuple(points), anchor, _lines(lines))
    shares = baseline_by_year(code, "share", last_year=horizon)
    level: float | None = None
    for year in sorted(shares):
        row = shares[year]
        if row.basis == "level":
            level = _value(row)
            value = level
        elif level is None:
            continue  # an increment with no level before it cannot be placed
        else:
            value = level + _value(row)  # increments are cumulative over the last level
        if year > base_year:
            points.append((year, value, row.status))
            lines.append(row.line)
    if not points:
        return None
    return Plan(kind, tuple(points), anchor, _lines(lines))


def _lines(lines: Sequence[int]) -> str:
    return "budget_plans.csv lines " + ", ".join(str(n) for n in sorted(set(lines)))


def ally_plan(ally: Any, base_year: int, horizon: int) -> Plan | None:
    """The plan of a resolved ally (:class:`sim.scenario.AllyConfig`), None where it has none."""
    table: Plans = getattr(ally, KEY)
    if table.money:
        anchor = dict(table.money)[base_year]  # the loader requires the base year
        points = tuple((year, amount, table.status) for year, amount in table.money
                       if year > base_year)
        return Plan("money", points, anchor, "scenario")
    policy = ally.policy
    if policy.path == "flat":
        return Plan("share", tuple((year, ally.core_base, table.status)
                                   for year in range(base_year + 1, horizon + 1)),
                    None, "scenario")
    if policy.path == "custom":
        return Plan("share", tuple((year, share, table.status) for year, share in policy.custom),
                    None, "scenario")
    if policy.path == "announced":
        return _data_plan(ally.code, base_year, horizon)
    return None


def forecast_growth(ally: Any, base_year: int) -> float:
    """The real growth a budget is set on: the ally's IMF WEO projection (the growth mean the
    baseline uses), or the scenario's mean for an ally the IMF does not project."""
    figure = load_base(base_year)[ally.code].growth_mean
    return ally.growth.mean if figure is None else figure.value


def budget_terms(ally: Any, base_year: int, years: int) -> tuple[np.ndarray, np.ndarray]:
    """``coef`` and ``ref`` (years,) of a share budgeted ``lag`` years ahead: the share ``s`` it
    intends is ``s * coef[t] * Y[ref[t]] / Y[t]`` of the GDP realised."""
    table: Plans = getattr(ally, KEY)
    t = np.arange(years)
    ref = np.maximum(t - table.lag, 0)
    expected = (1.0 + forecast_growth(ally, base_year)) * (1.0 + ally.growth.inflation)
    return expected ** (t - ref), ref


def describe(ally: Any, base_year: int, horizon: int) -> str:
    """One line on what an ally intends, in the planner's words: its plan (kind, last year,
    status, source) and what follows it, as the model runs it."""
    table: Plans = getattr(ally, KEY)
    committed = ally.commitment
    after = (f"then commitment toward {ally.policy.target:g}% (median credibility "
             f"{committed.credibility:.2f})" if committed.enabled else
             f"then the {ally.policy.path} path at adjustment {ally.policy.adjustment:.2f}")
    plan = ally_plan(ally, base_year, horizon) if table.enabled else None
    if plan is None:
        if not table.enabled:
            return (f"{ally.policy.path} path to {ally.policy.target:g}% at adjustment "
                    f"{ally.policy.adjustment:.2f} (plans off)")
        return f"no plan; {after.removeprefix('then ')}"
    year, value, status = plan.points[-1]
    if plan.kind == "money":
        what = f"budget in money, {plan.anchor:g} in {base_year} to {value:g} in {year} (bn)"
    else:
        what = f"{value:g}% of GDP in {year}"
    tail = after if year < horizon else "to the horizon"
    return f"{status} plan: {what}, {plan.source}; {tail}"


class PlanArrays(NamedTuple):
    """The per-ally terms, engine order: ``p[t] = coef[t] * Y[ref[t]] / Y[t]`` in plan years."""

    coef: np.ndarray  # (years, allies)
    ref: np.ndarray  # (years, allies) int64: the year index whose GDP the budget was set on
    follow: np.ndarray  # (years, allies) speed in plan years, 0 in the others
    last: np.ndarray  # (allies,) int64: index of the plan's last year, 0 without a plan


def arrays(scenario: Any) -> PlanArrays | None:
    """The terms of a resolved scenario, None when no ally has plans enabled."""
    allies = scenario.allies
    if not any(getattr(ally, KEY).enabled for ally in allies):
        return None
    base_year = scenario.base_year
    years = len(scenario.years)
    coef, follow = np.zeros((2, years, len(allies)))  # (years, allies) each
    ref = np.zeros((years, len(allies)), dtype=np.int64)
    last = np.zeros(len(allies), dtype=np.int64)
    for a, ally in enumerate(allies):
        table: Plans = getattr(ally, KEY)
        laid_out = _laid_out(ally, base_year, scenario.horizon, years) if table.enabled else None
        if laid_out is None:
            continue
        plan, columns = laid_out
        coef[:, a], ref[:, a], follow[:, a] = columns
        last[a] = plan.last_year - base_year
    return PlanArrays(coef, ref, follow, last)


#: Each ally's plan and its columns, by all they are made of (:func:`_laid_out`): a sweep's
#: variants lay the same plans out again. Emptied when full.
_LAID_OUT = Kept(4096)


def _laid_out(ally: Any, base_year: int, horizon: int, years: int
              ) -> tuple[Plan, tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """The ally's plan (:func:`ally_plan`) and its columns (:func:`_plan_columns`), None
    without a plan; those made before of the same found again (never written into).

    What they read: the ally's plans table and the plan data (the same objects, so kept with
    the entry), its code, the policy's path (and custom points), the base-year share, the
    inflation and deflator, the growth a budget is set on, and the years. The numbers are in
    the key by ``repr``, which tells -0.0 from 0.0.
    """
    policy, growth = ally.policy, ally.growth

    def made() -> tuple[Plan, tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
        plan = ally_plan(ally, base_year, horizon)
        return None if plan is None else (plan, _plan_columns(ally, plan, base_year, years))

    return _LAID_OUT.made(
        made,
        (ally.code, policy.path, repr(policy.custom) if policy.path == "custom" else None,
         repr(ally.core_base), repr(growth.inflation), repr(growth.deflator),
         repr(forecast_growth(ally, base_year)), base_year, horizon, years),
        (getattr(ally, KEY), load_plans(), load_base(base_year)))


def plan_ends(scenario: Any) -> np.ndarray | None:
    """:func:`arrays`' ``last`` alone, without laying the plans out: (allies,) int64, the index
    of each ally's plan's last year (0 without a plan); None when no ally has plans enabled."""
    allies = scenario.allies
    if not any(getattr(ally, KEY).enabled for ally in allies):
        return None
    last = np.zeros(len(allies), dtype=np.int64)  # (allies,)
    for a, ally in enumerate(allies):
        plan = (ally_plan(ally, scenario.base_year, scenario.horizon)
                if getattr(ally, KEY).enabled else None)
        if plan is not None:
            last[a] = plan.last_year - scenario.base_year
    return last


def _plan_columns(ally: Any, plan: Plan, base_year: int,
                  years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table: Plans = getattr(ally, KEY)
    t = np.arange(years)
    calendar = base_year + t
    xs = [base_year, *(year for year, _, _ in plan.points)]
    start = plan.anchor if plan.anchor is not None else ally.core_base
    ys = [float(start), *(value for _, value, _ in plan.points)]
    values = np.interp(calendar, xs, ys)  # (years,) money or share, each plan year
    # A year's status is that of the plan point it leads to.
    statuses = [next((s for year, _, s in plan.points if year >= when), "")
                for when in calendar]
    inside = (t > 0) & (calendar <= plan.last_year)
    follow = np.array([table.follow(s) if inside[i] else 0.0 for i, s in enumerate(statuses)])
    usd = 1.0 + ally.growth.inflation
    if plan.kind == "money":
        assert plan.anchor is not None
        ratio = values / plan.anchor if plan.anchor > 0 else np.zeros(years)
        coef = ally.core_base * ratio * (usd / (1.0 + ally.growth.deflator)) ** t
        ref = np.zeros(years, dtype=np.int64)
    else:
        scale, ref = budget_terms(ally, base_year, years)
        coef = values * scale
    return np.where(inside, coef, 0.0), np.where(inside, ref, 0), follow


def sample(terms: PlanArrays, rng: np.random.Generator, steps: int, draws: int,
           workspace: Workspace | None = None) -> None:
    """Plans draw nothing."""
    return None


# --- the reference step (NumPy, whole arrays: sim.spending.reference) --------------------------


def reference_intent(terms: PlanArrays, gdp: np.ndarray, t: int) -> np.ndarray:
    """Year ``t``'s intent in plan years, (draws, allies), from the (years, draws, allies) GDP
    paths so far (0 where the year is not a plan year)."""
    allies = np.arange(terms.coef.shape[1])
    return terms.coef[t] * (gdp[terms.ref[t], :, allies].T / gdp[t])


# --- the compiled step (compiled by sim.spending.kernels with its options) ---------------------


class PlanTerms(NamedTuple):
    """What the compiled step reads, C-ordered."""

    coef: np.ndarray  # (years, allies)
    ref: np.ndarray  # (years, allies) int64
    follow: np.ndarray  # (years, allies)


def compiled_terms(terms: PlanArrays | None, drawn: None) -> PlanTerms:
    """The compiled step's record; empty arrays when the mechanism is off."""
    if terms is None:
        return PlanTerms(np.empty((0, 0)), np.empty((0, 0), dtype=np.int64), np.empty((0, 0)))
    return PlanTerms(np.ascontiguousarray(terms.coef, dtype=float),
                     np.ascontiguousarray(terms.ref, dtype=np.int64),
                     np.ascontiguousarray(terms.follow, dtype=float))


def compiled_step(terms: PlanTerms, t: int, first: int, n_draws: int, gdp: np.ndarray,
                  ratio: np.ndarray, intent: np.ndarray, keep: np.ndarray,
                  pull: np.ndarray) -> None:
    """:func:`reference_intent` and the plan's speed for draws ``first`` to ``first +
    n_draws`` of year ``t``: in plan years sets ``intent``, ``keep`` (1 - follow) and ``pull``
    (follow * intent), flat (n_draws * allies,) draw-major rows; ``gdp`` is the block's
    (years, draws * allies) GDP and ``ratio`` the chunk's ``Y[t-1]/Y[t]`` (the same division,
    done once for every layer)."""
    allies = terms.coef.shape[1]
    low = first * allies
    for a in range(allies):
        f = terms.follow[t, a]
        if f == 0.0:
            continue
        coef, ref = terms.coef[t, a], terms.ref[t, a]
        for d in range(n_draws):
            k = d * allies + a
            if ref == t - 1:
                p = coef * ratio[k]
            else:
                p = coef * (gdp[ref, low + k] / gdp[t, low + k])
            intent[k] = p
            keep[k] = 1.0 - f
            pull[k] = f * p
