"""Fiscal space: debt and deficits per draw, and the stress that slows the move to commitment.

A planning layer (SPEC 3.5; :mod:`sim.mechanisms`), off unless ``[defaults.fiscal]`` enables
it. Each ally starts from its IMF WEO (October 2025) gross debt ``D`` and overall deficit in the
base year (:mod:`sim.data.fiscal`), pays an effective nominal interest rate ``r`` (net interest,
the primary minus the overall balance, over debt, held at its base-year value), runs the IMF's
projected primary balance ``pb`` (held after 2030), and adds the part of its defence increase
not offset elsewhere (``unfunded`` of the rise in core share since the base year). In % of GDP,
with nominal growth ``n = (1 + g)(1 + deflator)``:

    deficit[t] = r*D[t-1]/n - pb[t] + unfunded*(c[t-1] - c0)
    D[t]       = D[t-1]/n + deficit[t]

Pressure in year ``t`` is debt above ``debt_threshold`` while rising (per 10 pp of GDP) plus
last year's deficit beyond ``deficit_limit``, after relief: the EU national escape clause
tolerates up to its cap (1.5% of GDP) of the defence increase, in 2025-2028, for the states that
activated it (:func:`sim.data.rules.escape_clause`); Germany's debt brake exempts defence above
1% of GDP (:func:`sim.data.rules.debt_brake`). Stress is ``min(1, elasticity * pressure)`` and
scales the commitment's yearly move (:mod:`sim.mechanisms.commitment`); plans already made are
not slowed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs
import numpy as np

from sim import schema
from sim.data.fiscal import LAST_YEAR, fiscal_position
from sim.data.rules import debt_brake, escape_clause
from sim.workspace import Workspace

NAME, KEY = "fiscal", "fiscal"
#: The fiscal layer draws nothing: its randomness is growth's.
STREAM: int | None = None
#: Where no debt brake applies, the line above which defence is exempt: never reached.
NO_EXEMPTION = 1e9


@attrs.frozen
class Fiscal:
    """Fiscal space (``[defaults.fiscal]``); off unless ``enabled``."""

    enabled: bool = schema.boolean(False)
    # The Maastricht reference values (Protocol 12 of the EU Treaties): 60% and 3% of GDP.
    debt_threshold: float = schema.number(60.0, 0.0, 1000.0, typical=(30.0, 150.0), unit="% of GDP")
    deficit_limit: float = schema.number(3.0, 0.0, 100.0, typical=(0.0, 10.0), unit="% of GDP")
    # Stress per unit of pressure: at 0.1, debt 50 pp above the threshold halves the move.
    elasticity: float = schema.number(0.0, 0.0, 100.0, typical=(0.0, 1.0),
                                      unit="stress per unit of pressure")
    # 0: every defence increase is offset by cuts or taxes; 1: all of it is borrowed.
    unfunded: float = schema.number(0.5, 0.0, 1.0, typical=(0.0, 1.0),
                                    unit="share of the defence increase borrowed")
    escape_clause: bool = schema.boolean(True)
    debt_brake: bool = schema.boolean(True)


Table: type[Fiscal] = Fiscal


class FiscalArrays(NamedTuple):
    """The per-ally terms (allies,) and (years, allies), engine order."""

    debt: np.ndarray  # D in the base year, % of GDP
    debt_before: np.ndarray  # D the year before
    deficit: np.ndarray  # the base year's overall deficit, % of GDP
    rate: np.ndarray  # effective nominal interest rate, fraction a year
    primary: np.ndarray  # (years, allies) primary balance, % of GDP
    nominal: np.ndarray  # 1 + deflator
    base: np.ndarray  # c0, base-year core share
    relief_cap: np.ndarray  # (years, allies) escape-clause cap in its years, else 0
    exempt_above: np.ndarray  # core share above which defence is exempt (debt brake)
    threshold: np.ndarray
    limit: np.ndarray
    elasticity: np.ndarray
    unfunded: np.ndarray


def arrays(scenario: Any) -> FiscalArrays | None:
    """The terms of a resolved scenario, None when no ally has the fiscal layer enabled (an
    ally with it off has elasticity 0: no stress)."""
    allies = scenario.allies
    tables = [getattr(ally, KEY) for ally in allies]
    if not any(table.enabled for table in tables):
        return None
    base_year = scenario.base_year
    calendar = np.array(scenario.years)
    clauses, brake = escape_clause(), debt_brake()

    def column(get: Any) -> np.ndarray:
        return np.array([get(ally, table) for ally, table in zip(allies, tables, strict=True)],
                        dtype=float)

    now = [fiscal_position(ally.code, base_year) for ally in allies]
    before = [fiscal_position(ally.code, base_year - 1) for ally in allies]
    primary = np.column_stack([  # (years, allies)
        [fiscal_position(ally.code, min(int(year), LAST_YEAR)).primary_balance
         for year in calendar] for ally in allies])
    relief_cap = np.zeros((len(calendar), len(allies)))  # (years, allies)
    for a, (ally, table) in enumerate(zip(allies, tables, strict=True)):
        clause = clauses.get(ally.code)
        if table.escape_clause and clause is not None:
            inside = (calendar >= clause.first_year) & (calendar <= clause.last_year)
            relief_cap[inside, a] = clause.cap
    return FiscalArrays(
        debt=np.array([f.debt for f in now]),
        debt_before=np.array([f.debt for f in before]),
        deficit=np.array([-f.overall_balance for f in now]),
        # net interest = primary - overall balance, % of GDP; over debt, a rate
        rate=np.array([(f.primary_balance - f.overall_balance) / f.debt for f in now]),
        primary=primary,
        nominal=column(lambda ally, _: 1.0 + ally.growth.deflator),
        base=column(lambda ally, _: ally.core_base),
        relief_cap=relief_cap,
        exempt_above=column(lambda ally, table: brake.threshold
                            if table.debt_brake and ally.code == brake.code else NO_EXEMPTION),
        threshold=column(lambda _, table: table.debt_threshold),
        limit=column(lambda _, table: table.deficit_limit),
        elasticity=column(lambda _, table: table.elasticity if table.enabled else 0.0),
        unfunded=column(lambda _, table: table.unfunded),
    )


def sample(terms: FiscalArrays, rng: np.random.Generator, steps: int, draws: int,
           workspace: Workspace | None = None) -> None:
    """The fiscal layer draws nothing."""
    return None


# --- the reference step (NumPy, whole arrays: sim.spending.reference) --------------------------


def reference_start(terms: FiscalArrays, draws: int) -> dict[str, np.ndarray]:
    """The state carried from year to year, (draws, allies) each."""
    allies = terms.debt.size
    return {name: np.broadcast_to(getattr(terms, name), (draws, allies)).copy()
            for name in ("debt", "debt_before", "deficit")}


def reference_step(state: dict[str, np.ndarray], terms: FiscalArrays, growth: np.ndarray,
                   before: np.ndarray, t: int) -> np.ndarray:
    """Year ``t``'s stress (draws, allies) from last year's debt and deficit; then the debt and
    deficit of year ``t`` from its growth and last year's core share ``before``."""
    debt, deficit = state["debt"], state["deficit"]
    over = np.maximum(debt - terms.threshold, 0.0)
    over = np.where(debt > state["debt_before"], over, 0.0)
    increase = terms.unfunded * (before - terms.base)
    relief = np.maximum(np.minimum(increase, terms.relief_cap[t]), 0.0)
    relief = np.maximum(terms.unfunded * (before - terms.exempt_above), relief)
    excess = np.maximum(deficit - relief - terms.limit, 0.0)
    stress = np.minimum((over / 10.0 + excess) * terms.elasticity, 1.0)
    nominal = (growth + 1.0) * terms.nominal
    new_deficit = debt * terms.rate / nominal - terms.primary[t] + increase
    state["debt_before"] = debt
    state["debt"] = debt / nominal + new_deficit
    state["deficit"] = new_deficit
    return stress


