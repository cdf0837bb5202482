"""The [aid] table: what it resolves to, and a file-and-key error for every mistake."""

from __future__ import annotations

import copy

import pytest
from aid_strategies import scenario_with

import sim
from sim.scenario.aid import usd_per_unit

BASE = {
    "needs": {"2026": 60e9},
    "defaults": {"reliability": 0.9, "lag": {"min": 1, "mode": 2, "max": 4}},
    "donors": {"UDCG": {"reliability": 0.7}},
    "items": {"interceptor": {"unit_cost": 4e6, "capacity": 20}},
    "pools": {"purl": {"package": 500e6, "lag": 2}},
    "pledges": [
        {"id": "gbr", "donor": "GBR", "channel": "PURL", "program": "ad", "amount": 150e6,
         "currency": "GBP", "item": "interceptor", "month": "2026-02"},
        {"id": "can", "donor": "CAN", "channel": "PURL", "program": "purl", "amount": 171e6,
         "currency": "EUR", "pool": "purl", "month": "2025-12"},
        {"id": "deu", "donor": "DEU", "program": "ad", "quantity": 5, "item": "interceptor",
         "month": "2026-02", "condition": {"kind": "others_total_at_least", "program": "ad",
                                           "threshold": 30, "deadline": "2026-06"}},
    ],
}


