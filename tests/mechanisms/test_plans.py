"""National plans (sim.mechanisms.plans) in closed form: a budget in money is a share of the GDP
actually realised, a budget in shares is set on the GDP expected when it was made, a stated
position holds, and a US path a scenario sets moves the US."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.scenario import shipped_scenarios
from sim.spending import reference
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms

#: Plans on and followed exactly, no execution noise: the share is the plan's intent.
_EXACT = {"defaults.plans.enabled": True, "defaults.plans.follow_enacted": 1.0,
          "defaults.policy.noise": 0.0, "allies.POL.policy.noise": 0.0}


def _simulate(scenario, draws: int = 40, seed: int = 5):
    """The reference model's (years, draws, allies) core share and USD GDP, and its inputs."""
    inputs = ModelInputs.from_scenario(scenario)
    drawn = sample_mechanisms(inputs, sample_draws(inputs, np.random.default_rng(seed), draws),
                              lambda stream: np.random.default_rng([seed, stream]))
    core, _, gdp = reference.simulate(inputs, drawn)
    return inputs, drawn, core, gdp


def test_a_plan_in_money_is_the_money_over_realised_gdp():
    scenario = sim.load_scenario("analytic").with_values({
        **_EXACT, "allies.DEU.plans.money": {"2026": 100.0, "2029": 160.0, "2035": 190.0},
        "defaults.growth.inflation": 0.02, "defaults.growth.deflator": 0.03})
    inputs, _, core, gdp = _simulate(scenario)
    a = inputs.codes.index("DEU")
    t = np.arange(len(inputs.years))
    money = np.interp(inputs.years, [2026, 2029, 2035], [100.0, 160.0, 190.0])  # (years,)
    c0 = inputs.core_base[a]
    expected = (c0 * (money / 100.0)[:, None] * gdp[0, :, a] / gdp[:, :, a]
                * (1.02 / 1.03) ** t[:, None])  # (years, draws)
    assert np.ptp(gdp[-1, :, a]) > 0  # growth differs across draws, so the share does
    np.testing.assert_allclose(core[:, :, a], expected, rtol=1e-12)


def test_a_growth_surprise_moves_a_money_plans_share_against_it():
    scenario = sim.load_scenario("analytic").with_values({
        **_EXACT, "allies.DEU.plans.money": {"2026": 100.0, "2035": 150.0}})
    inputs = ModelInputs.from_scenario(scenario)
    drawn = sample_draws(inputs, np.random.default_rng(2), 2)
    a = inputs.codes.index("DEU")
    drawn.growth[0, 0, a] = drawn.growth[0, 1, a] - 1.0  # draw 0: lower growth in 2027 only
    drawn.growth[1:, 0, a] = drawn.growth[1:, 1, a]
    drawn.common[:, 0] = drawn.common[:, 1]
    core = reference.simulate(inputs, drawn)[0]
    assert (core[1:, 0, a] > core[1:, 1, a]).all()  # less GDP, the same money: a higher share


@pytest.mark.parametrize("lag", [0, 1, 3])
def test_a_plan_in_shares_is_set_on_the_gdp_expected_lag_years_before(lag):
    points = {"2028": 2.5, "2031": 3.0, "2035": 3.2}
    scenario = sim.load_scenario("analytic").with_values({
        **_EXACT, "defaults.plans.lag": lag, "allies.DEU.policy.path": "custom",
        "allies.DEU.policy.custom": points, "defaults.growth.inflation": 0.02})
    inputs, _, core, gdp = _simulate(scenario)
    a = inputs.codes.index("DEU")
    years = [2026, *map(int, points)]
    shares = np.interp(inputs.years, years, [inputs.core_base[a], *points.values()])  # (years,)
    t = np.arange(len(inputs.years))
    ref = np.maximum(t - lag, 0)
    nominal = (1.0 + inputs.growth_mean[a]) * 1.02
    expected = shares[:, None] * gdp[ref, :, a] * nominal ** (t - ref)[:, None] / gdp[:, :, a]
    np.testing.assert_allclose(core[1:, :, a], expected[1:], rtol=1e-12)
    if lag:
        assert not np.allclose(core[1:, :, a], shares[1:, None])  # the surprise moved it


