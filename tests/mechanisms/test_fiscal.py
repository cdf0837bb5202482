"""Fiscal space (sim.mechanisms.fiscal) against a scalar transcription of its equations, and
its properties: stress rises with debt, the escape clause ends in its year, the debt brake is
Germany's."""

from __future__ import annotations

import math

import attrs
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.data.fiscal import LAST_YEAR, fiscal_position
from sim.data.rules import escape_clause
from sim.mechanisms import fiscal
from sim.spending import reference
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms

#: High-debt allies, with and without the escape clause, and Germany with its debt brake.
_ALLIES = ["BEL", "DEU", "FRA", "ITA", "POL"]
_FISCAL = {"scenario.allies": _ALLIES, "defaults.shocks.enabled": False,
           "defaults.fiscal.enabled": True, "defaults.fiscal.elasticity": 0.05,
           "defaults.fiscal.unfunded": 0.6, "defaults.commitment.enabled": True,
           "defaults.commitment.follow": 0.5, "defaults.plans.enabled": False,
           "defaults.policy.path": "linear"}


def _gdp(inputs, growth):
    """(years, 1, allies) GDP paths growing by ``growth`` (1, allies) every year: what the
    fiscal step reads its nominal growth from."""
    years = np.arange(len(inputs.years))[:, None, None]
    return (1.0 + growth[None]) ** years


def _simulate(scenario, draws: int = 6, seed: int = 11):
    inputs = ModelInputs.from_scenario(scenario)
    drawn = sample_mechanisms(inputs, sample_draws(inputs, np.random.default_rng(seed), draws),
                              lambda stream: np.random.default_rng([seed, stream]))
    return inputs, drawn, reference.simulate(inputs, drawn)


def _scalar(scenario, drawn, code: str, d: int) -> dict[str, list[float]]:
    """PLANNING.md's equations for one ally and one draw, a year at a time in plain Python:
    growth (SPEC 3.1), debt, deficit, relief, pressure and stress, the commitment's intent and
    the core share (no plan: the commitment from the first year)."""
    ally, base_year = scenario.ally(code), scenario.base_year
    a = scenario.codes.index(code)
    g = mu = ally.growth.mean
    rho, sd, common = ally.growth.persistence, ally.growth.sd, ally.growth.common
    table, committed = ally.fiscal, ally.commitment
    theta, deflator = table.unfunded, ally.growth.deflator
    now, before = fiscal_position(code, base_year), fiscal_position(code, base_year - 1)
    debt, debt_before, deficit = now.debt, before.debt, -now.overall_balance
    r = (now.primary_balance - now.overall_balance) / now.debt
    c0 = c = q = ally.core_base
    clause = escape_clause().get(code)
    kappa = float(drawn.mechanisms["commitment"].kappa[d, a])
    goal = scenario.goal.year - base_year
    out: dict[str, list[float]] = {"core": [c], "debt": [debt], "stress": [0.0]}
    for t in range(1, len(scenario.years)):
        year = base_year + t
        g = (mu + rho * (g - mu) + sd * math.sqrt(1 - common**2) * drawn.growth[t - 1, d, a]
             + sd * common * drawn.common[t - 1, d])
        pb = fiscal_position(code, min(year, LAST_YEAR)).primary_balance
        escape = 0.0
        if clause is not None and clause.first_year <= year <= clause.last_year:
            escape = min(clause.cap, theta * max(0.0, c - c0))
        brake = theta * max(0.0, c - 1.0) if code == "DEU" else 0.0
        relief = max(escape, brake)
        pressure = ((debt > debt_before) * max(0.0, debt - table.debt_threshold) / 10
                    + max(0.0, deficit - relief - table.deficit_limit))
        stress = min(1.0, table.elasticity * pressure)
        n = (1 + g) * (1 + deflator)
        deficit = -pb + r * debt / n + theta * (c - c0)
        debt, debt_before = debt * (1 + r) / n - pb + theta * (c - c0), debt
        q = q + (1 - stress) * kappa * max(0.0, ally.policy.target - q) / max(1, goal - t + 1)
        spent = q * (1 + mu) / (1 + g)  # budgeted a year ahead on the forecast (lag 1)
        c = max(c * (1 - committed.follow) + committed.follow * spent
                + ally.policy.noise * drawn.core[t - 1, d, a], ally.policy.floor)
        for name, value in (("core", c), ("debt", debt), ("stress", stress)):
            out[name].append(value)
    return out