def test_a_valid_table_resolves():
    model = scenario_with(BASE).aid
    assert model.first_year == 2025 and model.months == 24
    gbr, can, deu = model.pledges
    assert gbr.usd == pytest.approx(150e6 * usd_per_unit()["GBP"])
    assert gbr.quantity == int(gbr.usd // 4e6)
    assert can.month == 11 and can.pool == 0
    assert deu.start == 17  # June 2026: a conditional pledge takes effect at its deadline
    assert model.donors["GBR"].reliability == 0.9  # the defaults
    assert model.donors["UDCG"].lag.high == 4  # defaults fill what a donor leaves out
    assert model.pools[0].lag.low == model.pools[0].lag.high == 2


def test_seeded_rate_for_the_uk_package():
    # Healey's package: GBP 500m = USD 680m (seed 000).
    assert 500e6 * usd_per_unit()["GBP"] == pytest.approx(680e6)


def test_scenarios_without_aid_have_none():
    assert sim.load_scenario("baseline").aid is None


def _with(path, value):
    table = copy.deepcopy(BASE)
    parts = path.split(".")
    target = table
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return table


_DELETE = object()

CASES = [
    ("resolution", "best", "aid.resolution", "must be one of"),
    ("counts_in_core", "yes", "aid.counts_in_core", "true or false"),
    ("colour", 1, "aid.colour", "unknown key"),
    ("pledge", [], "aid.pledge", "did you mean 'pledges'"),
    ("needs", _DELETE, "aid.needs", "required"),
    ("needs", 60e9, "aid.needs", "must be a table"),
    ("needs.2026", "lots", "aid.needs.2026", "must be a number"),
    ("needs.2026", -1.0, "aid.needs.2026", "at least 0"),
    ("needs.2026", {"mean": 60e9, "sdd": 1.0}, "aid.needs.2026.sdd", "did you mean 'sd'"),
    ("needs.twenty", 1.0, "aid.needs.twenty", "must be a year"),
    ("needs.2028", 1.0, "aid.needs", "follow one another"),
    ("defaults.reliability", 1.5, "aid.defaults.reliability", "between 0.0 and 1.0"),
    ("defaults.lag", {"min": 3, "mode": 1}, "aid.defaults.lag", "min <= mode <= max"),
    ("defaults.lag", {"mim": 3}, "aid.defaults.lag.mim", "did you mean 'min'"),
    ("defaults.lag", "soon", "aid.defaults.lag", "must be a table"),
    ("donors.UDCG.reliabilty", 0.5, "aid.donors.UDCG.reliabilty", "did you mean 'reliability'"),
    ("items.interceptor.unit_cost", _DELETE, "aid.items.interceptor.unit_cost", "required"),
    ("items.interceptor.unit_cost", 0.0, "aid.items.interceptor.unit_cost", "between 1.0 and"),
    ("items.interceptor.capacity", 2.5, "aid.items.interceptor.capacity", "an integer"),
    ("items.interceptor.capacity_growth", -2.0, "aid.items.interceptor.capacity_growth",
     "between"),
    ("pools.purl.package", _DELETE, "aid.pools.purl.package", "required"),
    ("pools.purl.item", "interceptr", "aid.pools.purl.item", "did you mean 'interceptor'"),
    ("pools.purl.lag", -1, "aid.pools.purl.lag.min", "between 0 and 120"),
    ("pledges", {"id": "x"}, "aid.pledges", "array of tables"),
    ("pledges.0.id", _DELETE, "aid.pledges[0].id", "required"),
    ("pledges.1.id", "gbr", "aid.pledges[1].id", "'gbr' is already the id of aid.pledges[0]"),
    ("pledges.0.donor", "GBRR", "aid.pledges[0].donor", "did you mean 'GBR'"),
    ("pledges.0.channel", "PURLL", "aid.pledges[0].channel", "did you mean 'PURL'"),
    ("pledges.0.amount", -5.0, "aid.pledges[0].amount", "between 0.0 and"),
    ("pledges.0.quantity", 5, "aid.pledges[0]", "exactly one of amount"),
    ("pledges.0.currency", "GPB", "aid.pledges[0].currency", "did you mean 'GBP'"),
    ("pledges.0.item", "missile", "aid.pledges[0].item", "no item 'missile'"),
    ("pledges.1.pool", "purll", "aid.pledges[1].pool", "did you mean 'purl'"),
    ("pledges.1.item", "interceptor", "aid.pledges[1].pool", "a pool takes money"),
    ("pledges.2.item", _DELETE, "aid.pledges[2].item", "required by quantity"),
    ("pledges.0.month", "Feb 2026", "aid.pledges[0].month", "YYYY-MM"),
    ("pledges.0.month", "2026-13", "aid.pledges[0].month", "YYYY-MM"),
    ("pledges.0.month", "2027-01", "aid.pledges[0].month", "after the last needs year"),
    ("pledges.0.spread", 0, "aid.pledges[0].spread", "between 1 and 120"),
    ("pledges.2.condition.kind", "others_at_least", "aid.pledges[2].condition.kind",
     "did you mean 'others_total_at_least'"),
    ("pledges.2.condition.kind", _DELETE, "aid.pledges[2].condition.kind", "required"),
    ("pledges.2.condition.threshold", _DELETE, "aid.pledges[2].condition.threshold",
     "required by kind"),
    ("pledges.2.condition.threshold", -1, "aid.pledges[2].condition.threshold", "at least 0"),
    ("pledges.2.condition.unit", "euros", "aid.pledges[2].condition.unit", "must be one of"),
    ("pledges.2.condition.ratio", 1.0, "aid.pledges[2].condition.ratio", "does not apply"),
    ("pledges.2.condition.program", "air", "aid.pledges[2].condition.program",
     "no pledge is to program"),
    ("pledges.2.condition.deadline", _DELETE, "aid.pledges[2].condition.deadline", "required"),
    ("pledges.2.condition.deadline", "2030-01", "aid.pledges[2].condition.deadline",
     "within the months"),
    ("pledges.2.condition.pool", "purl", "aid.pledges[2].condition.pool", "does not apply"),
    ("pledges.0.program", 12, "aid.pledges[0].program", "must be a string"),
    ("pledges.2.condition", "if others", "aid.pledges[2].condition", "must be a table"),
    ("donors", ["UDCG"], "aid.donors", "must be a table"),
    ("donors.UDCG.lag", {"min": 1, "max": 0}, "aid.donors.UDCG.lag", "min <= mode <= max"),
    ("needs.2026", {"mean": 60e9, "sd": -1.0}, "aid.needs.2026.sd", "at least 0"),
    ("pledges.2.condition.treshold", 1, "aid.pledges[2].condition.treshold",
     "did you mean 'threshold'"),
    # Needs in a triangle, delivered fractions, tranches, the core setting, the run-in year.
    ("needs.2026", {"low": 1e9, "mode": 2e9}, "aid.needs.2026.high", "required"),
    ("needs.2026", {"low": 3e9, "mode": 2e9, "high": 4e9}, "aid.needs.2026",
     "low <= mode <= high"),
    ("needs.2026", {"mean": 1e9, "low": 1e9, "mode": 1e9, "high": 1e9}, "aid.needs.2026",
     "not both"),
    ("needs.2026", {"low": 1e9, "mode": 2e9, "hihg": 3e9}, "aid.needs.2026.hihg",
     "did you mean 'high'"),
    ("needs.2026", {"low": "a", "mode": 2e9, "high": 3e9}, "aid.needs.2026.low",
     "must be a number"),
    ("defaults.delivered", 1.2, "aid.defaults.delivered", "between 0.0 and 1.0"),
    ("donors.UDCG.delivred", 0.5, "aid.donors.UDCG.delivred", "did you mean 'delivered'"),
    ("donors.UDCG.concentration", 0.0, "aid.donors.UDCG.concentration", "above 0"),
    ("pledges.0.tranches", 0, "aid.pledges[0].tranches", "between 1 and 120"),
    ("pledges.0.tranches", 2.5, "aid.pledges[0].tranches", "an integer"),
    ("counts_toward_core", "top", "aid.counts_toward_core", "must be one of"),
    ("first_year", 2027, "aid.first_year", "at most the first needs year"),
    ("first_year", "2025", "aid.first_year", "an integer"),
    # Budget lines.
    ("budgets", {"DEU": {}}, "aid.budgets.DEU", "needs one of amounts"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "share_of_gdp": {"2026": 0.2}}},
     "aid.budgets.DEU", "got amounts, share_of_gdp"),
    ("budgets", {"DEUU": {"amounts": {"2026": 1e9}}}, "aid.budgets.DEUU", "did you mean 'DEU'"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "currency": "EURO"}},
     "aid.budgets.DEU.currency", "did you mean 'EUR'"),
    ("budgets", {"DEU": {"amount": {"2026": 1e9}}}, "aid.budgets.DEU.amount",
     "did you mean 'amounts'"),
    ("budgets", {"DEU": {"amounts": {"twenty": 1e9}}}, "aid.budgets.DEU.amounts.twenty",
     "must be a year"),
    ("budgets", {"DEU": {"share_of_gdp": {"2026": 150.0}}}, "aid.budgets.DEU.share_of_gdp.2026",
     "must be between"),
    ("budgets", {"DEU": {"start": "kiel-2023"}}, "aid.budgets.DEU.start", "must be one of"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "after": "hold"}}, "aid.budgets.DEU.after",
     "must be one of"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "tranches": 13}},
     "aid.budgets.DEU.tranches", "between 1 and 12"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "channel": "NATO"}},
     "aid.budgets.DEU.channel", "must be one of"),
    ("budgets", {"UDCG": {"share_of_gdp": {"2026": 0.2}}}, "aid.budgets.UDCG.share_of_gdp",
     "not an ally of this scenario's spending model"),
    ("budgets", {"DEU": {"start": "kiel-2025", "amounts": {"2025": 1e9}}},
     "aid.budgets.DEU.amounts.2025", "at or before the 2025 allocation"),
    ("budgets", {"MKD": {"start": "kiel-2025", "after": "money"}}, "aid.budgets.MKD.start",
     "no 2025 Kiel allocation"),
    # December 2025 is simulated (a pledge is made then), but the spending model starts in 2026.
    ("budgets", {"DEU": {"share_of_gdp": {"2025": 0.2}}}, "aid.budgets.DEU",
     "outside the spending model's years 2026-2035"),
    ("budgets", ["DEU"], "aid.budgets", "must be a table"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "pool": "purll"}}, "aid.budgets.DEU.pool",
     "did you mean 'purl'"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "pool": "purl", "pool_share": 1.5}},
     "aid.budgets.DEU.pool_share", "between 0.0 and 1.0"),
    ("budgets", {"DEU": {"share_of_defence": {"2026": 100.0}}},
     "aid.budgets.DEU.share_of_defence.2026", "must be between"),
    ("budgets", {"DEU": {"amounts": {"2026": 1e9}, "program": 3}}, "aid.budgets.DEU.program",
     "must be a string"),
    ("budgets", {"DEU": {"amounts": {"2026": "lots"}}}, "aid.budgets.DEU.amounts.2026",
     "must be a number"),
    # Policy options.
    ("us", "none", "aid.us", "must be one of"),
    ("us", "kiel-2022-2024", "aid.us", "not an ally of this scenario's spending model"),
    ("floor_share_of_gdp", 7.0, "aid.floor_share_of_gdp", "between 0.0 and 5.0"),
    ("floor_share_of_gdp", "0.25%", "aid.floor_share_of_gdp", "must be a number"),
    ("europe_fills_gap_up_to", -1.0, "aid.europe_fills_gap_up_to", "between 0.0 and 5.0"),
    ("europe_fils_gap_up_to", 0.2, "aid.europe_fils_gap_up_to",
     "did you mean 'europe_fills_gap_up_to'"),
]