# --- the compiled step (compiled by sim.spending.kernels with its options) ---------------------


class FiscalTerms(NamedTuple):
    """What the compiled step reads, C-ordered: (allies,) and (years, allies); the kernel tiles
    the three ``start_`` terms into its state at the start of a block."""

    start_debt: np.ndarray
    start_debt_before: np.ndarray
    start_deficit: np.ndarray
    rate: np.ndarray
    primary: np.ndarray  # (years, allies)
    nominal: np.ndarray
    base: np.ndarray
    relief_cap: np.ndarray  # (years, allies)
    exempt_above: np.ndarray
    threshold: np.ndarray
    limit: np.ndarray
    elasticity: np.ndarray
    unfunded: np.ndarray


def compiled_terms(terms: FiscalArrays | None, drawn: None) -> FiscalTerms:
    """The compiled step's record; empty arrays when the mechanism is off."""
    if terms is None:
        none, table = np.empty(0), np.empty((0, 0))
        return FiscalTerms(none, none, none, none, table, none, none, table, none, none, none,
                           none, none)
    return FiscalTerms(*(np.ascontiguousarray(getattr(terms, name.removeprefix("start_")),
                                              dtype=float) for name in FiscalTerms._fields))


def compiled_step(terms: FiscalTerms, t: int, n_draws: int, growth: np.ndarray,
                  before: np.ndarray, debt: np.ndarray, debt_before: np.ndarray,
                  deficit: np.ndarray, stress: np.ndarray) -> None:
    """:func:`reference_step` for ``n_draws`` draws of year ``t``, one operation at a time, on
    flat (n_draws * allies,) draw-major rows: fills ``stress``, updates the state."""
    allies = terms.rate.size
    for d in range(n_draws):
        for a in range(allies):
            k = d * allies + a
            now = debt[k]
            over = now - terms.threshold[a]
            if over < 0.0:
                over = 0.0
            if not now > debt_before[k]:
                over = 0.0
            increase = terms.unfunded[a] * (before[k] - terms.base[a])
            relief = increase
            cap = terms.relief_cap[t, a]
            if relief > cap:
                relief = cap
            if relief < 0.0:
                relief = 0.0
            braked = terms.unfunded[a] * (before[k] - terms.exempt_above[a])
            if braked > relief:
                relief = braked
            excess = deficit[k] - relief - terms.limit[a]
            if excess < 0.0:
                excess = 0.0
            s = (over / 10.0 + excess) * terms.elasticity[a]
            if s > 1.0:
                s = 1.0
            stress[k] = s
            nominal = (growth[k] + 1.0) * terms.nominal[a]
            new_deficit = now * terms.rate[a] / nominal - terms.primary[t, a] + increase
            debt_before[k] = now
            debt[k] = now / nominal + new_deficit
            deficit[k] = new_deficit
