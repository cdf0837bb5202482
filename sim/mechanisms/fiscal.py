"""Fiscal space: debt and deficits per draw, and the stress that slows the move to commitment.

A planning layer (SPEC 3.5; :mod:`sim.mechanisms`), off unless ``[defaults.fiscal]`` enables
it. Each ally starts from its IMF WEO (October 2025) gross debt ``D`` and overall deficit in the
base year (:mod:`sim.data.fiscal`), pays an effective nominal interest rate ``r`` (net interest,
the primary minus the overall balance, over debt, held at its base-year value), runs the IMF's
projected primary balance ``pb`` (held after 2030), and adds the part of its defence increase
not offset elsewhere (``unfunded`` of the rise in core share since the base year). In % of GDP,
with ``shrink = 1/n`` the inverse of nominal growth in national currency, ``n = (1 + g)(1 +
deflator)``, computed from the USD GDP paths as ``Y[t-1]/Y[t] * (1 + usd_inflation)/(1 +
deflator)`` (the same growth, so that a pass over the core share alone can reuse them):

    deficit[t] = D[t-1]*r*shrink - pb[t] + unfunded*(c[t-1] - c0)
    D[t]       = D[t-1]*shrink + deficit[t]

Pressure in year ``t`` is debt above ``debt_threshold`` while rising (per 10 pp of GDP) plus
last year's deficit beyond ``deficit_limit``, after relief: the EU national escape clause
tolerates up to its cap (1.5% of GDP) of the defence increase, in 2025-2028, for the states that
activated it (:func:`sim.data.rules.escape_clause`); Germany's debt brake exempts defence above
1% of GDP (:func:`sim.data.rules.debt_brake`). Stress is ``min(1, elasticity * pressure)`` and
scales the commitment's yearly move (:mod:`sim.mechanisms.commitment`); plans already made are
not slowed.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import attrs
import numpy as np

from sim import schema
from sim.data.fiscal import LAST_YEAR, FiscalYear, fiscal_position, load_fiscal
from sim.data.rules import debt_brake, escape_clause
from sim.kept import Kept
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
    deflate: np.ndarray  # (1 + usd_inflation) / (1 + deflator)
    base: np.ndarray  # c0, base-year core share
    relief_cap: np.ndarray  # (years, allies) escape-clause cap in its years, else 0
    exempt_above: np.ndarray  # core share above which defence is exempt (debt brake)
    threshold: np.ndarray
    limit: np.ndarray
    elasticity: np.ndarray
    unfunded: np.ndarray


#: The last fiscal positions read (:func:`_positions`), as one tuple (the data, the allies and
#: years, what was read), replaced whole so that threads running variants side by side never
#: see one call's key with another's positions: a sweep's variants read the same.
_POSITIONS: dict[str, tuple[Any, ...]] = {}


def _positions(codes: tuple[str, ...], base_year: int, calendar: tuple[int, ...]
               ) -> tuple[list[FiscalYear], list[FiscalYear], np.ndarray]:
    """The allies' fiscal positions in the base year and the year before, and their primary
    balances each year (years, allies), held after the data's last year; kept for the next
    call with the same allies and years on the same data."""
    data = load_fiscal()
    key = (codes, base_year, calendar)
    last = _POSITIONS.get("last")
    if last is None or last[0] is not data or last[1] != key:
        now = [fiscal_position(code, base_year) for code in codes]
        before = [fiscal_position(code, base_year - 1) for code in codes]
        primary = np.column_stack([  # (years, allies)
            [fiscal_position(code, min(year, LAST_YEAR)).primary_balance for year in calendar]
            for code in codes])
        last = _POSITIONS["last"] = (data, key, now, before, primary)
    _, _, now, before, primary = last
    # A copy of the primary balances: the caller's arrays are its own.
    return list(now), list(before), primary.copy()


def arrays(scenario: Any) -> FiscalArrays | None:
    """The terms of a resolved scenario, None when no ally has the fiscal layer enabled (an
    ally with it off has elasticity 0: no stress)."""
    allies = scenario.allies
    tables = [getattr(ally, KEY) for ally in allies]
    if not any(table.enabled for table in tables):
        return None
    base_year = scenario.base_year
    calendar = tuple(int(year) for year in scenario.years)
    now, before, primary = _positions(tuple(ally.code for ally in allies), base_year, calendar)
    return FiscalArrays(
        debt=np.array([f.debt for f in now]),
        debt_before=np.array([f.debt for f in before]),
        deficit=np.array([-f.overall_balance for f in now]),
        # net interest = primary - overall balance, % of GDP; over debt, a rate
        rate=np.array([(f.primary_balance - f.overall_balance) / f.debt for f in now]),
        primary=primary,
        # Copies: the caller's arrays are its own.
        **{name: column.copy() for name, column in _terms(allies, tables, calendar).items()},
    )


#: Each scenario's per-ally terms made before (:func:`_terms`), by the allies' fiscal tables
#: and the rules data (the same objects, so kept with the entry) and the values the terms read
#: by ``repr`` (which tells -0.0 from 0.0): a sweep's variants make the same terms again.
#: Emptied when full. Never written into.
_TERMS = Kept(1024)


def _terms(allies: Any, tables: list[Fiscal], calendar: tuple[int, ...]
           ) -> dict[str, np.ndarray]:
    """The terms :func:`arrays` makes from the tables, growth, base shares and rules, by name;
    those made before of the same found again."""
    clauses, brake = escape_clause(), debt_brake()
    return _TERMS.made(
        functools.partial(_made_terms, allies, tables, calendar, clauses, brake),
        (calendar, *((ally.code, repr(ally.growth.inflation), repr(ally.growth.deflator),
                      repr(ally.core_base)) for ally in allies)),
        (clauses, brake, *tables))


def _made_terms(allies: Any, tables: list[Fiscal], calendar: tuple[int, ...], clauses: Any,
                brake: Any) -> dict[str, np.ndarray]:
    """:func:`_terms`, made."""
    years = np.array(calendar)

    def column(get: Any) -> np.ndarray:
        return np.array([get(ally, table) for ally, table in zip(allies, tables, strict=True)],
                        dtype=float)

    relief_cap = np.zeros((len(years), len(allies)))  # (years, allies)
    for a, (ally, table) in enumerate(zip(allies, tables, strict=True)):
        clause = clauses.get(ally.code)
        if table.escape_clause and clause is not None:
            inside = (years >= clause.first_year) & (years <= clause.last_year)
            relief_cap[inside, a] = clause.cap
    return dict(
        deflate=column(lambda ally, _: (1.0 + ally.growth.inflation)
                       / (1.0 + ally.growth.deflator)),
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


def reference_step(state: dict[str, np.ndarray], terms: FiscalArrays, gdp: np.ndarray,
                   before: np.ndarray, t: int) -> np.ndarray:
    """Year ``t``'s stress (draws, allies) from last year's debt and deficit; then the debt and
    deficit of year ``t`` from its growth (the (years, draws, allies) USD GDP paths) and last
    year's core share ``before``."""
    debt, deficit = state["debt"], state["deficit"]
    over = np.maximum(debt - terms.threshold, 0.0)
    over = np.where(debt > state["debt_before"], over, 0.0)
    increase = terms.unfunded * (before - terms.base)
    relief = np.maximum(np.minimum(increase, terms.relief_cap[t]), 0.0)
    relief = np.maximum(terms.unfunded * (before - terms.exempt_above), relief)
    excess = np.maximum(deficit - relief - terms.limit, 0.0)
    stress = np.minimum((over * 0.1 + excess) * terms.elasticity, 1.0)
    shrink = (gdp[t - 1] / gdp[t]) * terms.deflate
    new_deficit = debt * terms.rate * shrink - terms.primary[t] + increase
    state["debt_before"] = debt
    state["debt"] = debt * shrink + new_deficit
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
    deflate: np.ndarray
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


