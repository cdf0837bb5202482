"""The compiled loops against a plain NumPy transcription of the model, bit for bit.

The reference below is the engine and the tally written as whole-array NumPy operations, in the
order SPEC 3.1 and 3.2 give them: one rounding per operation, nothing fused or reordered. The
compiled loops must give exactly the same paths and counts, for every scenario, number of
draws (whole chunks of draws or not), and with threat events on or off.
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
from sim.spending import kernels
from sim.spending.engine import simulate
from sim.spending.inputs import ModelInputs, Shocks, sample_shocks, sample_threat
from sim.spending.tally import SHARE_BINS, Tally, share_bin


def reference_paths(inputs: ModelInputs, shocks: Shocks) -> tuple[np.ndarray, ...]:
    """Core share, related share and GDP, (years, draws, allies) each, by whole arrays."""
    steps, draws, allies = shocks.growth.shape
    core, related, gdp = np.empty((3, steps + 1, draws, allies))
    core[0], related[0], gdp[0] = inputs.core_base, inputs.related_base, inputs.gdp_base
    mu, rho = inputs.growth_mean, inputs.growth_persistence
    own = inputs.growth_sd * np.sqrt(1.0 - inputs.growth_common**2)
    loading = inputs.growth_sd * inputs.growth_common
    core_a, related_a = inputs.core_adjustment, inputs.related_adjustment
    growth = np.broadcast_to(mu, (draws, allies))
    events = np.zeros((draws, allies))
    for t in range(1, steps + 1):
        growth = ((growth - mu) * rho + mu + shocks.growth[t - 1] * own
                  + shocks.common[t - 1][:, None] * loading)
        gdp[t] = gdp[t - 1] * ((growth + 1.0) * (1.0 + inputs.inflation))
        c = core[t - 1] * (1.0 - core_a) + core_a * inputs.core_path[t]
        if shocks.threat is not None:
            new = (shocks.threat[t - 1][:, None] < inputs.threat_rate).astype(float)
            events = events + new
            c = c + events * (core_a * inputs.threat_size)
        c = np.maximum(c + shocks.core[t - 1] * inputs.core_noise, inputs.core_floor)
        if shocks.threat is not None:
            jump = (shocks.threat_jump[t - 1] * inputs.threat_spread
                    + inputs.threat_size * (1.0 - core_a))
            c = np.maximum(c + jump * new, inputs.core_floor)
        core[t] = c
        related[t] = np.maximum(
            related[t - 1] * (1.0 - related_a) + related_a * inputs.related_path[t]
            + shocks.related[t - 1] * inputs.related_noise, inputs.related_floor)
    return core, related, gdp


def reference_counts(inputs: ModelInputs, core: np.ndarray, related: np.ndarray) -> dict:
    """The per-ally counts of a tally, from (years, draws, allies) paths, by whole arrays."""
    years, _, allies = core.shape
    total = core + related
    goal, review = inputs.goal_index, inputs.review_index

    def histograms(shares: np.ndarray) -> np.ndarray:  # (years, allies, SHARE_BINS)
        return np.array([[np.bincount(share_bin(shares[t, :, a]), minlength=SHARE_BINS)
                          for a in range(allies)] for t in range(years)])

    meets_core = core[goal] >= inputs.goal_core  # (draws, allies)
    meets_goal = meets_core & (total[goal] >= inputs.goal_total)
    reached = core >= inputs.goal_core  # (years, draws, allies)
    first = np.where(reached.any(axis=0), reached.argmax(axis=0), years)  # (draws, allies)
    return {
        "core_hist": histograms(core),
        "total_hist": histograms(total),
        "meet_core": meets_core.sum(axis=0),
        "meet_goal": meets_goal.sum(axis=0),
        "all_meet_core": meets_core.all(axis=1).sum(),
        "all_meet_goal": meets_goal.all(axis=1).sum(),
        "credible": (core[review] >= inputs.review_line - inputs.review_tolerance).sum(axis=0),
        "first_core": np.array([np.bincount(first[:, a], minlength=years + 1)
                                for a in range(allies)]),
    }


def _shocks(inputs: ModelInputs, seed: int, draws: int) -> Shocks:
    shocks = sample_shocks(inputs, np.random.default_rng(seed), draws)
    if not inputs.threat_enabled:
        return shocks
    threat, jump = sample_threat(inputs, np.random.default_rng(seed + 1), draws)
    return attrs.evolve(shocks, threat=threat, threat_jump=jump)


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

_INPUTS = st.one_of(
    st.sampled_from(["baseline", "front-loaded", "announced"]).map(
        lambda name: ModelInputs.from_scenario(sim.load_scenario(name))),
    _ANALYTIC_VALUES.map(lambda values: ModelInputs.from_scenario(
        sim.load_scenario("analytic").with_values(values))),
)


@given(inputs=_INPUTS, seed=st.integers(0, 2**32 - 1),
       draws=st.integers(1, 3 * kernels.CHUNK_DRAWS + 1))
def test_compiled_paths_equal_the_numpy_transcription_bit_for_bit(inputs, seed, draws):
    shocks = _shocks(inputs, seed, draws)
    paths = simulate(inputs, shocks)
    core, related, gdp = reference_paths(inputs, shocks)
    assert np.array_equal(paths.core_share, core)
    assert np.array_equal(paths.related_share, related)
    assert np.array_equal(paths.gdp_usd, gdp)


@given(inputs=_INPUTS, seed=st.integers(0, 2**32 - 1), draws=st.integers(1, 150))
def test_compiled_counts_equal_the_numpy_transcription(inputs, seed, draws):
    paths = simulate(inputs, _shocks(inputs, seed, draws))
    tally = Tally.empty(inputs)
    tally.add(inputs, paths)
    expected = reference_counts(inputs, paths.core_share, paths.related_share)
    for name, counts in expected.items():
        assert np.array_equal(getattr(tally, name), counts), name
    assert tally.draws == draws


def test_counts_add_up_block_after_block():
    # The kernel adds into the tally's arrays: two blocks count twice, and every draw of every
    # ally falls in exactly one bin of each year.
    inputs = ModelInputs.from_scenario(sim.load_scenario("baseline"))
    tally = Tally.empty(inputs)
    for seed in (1, 2):
        tally.add(inputs, simulate(inputs, _shocks(inputs, seed, 70)))
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


def test_sliced_shocks_give_the_paths_of_their_copies():
    # Every other draw of a block: views that are not C-ordered, handed to the kernel as copies.
    inputs = ModelInputs.from_scenario(sim.load_scenario("baseline"))
    shocks = _shocks(inputs, 5, 40)
    sliced = Shocks(**{name: None if value is None else value[..., ::2, :] if value.ndim == 3
                       else value[:, ::2] for name, value in attrs.asdict(shocks).items()})
    copied = Shocks(**{name: None if value is None else value.copy()
                       for name, value in attrs.asdict(sliced).items()})
    assert not sliced.growth.flags.c_contiguous
    assert np.array_equal(simulate(inputs, sliced).core_share,
                          reference_paths(inputs, copied)[0])
