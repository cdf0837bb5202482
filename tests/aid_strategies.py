"""Hypothesis strategies and builders for small aid scenarios, shared by the aid tests."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

import sim

SPENDING = {"scenario": {"name": "aid-test", "allies": ["DEU", "FRA", "GBR", "POL"]},
            "defaults": {"related_base": 0.0}}
DONORS = ("DEU", "FRA", "GBR", "POL")
PROGRAMS = ("air-defence", "artillery")


def scenario_with(aid: dict[str, Any]) -> sim.Scenario:
    """A four-ally spending scenario carrying the given ``[aid]`` table."""
    return sim.Scenario.from_mapping({**copy.deepcopy(SPENDING), "aid": aid})


def millions(lo: int, hi: int) -> st.SearchStrategy[float]:
    # Whole millions keep sums exact in floating point, whatever order engines add them in.
    return st.integers(lo, hi).map(lambda n: n * 1e6)


@st.composite
def lags(draw: st.DrawFn) -> dict[str, int]:
    low, up, up2 = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    return {"min": low, "mode": low + min(up, up2), "max": low + max(up, up2)}


@st.composite
def aid_tables(draw: st.DrawFn) -> dict[str, Any]:
    """A random small ``[aid]`` table: donors, items, a pool, pledges, conditions, cycles."""
    items = {f"item{i}": {"unit_cost": draw(millions(1, 4)), "capacity": draw(st.integers(0, 6)),
                          "capacity_growth": draw(st.sampled_from([0.0, 0.5]))}
             for i in range(draw(st.integers(1, 2)))}
    pools = {}
    if draw(st.booleans()):
        pools["fund"] = {"package": draw(millions(1, 6)), "lag": draw(lags())}
        if draw(st.booleans()):
            pools["fund"]["item"] = draw(st.sampled_from(sorted(items)))
            pools["fund"]["package"] = max(pools["fund"]["package"],
                                           items[pools["fund"]["item"]]["unit_cost"])
    donors = {code: {"reliability": draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])),
                     "lag": draw(lags())} for code in DONORS}
    for code in DONORS:
        # Partial delivery: a Beta fraction of each honoured pledge arrives.
        delivered = draw(st.sampled_from([None, None, 0.0, 0.4, 0.9, 1.0]))
        if delivered is not None:
            donors[code].update(delivered=delivered,
                                concentration=draw(st.sampled_from([2.0, 20.0])))
    pledges = []
    for j in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["cash", "money-item", "quantity", "pool"]
                                    if pools else ["cash", "money-item", "quantity"]))
        pledge: dict[str, Any] = {
            "id": f"p{j}", "donor": draw(st.sampled_from(DONORS)),
            "program": draw(st.sampled_from(PROGRAMS)),
            "month": f"2026-{draw(st.integers(1, 12)):02d}",
        }
        if kind == "cash":
            pledge.update(amount=draw(millions(0, 20)), spread=draw(st.integers(1, 3)),
                          tranches=draw(st.sampled_from([1, 1, 2, 3])))
        elif kind == "money-item":
            pledge.update(amount=draw(millions(0, 20)), item=draw(st.sampled_from(sorted(items))))
        elif kind == "quantity":
            pledge.update(quantity=draw(st.integers(0, 12)),
                          item=draw(st.sampled_from(sorted(items))))
        else:
            pledge.update(amount=draw(millions(0, 10)), pool="fund", channel="PURL")
        condition = draw(st.sampled_from(["none", "none", "others", "pool", "matching"]))
        deadline = f"2026-{draw(st.integers(1, 12)):02d}"
        if condition == "others":
            unit = draw(st.sampled_from(["units", "usd"]))
            threshold = draw(st.integers(0, 15)) if unit == "units" else draw(millions(0, 30))
            pledge["condition"] = {"kind": "others_total_at_least", "unit": unit,
                                   "program": draw(st.sampled_from(PROGRAMS)),
                                   "threshold": threshold, "deadline": deadline}
        elif condition == "pool" and pools:
            pledge["condition"] = {"kind": "pool_at_least", "pool": "fund",
                                   "threshold": draw(millions(0, 20)), "deadline": deadline}
        elif condition == "matching":
            pledge.pop("tranches", None)  # a matching pledge cannot be split
            pledge["condition"] = {"kind": "matching", "program": draw(st.sampled_from(PROGRAMS)),
                                   "ratio": draw(st.sampled_from([0.5, 1.0, 2.0])),
                                   "deadline": deadline}
        pledges.append(pledge)
    # Conditions may name a program nobody pledges to; point those at one that exists.
    programs = {p["program"] for p in pledges}
    for p in pledges:
        if "condition" in p and "program" in p["condition"] \
                and p["condition"]["program"] not in programs:
            p["condition"]["program"] = p["program"]
    years = {"2026": draw(millions(0, 60))}
    if draw(st.booleans()):
        years["2027"] = draw(st.sampled_from([
            {"mean": draw(millions(0, 40)), "sd": draw(millions(0, 5))},
            {"low": 10e6, "mode": 20e6, "high": draw(millions(20, 40))}]))
    # Budget lines in money, year by year in tranches (lines that follow GDP need the
    # spending paths: tests/aid/test_budgets.py).
    budgets = {code: {"amounts": {"2026": draw(millions(0, 24))},
                      "tranches": draw(st.sampled_from([1, 2, 4, 12])), "after": "money",
                      "program": draw(st.sampled_from(PROGRAMS))}
               for code in draw(st.sets(st.sampled_from(DONORS), max_size=2))}
    return {"resolution": draw(st.sampled_from(["greatest", "least"])), "needs": years,
            "donors": donors, "items": items, "pools": pools, "pledges": pledges,
            "budgets": budgets}
