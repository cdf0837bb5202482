"""The tally's alliance-wide counts against whole-array NumPy, exactly.

The alliance's sums across allies are NumPy's (their order is part of the results); what is
counted from them (share and shortfall histograms, goals met, the credible path, the first year
the core goal is met, the same goals with threat events switched off) must be exactly what
whole-array NumPy counts from the same sums, for any number of draws and at the edges: an
alliance share exactly on the goal or a bin's edge, a shortfall of exactly zero.
"""

from __future__ import annotations

import functools

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.montecarlo import block_generator, mechanism_generator
from sim.spending.engine import Paths, simulate
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms
from sim.spending.tally import (
    DISTRIBUTIONS,
    GAP_BINS,
    SHARE_BIN,
    SHARE_BINS,
    ProbabilityTally,
    Tally,
    gap_bin,
    share_bin,
)
from sim.workspace import Workspace

#: Shipped scenarios with threat events on (baseline) and off (analytic), and a short goal.
_SCENARIOS = ("baseline", "analytic", "front-loaded")


@functools.cache
def _inputs(name: str) -> ModelInputs:
    return ModelInputs.from_scenario(sim.load_scenario(name))


def _paths(inputs: ModelInputs, seed: int, draws: int) -> Paths:
    drawn = sample_draws(inputs, block_generator(seed, 0), draws)
    drawn = sample_mechanisms(inputs, drawn, functools.partial(mechanism_generator, seed, 0))
    return simulate(inputs, drawn)


def _alliance_counts(inputs: ModelInputs, paths: Paths) -> dict[str, np.ndarray]:
    """The alliance's counts of one block, by whole (years, draws, allies) arrays."""
    core, gdp = paths.core_share, paths.gdp_usd
    years = len(core)
    gdp_sum = np.add.reduce(gdp, axis=2)  # (years, draws)
    alliance_core = np.einsum("yda,yda->yd", core, gdp) / gdp_sum
    alliance_total = np.einsum("yda,yda->yd", core + paths.related_share, gdp) / gdp_sum
    goal, review = inputs.goal_index, inputs.review_index
    meets_core = alliance_core[goal] >= inputs.goal_core  # (draws,)
    meets_goal = meets_core & (alliance_total[goal] >= inputs.goal_total)
    base = alliance_core[0, 0]
    line = base + (inputs.goal_core - base) * (review / goal) - inputs.review_tolerance
    reached = alliance_core >= inputs.goal_core  # (years, draws)
    first = np.where(reached.any(axis=0), reached.argmax(axis=0), years)
    calm = paths.core_share_without_threat_events
    if calm is None:
        calm_core, calm_goal = meets_core, meets_goal
    else:
        calm_sum = gdp_sum[goal]
        calm_core = np.einsum("da,da->d", calm[goal], gdp[goal]) / calm_sum >= inputs.goal_core
        calm_goal = calm_core & (np.einsum("da,da->d", calm[goal] + paths.related_share[goal],
                                           gdp[goal]) / calm_sum >= inputs.goal_total)
    return {
        "alliance_core_hist": np.array([np.bincount(share_bin(s), minlength=SHARE_BINS)
                                        for s in alliance_core]),
        "alliance_total_hist": np.array([np.bincount(share_bin(s), minlength=SHARE_BINS)
                                         for s in alliance_total]),
        "alliance_meets_core": meets_core.sum(),
        "alliance_meets_goal": meets_goal.sum(),
        "alliance_credible": (alliance_core[review] >= line).sum(),
        "alliance_first_core": np.bincount(first, minlength=years + 1),
        "alliance_core_gap_hist": np.bincount(gap_bin(
            (inputs.goal_core - alliance_core[goal]) / 100.0 * gdp_sum[goal]),
            minlength=GAP_BINS),
        "alliance_total_gap_hist": np.bincount(gap_bin(
            (inputs.goal_total - alliance_total[goal]) / 100.0 * gdp_sum[goal]),
            minlength=GAP_BINS),
        "alliance_meets_core_without_threat_events": calm_core.sum(),
        "alliance_meets_goal_without_threat_events": calm_goal.sum(),
        "flags": np.stack([meets_core, meets_goal]),
    }