@pytest.mark.parametrize(("path", "value", "key", "problem"), CASES,
                         ids=[f"{c[0]}={c[1]!r}" for c in CASES])
def test_every_key_is_validated(path, value, key, problem):
    with pytest.raises(sim.ScenarioError) as raised:
        scenario_with(_with(path, value))
    assert raised.value.key == key
    assert problem in raised.value.problem


def test_pool_condition_and_matching_need_their_keys():
    table = _with("pledges.2.condition", {"kind": "pool_at_least", "pool": "fund",
                                          "threshold": 1e9, "deadline": "2026-06"})
    with pytest.raises(sim.ScenarioError, match="no pool 'fund'"):
        scenario_with(table)
    table = _with("pledges.2.condition", {"kind": "matching", "program": "ad",
                                          "deadline": "2026-06"})
    with pytest.raises(sim.ScenarioError) as raised:
        scenario_with(table)
    assert raised.value.key == "aid.pledges[2].condition.ratio"


def test_aid_must_be_a_table():
    with pytest.raises(sim.ScenarioError) as raised:
        sim.Scenario.from_mapping({"scenario": {"name": "x"}, "defaults": {"related_base": 0.0},
                                   "aid": [1]})
    assert raised.value.key == "aid" and "must be a table" in raised.value.problem


