"""Budget lines on the spending model's GDP, tranches, partial delivery, the joint question and
aid counted toward core spending."""

from __future__ import annotations

import numpy as np
import pytest
from aid_strategies import scenario_with

import sim
from sim.aid import vector
from sim.aid.core import add_on_top, aid_paid_usd
from sim.aid.sampling import line_usd, sample_aid
from sim.aid.tally import AidTally
from sim.montecarlo import block_paths
from sim.scenario.aid import kiel_2025_eur, usd_per_unit
from sim.spending.inputs import ModelInputs
from sim.spending.tally import Tally

NEEDS = {"2026": 10e9, "2027": 10e9, "2028": 10e9}


def _model_and_paths(aid, draws=64, seed=0):
    scenario = scenario_with(aid)
    inputs = ModelInputs.from_scenario(scenario)
    return scenario.aid, inputs, block_paths(inputs, seed, 0, draws)


def _lines(model, code):
    return {j: p for j, p in enumerate(model.pledges) if p.donor == code and p.line}


def test_share_of_gdp_lines_follow_each_draws_gdp():
    model, inputs, paths = _model_and_paths({
        "needs": NEEDS, "budgets": {"DEU": {"share_of_gdp": {"2026": 0.25}, "tranches": 2}}})
    usd = line_usd(model, 64, inputs, paths)  # (draws, pledges)
    a = inputs.codes.index("DEU")
    for j, pledge in _lines(model, "DEU").items():
        t = pledge.line.to_year - inputs.years[0]
        # Held at 0.25% of GDP after 2026 (the default rule), half in each tranche.
        assert np.array_equal(usd[:, j], 0.125 / 100.0 * paths.gdp_usd[t, :, a])
    assert [p.month for p in _lines(model, "DEU").values()] == [0, 6, 12, 18, 24, 30]
    assert {p.spread for p in _lines(model, "DEU").values()} == {6}


def test_money_lines_hold_their_share_of_gdp_after_the_last_year():
    model, inputs, paths = _model_and_paths({
        "needs": NEEDS, "budgets": {"DEU": {"amounts": {"2026": 8e9}, "currency": "EUR",
                                            "tranches": 1}}})
    usd = line_usd(model, 64, inputs, paths)
    a, eur = inputs.codes.index("DEU"), usd_per_unit()["EUR"]
    first, *later = _lines(model, "DEU")
    assert np.all(usd[:, first] == 8e9 * eur)
    for j in later:
        t = model.pledges[j].line.to_year - inputs.years[0]
        assert np.allclose(usd[:, j], 8e9 * eur * paths.gdp_usd[t, :, a] / paths.gdp_usd[0, :, a])
    assert not np.allclose(usd[:, later[0]], usd[0, later[0]])  # it moves with growth


def test_share_of_defence_lines_follow_core_spending():
    model, inputs, paths = _model_and_paths({
        "needs": NEEDS, "budgets": {"POL": {"share_of_defence": {"2027": 2.0}, "tranches": 1}}})
    usd = line_usd(model, 64, inputs, paths)
    a = inputs.codes.index("POL")
    lines = _lines(model, "POL")
    assert [p.line.to_year for p in lines.values()] == [2027, 2028]  # none before its first year
    for j, pledge in lines.items():
        t = pledge.line.year - inputs.years[0]
        core_usd = paths.core_share[t, :, a] / 100 * paths.gdp_usd[t, :, a]  # (draws,)
        assert np.allclose(usd[:, j], 0.02 * core_usd)


def test_kiel_start_and_the_stop_rule():
    model, _, _ = _model_and_paths({
        "needs": NEEDS, "first_year": 2025,
        "budgets": {"GBR": {"start": "kiel-2025", "amounts": {"2026": 3e9}, "currency": "GBP",
                            "after": "stop", "tranches": 1}}})
    lines = list(_lines(model, "GBR").values())
    assert [p.line.to_year for p in lines] == [2025, 2026]
    assert lines[0].usd == pytest.approx(kiel_2025_eur()["GBR"] * usd_per_unit()["EUR"])
    assert kiel_2025_eur()["GBR"] == pytest.approx(5.4401e9)  # Kiel, Release 29
    assert lines[1].usd == pytest.approx(3e9 * usd_per_unit()["GBP"])


