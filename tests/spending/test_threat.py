"""Threat events in the engine: off leaves every result bit-identical; on, a closed form holds."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.mechanisms import threat
from sim.montecarlo import mechanism_generator, simulate_blocks
from sim.spending.engine import simulate
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms


def _inputs(**values) -> ModelInputs:
    return ModelInputs.from_scenario(sim.load_scenario("analytic").with_values(values))


def _with_events(inputs: ModelInputs, seed: int, draws: int):
    drawn = sample_draws(inputs, np.random.default_rng(seed), draws)
    return sample_mechanisms(inputs, drawn, lambda stream: np.random.default_rng(seed + stream))


def test_threat_events_are_off_unless_the_scenario_enables_them():
    assert _inputs().mechanisms["threat"] is None
    assert ModelInputs.from_scenario(sim.load_scenario("baseline")).mechanisms["threat"]


@given(seed=st.integers(0, 2**32 - 1))
def test_events_that_never_fire_change_nothing(seed):
    off = _inputs()
    on = _inputs(**{"defaults.shocks.enabled": True, "defaults.shocks.rate": 0.0,
                    "defaults.shocks.size": 0.7})
    plain = simulate(off, _with_events(off, seed, 5))
    with_events = _with_events(on, seed, 5)
    assert "threat" in with_events.mechanisms
    assert np.array_equal(plain.core_share, simulate(on, with_events).core_share)


def test_threat_stream_leaves_the_other_shocks_untouched():
    # The spending model's draws of block b come from spawn_key (b,); events from (b, 2): turning
    # events on draws nothing from the spending stream, so their tallies differ only by events.
    off = _inputs()
    on = _inputs(**{"defaults.shocks.enabled": True, "defaults.shocks.rate": 0.0,
                    "defaults.shocks.size": 0.7})
    a, _ = simulate_blocks(off, seed=11, draws=300, block_size=128, blocks=range(3))
    b, _ = simulate_blocks(on, seed=11, draws=300, block_size=128, blocks=range(3))
    assert np.array_equal(a.core_hist, b.core_hist)
    assert not np.array_equal(mechanism_generator(11, 0, threat.STREAM).random(3),
                              mechanism_generator(11, 1, threat.STREAM).random(3))


@given(adjustment=st.floats(0.0, 1.0), size=st.floats(0.0, 2.0), exposure=st.floats(0.0, 3.0))
def test_an_event_every_year_raises_a_flat_path_by_size_each_year(adjustment, size, exposure):
    # Flat intent, no noise, an event every year: c[1] = c0 + size, and then intent and share
    # move together, so c[t] = c0 + size * t whatever the adjustment speed; for Poland, which
    # borders Russia, size * (1 + exposure) a year.
    inputs = _inputs(**{"defaults.shocks.enabled": True, "defaults.shocks.rate": 1.0,
                        "defaults.shocks.size": size, "defaults.shocks.spread": 0.0,
                        "defaults.shocks.exposure": exposure,
                        "defaults.policy.path": "flat",
                        "defaults.policy.adjustment": adjustment,
                        "defaults.policy.noise": 0.0, "allies.POL.policy.noise": 0.0,
                        "allies.POL.policy.adjustment": adjustment})
    paths = simulate(inputs, _with_events(inputs, 0, 2))
    steps = np.arange(len(inputs.years))[:, None, None]
    rise = size * (1 + exposure * np.array([0.0, 1.0]))  # (allies,) DEU, POL
    expected = np.broadcast_to(inputs.core_base + rise * steps, paths.core_share.shape)
    np.testing.assert_allclose(paths.core_share, expected, atol=1e-9)