def test_debt_and_stress_follow_the_scalar_transcription():
    scenario = sim.load_scenario("baseline").with_values(_FISCAL)
    inputs, drawn, (core, _, gdp) = _simulate(scenario)
    # The reference's fiscal step, fed its own growth and core share, for the debt it carries.
    terms = inputs.mechanisms["fiscal"]
    state = fiscal.reference_start(terms, drawn.draws)
    debts, stresses = [state["debt"]], [np.zeros(core.shape[1:])]
    for t in range(1, len(inputs.years)):
        stresses.append(fiscal.reference_step(state, terms, gdp, core[t - 1], t))
        debts.append(state["debt"])
    stressed = False
    for code in _ALLIES:
        a = inputs.codes.index(code)
        for d in range(drawn.draws):
            expected = _scalar(scenario, drawn, code, d)
            np.testing.assert_allclose(core[:, d, a], expected["core"], rtol=1e-11)
            np.testing.assert_allclose(np.array(debts)[:, d, a], expected["debt"], rtol=1e-11)
            np.testing.assert_allclose(np.array(stresses)[:, d, a], expected["stress"],
                                       rtol=1e-11, atol=1e-14)
            stressed |= any(0.0 < s < 1.0 for s in expected["stress"])
    assert stressed  # stress acted, unclipped, somewhere


def _terms(values=None):
    scenario = sim.load_scenario("baseline").with_values({
        "defaults.fiscal.enabled": True, **(values or {})})
    inputs = ModelInputs.from_scenario(scenario)
    return inputs, inputs.mechanisms["fiscal"]


def _state(inputs, debt, debt_before, deficit):
    shape = (1, inputs.n_allies)
    return {name: np.full(shape, float(value)) for name, value in
            (("debt", debt), ("debt_before", debt_before), ("deficit", deficit))}


@given(debt=st.floats(0, 300), rise=st.floats(-20, 20), extra=st.floats(0, 100),
       deficit=st.floats(-5, 15), above=st.floats(-2, 4), growth=st.floats(-0.1, 0.1),
       t=st.integers(1, 9), elasticity=st.floats(0, 2))
def test_more_debt_never_lowers_stress_nor_raises_the_commitments_intent(
        debt, rise, extra, deficit, above, growth, t, elasticity):
    # Given the state a year starts from. (Over years it need not hold: where growth exceeds
    # interest a higher debt falls faster, and only rising debt counts as pressure.)
    inputs, terms = _terms({"defaults.fiscal.elasticity": elasticity})
    before = (inputs.core_base + above)[None, :]
    g = _gdp(inputs, np.full((1, inputs.n_allies), growth))
    low = fiscal.reference_step(_state(inputs, debt, debt - rise, deficit), terms, g, before, t)
    high = fiscal.reference_step(_state(inputs, debt + extra, debt - rise, deficit), terms, g,
                                 before, t)
    assert (high >= low).all()
    committed = ModelInputs.from_scenario(sim.load_scenario("baseline").with_values({
        "defaults.commitment.enabled": True})).mechanisms["commitment"]
    drawn = sim.mechanisms.commitment.CommitmentDraws(np.full((1, inputs.n_allies), 0.7))
    intent = np.full((1, inputs.n_allies), 2.0)
    assert (sim.mechanisms.commitment.reference_intent(committed, drawn, intent, high, t)
            <= sim.mechanisms.commitment.reference_intent(committed, drawn, intent, low, t)).all()