def test_a_plan_in_shares_is_met_exactly_when_growth_is_as_expected():
    scenario = sim.load_scenario("analytic").with_values({
        **_EXACT, "defaults.plans.lag": 2, "defaults.growth.sd": 0.0,
        "allies.DEU.policy.path": "custom", "allies.DEU.policy.custom": {"2030": 3.0},
        "defaults.growth.inflation": 0.02})
    inputs, _, core, _ = _simulate(scenario)
    a = inputs.codes.index("DEU")
    shares = np.interp(inputs.years, [2026, 2030], [inputs.core_base[a], 3.0])
    np.testing.assert_allclose(core[1:5, :, a], np.broadcast_to(shares[1:5, None], (4, 40)),
                               rtol=1e-12)


def _spain(values):
    scenario = sim.load_scenario("baseline").with_values({
        "defaults.policy.path": "announced", "defaults.plans.enabled": True,
        "defaults.commitment.enabled": True, "defaults.fiscal.enabled": True,
        "defaults.shocks.enabled": False, "allies.ESP.policy.noise": 0.0,
        "allies.ESP.growth.sd": 0.0, **values})
    inputs, _, core, _ = _simulate(scenario, draws=20)
    return inputs, core[:, :, inputs.codes.index("ESP")]


def test_spains_stated_2_1_percent_holds_it_at_2_1_to_2035():
    inputs, spain = _spain({"defaults.plans.follow_statement": 1.0})
    np.testing.assert_allclose(spain[1:], 2.1, rtol=1e-12)
    assert inputs.years[-1] == 2035
    # Followed as a statement, less surely than a law: it closes in on 2.1, never past it.
    _, spain = _spain({})
    assert (np.diff(spain, axis=0) >= 0).all() and (spain <= 2.1 + 1e-12).all()
    assert abs(spain[-1] - 2.1).max() < 1e-2


def test_a_us_path_a_scenario_sets_changes_the_us_results():
    base = sim.load_scenario("baseline").with_values({
        "defaults.plans.enabled": True, "defaults.commitment.enabled": True,
        "defaults.commitment.credibility": 0.9, "defaults.commitment.follow": 0.5,
        "defaults.shocks.enabled": False})
    assert base.ally("USA").policy.adjustment == 0.0  # the fit that made paths inert before

    def us_median(path, **values):
        scenario = base.with_values({"allies.USA.policy.path": path, **values})
        results = sim.run(scenario, draws=400, seed=3)
        return results.share_quantiles("core", 0.5)[results.codes.index("USA")]  # (years,)

    flat = us_median("flat")
    announced = us_median("announced")  # no US plan: commitment toward 3.5 from 2027
    custom = us_median("custom", **{"allies.USA.policy.custom": {"2028": 2.5}})
    us = base.ally("USA").core_base
    assert abs(flat[-1] - us) < 0.1  # held at its 2026 share
    assert announced[-1] > flat[-1] + 0.1
    # 2.5 by 2028, then the commitment's slow climb from there
    assert abs(custom[2] - 2.5) < 0.1 and custom[-1] < flat[-1] - 0.1


def test_with_every_mechanism_off_no_planning_layer_is_laid_out():
    inputs = ModelInputs.from_scenario(sim.load_scenario("analytic"))
    assert [inputs.mechanisms[name] for name in ("plans", "commitment", "fiscal")] == [None] * 3


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_where_each_plan_ends_is_the_laid_out_plans_last_year(name):
    # Commitment starts after each plan's last year, which it reads without laying plans out.
    from sim.mechanisms import plans

    scenario = sim.load_scenario(name)
    variants = [scenario, scenario.with_values({"defaults.plans.enabled": False})]
    try:  # plans cut short by the horizon, where the scenario's own years allow it
        variants.append(scenario.with_values({"scenario.horizon": scenario.base_year + 3,
                                              "goal.year": scenario.base_year + 3,
                                              "goal.review_year": scenario.base_year + 1}))
    except ScenarioError:
        pass
    for variant in variants:
        laid_out, ends = plans.arrays(variant), plans.plan_ends(variant)
        assert (ends is None) == (laid_out is None)
        if ends is not None:
            assert ends.dtype == laid_out.last.dtype
            assert np.array_equal(ends, laid_out.last)