def test_kiel_2025_allocations_add_up_to_kiels_total():
    # Kiel's all-donor military allocations in 2025: EUR 37.24bn.
    assert sum(kiel_2025_eur().values()) == pytest.approx(37.24e9, rel=1e-3)


def test_a_donor_outside_the_spending_model_holds_money_with_a_warning():
    scenario = scenario_with({"needs": NEEDS, "donors": {"EU": {}},
                              "budgets": {"EU": {"amounts": {"2026": 30e9}, "currency": "EUR"}}})
    (warning,) = scenario.warnings
    assert warning.key == "aid.budgets.EU.after"
    assert "not an ally of this scenario's spending model" in warning.problem
    assert {p.line.kind for p in scenario.aid.pledges} == {"usd"}
    assert not scenario.aid.linked


def test_a_published_year_outside_the_months_warns():
    scenario = scenario_with({"needs": NEEDS,
                              "budgets": {"DEU": {"amounts": {"2024": 1e9, "2026": 1e9}}}})
    (warning,) = scenario.warnings
    assert warning.key == "aid.budgets.DEU.amounts.2024" and "not simulated" in warning.problem


def test_pledge_tranches_are_equal_parts():
    model = scenario_with({"needs": NEEDS, "items": {"shell": {"unit_cost": 1e6,
                                                                "capacity": 100}},
                           "pledges": [
                               {"id": "q", "donor": "FRA", "quantity": 10, "item": "shell",
                                "month": "2026-02", "tranches": 3},
                               {"id": "m", "donor": "GBR", "amount": 9e9, "month": "2026-02",
                                "tranches": 3}]}).aid
    assert [p.id for p in model.pledges] == ["q-t01", "q-t02", "q-t03", "m-t01", "m-t02",
                                             "m-t03"]
    assert [p.quantity for p in model.pledges[:3]] == [4, 3, 3]
    assert [p.usd for p in model.pledges[3:]] == [3e9] * 3


def test_a_matching_pledge_cannot_be_split():
    with pytest.raises(sim.ScenarioError) as raised:
        scenario_with({"needs": NEEDS, "pledges": [
            {"id": "a", "donor": "FRA", "amount": 1e9, "month": "2026-02", "program": "x"},
            {"id": "b", "donor": "GBR", "amount": 1e9, "month": "2026-02", "program": "x",
             "tranches": 2, "condition": {"kind": "matching", "program": "x", "ratio": 1.0,
                                          "deadline": "2026-06"}}]})
    assert raised.value.key == "aid.pledges[1].tranches"


def test_partial_delivery_draws_a_beta_with_the_donors_mean():
    model, inputs, paths = _model_and_paths({
        "needs": NEEDS, "donors": {"DEU": {"delivered": 0.399, "concentration": 20}},
        "budgets": {"DEU": {"amounts": {"2026": 1e9}, "after": "money", "tranches": 1},
                    "GBR": {"amounts": {"2026": 1e9}, "after": "money", "tranches": 1}}},
        draws=20_000)
    sampled = sample_aid(model, np.random.default_rng(5), 20_000, inputs, paths)
    deu = list(_lines(model, "DEU"))
    fraction = sampled.value_usd[:, deu] / 1e9  # (draws, years)
    assert np.all((fraction >= 0) & (fraction <= 1))
    assert fraction.mean() == pytest.approx(0.399, abs=0.005)
    # Beta(a, b) with a + b = 20: variance m (1 - m) / 21.
    assert fraction.var() == pytest.approx(0.399 * 0.601 / 21, rel=0.05)
    # A donor without a delivered share delivers its line whole, drawing nothing.
    assert np.all(sampled.value_usd[:, list(_lines(model, "GBR"))] == 1e9)


