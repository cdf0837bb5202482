"""Aid in a Monte Carlo run: needs met at the boundary, engines and workers agree, spending kept."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from aid_strategies import SPENDING, scenario_with

import sim
from sim.aid import vector as aid_vector
from sim.aid.sampling import sample_aid
from sim.aid.tally import AidTally
from sim.errors import OptionError
from sim.reports.run_files import summary
from sim.spending.tally import Tally

SURE = {"reliability": 1.0, "lag": 0}


def _needs_case(need, amount, month="2026-01", lag=0, spread=1):
    return scenario_with({
        "needs": {"2026": need}, "defaults": {"reliability": 1.0, "lag": lag},
        "pledges": [{"id": "cash", "donor": "DEU", "amount": amount, "month": month,
                     "spread": spread}],
    })


def _p_met(scenario, year="2026"):
    results = sim.run(scenario, draws=50, seed=1)
    return summary(results)["probabilities"]["ukraine_needs_met"][year]["p"]


def test_needs_met_exactly_at_the_boundary():
    assert _p_met(_needs_case(60e9, 60e9)) == 1.0
    assert _p_met(_needs_case(60e9 + 1, 60e9)) == 0.0


def test_only_what_is_delivered_within_the_year_counts():
    # Pledged in time, but two months of contracting put the last delivery in January 2027.
    assert _p_met(_needs_case(60e9, 60e9, month="2026-11", lag=2)) == 0.0
    # Spread over 12 months from January, the whole amount arrives in 2026.
    assert _p_met(_needs_case(60e9, 60e9, spread=12)) == 1.0
    assert _p_met(_needs_case(60e9, 60e9, month="2026-02", spread=12)) == 0.0


def test_production_capacity_limits_what_counts_in_the_year():
    def case(capacity):
        return scenario_with({
            "needs": {"2026": 120e6}, "defaults": SURE,
            "items": {"interceptor": {"unit_cost": 4e6, "capacity": capacity}},
            "pledges": [{"id": "q", "donor": "DEU", "quantity": 30, "item": "interceptor",
                         "month": "2026-01"}],
        })

    assert _p_met(case(3)) == 1.0  # 36 could be made in 2026
    assert _p_met(case(2)) == 0.0  # only 24


def _assert_same(a, b):
    for field in attrs.fields(type(a)):
        left, right = getattr(a, field.name), getattr(b, field.name)
        assert np.array_equal(left, right), field.name


@pytest.fixture(scope="module")
def udcg():
    return sim.load_scenario("udcg-2026")


def test_both_engines_give_the_same_summary(udcg):
    vector = sim.run(udcg, draws=300, seed=3, block_size=128, engine="vector")
    event = sim.run(udcg, draws=300, seed=3, block_size=128, engine="event")
    _assert_same(vector.aid_tally, event.aid_tally)
    assert summary(vector) == summary(event)


def test_aid_results_do_not_depend_on_batching_or_workers(udcg):
    one = sim.run(udcg, draws=3_000, seed=9, block_size=512, workers=1)
    two = sim.run(udcg, draws=3_000, seed=9, block_size=512, workers=2, blocks_per_task=2)
    _assert_same(one.aid_tally, two.aid_tally)
    batched = sim.run(udcg, draws=3_000, seed=9, block_size=512, blocks_per_task=3)
    _assert_same(one.aid_tally, batched.aid_tally)


def test_budget_lines_on_gdp_and_aid_on_top_do_not_depend_on_batching_or_workers(write_toml):
    # Budget lines read each block's spending paths and aid on top changes them: the run is
    # still the same whatever the workers and the batching.
    scenario = sim.load_scenario(write_toml(
        '[scenario]\nname = "t"\nextends = "aid-0.25pct"\n[aid]\n'
        'counts_toward_core = "on_top"\n'))
    one = sim.run(scenario, draws=1_200, seed=4, block_size=256, workers=1)
    two = sim.run(scenario, draws=1_200, seed=4, block_size=256, workers=2, blocks_per_task=2)
    _assert_same(one.aid_tally, two.aid_tally)
    _assert_same(one.tally, two.tally)
    assert one.aid_tally.goal_and_needs_met > 0


def test_adding_aid_leaves_spending_results_unchanged():
    plain = sim.Scenario.from_mapping(SPENDING)
    with_aid = _needs_case(1e9, 1e9)
    a = sim.run(plain, draws=1_000, seed=5, block_size=256)
    b = sim.run(with_aid, draws=1_000, seed=5, block_size=256)
    for field in attrs.fields(Tally):
        assert np.array_equal(getattr(a.tally, field.name), getattr(b.tally, field.name))
    assert a.aid_tally is None and isinstance(b.aid_tally, AidTally)


def test_summary_has_the_aid_keys(udcg):
    s = summary(sim.run(udcg, draws=500, seed=2))
    met = s["probabilities"]["ukraine_needs_met"]["2026"]
    assert met["ci95"][0] <= met["p"] <= met["ci95"][1]
    deu = s["aid"]["pledges"]["deu-interceptors"]
    assert deu["conditional"] and 0 < deu["p_triggered"]["p"] < 1
    assert s["aid"]["pledges"]["gbr-lmm"]["p_triggered"]["p"] == 1.0
    year = s["aid"]["years"]["2026"]
    assert year["delivered_usd"]["p05"] <= year["delivered_usd"]["p50"] <= \
        year["delivered_usd"]["p95"]
    assert "coordination_gap" in s["aid"]
    assert set(s["allies"]["GBR"]["aid_in_core_pct"]["2026"]) == {"p05", "p50", "p95"}


def test_coordination_gap_is_reported_for_a_cycle():
    pledge = {"donor": "DEU", "program": "shells", "amount": 5e6, "month": "2026-01",
              "condition": {"kind": "others_total_at_least", "program": "shells",
                            "unit": "usd", "threshold": 5e6, "deadline": "2026-03"}}
    scenario = scenario_with({"needs": {"2026": 10e6}, "defaults": SURE,
                              "pledges": [{**pledge, "id": "a"},
                                          {**pledge, "id": "b", "donor": "FRA"}]})
    s = summary(sim.run(scenario, draws=100, seed=0))
    gap = s["aid"]["coordination_gap"]
    assert gap["p_differs"]["p"] == 1.0 and gap["pledges"] == ["a", "b"]
    assert gap["pledged_usd"]["p50"] == pytest.approx(10e6, rel=0.03)  # one log bin
    assert s["probabilities"]["ukraine_needs_met"]["2026"]["p"] == 1.0
    least = scenario.with_values({"aid.resolution": "least"})
    assert summary(sim.run(least, draws=100, seed=0))["probabilities"][
        "ukraine_needs_met"]["2026"]["p"] == 0.0


def test_iceland_can_give_and_is_left_out_of_core_shares():
    scenario = sim.Scenario.from_mapping({
        "scenario": {"name": "isl", "allies": ["DEU", "ISL"]},
        "defaults": {"related_base": 0.0},
        "aid": {"needs": {"2026": 1e9}, "counts_in_core": True, "defaults": SURE,
                "pledges": [{"id": "isl", "donor": "ISL", "amount": 4e8, "month": "2026-01"},
                            {"id": "deu", "donor": "DEU", "amount": 6e8, "month": "2026-01"}]},
    })
    results = sim.run(scenario, draws=200, seed=0)
    assert results.aid_allies == ("DEU",)
    s = summary(results)
    assert s["probabilities"]["ukraine_needs_met"]["2026"]["p"] == 1.0
    assert s["aid"]["pledges"]["isl"]["delivered_usd"]["p50"] == pytest.approx(4e8, rel=0.03)
    assert "aid_in_core_pct" in s["allies"]["DEU"]
    assert "aid_in_core_pct" not in s["allies"]["ISL"]


def test_counting_aid_in_core_spending_without_the_spending_draws_is_refused():
    scenario = sim.load_scenario("udcg-2026")
    model = scenario.aid
    draws = sample_aid(model, np.random.default_rng(1), 4)
    outcome = aid_vector.simulate(model, draws)
    with pytest.raises(OptionError, match="needs the same draws' inputs and paths"):
        AidTally.empty(model, ("DEU",)).add(model, draws, outcome, allies=("DEU",))