def test_a_higher_base_debt_slows_the_first_years_move_to_the_commitment():
    scenario = sim.load_scenario("baseline").with_values(
        {**_FISCAL, "scenario.allies": ["BEL", "FRA"]})  # both below 3.5
    inputs, drawn, (core, _, _) = _simulate(scenario)
    terms = inputs.mechanisms["fiscal"]
    indebted = inputs.mechanisms | {"fiscal": terms._replace(debt=terms.debt + 40.0)}
    higher = reference.simulate(attrs.evolve(inputs, mechanisms=indebted), drawn)[0]
    assert (higher[1] < core[1]).all()


def test_the_escape_clause_relieves_its_years_only():
    # Poland activated the clause for 2025-2028: the same state, the same defence increase,
    # less stress in 2027 and 2028 by the tolerated increase, the same stress from 2029.
    theta, elasticity, rise = 0.5, 0.1, 1.0
    values = {"defaults.fiscal.unfunded": theta, "defaults.fiscal.elasticity": elasticity}
    inputs, with_clause = _terms(values)
    _, without = _terms({**values, "defaults.fiscal.escape_clause": False})
    a = inputs.codes.index("POL")
    before = (inputs.core_base + rise)[None, :]
    g = _gdp(inputs, np.zeros((1, inputs.n_allies)))
    for t, year in enumerate(inputs.years[1:], start=1):
        relieved = fiscal.reference_step(_state(inputs, 70, 80, 6), with_clause, g, before, t)
        plain = fiscal.reference_step(_state(inputs, 70, 80, 6), without, g, before, t)
        if year <= 2028:
            np.testing.assert_allclose(plain[0, a] - relieved[0, a],
                                       elasticity * min(1.5, theta * rise), rtol=1e-12)
        else:
            assert relieved[0, a] == plain[0, a], year
    assert escape_clause()["POL"].last_year == 2028


def test_the_debt_brake_relieves_germany_only():
    values = {"defaults.fiscal.escape_clause": False, "defaults.fiscal.elasticity": 0.1,
              "defaults.fiscal.unfunded": 0.5}
    inputs, braked = _terms(values)
    _, unbraked = _terms({**values, "defaults.fiscal.debt_brake": False})
    before = (inputs.core_base + 0.5)[None, :]
    g = _gdp(inputs, np.zeros((1, inputs.n_allies)))
    relieved = fiscal.reference_step(_state(inputs, 70, 80, 6), braked, g, before, 1)
    plain = fiscal.reference_step(_state(inputs, 70, 80, 6), unbraked, g, before, 1)
    differs = [code for code, x, y in zip(inputs.codes, relieved[0], plain[0], strict=True)
               if x != y]
    assert differs == ["DEU"]
    a = inputs.codes.index("DEU")
    exempt = 0.5 * (inputs.core_base[a] + 0.5 - 1.0)  # the unfunded part above 1% of GDP
    np.testing.assert_allclose(plain[0, a] - relieved[0, a], 0.1 * exempt, rtol=1e-12)


def test_fiscal_terms_read_again_equal_those_read_afresh():
    # A sweep's variants read the same allies' positions: kept, and each variant's its own.
    baseline = sim.load_scenario("baseline")
    fiscal._POSITIONS.clear()
    fresh = fiscal.arrays(baseline)
    first = fiscal.arrays(baseline)
    first.primary[:] = 99.0  # a caller's arrays are its own
    again = fiscal.arrays(baseline)
    for ours, theirs in zip(again, fresh, strict=True):
        assert np.array_equal(ours, theirs)
    short = baseline.with_values({"scenario.horizon": baseline.base_year + 2,
                                  "goal.year": baseline.base_year + 2,
                                  "goal.review_year": baseline.base_year + 1})
    assert fiscal.arrays(short).primary.shape == (3, len(baseline.allies))
    assert np.array_equal(fiscal.arrays(short).primary, fresh.primary[:3])