def test_a_doubled_budget_doubles_what_is_delivered_where_capacity_does_not_bind():
    def delivered(amount):
        model, inputs, paths = _model_and_paths({
            "needs": NEEDS, "defaults": {"delivered": 0.7, "lag": {"min": 0, "mode": 2,
                                                                  "max": 5}},
            "budgets": {"DEU": {"amounts": {"2026": amount}}, "FRA": {"amounts": {"2026": 2e9}}}})
        sampled = sample_aid(model, np.random.default_rng(3), 64, inputs, paths)
        return model, vector.simulate(model, sampled).delivered_by_year(model)

    # The same pledges in every run, so the same lags and delivered fractions: Germany's part
    # of what arrives each year doubles with its budget.
    _, once = delivered(4e9)
    _, twice = delivered(8e9)
    _, without = delivered(0.0)
    assert np.allclose(twice - without, 2 * (once - without))
    assert np.all(twice[:, 1:] > once[:, 1:])


def test_the_joint_probability_is_counted_draw_by_draw():
    # Four draws, two needs years: needs met every year in draws 0 and 2; the alliance meets
    # its goal in draws 0 and 1 and its core goal in 0, 1 and 2.
    model = scenario_with({"needs": {"2026": 5e9, "2027": 5e9}, "pledges": [
        {"id": "a", "donor": "DEU", "amount": 1e9, "month": "2026-01"}]}).aid
    sampled = sample_aid(model, np.random.default_rng(0), 4)
    outcome = vector.simulate(model, sampled)
    needs = np.array([[0.0, 0.0], [0.0, 1e12], [0.0, 0.0], [1e12, 0.0]])
    sampled = type(sampled)(**{**{f: getattr(sampled, f) for f in
                                  ("honoured", "lag_months", "pool_lag_months", "value_usd",
                                   "units")}, "needs_usd": needs})
    tally = AidTally.empty(model, ())
    tally.add(model, sampled, outcome, alliance=(np.array([True, True, True, False]),
                                                 np.array([True, True, False, False])))
    assert tally.p_all_needs_met().successes == 2
    assert tally.p_goal_and_needs_met().successes == 1  # draw 0
    assert tally.p_core_and_needs_met().successes == 2  # draws 0 and 2
    assert tally.p_goal_and_needs_met().trials == 4


def test_the_spending_tally_returns_the_blocks_alliance_flags():
    scenario = sim.load_scenario("baseline")
    inputs = ModelInputs.from_scenario(scenario)
    tally = Tally.empty(inputs)
    meets_core, meets_goal = tally.add(inputs, block_paths(inputs, 4, 0, 500))
    assert meets_core.shape == meets_goal.shape == (500,)
    assert int(meets_core.sum()) == int(tally.alliance_meets_core)
    assert int(meets_goal.sum()) == int(tally.alliance_meets_goal)
    assert not np.any(meets_goal & ~meets_core)


def test_summary_and_table_carry_the_joint_probabilities():
    from sim.reports.run_files import summary
    from sim.reports.tables import format_table

    results = sim.run(sim.load_scenario("ukraine-2026-2030"), draws=600, seed=1)
    probabilities = summary(results)["probabilities"]
    tally = results.aid_tally
    assert probabilities["alliance_meets_goal_and_ukraine_needs_met"] == \
        tally.p_goal_and_needs_met().as_dict()
    assert probabilities["alliance_meets_core_and_ukraine_needs_met"] == \
        tally.p_core_and_needs_met().as_dict()
    assert set(probabilities["ukraine_needs_met"]) == {"2026", "2027", "2028", "2029", "2030"}
    table = format_table(results)
    assert "and every year's needs are met" in table
    for year in range(2026, 2031):
        assert f"\n  {year}  " in table


