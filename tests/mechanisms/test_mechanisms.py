"""The mechanisms' protocol: each declares its table, arrays, stream and two steps, and the
scenario loader, the inputs and the sampler find it there."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

import sim
from sim.mechanisms import MECHANISM_MODULES, MECHANISMS, threat
from sim.scenario import AllyConfig, AllySettings
from sim.spending import reference
from sim.spending.inputs import ModelInputs, sample_draws, sample_mechanisms
from sim.workspace import Workspace


def test_the_registry_lists_each_mechanism_module_once():
    assert tuple(m.__name__ for m in MECHANISMS) == MECHANISM_MODULES
    assert len({m.NAME for m in MECHANISMS}) == len({m.KEY for m in MECHANISMS}) == len(MECHANISMS)


def test_streams_are_apart_from_the_spending_models_and_aids():
    streams = [m.STREAM for m in MECHANISMS if m.STREAM is not None]  # None: draws nothing
    assert len(set(streams)) == len(streams) and not set(streams) & {0, 1}
    assert threat.STREAM == 2  # threat events' stream since they were added: results depend on it


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=lambda m: m.NAME)
def test_each_table_declares_units_bounds_and_typical_ranges(mechanism):
    fields = attrs.fields(mechanism.Table)
    assert fields.enabled.default is False  # off unless a scenario turns it on
    for field in fields:
        if field.metadata["kind"] == "number":
            assert {"unit", "bounds", "typical"} <= field.metadata.keys(), field.name


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=lambda m: m.NAME)
def test_the_scenario_loader_reads_each_table_under_its_key(mechanism):
    for cls in (AllySettings, AllyConfig):
        field = getattr(attrs.fields(cls), mechanism.KEY)
        assert field.metadata["kind"] == "table"
        assert field.default.factory is mechanism.Table
    ally = sim.load_scenario("baseline").allies[0]
    assert isinstance(getattr(ally, mechanism.KEY), mechanism.Table)


def test_threat_events_have_one_name():
    assert sim.ThreatEvents is threat.ThreatEvents
    assert threat.KEY == "shocks"  # the user's TOML key is unchanged


@pytest.mark.parametrize("mechanism", MECHANISMS, ids=lambda m: m.NAME)
def test_off_means_not_laid_out_not_drawn_not_run(mechanism):
    inputs = ModelInputs.from_scenario(sim.load_scenario("analytic"))
    assert inputs.mechanisms[mechanism.NAME] is None
    drawn = sample_draws(inputs, np.random.default_rng(0), 9)
    assert sample_mechanisms(inputs, drawn, lambda stream: 1 / 0) is drawn  # no stream asked


def test_the_reference_takes_each_mechanisms_step():
    # Threat events at every year with no noise: the reference's core share climbs by size,
    # and an ally bordering Russia's by size * (1 + exposure).
    size, exposure = 0.4, 0.5
    scenario = sim.load_scenario("analytic").with_values({
        "defaults.shocks.enabled": True, "defaults.shocks.rate": 1.0,
        "defaults.shocks.size": size, "defaults.shocks.spread": 0.0,
        "defaults.shocks.exposure": exposure,
        "defaults.policy.path": "flat", "defaults.policy.noise": 0.0,
        "allies.POL.policy.noise": 0.0})
    inputs = ModelInputs.from_scenario(scenario)
    drawn = sample_mechanisms(inputs, sample_draws(inputs, np.random.default_rng(0), 3),
                              lambda stream: np.random.default_rng(stream))
    core = reference.simulate(inputs, drawn)[0]
    steps = np.arange(len(inputs.years))[:, None, None]
    frontline = np.array([code in ("EST", "FIN", "LTU", "LVA", "NOR", "POL")
                          for code in scenario.codes], dtype=float)
    rise = size * (1 + exposure * frontline)  # (allies,)
    np.testing.assert_allclose(core, np.broadcast_to(inputs.core_base + rise * steps, core.shape),
                               atol=1e-9)


@pytest.mark.parametrize("mechanism", [m for m in MECHANISMS if m.STREAM is not None],
                         ids=lambda m: m.NAME)
def test_draws_into_a_workspace_are_the_same_numbers_in_the_same_memory_each_block(mechanism):
    inputs = ModelInputs.from_scenario(sim.load_scenario("baseline"))
    terms = inputs.mechanisms[mechanism.NAME]
    assert terms is not None  # the baseline turns on every mechanism that draws
    steps, workspace = inputs.n_steps, Workspace()
    blocks = []
    for block in (0, 1):
        drawn = tuple(mechanism.sample(terms, np.random.default_rng(block), steps, 64, workspace))
        fresh = mechanism.sample(terms, np.random.default_rng(block), steps, 64)
        for into, new in zip(drawn, fresh, strict=True):
            assert np.array_equal(into, new)
        blocks.append(drawn)
    # A new array each block faulted in fresh pages every block (~3 ms a block of 4,096 draws).
    for first, second in zip(*blocks, strict=True):
        assert np.shares_memory(first, second)
