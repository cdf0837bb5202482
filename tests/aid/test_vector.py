"""The two aid engines agree month by month, and the flows obey their physical bounds."""

from __future__ import annotations

import numpy as np
import pytest
from aid_strategies import aid_tables, scenario_with
from hypothesis import given
from hypothesis import strategies as st

from sim.aid import event, vector
from sim.aid.sampling import line_usd, sample_aid
from sim.scenario.aid import usd_per_unit


def _run_both(table, seed, draws=6):
    model = scenario_with(table).aid
    sampled = sample_aid(model, np.random.default_rng(seed), draws)
    return model, sampled, vector.simulate(model, sampled), event.simulate(model, sampled)


@given(table=aid_tables(), seed=st.integers(0, 2**32))
def test_engines_give_the_same_schedule_on_the_same_inputs(table, seed):
    _, _, fast, reference = _run_both(table, seed)
    for name in ("fired", "fired_greatest", "fired_least", "paid_month", "delivered_units",
                 "pool_packages"):
        assert np.array_equal(getattr(fast, name), getattr(reference, name)), name
    # Whole millions add exactly in either order, so money agrees to the cent.
    for name in ("delivered_cash_usd", "pledge_delivered_usd", "pool_in_usd", "pool_spent_usd",
                 "pledged_usd", "coordination_gap_usd", "pool_delivered_usd"):
        assert np.allclose(getattr(fast, name), getattr(reference, name), rtol=0, atol=1e-2), name


@given(table=aid_tables(), seed=st.integers(0, 2**32))
def test_deliveries_never_exceed_pledges_nor_capacity(table, seed):
    model, _, outcome, _ = _run_both(table, seed)
    assert np.all(outcome.pledge_delivered_usd <= outcome.pledged_usd + 1e-6)
    capacity = np.array([[item.capacity_in(m) for m in range(model.months)]
                         for item in model.items])  # (items, months)
    assert np.all(outcome.delivered_units <= capacity)
    assert np.all(outcome.delivered_units >= 0)
    # Everything delivered came from a pledge: the month-by-month total is bounded by them.
    assert np.all(outcome.delivered_usd(model).sum(axis=1)
                  <= outcome.pledged_usd.sum(axis=1) + 1e-6)


@given(table=aid_tables(), seed=st.integers(0, 2**32))
def test_what_is_pledged_never_exceeds_budget_lines_and_pledges(table, seed):
    model, sampled, outcome, _ = _run_both(table, seed)
    written = line_usd(model, sampled.draws)  # (draws, pledges) before partial delivery
    assert np.all(outcome.pledged_usd <= written + 1e-6)
    assert np.all(sampled.value_usd >= 0)
    # A budget line's year is split into its tranches, and held in money after its last year.
    for code, budget in table.get("budgets", {}).items():
        for year in model.years:
            own = [j for j, p in enumerate(model.pledges)
                   if p.donor == code and p.line and p.line.to_year == year]
            assert len(own) == budget["tranches"]
            assert written[:, own].sum(axis=1) == pytest.approx(
                usd_per_unit()["USD"] * budget["amounts"]["2026"], abs=1e-3)


@given(table=aid_tables(), seed=st.integers(0, 2**32))
def test_money_in_pools_is_conserved(table, seed):
    model, _, outcome, _ = _run_both(table, seed)
    # A pool delivers no more than it spent; its deliveries are shared out among its
    # contributions whole.
    assert np.all(outcome.pool_delivered_usd <= outcome.pool_spent_usd + 1e-6)
    by_pledge = outcome.delivered_by_pledge(model)  # (draws, pledges)
    for i in range(len(model.pools)):
        into = [j for j, p in enumerate(model.pledges) if p.pool == i]
        has_money = outcome.pool_in_usd[:, i] > 0
        assert np.allclose(by_pledge[has_money][:, into].sum(axis=1),
                           outcome.pool_delivered_usd[has_money, i])
    balance = outcome.pool_balance_usd()  # (draws, pools)
    package = np.array([pool.package_usd for pool in model.pools])  # (pools,)
    assert np.all(balance >= -1e-6)
    assert np.all(balance < package + 1e-6)
    assert np.allclose(outcome.pool_spent_usd,
                       (outcome.pool_packages.sum(axis=2) * package), atol=1e-6)
    # What the pools received is what fired, honoured contributions paid within the months.
    for i in range(len(model.pools)):
        into = np.array([p.pool == i for p in model.pledges])  # (pledges,)
        paid = (outcome.paid_month >= 0) & (outcome.paid_month < model.months) & into
        assert np.allclose(outcome.pool_in_usd[:, i], (outcome.pledged_usd * paid).sum(axis=1))


def test_shared_line_serves_first_come_first():
    table = {
        "needs": {"2026": 1e6},
        "items": {"shell": {"unit_cost": 1e6, "capacity": 3}},
        "donors": {"DEU": {"lag": 0}, "FRA": {"lag": 0}},
        "pledges": [
            {"id": "late", "donor": "FRA", "quantity": 4, "item": "shell", "month": "2026-02"},
            {"id": "early", "donor": "DEU", "quantity": 4, "item": "shell", "month": "2026-01"},
        ],
    }
    _, _, outcome, reference = _run_both(table, 0, draws=1)
    assert outcome.delivered_units[0, 0, :4].tolist() == [3, 3, 2, 0]
    # January: 3 for the early order; February: its last 1, then 2 of the late one.
    assert outcome.pledge_delivered_usd[0].tolist() == [4e6, 4e6]
    assert np.array_equal(outcome.delivered_units, reference.delivered_units)