def _counting(write_toml, counts):
    return sim.load_scenario(write_toml(
        f'[scenario]\nname = "t"\nextends = "ukraine-2026-2030"\n[aid]\n'
        f'counts_toward_core = "{counts}"\n', f"{counts}.toml"))


def test_aid_inside_or_not_counted_leaves_the_spending_results_bit_identical(write_toml):
    without = sim.run(sim.load_scenario("baseline"), draws=700, seed=2, block_size=256).tally
    for counts in ("inside", "no"):
        with_aid = sim.run(_counting(write_toml, counts), draws=700, seed=2,
                           block_size=256).tally
        for name in ("core_hist", "alliance_core_hist", "meet_core", "alliance_meets_goal",
                     "alliance_meets_core_without_threat_events"):
            assert np.array_equal(getattr(with_aid, name), getattr(without, name)), name


def test_aid_on_top_adds_its_share_of_gdp_to_the_core_share(write_toml):
    scenario = sim.load_scenario("ukraine-2026-2030")
    inputs = ModelInputs.from_scenario(scenario)
    model = scenario.aid
    paths = block_paths(inputs, 0, 0, 200)
    before = paths.core_share.copy()
    outcome = vector.simulate(model, sample_aid(model, np.random.default_rng(0), 200, inputs,
                                                paths))
    paid = aid_paid_usd(model, outcome, inputs)  # (years, draws, allies)
    add_on_top(model, outcome, inputs, paths)
    assert np.allclose(paths.core_share - before, 100 * paid / paths.gdp_usd)
    assert paid[:5].sum() > 0 and np.all(paid >= 0)
    on_top = sim.run(_counting(write_toml, "on_top"), draws=600, seed=2).tally
    inside = sim.run(scenario, draws=600, seed=2).tally
    assert on_top.alliance_meets_core >= inside.alliance_meets_core
    deu = inputs.codes.index("DEU")
    share = np.arange(on_top.core_hist.shape[-1])
    assert (on_top.core_hist[1, deu] @ share) > (inside.core_hist[1, deu] @ share)


# --- policy options ----------------------------------------------------------------------------


POLICY_BASE = {"needs": NEEDS, "budgets": {
    "DEU": {"amounts": {"2026": 20e9}, "after": "money"},
    "FRA": {"amounts": {"2026": 1e9}, "after": "money"},
    "USA": {"amounts": {"2026": 5e9}, "after": "money"}}}


def _by_donor_year(model, usd, code, year):
    own = [j for j, p in enumerate(model.pledges)
           if p.donor == code and p.line and p.line.to_year == year]
    return usd[:, own].sum(axis=1)  # (draws,)


def _gdp(inputs, paths, code, year):
    return paths.gdp_usd[year - inputs.years[0], :, inputs.codes.index(code)]


def test_the_floor_tops_every_european_ally_up_to_its_share_of_gdp():
    model, inputs, paths = _model_and_paths({**POLICY_BASE, "floor_share_of_gdp": 0.25})
    usd = line_usd(model, 64, inputs, paths)
    for year in (2026, 2027, 2028):
        for code, own in (("DEU", 20e9), ("FRA", 1e9), ("GBR", 0.0), ("POL", 0.0)):
            floor = 0.0025 * _gdp(inputs, paths, code, year)
            assert np.allclose(_by_donor_year(model, usd, code, year), np.maximum(own, floor))
        # The US is not European: no floor.
        assert np.all(_by_donor_year(model, usd, "USA", year) == 5e9)
    assert _by_donor_year(model, usd, "DEU", 2026).min() == 20e9  # above the floor: unchanged


