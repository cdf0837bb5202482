"""The engine against the SPEC equations: a scalar transcription, and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest, norm

import sim
from sim.spending.engine import simulate
from sim.spending.inputs import Draws, ModelInputs, sample_draws


def _inputs(**values) -> ModelInputs:
    return ModelInputs.from_scenario(sim.load_scenario("analytic").with_values(values))


def _spec_loop(inputs: ModelInputs, drawn: Draws, d: int, i: int) -> tuple[list, list, list]:
    """SPEC 3.1 and 3.2 written out for one draw and one ally, in plain Python floats."""
    mu, rho = inputs.growth_mean[i], inputs.growth_persistence[i]
    sd, common = inputs.growth_sd[i], inputs.growth_common[i]
    g, c, r, gdp = mu, inputs.core_base[i], inputs.related_base[i], inputs.gdp_base[i]
    cores, relateds, gdps = [c], [r], [gdp]
    for t in range(1, inputs.n_steps + 1):
        f, e = drawn.common[t - 1, d], drawn.growth[t - 1, d, i]
        g = mu + rho * (g - mu) + sd * (common * f + math.sqrt(1 - common**2) * e)
        gdp = gdp * (1 + g) * (1 + inputs.inflation[i])
        a, s = inputs.core_adjustment[i], inputs.core_noise[i]
        c = max(c + a * (inputs.core_path[t, i] - c) + s * drawn.core[t - 1, d, i],
                inputs.core_floor[i])
        a, s = inputs.related_adjustment[i], inputs.related_noise[i]
        r = max(r + a * (inputs.related_path[t, i] - r) + s * drawn.related[t - 1, d, i],
                inputs.related_floor[i])
        cores.append(c)
        relateds.append(r)
        gdps.append(gdp)
    return cores, relateds, gdps


@given(seed=st.integers(0, 2**32 - 1), adjustment=st.floats(0, 1), noise=st.floats(0, 2),
       floor=st.floats(0, 3), persistence=st.floats(-0.9, 0.9), common=st.floats(0, 1),
       inflation=st.floats(0, 0.1))
def test_engine_follows_the_spec_equations(seed, adjustment, noise, floor, persistence, common,
                                           inflation):
    inputs = _inputs(**{"defaults.policy.adjustment": adjustment,
                        "defaults.policy.noise": noise, "defaults.policy.floor": floor,
                        "defaults.growth.persistence": persistence,
                        "defaults.growth.common": common, "defaults.growth.inflation": inflation,
                        "defaults.growth.sd": 0.02})
    drawn = sample_draws(inputs, np.random.default_rng(seed), 3)
    paths = simulate(inputs, drawn)
    for d in range(3):
        for i in range(inputs.n_allies):
            cores, relateds, gdps = _spec_loop(inputs, drawn, d, i)
            np.testing.assert_allclose(paths.core_share[:, d, i], cores, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(paths.related_share[:, d, i], relateds, rtol=1e-12,
                                       atol=1e-12)
            np.testing.assert_allclose(paths.gdp_usd[:, d, i], gdps, rtol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), path=st.sampled_from(["linear", "flat"]),
       core_base=st.floats(0, 8))
def test_full_adjustment_without_noise_reaches_the_path_exactly(seed, path, core_base):
    inputs = _inputs(**{"defaults.policy.adjustment": 1.0, "defaults.policy.noise": 0.0,
                        "defaults.policy.path": path, "defaults.core_base": core_base,
                        "allies.POL.core_base": core_base, "allies.POL.policy.noise": 0.0,
                        "allies.POL.policy.path": path})
    paths = simulate(inputs, sample_draws(inputs, np.random.default_rng(seed), 5))
    expected = np.broadcast_to(inputs.core_path[:, None, :], paths.core_share.shape)
    assert np.array_equal(paths.core_share, expected)


def test_growth_without_shocks_compounds_the_mean():
    inputs = _inputs(**{"defaults.growth.sd": 0.0, "defaults.growth.mean": 0.02,
                        "defaults.growth.inflation": 0.01})
    paths = simulate(inputs, sample_draws(inputs, np.random.default_rng(1), 4))
    steps = np.arange(inputs.n_steps + 1)[:, None, None]
    expected = inputs.gdp_base * (1.02 * 1.01) ** steps
    np.testing.assert_allclose(paths.gdp_usd, np.broadcast_to(expected, paths.gdp_usd.shape),
                               rtol=1e-12)


def _closed_form(base: float, path: np.ndarray, adjustment: float, noise: float):
    """Mean and variance of c[T] from the linear recursion (floor never binding)."""
    mean, variance = base, 0.0
    for p in path[1:]:
        mean = (1 - adjustment) * mean + adjustment * p
        variance = (1 - adjustment) ** 2 * variance + noise**2
    return mean, variance


@pytest.mark.parametrize(("adjustment", "noise", "goal"), [
    (0.0, 0.15, 2.2),   # no adjustment: a random walk around the base share
    (1.0, 0.30, 3.4),   # full adjustment: the path plus one year's noise
    (0.35, 0.10, 3.2),
    (0.6, 0.25, 3.5),
])
def test_probability_of_core_goal_matches_the_closed_form(adjustment, noise, goal):
    scenario = sim.load_scenario("analytic").with_values({
        "defaults.policy.adjustment": adjustment, "defaults.policy.noise": noise,
        "goal.core": goal, "goal.total": max(goal, 5.0)})
    results = sim.run(scenario, draws=40_000, seed=11)
    inputs = results.inputs
    i = results.codes.index("DEU")
    mean, variance = _closed_form(inputs.core_base[i], inputs.core_path[:, i], adjustment, noise)
    exact = norm.sf(goal, loc=mean, scale=math.sqrt(variance))
    estimate = results.p_meet_core("DEU")
    # The exact value must lie inside the run's interval; 99.9% keeps a correct engine from
    # failing by chance on any of the parameter sets, while a bias of 0.01 is still caught.
    interval = binomtest(estimate.successes, estimate.trials).proportion_ci(0.999, "wilson")
    assert interval.low <= exact <= interval.high, (estimate.p, exact)
    assert estimate.ci95[0] <= estimate.p <= estimate.ci95[1]
    # The median and the 5-95% band of the histogram agree with the normal's to a bin or two.
    gi = inputs.goal_index
    sd = math.sqrt(variance)
    assert results.share_quantiles("core", 0.5)[i, gi] == pytest.approx(mean, abs=0.01 + 0.02 * sd)
    assert results.share_quantiles("core", 0.05)[i, gi] == pytest.approx(
        mean - 1.6449 * sd, abs=0.01 + 0.04 * sd)