def test_errors_name_the_file(write_toml):
    path = write_toml('[scenario]\nname = "x"\n[defaults]\nrelated_base = 0.0\n'
                      '[aid.needs]\n2026 = 1e9\n[[aid.pledges]]\nid = "a"\ndonor = "DEU"\n'
                      'amount = 1e9\nmonth = "2026-02"\nprogramme = "x"\n')
    with pytest.raises(sim.ScenarioError) as raised:
        sim.load_scenario(path)
    assert str(raised.value).startswith(f"{path}: aid.pledges[0].programme: unknown key "
                                        "(did you mean 'program'?)")


def test_the_shipped_udcg_scenario_is_valid():
    model = sim.load_scenario("udcg-2026").aid
    assert model.needs[0].year == 2026 and model.needs[0].mean_usd == 60e9
    ids = {p.id for p in model.pledges}
    assert {"gbr-purl-interceptors", "gbr-lmm", "deu-interceptors"} <= ids


# --- typical ranges ----------------------------------------------------------------------------


ATYPICAL = [
    ("pledges.0.amount", 150, "aid.pledges[0].amount",
     "150 is outside the typical range 1e5-2e11 (units of the pledge's currency); millions or "
     "billions where the full sum is meant (write 60e9 for 60 billion)?"),
    ("needs", {"2026": 60}, "aid.needs.2026", "60 is outside the typical range 1e9-3e11 (USD); "
     "millions or billions where the full sum is meant (write 60e9 for 60 billion)?"),
    ("needs", {"2026": {"mean": 60e9, "sd": 5e11}}, "aid.needs.2026.sd",
     "5e11 is outside the typical range 0-1.5e11 (USD)"),
    ("pools.purl.lag", 48, "aid.pools.purl.lag", "48 is outside the typical range 0-36 (months)"),
    ("defaults.lag", {"min": 1, "max": 40}, "aid.defaults.lag.max",
     "40 is outside the typical range 0-36 (months)"),
    ("items.interceptor.capacity_growth", 5.0, "aid.items.interceptor.capacity_growth",
     "5 is outside the typical range -0.5 to 2 (fraction a year); a percent where a fraction is "
     "meant?"),
    ("pledges.0.spread", 100, "aid.pledges[0].spread",
     "100 is outside the typical range 1-60 (months)"),
]


@pytest.mark.parametrize(("path", "value", "key", "problem"), ATYPICAL,
                         ids=[case[2] for case in ATYPICAL])
def test_an_atypical_aid_value_is_a_warning_at_its_key(path, value, key, problem):
    warnings = scenario_with(_with(path, value)).warnings
    assert [(w.key, w.problem) for w in warnings] == [(key, problem)]


def test_the_test_table_and_the_shipped_aid_load_without_a_warning():
    assert scenario_with(BASE).warnings == ()
    assert sim.load_scenario("udcg-2026").warnings == ()


def test_settings_that_cannot_take_effect_are_warned_about():
    table = _with("defaults.concentration", 50.0)
    table["defaults"]["delivered"] = 1.0
    (warning,) = scenario_with(table).warnings
    assert warning.key == "aid.defaults.concentration" and "no effect" in warning.problem
    table = {"needs": {"2026": 1e9}, "counts_toward_core": "on_top", "donors": {"EU": {}},
             "pledges": [{"id": "eu", "donor": "EU", "amount": 1e9, "month": "2026-01"}]}
    (warning,) = scenario_with(table).warnings
    assert warning.key == "aid.counts_toward_core" and "no aid counts" in warning.problem


def test_a_pool_share_without_a_pool_is_warned_about():
    table = _with("budgets", {"DEU": {"amounts": {"2026": 1e9}, "pool_share": 0.5}})
    (warning,) = scenario_with(table).warnings
    assert warning.key == "aid.budgets.DEU.pool_share" and "no effect" in warning.problem


def test_an_after_rule_with_no_year_after_the_line_is_warned_about():
    table = _with("budgets", {"DEU": {"amounts": {"2026": 1e9}, "after": "stop"}})
    (warning,) = scenario_with(table).warnings
    assert warning.key == "aid.budgets.DEU.after" and "has no effect" in warning.problem