def test_europe_fills_the_us_gap_in_proportion_to_gdp_up_to_its_cap():
    model, inputs, paths = _model_and_paths({**POLICY_BASE, "europe_fills_gap_up_to": 0.05})
    usd = line_usd(model, 64, inputs, paths)
    gap = model.us_reference_usd - 5e9
    assert model.us_reference_usd == pytest.approx(
        (20.8821 + 23.1109 + 20.141) / 3 * 1e9 * usd_per_unit()["EUR"])
    europe = ("DEU", "FRA", "GBR", "POL")
    for year in (2026, 2028):
        gdp = {code: _gdp(inputs, paths, code, year) for code in europe}
        total = sum(gdp.values())
        for code in europe:
            fill = [j for j, p in enumerate(model.pledges)
                    if p.donor == code and p.line.kind == "fill" and p.line.year == year]
            expected = np.minimum(gap * gdp[code] / total, 0.0005 * gdp[code])
            assert np.allclose(usd[:, fill].sum(axis=1), expected)


def test_the_us_fork():
    zero = scenario_with({**POLICY_BASE, "us": "zero"}).aid
    assert "USA" not in {p.donor for p in zero.pledges}
    scenario = sim.Scenario.from_mapping({
        "scenario": {"name": "us", "allies": ["DEU", "USA"]}, "defaults": {"related_base": 0.0},
        "aid": {**POLICY_BASE, "us": "kiel-2022-2024"}})
    restored, inputs = scenario.aid, ModelInputs.from_scenario(scenario)
    paths = block_paths(inputs, 0, 0, 64)
    usd = line_usd(restored, 64, inputs, paths)
    assert np.allclose(_by_donor_year(restored, usd, "USA", 2026), restored.us_reference_usd)
    growth = _gdp(inputs, paths, "USA", 2028) / _gdp(inputs, paths, "USA", 2026)
    assert np.allclose(_by_donor_year(restored, usd, "USA", 2028),
                       restored.us_reference_usd * growth)
    (warning,) = scenario_with({"needs": NEEDS, "us": "zero", "budgets": {
        "DEU": {"amounts": {"2026": 1e9}}}}).warnings
    assert warning.key == "aid.us" and "no effect" in warning.problem


def test_the_shipped_policy_forks_move_the_answer_the_expected_way():
    runs = {name: sim.run(sim.load_scenario(name), draws=1500, seed=4).aid_tally
            for name in ("ukraine-2026-2030", "europe-fills-gap", "aid-0.25pct")}
    base = runs["ukraine-2026-2030"].delivered_quantile(0.5)
    for name in ("europe-fills-gap", "aid-0.25pct"):
        assert np.all(runs[name].delivered_quantile(0.5) > base), name
    zero = sim.load_scenario("us-aid-zero").aid
    assert "USA" not in zero.donor_names


# --- PURL ----------------------------------------------------------------------------------


def test_pool_deliveries_are_attributed_to_its_contributions():
    # Two contributions of 3 and 1 (USD m) to a pool of 2m packages, no lags: two packages
    # bought in January, delivered as money; the 4m delivered is shared 3:1.
    model = scenario_with({"needs": {"2026": 1e6}, "defaults": {"lag": 0},
                           "pools": {"fund": {"package": 2e6, "lag": 0}},
                           "pledges": [
                               {"id": "a", "donor": "DEU", "amount": 3e6, "pool": "fund",
                                "month": "2026-01"},
                               {"id": "b", "donor": "FRA", "amount": 1e6, "pool": "fund",
                                "month": "2026-01"}]}).aid
    outcome = vector.simulate(model, sample_aid(model, np.random.default_rng(0), 1))
    assert outcome.pool_delivered_usd.tolist() == [[4e6]]
    assert outcome.delivered_by_pledge(model).tolist() == [[3e6, 1e6]]


