"""The compiled loops against the model's NumPy reference, bit for bit.

:mod:`sim.spending.reference` is the engine and the tally written as whole-array NumPy
operations, in the order SPEC 3.1 and 3.2 give them: one rounding per operation, nothing fused or
reordered. The compiled loops must give exactly the same paths and counts, for every scenario,
number of draws (whole chunks of draws or not), and with threat events on or off.
"""

from __future__ import annotations

import platform
import re

import attrs
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.spending import kernels, reference
from sim.spending.engine import simulate
from sim.spending.inputs import Draws, ModelInputs, sample_draws, sample_mechanisms
from sim.spending.tally import GAP_BINS, Tally, gap_bin, gap_bounds


def _draws(inputs: ModelInputs, seed: int, draws: int) -> Draws:
    drawn = sample_draws(inputs, np.random.default_rng(seed), draws)
    return sample_mechanisms(inputs, drawn,
                             lambda stream: np.random.default_rng([seed, stream]))


_ANALYTIC_VALUES = st.fixed_dictionaries({
    "defaults.policy.adjustment": st.floats(0, 1),
    "defaults.policy.noise": st.floats(0, 1),
    "defaults.policy.floor": st.floats(0, 3),
    "allies.POL.policy.path": st.sampled_from(["linear", "flat"]),
    "defaults.growth.persistence": st.floats(-0.9, 0.9),
    "defaults.growth.common": st.floats(0, 1),
    "defaults.growth.sd": st.floats(0, 0.1),
    "defaults.shocks.enabled": st.booleans(),
    "defaults.shocks.rate": st.floats(0, 1),
    "defaults.shocks.size": st.floats(0, 1),
    "defaults.shocks.spread": st.floats(0, 1),
})

#: The planning layers (SPEC 3.5) over the baseline's allies, each on or off, with their
#: settings drawn: plans in money and shares, scenario plans, commitment, fiscal stress.
_PLANNING_VALUES = st.fixed_dictionaries({
    "defaults.policy.path": st.sampled_from(["announced", "linear"]),
    "allies.USA.policy.path": st.sampled_from(["flat", "announced", "linear"]),
    "defaults.plans.enabled": st.booleans(),
    "defaults.plans.lag": st.integers(0, 3),
    "defaults.plans.follow_target": st.floats(0.01, 1),
    "defaults.commitment.enabled": st.booleans(),
    "defaults.commitment.credibility": st.floats(0.01, 0.99),
    "defaults.commitment.spread": st.floats(0, 3),
    "defaults.commitment.common": st.floats(0, 1),
    "defaults.commitment.follow": st.floats(0.01, 1),
    "defaults.fiscal.enabled": st.booleans(),
    "defaults.fiscal.elasticity": st.floats(0, 2),
    "defaults.fiscal.unfunded": st.floats(0, 1),
    "defaults.growth.deflator": st.floats(-0.01, 0.1),
    "defaults.shocks.enabled": st.booleans(),
})

_INPUTS = st.one_of(
    st.sampled_from(["baseline", "front-loaded", "announced"]).map(
        lambda name: ModelInputs.from_scenario(sim.load_scenario(name))),
    _ANALYTIC_VALUES.map(lambda values: ModelInputs.from_scenario(
        sim.load_scenario("analytic").with_values(values))),
    _PLANNING_VALUES.map(lambda values: ModelInputs.from_scenario(
        sim.load_scenario("baseline").with_values(values))),
)


@given(inputs=_INPUTS, seed=st.integers(0, 2**32 - 1),
       draws=st.integers(1, 3 * kernels.CHUNK_DRAWS + 1))
def test_compiled_paths_equal_the_reference_bit_for_bit(inputs, seed, draws):
    drawn = _draws(inputs, seed, draws)
    paths = simulate(inputs, drawn)
    core, related, gdp = reference.simulate(inputs, drawn)
    assert np.array_equal(paths.core_share, core)
    assert np.array_equal(paths.related_share, related)
    assert np.array_equal(paths.gdp_usd, gdp)


@given(inputs=_INPUTS, seed=st.integers(0, 2**32 - 1), draws=st.integers(1, 150))
def test_compiled_counts_equal_the_reference(inputs, seed, draws):
    paths = simulate(inputs, _draws(inputs, seed, draws))
    tally = Tally.empty(inputs)
    tally.add(inputs, paths)
    expected = reference.counts(inputs, paths.core_share, paths.related_share)
    for name, counts in expected.items():
        assert np.array_equal(getattr(tally, name), counts), name
    assert tally.draws == draws