def compiled_step(terms: FiscalTerms, t: int, ratio: np.ndarray, before: np.ndarray,
                  debt: np.ndarray, debt_before: np.ndarray, deficit: np.ndarray,
                  stress: np.ndarray) -> None:
    """:func:`reference_step` for a chunk's draws in year ``t``, one operation at a time, on
    flat (n_draws * allies,) draw-major rows; ``ratio`` is the chunk's ``Y[t-1]/Y[t]``, and
    ``terms`` are tiled to a chunk of draws (each per-ally
    term repeated draw after draw, as the kernel tiles its own). Fills ``stress``, updates the
    state. One flat loop, min and max rather than branches, which the compiler turns into
    vector instructions: its values stay in registers from one operation to the next, where a
    short loop for each operation streamed them through memory (half again as slow).
    """
    n = debt.size  # n_draws * allies: the chunk's rows
    cap, primary = terms.relief_cap[t], terms.primary[t]
    for k in range(n):
        level, share = debt[k], before[k]
        shrink = ratio[k] * terms.deflate[k]
        above = max(level - terms.threshold[k], 0.0)
        over = above if level > debt_before[k] else 0.0
        increase = terms.unfunded[k] * (share - terms.base[k])
        relief = max(min(increase, cap[k]), 0.0)
        relief = max(terms.unfunded[k] * (share - terms.exempt_above[k]), relief)
        excess = max(deficit[k] - relief - terms.limit[k], 0.0)
        stress[k] = min((over * 0.1 + excess) * terms.elasticity[k], 1.0)
        new_deficit = level * terms.rate[k] * shrink - primary[k] + increase
        debt_before[k] = level
        debt[k] = level * shrink + new_deficit
        deficit[k] = new_deficit