def test_purl_pledges_carry_their_delivered_usd_in_the_summary():
    from sim.reports.run_files import summary

    results = sim.run(sim.load_scenario("ukraine-2026-2030"), draws=400, seed=3)
    pledges = summary(results)["aid"]["pledges"]
    purl = {name: p for name, p in pledges.items() if p["channel"] == "PURL"}
    assert sum(p["pledged_usd"] for p in purl.values()) > 4.5e9  # NATO: > USD 4.5bn, Feb 2026
    for pledge in purl.values():
        assert 0 < pledge["delivered_usd"]["p50"] <= pledge["pledged_usd"] * 1.02  # 1% bins


def test_budget_lines_pay_their_pool_share_into_the_pool():
    model = sim.load_scenario("ukraine-2026-2030").aid
    deu = [p for p in model.pledges if p.donor == "DEU" and p.line and p.line.to_year == 2026]
    pooled = [p for p in deu if p.pool is not None]
    assert len(pooled) == len(deu) // 2 and {p.channel for p in pooled} == {"PURL"}
    assert sum(p.usd for p in pooled) == pytest.approx(0.3 * sum(p.usd for p in deu))
    # Germany's 2025 line from Kiel is net of its 2025 PURL pledges listed in the file.
    run_in = sum(p.usd for p in model.pledges if p.donor == "DEU" and p.line
                 and p.line.to_year == 2025)
    assert run_in == pytest.approx(kiel_2025_eur()["DEU"] * usd_per_unit()["EUR"]
                                   - 650e6 * usd_per_unit()["EUR"])
    # Later years follow the allocation whole: Norway's lines grow from its full 2025
    # allocation, not from what is left after its 2025 PURL pledges.
    nor = [p for p in model.pledges if p.donor == "NOR" and p.line and p.line.to_year == 2026]
    assert {p.line.kind for p in nor} == {"grown"}
    assert sum(p.line.value for p in nor) == pytest.approx(
        kiel_2025_eur()["NOR"] * usd_per_unit()["EUR"])


# --- the 2025 replay -----------------------------------------------------------------------


def test_the_2025_replay_starts_from_kiel_and_the_published_2025_budgets():
    from sim.scenario.aid import kiel_eur

    model = sim.load_scenario("ukraine-2025").aid
    assert model.years == (2025,) and model.first_year == 2024
    lines = {year: {} for year in (2024, 2025)}
    for p in model.pledges:
        lines[p.line.to_year][p.donor] = lines[p.line.to_year].get(p.donor, 0.0) + p.usd
    eur = usd_per_unit()["EUR"]
    for donor, usd in lines[2024].items():  # the run-in: Kiel's 2024 allocations
        assert usd == pytest.approx(kiel_eur(donor, 2024) * eur)
    assert lines[2025]["GBR"] == pytest.approx(4.5e9 * usd_per_unit()["GBP"])
    assert lines[2025]["DEU"] == pytest.approx(kiel_eur("DEU", 2025) * eur)
    assert sum(lines[2024].values()) == pytest.approx(41.61e9 * eur, rel=0.01)  # Kiel 2024
    assert not sim.load_scenario("ukraine-2025").warnings


def test_both_engines_agree_month_by_month_on_the_shipped_multi_year_scenario():
    from sim.aid import event

    scenario = sim.load_scenario("ukraine-2026-2030")
    inputs, model = ModelInputs.from_scenario(scenario), scenario.aid
    sampled = sample_aid(model, np.random.default_rng(8), 3, inputs, block_paths(inputs, 8, 0, 3))
    fast, reference = vector.simulate(model, sampled), event.simulate(model, sampled)
    for name in ("paid_month", "delivered_units", "pool_packages"):
        assert np.array_equal(getattr(fast, name), getattr(reference, name)), name
    for name in ("delivered_cash_usd", "pledge_delivered_usd", "pool_delivered_usd",
                 "pool_in_usd"):
        assert np.allclose(getattr(fast, name), getattr(reference, name), rtol=1e-9,
                           atol=1e-3), name
    capacity = np.array([model.items[0].capacity_in(m) for m in range(model.months)])
    assert np.all(fast.delivered_units[:, 0] <= capacity)