@given(inputs=_INPUTS, seed=st.integers(0, 2**32 - 1), draws=st.integers(1, 150))
def test_compiled_shortfall_counts_equal_the_reference(inputs, seed, draws):
    paths = simulate(inputs, _draws(inputs, seed, draws))
    tally = Tally.empty(inputs)
    tally.add(inputs, paths)
    expected = reference.gap_counts(inputs, paths.core_share, paths.related_share, paths.gdp_usd)
    for name, counts in expected.items():
        assert np.array_equal(getattr(tally, name), counts), name


def _shortfall_shares(goal: float) -> st.SearchStrategy[float]:
    """Shares (% of GDP) whose USD shortfall from ``goal`` lands anywhere: above and below the
    goal, on it, and next to it (the shortfall a few ulps from zero)."""
    return st.one_of(st.floats(-5, 25, allow_nan=False),
                     st.sampled_from([goal, np.nextafter(goal, 0), np.nextafter(goal, 9),
                                      -0.0, 0.0]))


@given(shares=st.lists(st.tuples(_shortfall_shares(3.5), _shortfall_shares(5.0),
                                 st.one_of(st.floats(0, 1e16), st.sampled_from(
                                     [1e8, 1e12, 10.0 ** 6.005, 5e-324])),
                                 st.floats(-1, 1)),
                       min_size=1, max_size=40),
       allies=st.integers(1, 5))
def test_the_compiled_shortfall_bins_are_gap_bins(shares, allies):
    # Every shortfall's bin as gap_bin gives it, with NumPy's own logarithm between the two
    # compiled steps: zero and negative shortfalls, those a few ulps above zero, a GDP of the
    # smallest number, and shortfalls near the bins' edges (a GDP of 10^6.005 USD or 1e8 and 1e12).
    draws = -(-len(shares) // allies)
    rows = (shares * (draws * allies))[:draws * allies]
    core, total, gdp, scale = np.array(rows).T.copy().reshape(4, draws, allies)
    gdp = gdp * (1.0 + scale * 1e-15)  # and a few ulps either side of them
    gaps = np.empty((2, draws, allies))
    positive = np.empty(gaps.shape, dtype=bool)
    kernels.shortfalls(core, total, gdp, 3.5, 5.0, np.nextafter(0.0, 1.0), gaps, positive)
    np.log10(gaps, out=gaps)
    core_hist = np.zeros((allies, GAP_BINS), dtype=np.int64)
    total_hist = np.zeros((allies, GAP_BINS), dtype=np.int64)
    kernels.count_gaps(gaps, positive, 6.0, 100.0, GAP_BINS - 1, core_hist, total_hist,
                       np.empty(gaps.shape, dtype=np.int32))
    for hist, goal, share in ((core_hist, 3.5, core), (total_hist, 5.0, total)):
        usd = (goal - share) / 100.0 * gdp
        expected = [np.bincount(gap_bin(usd[:, a]), minlength=GAP_BINS) for a in range(allies)]
        assert np.array_equal(hist, expected)


def test_the_compiled_shortfall_bins_are_gap_bins_on_every_edge():
    # Shortfalls of exactly each bin's edge and one ulp either side: a core share 100 points
    # below the goal makes the shortfall the GDP itself, (3.5 - -96.5) / 100 being 1 exactly.
    lower, upper = gap_bounds()
    edges = np.unique(np.concatenate([lower, upper[np.isfinite(upper)], [1e14, 1e5]]))
    usd = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, np.inf)])
    gdp = usd.reshape(-1, 1)  # (draws, 1 ally)
    core = np.full(gdp.shape, 3.5 - 100.0)
    gaps = np.empty((2, *gdp.shape))
    positive = np.empty(gaps.shape, dtype=bool)
    kernels.shortfalls(core, core, gdp, 3.5, 3.5, np.nextafter(0.0, 1.0), gaps, positive)
    assert np.array_equal(gaps[0][gdp > 0], gdp[gdp > 0])  # (zero raised to the smallest)
    np.log10(gaps, out=gaps)
    hists = np.zeros((2, 1, GAP_BINS), dtype=np.int64)
    kernels.count_gaps(gaps, positive, 6.0, 100.0, GAP_BINS - 1, hists[0], hists[1],
                       np.empty(gaps.shape, dtype=np.int32))
    expected = np.bincount(gap_bin(usd), minlength=GAP_BINS)
    assert np.array_equal(hists[0, 0], expected) and np.array_equal(hists[1, 0], expected)


