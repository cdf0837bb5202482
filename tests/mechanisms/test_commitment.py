"""Commitment beyond the plan (sim.mechanisms.commitment): its credibility draws, the straight
line a certain commitment runs to the target, and the stress that stops it."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.mechanisms import commitment
from sim.spending import reference
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms


def _terms(values):
    scenario = sim.load_scenario("analytic").with_values({
        "defaults.commitment.enabled": True, **values})
    return ModelInputs.from_scenario(scenario).mechanisms["commitment"]


def _logit(p):
    return np.log(p / (1.0 - p))


@given(credibility=st.floats(0.01, 0.99), spread=st.floats(0, 3), common=st.floats(0, 1),
       seed=st.integers(0, 2**32 - 1))
def test_credibility_is_drawn_inside_0_and_1_around_its_median(credibility, spread, common,
                                                               seed):
    terms = _terms({"defaults.commitment.credibility": credibility,
                    "defaults.commitment.spread": spread, "defaults.commitment.common": common})
    kappa = commitment.sample(terms, np.random.default_rng(seed), 9, 200).kappa  # (200, 2)
    assert kappa.shape == (200, 2) and ((kappa > 0) & (kappa < 1)).all()
    if spread == 0:
        np.testing.assert_allclose(kappa, credibility, rtol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), draws=st.integers(1, 300))
def test_credibilities_depend_on_the_terms_they_declare_only_and_fill_given_arrays(seed,
                                                                                    draws):
    # SharedDraws makes them again only when FROM_NORMALS_TERMS change: every other term may be
    # anything. Written into given arrays, they are the same bits as made anew.
    rng = np.random.default_rng(seed)
    allies = int(rng.integers(1, 40))
    read = {"location": rng.normal(0, 3, allies), "spread": rng.uniform(0, 10, allies),
            "common": rng.uniform(0, 1, allies)}
    terms = commitment.CommitmentArrays(**{name: read.get(name) for name in
                                           commitment.CommitmentArrays._fields})
    assert set(commitment.FROM_NORMALS_TERMS) == set(read)
    drawn = commitment.normals(rng, 9, draws, allies)
    z = drawn.factor[:, None] * np.sqrt(terms.common) + drawn.own * np.sqrt(1 - terms.common)
    formula = 1.0 / (1.0 + np.exp(-(terms.location + terms.spread * z)))
    fresh = commitment.from_normals(terms, drawn).kappa
    into = commitment.CommitmentDraws(np.full((draws, allies), np.nan))
    again = commitment.from_normals(terms, drawn, into).kappa
    assert again is into.kappa
    for kappa in (fresh, again):
        assert np.array_equal(kappa.view(np.int64), formula.view(np.int64))


def test_with_common_1_every_ally_is_as_far_from_its_median_in_a_draw():
    terms = _terms({"defaults.commitment.common": 1.0, "allies.DEU.commitment.credibility": 0.3,
                    "allies.POL.commitment.credibility": 0.8})
    kappa = commitment.sample(terms, np.random.default_rng(4), 9, 500).kappa
    distance = _logit(kappa) - _logit(np.array([0.3, 0.8]))  # (draws, allies): DEU, POL
    np.testing.assert_allclose(distance[:, 0], distance[:, 1], atol=1e-9)
    assert distance.std() > 0.5  # it varies across draws, as one factor



def test_common_is_the_correlation_of_logit_credibility_across_allies():
    for common in (0.0, 0.5):
        terms = _terms({"defaults.commitment.common": common,
                        "defaults.commitment.spread": 2.0})
        kappa = commitment.sample(terms, np.random.default_rng(4), 9, 20_000).kappa
        distance = _logit(kappa) - terms.location  # (draws, allies): spread * z
        assert abs(np.corrcoef(distance.T)[0, 1] - common) < 0.03
        np.testing.assert_allclose(distance.std(axis=0), 2.0, rtol=0.03)


def _core(values, draws: int = 5):
    scenario = sim.load_scenario("analytic").with_values({
        "defaults.commitment.enabled": True, "defaults.commitment.follow": 1.0,
        "defaults.commitment.spread": 0.0, "defaults.policy.noise": 0.0,
        "allies.POL.policy.noise": 0.0,
        # growth as forecast: the budgeted share is the share spent (no surprise)
        "defaults.growth.sd": 0.0, **values})
    inputs = ModelInputs.from_scenario(scenario)
    drawn = sample_mechanisms(inputs, sample_draws(inputs, np.random.default_rng(8), draws),
                              lambda stream: np.random.default_rng([8, stream]))
    return inputs, reference.simulate(inputs, drawn)[0]


def test_a_certain_commitment_runs_a_straight_line_to_the_target_in_the_goal_year():
    inputs, core = _core({"defaults.commitment.credibility": 1 - 1e-12})
    t = np.arange(len(inputs.years))[:, None, None]
    goal = inputs.goal_index
    target = 3.5
    line = inputs.core_base + (target - inputs.core_base) * t / goal  # (years, 1, allies)
    deu, pol = inputs.codes.index("DEU"), inputs.codes.index("POL")
    np.testing.assert_allclose(core[:, :, deu], np.broadcast_to(line[:, :, deu], core.shape[:2]),
                               rtol=1e-9)
    assert core[goal, 0, deu] == core[-1, 0, deu]  # held from the goal year
    np.testing.assert_allclose(core[:, :, pol], 4.0)  # above the line already: it holds


def test_credibility_closes_that_share_of_each_years_remaining_gap():
    inputs, core = _core({"defaults.commitment.credibility": 0.4})
    a = inputs.codes.index("DEU")
    q = inputs.core_base[a]
    for t in range(1, len(inputs.years)):
        q = q + 0.4 * (3.5 - q) / max(1, inputs.goal_index - t + 1)
        np.testing.assert_allclose(core[t, :, a], q, rtol=1e-12)
    assert core[-1, 0, a] < 3.5


def test_growth_below_the_forecast_raises_the_share_the_budget_buys():
    # The commitment's share is budgeted a year ahead on the IMF forecast: growth a point
    # below it makes the same money a larger share of a smaller GDP, and above it a smaller.
    forecast = sim.load_scenario("analytic").ally("DEU").growth.mean
    spent = {}
    for shift in (-0.01, 0.0, 0.01):
        inputs, core = _core({"defaults.commitment.credibility": 0.5,
                              "defaults.growth.mean": forecast + shift})
        spent[shift] = core[1:, 0, inputs.codes.index("DEU")]
    assert (spent[-0.01] > spent[0.0]).all() and (spent[0.0] > spent[0.01]).all()


def test_full_fiscal_stress_freezes_the_intent():
    # Any deficit or rising debt above 0 at elasticity 100 is stress 1: no move at all.
    inputs, core = _core({"defaults.commitment.credibility": 0.9,
                          "defaults.fiscal.enabled": True, "defaults.fiscal.elasticity": 100.0,
                          "defaults.fiscal.debt_threshold": 0.0,
                          "defaults.fiscal.deficit_limit": 0.0})
    a = inputs.codes.index("DEU")
    np.testing.assert_allclose(core[:, :, a], inputs.core_base[a], rtol=1e-15)
    unstressed = _core({"defaults.commitment.credibility": 0.9})[1]
    assert (unstressed[1:, :, a] > inputs.core_base[a]).all()
