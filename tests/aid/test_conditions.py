"""Trigger semantics, exactly: thresholds, cycles under greatest and least, matching caps."""

from __future__ import annotations

import numpy as np
import pytest
from aid_strategies import aid_tables, scenario_with
from hypothesis import given
from hypothesis import strategies as st

from sim.aid.conditions import _Conditions, resolve, resolve_both
from sim.aid.sampling import sample_aid

SURE = {code: {"reliability": 1.0, "lag": 0} for code in ("DEU", "FRA", "GBR", "POL")}
ITEMS = {"interceptor": {"unit_cost": 4e6, "capacity": 100}}


def _fired(pledges, resolution="greatest", pools=None):
    model = scenario_with({"needs": {"2026": 1e9}, "donors": SURE, "items": ITEMS,
                           "pools": pools or {}, "pledges": pledges}).aid
    sampled = sample_aid(model, np.random.default_rng(0), 1)
    result = resolve(model, sampled, resolution)
    return {p.id: bool(result.fired[0, j]) for j, p in enumerate(model.pledges)}, result


def _germany(threshold=30, unit="units", deadline="2026-06"):
    return {"id": "deu", "donor": "DEU", "program": "interceptors", "quantity": 5,
            "item": "interceptor", "month": "2026-02",
            "condition": {"kind": "others_total_at_least", "program": "interceptors",
                          "threshold": threshold, "unit": unit, "deadline": deadline}}


def _others(quantity, donor="GBR", month="2026-03"):
    return {"id": f"{donor.lower()}-{quantity}", "donor": donor, "program": "interceptors",
            "quantity": quantity, "item": "interceptor", "month": month}


@pytest.mark.parametrize("resolution", ["greatest", "least"])
def test_threshold_met_exactly_fires_one_short_does_not(resolution):
    assert _fired([_germany(), _others(20), _others(10, "FRA")], resolution)[0]["deu"]
    assert not _fired([_germany(), _others(20), _others(9, "FRA")], resolution)[0]["deu"]


def test_threshold_in_usd_met_exactly_fires():
    # 30 interceptors at USD 4m: USD 120m.
    assert _fired([_germany(120e6, "usd"), _others(30)])[0]["deu"]
    assert not _fired([_germany(120e6 + 1, "usd"), _others(30)])[0]["deu"]


def test_own_pledges_and_late_pledges_do_not_count():
    assert not _fired([_germany(), _others(30, donor="DEU")])[0]["deu"]
    assert not _fired([_germany(), _others(30, month="2026-07")])[0]["deu"]


def test_dishonoured_pledges_do_not_count():
    model = scenario_with({"needs": {"2026": 1e9},
                           "donors": {**SURE, "GBR": {"reliability": 0.0}}, "items": ITEMS,
                           "pledges": [_germany(), _others(30)]}).aid
    sampled = sample_aid(model, np.random.default_rng(0), 3)
    assert not resolve(model, sampled, "greatest").fired[:, 0].any()


def _cycle():
    a = {"id": "a", "donor": "DEU", "program": "shells", "quantity": 5, "item": "interceptor",
         "month": "2026-01", "condition": {"kind": "others_total_at_least", "program": "shells",
                                           "threshold": 5, "deadline": "2026-06"}}
    b = {**a, "id": "b", "donor": "FRA"}
    return [a, b]


def test_two_pledge_cycle_fires_under_greatest_not_under_least():
    assert _fired(_cycle(), "greatest")[0] == {"a": True, "b": True}
    assert _fired(_cycle(), "least")[0] == {"a": False, "b": False}


def test_cycle_is_broken_by_an_unconditional_pledge_under_least():
    third = {"id": "c", "donor": "GBR", "program": "shells", "quantity": 5,
             "item": "interceptor", "month": "2026-01"}
    assert _fired([*_cycle(), third], "least")[0] == {"a": True, "b": True, "c": True}


def _matching(cap_usd, others_usd):
    return [
        {"id": "match", "donor": "DEU", "program": "fund", "amount": cap_usd, "month": "2026-01",
         "condition": {"kind": "matching", "program": "fund", "ratio": 1.0,
                       "deadline": "2026-03"}},
        {"id": "given", "donor": "FRA", "program": "fund", "amount": others_usd,
         "month": "2026-02"},
    ]


def test_matching_respects_its_cap():
    fired, result = _fired(_matching(4e6, 10e6))
    assert fired["match"]
    assert result.pledged_usd[0, 0] == 4e6
    fired, result = _fired(_matching(4e6, 2e6))
    assert result.pledged_usd[0, 0] == 2e6


def test_matching_without_anything_to_match_does_not_fire():
    fired, result = _fired(_matching(4e6, 0.0))
    assert not fired["match"]
    assert result.pledged_usd[0, 0] == 0.0


def test_pool_at_least_counts_money_received_by_the_deadline():
    pools = {"purl": {"package": 5e6}}
    contribution = {"id": "in", "donor": "FRA", "program": "purl", "pool": "purl",
                    "amount": 10e6, "month": "2026-03"}
    conditional = {"id": "deu", "donor": "DEU", "program": "purl", "pool": "purl",
                   "amount": 1e6, "month": "2026-01",
                   "condition": {"kind": "pool_at_least", "pool": "purl", "threshold": 10e6,
                                 "deadline": "2026-03"}}
    assert _fired([conditional, contribution], pools=pools)[0]["deu"]
    late = {**contribution, "month": "2026-04"}
    assert not _fired([conditional, late], pools=pools)[0]["deu"]
    # Its own money counts once received: 9m from France plus its own 1m reach 10m.
    short = {**contribution, "amount": 9e6}
    assert _fired([conditional, short], "greatest", pools=pools)[0]["deu"]
    assert not _fired([conditional, short], "least", pools=pools)[0]["deu"]


@given(table=aid_tables(), seed=st.integers(0, 2**32))
def test_least_fixed_point_lies_inside_the_greatest_and_both_are_fixed(table, seed):
    model = scenario_with(table).aid
    sampled = sample_aid(model, np.random.default_rng(seed), 5)
    greatest, least = resolve(model, sampled, "greatest"), resolve(model, sampled, "least")
    assert np.all(greatest.fired | ~least.fired)  # least implies greatest
    conditions = _Conditions(model, sampled)
    for result in (greatest, least):
        fired = result.fired[:, conditions.conditional]
        assert np.array_equal(conditions.step(fired), fired)
    both = resolve_both(model, sampled)
    assert np.array_equal(both[0].fired, greatest.fired)
    assert np.array_equal(both[1].fired, least.fired)
    assert np.array_equal(both[1].pledged_usd, least.pledged_usd)