def test_counts_add_up_block_after_block():
    # The kernel adds into the tally's arrays: two blocks count twice, and every draw of every
    # ally falls in exactly one bin of each year.
    inputs = ModelInputs.from_scenario(sim.load_scenario("baseline"))
    tally = Tally.empty(inputs)
    for seed in (1, 2):
        tally.add(inputs, simulate(inputs, _draws(inputs, seed, 70)))
    assert (tally.core_hist.sum(axis=2) == 140).all()
    assert (tally.total_hist.sum(axis=2) == 140).all()
    assert (tally.first_core.sum(axis=1) == 140).all()


_FUSED = {"x86_64": r"\bvf(n?)m(add|sub)", "AMD64": r"\bvf(n?)m(add|sub)",
          "aarch64": r"\bf(n?)m(add|sub|la|ls)\b", "arm64": r"\bf(n?)m(add|sub|la|ls)\b"}


@pytest.mark.skipif(platform.machine() not in _FUSED, reason="no pattern for this machine")
@pytest.mark.parametrize("kernel", [value for value in vars(kernels).values()
                                    if isinstance(value, numba.core.dispatcher.Dispatcher)],
                         ids=lambda kernel: kernel.__name__)
def test_no_fused_multiply_add_in_the_machine_code(kernel):
    # A fused multiply-add rounds once where the model rounds twice: it would change bits, and
    # differently on machines with and without it. Compiled afresh (cached code cannot be
    # inspected), with the module's own options.
    signature = kernel.signatures[0]
    fresh = numba.njit(signature, **{**kernels.COMPILE_OPTIONS, "cache": False})(kernel.py_func)
    assembly = fresh.inspect_asm(signature)
    assert kernel.__name__ in assembly  # the function's own code, not a placeholder
    assert not re.search(_FUSED[platform.machine()], assembly)


def _every_other_draw(array: np.ndarray) -> np.ndarray:
    return array[..., ::2, :] if array.ndim == 3 else array[:, ::2]


def test_sliced_draws_give_the_paths_of_their_copies():
    # Every other draw of a block: views that are not C-ordered, handed to the kernel as copies.
    inputs = ModelInputs.from_scenario(sim.load_scenario("baseline"))
    drawn = _draws(inputs, 5, 40)
    threat, committed = drawn.mechanisms["threat"], drawn.mechanisms["commitment"]
    sliced = Draws(*(_every_other_draw(array) for array in
                     (drawn.common, drawn.growth, drawn.core, drawn.related)),
                   mechanisms={"threat": type(threat)(*map(_every_other_draw, threat)),
                               # credibilities are (draws, allies): draws come first
                               "commitment": type(committed)(committed.kappa[::2])})
    copied = Draws(*(array.copy() for array in
                     (sliced.common, sliced.growth, sliced.core, sliced.related)),
                   mechanisms={name: type(m)(*(a.copy() for a in m))
                               for name, m in sliced.mechanisms.items()})
    assert not sliced.growth.flags.c_contiguous
    assert not sliced.mechanisms["commitment"].kappa.flags.c_contiguous
    assert np.array_equal(simulate(inputs, sliced).core_share,
                          reference.simulate(inputs, copied)[0])


@given(inputs=_PLANNING_VALUES.map(lambda values: ModelInputs.from_scenario(
           sim.load_scenario("baseline").with_values({**values,
                                                      "defaults.shocks.enabled": True}))),
       seed=st.integers(0, 2**32 - 1), draws=st.integers(1, 2 * kernels.CHUNK_DRAWS + 1))
def test_the_core_share_without_threat_events_is_the_reference_without_them(inputs, seed,
                                                                            draws):
    # The headline "without threat events" comes from the run's own pass, which carries a
    # second core share with the events switched off: it must be the model run without them.
    drawn = _draws(inputs, seed, draws)
    paths = simulate(inputs, drawn)
    calm = attrs.evolve(inputs, mechanisms={**inputs.mechanisms, "threat": None})
    core, related, gdp = reference.simulate(calm, drawn)
    assert np.array_equal(paths.core_share_without_threat_events, core)
    assert np.array_equal(paths.related_share, related) and np.array_equal(paths.gdp_usd, gdp)
    assert simulate(calm, drawn).core_share_without_threat_events is None