def _assert_counted(inputs: ModelInputs, paths: Paths) -> None:
    tally = Tally.empty(inputs)
    flags = tally.add(inputs, paths, Workspace())
    expected = _alliance_counts(inputs, paths)
    assert np.array_equal(np.stack(flags), expected.pop("flags"))
    for name, counts in expected.items():
        assert np.array_equal(getattr(tally, name), counts), name


@settings(max_examples=30)
@given(name=st.sampled_from(_SCENARIOS), seed=st.integers(0, 2**32 - 1),
       draws=st.integers(1, 300))
def test_alliance_counts_are_whole_array_numpy_counts(name, seed, draws):
    _assert_counted(_inputs(name), _paths(_inputs(name), seed, draws))


def _uniform_paths(inputs: ModelInputs, core: np.ndarray, related: float) -> Paths:
    """Paths whose allies all have the same (years, draws) core share and equal GDP, so that
    the alliance's share is that share exactly (31 equal terms of few bits, over 31)."""
    years, draws = core.shape
    shape = (years, draws, inputs.n_allies)
    return Paths(core_share=np.repeat(core[:, :, None], inputs.n_allies, axis=2),
                 related_share=np.full(shape, related), gdp_usd=np.full(shape, 1e12))


@pytest.mark.parametrize("name", _SCENARIOS)
def test_alliance_shares_on_the_goal_and_on_bin_edges(name):
    inputs = _inputs(name)
    years, goal = len(inputs.years), inputs.goal_index
    # Draw 0 meets the core goal exactly in the goal year (and no year before), draw 1 a bin
    # edge below, draw 2 is 20% (the last bin), draw 3 at zero; the whole goal is met exactly
    # where the core goal is.
    core = np.tile(np.array([1.0, inputs.goal_core - SHARE_BIN, 20.0, 0.0]), (years, 1))
    core[goal:, 0] = inputs.goal_core
    related = inputs.goal_total - inputs.goal_core
    paths = _uniform_paths(inputs, core, related)
    tally = Tally.empty(inputs)
    meets_core, meets_goal = tally.add(inputs, paths, Workspace())
    assert meets_core.tolist() == [True, False, True, False]
    assert meets_goal.tolist() == [True, False, True, False]
    assert tally.alliance_first_core[goal] == 1 and tally.alliance_first_core[0] == 1
    assert tally.alliance_core_gap_hist[0] == 2  # no shortfall: on the goal, above it
    assert tally.alliance_core_hist[goal, SHARE_BINS - 1] == 1
    _assert_counted(inputs, paths)


#: What a tally of the probabilities alone counts; the rest are the distributions.
_PROBABILITY_FIELDS = ("draws", "meet_core", "meet_goal", "credible", "all_meet_core",
                       "all_meet_goal", "alliance_meets_core", "alliance_meets_goal",
                       "alliance_credible", "alliance_meets_core_without_threat_events",
                       "alliance_meets_goal_without_threat_events")


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from((*_SCENARIOS, "announced")), seed=st.integers(0, 2**32 - 1),
       draws=st.integers(1, 300), blocks=st.integers(1, 3))
def test_a_tally_of_the_probabilities_counts_them_as_a_full_tally_does(name, seed, draws,
                                                                       blocks):
    inputs = _inputs(name)
    full, probabilities = Tally.empty(inputs), ProbabilityTally.empty(inputs)
    for block in range(blocks):
        paths = _paths(inputs, seed + block, draws)
        flags = full.add(inputs, paths)
        assert all(np.array_equal(a, b) for a, b in zip(probabilities.add(inputs, paths),
                                                        flags, strict=True))
    for field in attrs.fields(Tally):
        counted = getattr(probabilities, field.name)
        if field.name in DISTRIBUTIONS:  # never counted: no bins to count into
            assert counted.size == 0 and counted.shape[:-1] == getattr(full, field.name).shape[:-1]
        else:
            assert np.array_equal(counted, getattr(full, field.name)), field.name
    assert set(DISTRIBUTIONS) | set(_PROBABILITY_FIELDS) == {f.name for f in attrs.fields(Tally)}


def test_a_tally_of_the_probabilities_and_a_full_one_do_not_merge():
    inputs = _inputs("analytic")
    with pytest.raises(ValueError, match="one counted distributions"):
        Tally.empty(inputs).merge(ProbabilityTally.empty(inputs))
    with pytest.raises(ValueError, match="one counted distributions"):
        ProbabilityTally.empty(inputs).merge(Tally.empty(inputs))
