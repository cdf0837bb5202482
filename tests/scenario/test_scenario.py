"""The scenario loader: shipped files, every kind of mistake as one line naming file and key.

Every error test goes through :func:`_error`, which also checks the contract of the message itself:
``FILE: dotted.key: what is wrong`` on one line, with ``.file``, ``.key`` and ``.problem`` set.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import bare_keys, inside, outside
from variants import without_layers

import sim.scenario as scenario_module
from sim import schema
from sim.data.base import ALLIES
from sim.data.parameters import calibrated_table, load_parameters
from sim.data.prices import deflator_mean
from sim.errors import ScenarioError, ScenarioWarning, SimError
from sim.resources import calibration_dir
from sim.scenario import (
    AllySettings,
    Goal,
    Growth,
    Meta,
    Policy,
    Scenario,
    find_scenario,
    keyed_fields,
    load_scenario,
    shipped_scenarios,
    units_table,
)
from sim.spending.inputs import policy_path

#: A child of the shipped baseline; lines appended after it land in the [scenario] table.
HEAD = '[scenario]\nname = "t"\nextends = "baseline"\n'

#: A complete scenario that extends nothing, restricted to two allies.
STANDALONE = """\
[scenario]
name = "standalone"
allies = ["DEU", "POL"]

[defaults]
related_base = 0.5
"""


def _error(load, *args) -> ScenarioError:
    """The ScenarioError ``load(*args)`` raises, after checking the message contract."""
    with pytest.raises(ScenarioError) as caught:
        load(*args)
    err = caught.value
    assert isinstance(err, SimError)
    text = str(err)
    assert "\n" not in text and "\r" not in text
    where = f"{err.file}: {err.key}" if err.key else err.file
    assert text == f"{where}: {err.problem}"
    assert err.problem
    return err


def _file_error(write_toml, text: str, name: str = "scenario.toml") -> ScenarioError:
    """Write ``text`` to a file, load it, and return the error; the error names that file."""
    path = write_toml(text, name)
    err = _error(load_scenario, path)
    assert err.file == str(path)
    return err


def _nato_2026_core_shares(year: int) -> dict[str, float]:
    """The oracle: core shares of the July 2026 NATO edition, read straight from the CSV."""
    path = calibration_dir() / "data" / "nato_defexp_pct_gdp_by_edition.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["iso3"]: float(row["value_pct_gdp"]) for row in csv.DictReader(handle)
                if row["edition"] == "NATO 2026 (Jul 2026)" and row["year"] == str(year)}


def _by_key(*cases: tuple) -> list:
    """Parametrize cases ``(text, key, ...)`` with the dotted key as the test id."""
    return [pytest.param(*case, id=case[1]) for case in cases]


def _toml_float(value: float) -> str:
    # Python's repr of a finite float is valid TOML and round-trips exactly.
    return repr(float(value))


# --- shipped scenarios -------------------------------------------------------------------------


def test_the_four_scenarios_are_shipped():
    assert {"baseline", "analytic", "front-loaded", "slow-growth"} <= set(shipped_scenarios())


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_loads(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.description
    assert scenario.allies and set(scenario.codes) <= set(ALLIES) - {"ISL"}
    assert list(scenario.codes) == sorted(scenario.codes)
    assert len(scenario.sha256) == 64
    assert scenario.source == str(shipped_scenarios()[name])


def test_baseline_assesses_31_allies_and_lists_iceland():
    baseline = load_scenario("baseline")
    assert len(baseline.allies) == 31
    assert "ISL" in baseline.members and "ISL" not in baseline.codes
    assert baseline.members == tuple(sorted(ALLIES))
    assert baseline.years == tuple(range(2026, 2036))
    assert (baseline.base_year, baseline.horizon) == (2026, 2035)
    assert baseline.goal == Goal(core=3.5, total=5.0, year=2035, review_year=2029,
                                 review_tolerance=0.1)
    with pytest.raises(KeyError):
        baseline.ally("ISL")


def test_baseline_core_base_is_the_nato_july_2026_figure():
    baseline = load_scenario("baseline")
    expected = _nato_2026_core_shares(2026)
    assert {a.code: a.core_base for a in baseline.allies} == expected
    assert baseline.ally("DEU").core_base == 2.69
    assert baseline.ally("POL").core_base == 4.68
    assert baseline.ally("LTU").core_base == 5.33
    assert baseline.ally("DEU").gdp_base == pytest.approx(5_455_980e6)


def test_baseline_resolves_every_default():
    deu = load_scenario("baseline").ally("DEU")
    fitted = calibrated_table("DEU")
    assert deu.related_base == 0.0
    # Unset behavioural values come from the committed parameter file.
    assert deu.policy == Policy(path="announced", adjustment=fitted["policy"]["adjustment"],
                                noise=fitted["policy"]["noise"], floor=0.0, target=3.5,
                                custom=((2029, 3.5),))
    # Germany's related spending follows its stated 1.5% by 2035 (related_spending.csv).
    assert deu.related == Policy(path="announced", adjustment=0.35, noise=0.10, floor=0.0,
                                 target=1.5, custom=((2035, 1.5),))
    assert deu.related_evidence and not load_scenario("baseline").ally("ITA").related_evidence
    # The planning layers are on, with national inflation from the IMF's GDP deflator.
    assert deu.plans.enabled and deu.commitment.enabled and deu.fiscal.enabled
    assert deu.growth.deflator == deflator_mean("DEU").value
    # The growth mean is the mean of the IMF WEO Oct 2025 projections for 2027-2030.
    assert deu.growth.mean == pytest.approx((1.473 + 1.203 + 0.98 + 0.679) / 4 / 100)
    assert (deu.growth.sd, deu.growth.persistence, deu.growth.common) == (
        fitted["growth"]["sd"], fitted["growth"]["persistence"], fitted["growth"]["common"])
    assert "policy.adjustment" in deu.calibrated


def test_analytic_overrides_baseline_key_by_key():
    analytic = load_scenario("analytic")
    assert analytic.codes == ("DEU", "POL")
    assert analytic.members == ("DEU", "POL")
    assert analytic.goal.review_tolerance == 0.0  # its own
    assert analytic.goal.core == 3.5  # the baseline's
    deu, pol = analytic.ally("DEU"), analytic.ally("POL")
    assert (deu.core_base, deu.policy.adjustment, deu.policy.noise) == (2.0, 0.5, 0.2)
    assert pol.core_base == 4.0
    assert (pol.policy.path, pol.policy.adjustment, pol.policy.noise) == ("flat", 1.0, 0.05)
    assert deu.related.adjustment == pol.related.adjustment == 0.35  # the baseline's table


def test_front_loaded_and_slow_growth():
    front = load_scenario("front-loaded")
    assert front.ally("DEU").policy.path == "custom"
    assert front.ally("DEU").policy.custom == ((2030, 3.5),)
    for code in ("EST", "LVA", "LTU", "POL", "GRC"):
        assert front.ally(code).policy.path == "flat"
    slow, baseline = load_scenario("slow-growth"), load_scenario("baseline")
    assert {a.growth.mean for a in slow.allies} == {0.005}
    # Growth alone: the model carries growth into budgets, so nothing else is slowed by hand.
    assert [attrs.evolve(a, growth=attrs.evolve(a.growth, mean=0.0)) for a in slow.allies] == [
        attrs.evolve(a, growth=attrs.evolve(a.growth, mean=0.0)) for a in baseline.allies]


def test_a_shipped_name_and_its_path_load_the_same():
    path = shipped_scenarios()["baseline"]
    assert find_scenario("baseline") == path
    assert load_scenario(path) == load_scenario("baseline")
    assert load_scenario(str(path)).sha256 == load_scenario("baseline").sha256


# --- unknown keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "suggestion"), _by_key(
    (HEAD + "[sceanrio]\nname = 'x'\n", "sceanrio", "scenario"),
    (HEAD + "[default.policy]\nnoise = 0.1\n", "default", "defaults"),
    (HEAD + "descripton = 'x'\n", "scenario.descripton", "description"),
    (HEAD + "[goal]\nyaer = 2035\n", "goal.yaer", "year"),
    (HEAD + "[defaults.policy]\nadjustmnet = 0.3\n", "defaults.policy.adjustmnet", "adjustment"),
    (HEAD + "[defaults.related]\nnoice = 0.1\n", "defaults.related.noice", "noise"),
    (HEAD + "[defaults.growth]\npersistance = 0.4\n", "defaults.growth.persistance",
     "persistence"),
    (HEAD + "[defaults]\ncore_bsae = 2.0\n", "defaults.core_bsae", "core_base"),
    (HEAD + "[allies.DEU.growth]\nmena = 0.01\n", "allies.DEU.growth.mena", "mean"),
    (HEAD + "[allies.DEU]\npolicy = { adjustmnet = 0.3 }\n", "allies.DEU.policy.adjustmnet",
     "adjustment"),
    (HEAD + "[allies.POL]\npolcy = { noise = 0.1 }\n", "allies.POL.polcy", "policy"),
))
def test_unknown_keys_are_named_with_a_suggestion(write_toml, text, key, suggestion):
    err = _file_error(write_toml, text)
    assert err.key == key
    assert f"did you mean {suggestion!r}?" in err.problem
    assert err.problem.startswith(("unknown key", "unknown section"))


def test_an_unknown_key_lists_what_the_table_takes(write_toml):
    err = _file_error(write_toml, HEAD + "[defaults.policy]\nadjustmnet = 0.3\n")
    assert err.problem == ("unknown key (did you mean 'adjustment'?); defaults.policy takes "
                           "path, adjustment, noise, floor, target, custom")


def test_a_far_off_unknown_key_gets_no_suggestion(write_toml):
    err = _file_error(write_toml, HEAD + "[goal]\nzzzzzz = 1\n")
    assert err.key == "goal.zzzzzz" and "did you mean" not in err.problem


@given(key=bare_keys.filter(lambda k: k not in attrs.fields_dict(Policy)))
def test_any_unknown_policy_key_is_refused(key):
    doc = {"scenario": {"name": "h", "allies": ["DEU"]}, "defaults": {"related_base": 0.0,
                                                                      "policy": {key: 0.1}}}
    err = _error(Scenario.from_mapping, doc)
    assert err.key == f"defaults.policy.{key}"
    assert err.file == "<scenario>"


# --- wrong types -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "problem"), _by_key(
    (HEAD + "[goal]\ncore = '3.5'\n", "goal.core", "must be a number, got a string"),
    (HEAD + "[defaults.policy]\nadjustment = true\n", "defaults.policy.adjustment",
     "must be a number, got a boolean"),
    (HEAD + "[defaults.policy]\nnoise = [0.1]\n", "defaults.policy.noise",
     "must be a number, got an array"),
    (HEAD + "[goal]\nyear = 2035.0\n", "goal.year", "must be an integer, got a number"),
    (HEAD + "[goal]\nreview_year = true\n", "goal.review_year",
     "must be an integer, got a boolean"),
    (HEAD + "base_year = '2026'\n", "scenario.base_year", "must be an integer, got a string"),
    ('[scenario]\nname = 3\nextends = "baseline"\n', "scenario.name",
     "must be a string, got an integer"),
    (HEAD + "description = 1.5\n", "scenario.description", "must be a string, got a number"),
    (HEAD + "[defaults]\npolicy = 3\n", "defaults.policy", "must be a table, got an integer"),
    (HEAD + "[allies.DEU]\ngrowth = 'fast'\n", "allies.DEU.growth",
     "must be a table, got a string"),
    (HEAD + "[allies]\nDEU = 'x'\n", "allies.DEU", "must be a table, got a string"),
    ('goal = 3\n' + HEAD, "goal", "must be a table, got an integer"),
    ('defaults = [1]\n' + HEAD, "defaults", "must be a table, got an array"),
    ('scenario = "baseline"\n', "scenario", "must be a table, got a string"),
    (HEAD + "allies = 'DEU'\n", "scenario.allies", "must be a non-empty array of ISO3 codes"),
    (HEAD + "allies = []\n", "scenario.allies", "must be a non-empty array of ISO3 codes"),
    (HEAD + "[defaults.policy]\npath = 'linaer'\n", "defaults.policy.path",
     "must be one of 'linear', 'flat', 'custom', 'announced', got 'linaer' "
     "(did you mean 'linear'?)"),
    (HEAD + "[defaults.policy]\nadjustment = nan\n", "defaults.policy.adjustment",
     "must be a finite number, got nan"),
    (HEAD + "[defaults]\ngdp_base = inf\n", "defaults.gdp_base",
     "must be a finite number, got inf"),
    (HEAD + "[defaults.growth]\nsd = -inf\n", "defaults.growth.sd",
     "must be a finite number, got -inf"),
))
def test_wrong_types_are_refused(write_toml, text, key, problem):
    err = _file_error(write_toml, text)
    assert err.key == key
    assert err.problem.startswith(problem)


def test_an_integer_is_accepted_where_a_number_is_expected(write_toml):
    scenario = load_scenario(write_toml(HEAD + "[defaults.policy]\nadjustment = 1\n"))
    adjustment = scenario.ally("DEU").policy.adjustment
    assert adjustment == 1.0 and isinstance(adjustment, float)


# --- out of range ------------------------------------------------------------------------------


def test_the_out_of_range_message_is_exactly_one_line(write_toml):
    path = write_toml(HEAD + "[allies.DEU]\npolicy = { adjustment = 1.4 }\n", "bad.toml")
    err = _error(load_scenario, path)
    assert str(err) == f"{path}: allies.DEU.policy.adjustment: must be between 0.0 and 1.0, got 1.4"
    assert (err.file, err.key) == (str(path), "allies.DEU.policy.adjustment")
    assert err.problem == "must be between 0.0 and 1.0, got 1.4"


@pytest.mark.parametrize(("text", "key", "problem"), _by_key(
    (HEAD + "[defaults.policy]\nnoise = -0.1\n", "defaults.policy.noise",
     "must be between 0.0 and 5.0, got -0.1"),
    (HEAD + "[defaults.policy]\nadjustment = -0.01\n", "defaults.policy.adjustment",
     "must be between 0.0 and 1.0, got -0.01"),
    (HEAD + "[defaults.related]\nnoise = 5.5\n", "defaults.related.noise",
     "must be between 0.0 and 5.0, got 5.5"),
    (HEAD + "[defaults.growth]\npersistence = 1.0\n", "defaults.growth.persistence",
     "must be above -1.0 and below 1.0, got 1.0"),
    (HEAD + "[defaults.growth]\npersistence = -1.5\n", "defaults.growth.persistence",
     "must be above -1.0 and below 1.0, got -1.5"),
    (HEAD + "[allies.FRA.growth]\ncommon = 1.01\n", "allies.FRA.growth.common",
     "must be between 0.0 and 1.0, got 1.01"),
    (HEAD + "[defaults.growth]\nmean = 0.5\n", "defaults.growth.mean",
     "must be between -0.2 and 0.2, got 0.5"),
    (HEAD + "[defaults.policy]\nfloor = -0.5\n", "defaults.policy.floor",
     "must be at least 0.0 and below 100.0, got -0.5"),
    (HEAD + "[defaults]\ncore_base = 100\n", "defaults.core_base",
     "must be at least 0.0 and below 100.0, got 100.0"),
    (HEAD + "[allies.DEU]\ngdp_base = -1.0\n", "allies.DEU.gdp_base",
     "must be between 1.0 and 1000000000000000.0, got -1.0"),
    (HEAD + "[goal]\ncore = -3.5\n", "goal.core", "must be at least 0.0 and below 100.0"),
    (HEAD + "[goal]\ntotal = 3.0\n", "goal.total", "must be at least goal.core (3.5), got 3.0"),
    (HEAD + "[goal]\ncore = 6.0\ntotal = 5.5\n", "goal.total",
     "must be at least goal.core (6.0), got 5.5"),
    (HEAD + "[defaults.policy]\ncustom = { 2030 = 100.0 }\n", "defaults.policy.custom.2030",
     "must be between 0 and 100, got 100.0"),
))
def test_out_of_range_values_name_key_bound_and_value(write_toml, text, key, problem):
    err = _file_error(write_toml, text)
    assert err.key == key
    assert err.problem.startswith(problem)


def test_persistence_of_minus_one_is_refused(write_toml):
    err = _file_error(write_toml, HEAD + "[defaults.growth]\npersistence = -1.0\n")
    assert err.key == "defaults.growth.persistence"


def test_cross_field_error_names_the_key_this_file_wrote(write_toml):
    # goal.total = 5 comes from the shipped baseline; the user's file raised goal.core above it.
    path = write_toml('[scenario]\nname = "x"\nextends = "baseline"\n[goal]\ncore = 6.0\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert (info.value.file, info.value.key) == (str(path), "goal.core")
    assert info.value.problem == "must be at most goal.total (5.0), got 6.0"


def test_digest_ignores_what_a_scenario_extends():
    scenario = load_scenario("slow-growth")
    assert scenario.with_values({}).sha256 == scenario.sha256


@pytest.mark.parametrize("text", [
    HEAD + "[defaults.policy]\nadjustment = 0.0\nnoise = 0.0\n",
    HEAD + "[defaults.policy]\nadjustment = 1.0\nnoise = 5.0\n",
    HEAD + "[defaults.growth]\npersistence = 0.999\ncommon = 1.0\n",
    HEAD + "[goal]\ncore = 5.0\ntotal = 5.0\n",
])
def test_values_on_the_bounds_load(write_toml, text):
    assert load_scenario(write_toml(text)).allies


@pytest.fixture(scope="module")
def one_ally_file(tmp_path_factory):
    """Write a one-ally scenario with the given [defaults.policy] lines, return its path."""
    folder = tmp_path_factory.mktemp("hypothesis")

    def write(policy_lines: str) -> Path:
        path = folder / "one.toml"
        path.write_text('[scenario]\nname = "one"\nallies = ["DEU"]\n[defaults]\n'
                        f"related_base = 0.0\n[defaults.policy]\n{policy_lines}",
                        encoding="utf-8")
        return path

    return write


@given(adjustment=inside(0.0, 1.0), noise=inside(0.0, 5.0))
def test_any_adjustment_and_noise_in_range_load(one_ally_file, adjustment, noise):
    path = one_ally_file(f"adjustment = {_toml_float(adjustment)}\nnoise = {_toml_float(noise)}\n")
    policy = load_scenario(path).ally("DEU").policy
    assert (policy.adjustment, policy.noise) == (adjustment, noise)


@given(adjustment=outside(0.0, 1.0))
def test_any_adjustment_out_of_range_is_refused(one_ally_file, adjustment):
    path = one_ally_file(f"adjustment = {_toml_float(adjustment)}\n")
    err = _error(load_scenario, path)
    assert err.key == "defaults.policy.adjustment"
    assert "defaults.policy.adjustment" in str(err)
    assert str(err).endswith(f"must be between 0.0 and 1.0, got {adjustment!r}")


@given(noise=outside(0.0, 5.0))
def test_any_noise_out_of_range_is_refused(one_ally_file, noise):
    path = one_ally_file(f"noise = {_toml_float(noise)}\n")
    err = _error(load_scenario, path)
    assert err.key == "defaults.policy.noise"
    assert str(err).endswith(f"got {noise!r}")


@given(persistence=st.one_of(inside(-1.0, 1.0, hi_open=True), outside(-1.0, 1.0, hi_open=True)))
def test_persistence_must_be_below_one(persistence):
    doc = {"scenario": {"name": "h", "allies": ["DEU"]},
           "defaults": {"related_base": 0.0, "growth": {"persistence": persistence}}}
    if -1.0 < persistence < 1.0:
        assert Scenario.from_mapping(doc).ally("DEU").growth.persistence == persistence
    else:
        assert _error(Scenario.from_mapping, doc).key == "defaults.growth.persistence"


# --- ally codes --------------------------------------------------------------------------------


def test_an_unknown_code_in_scenario_allies_is_named_by_index(write_toml):
    err = _file_error(write_toml, HEAD + 'allies = ["DEU", "PLO"]\n')
    assert err.key == "scenario.allies[1]"
    assert err.problem.startswith("unknown ally code 'PLO'")
    assert "did you mean 'POL'?" in err.problem


@pytest.mark.parametrize(("allies", "key"), [
    ('[["DEU"]]', "scenario.allies[0]"),
    ('["DEU", 3]', "scenario.allies[1]"),
    ('["DEU", { code = "POL" }]', "scenario.allies[1]"),
])
def test_a_non_string_code_is_refused(write_toml, allies, key):
    err = _file_error(write_toml, HEAD + f"allies = {allies}\n")
    assert err.key == key and "unknown ally code" in err.problem


def test_an_ally_listed_twice_is_refused(write_toml):
    err = _file_error(write_toml, HEAD + 'allies = ["DEU", "POL", "DEU"]\n')
    assert (err.key, err.problem) == ("scenario.allies", "lists an ally twice")


@pytest.mark.parametrize(("code", "suggestion"), [("DUE", "DEU"), ("deu", "DEU"), ("PLO", "POL")])
def test_an_unknown_ally_table_is_refused_with_a_suggestion(write_toml, code, suggestion):
    err = _file_error(write_toml, HEAD + f"[allies.{code}]\ncore_base = 2.0\n")
    assert err.key == f"allies.{code}"
    assert f"unknown ally code {code!r}" in err.problem
    assert f"did you mean {suggestion!r}?" in err.problem


def test_iceland_cannot_have_an_ally_table(write_toml):
    err = _file_error(write_toml, HEAD + "[allies.ISL]\ncore_base = 0.1\n")
    assert err.key == "allies.ISL"
    assert "Iceland" in err.problem and "not assessed" in err.problem


def test_an_ally_table_must_be_for_an_included_ally(write_toml):
    err = _file_error(write_toml, HEAD + 'allies = ["DEU"]\n[allies.POL]\ncore_base = 3.0\n')
    assert (err.key, err.problem) == ("allies.POL", "POL is not in scenario.allies")


def test_iceland_alone_is_no_assessed_ally(write_toml):
    err = _file_error(write_toml, HEAD + 'allies = ["ISL"]\n')
    assert err.key == "scenario.allies" and "no assessed ally" in err.problem


def test_iceland_is_listed_but_not_assessed(write_toml):
    scenario = load_scenario(write_toml(HEAD + 'allies = ["POL", "ISL", "DEU"]\n'))
    assert scenario.members == ("DEU", "ISL", "POL")
    assert scenario.codes == ("DEU", "POL")


# --- years -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "problem"), _by_key(
    # Without scenario.horizon the goal year sets the horizon; the error names goal.year.
    (HEAD + "[goal]\nyear = 2026\n", "goal.year", "must be between 2027 and 2076"),
    (HEAD + "[goal]\nyear = 2000\n", "goal.year", "must be between 2027 and 2076"),
    (HEAD + "[goal]\nyear = 2090\n", "goal.year", "must be between 2027 and 2076"),
    (HEAD + "horizon = 2035\n[goal]\nyear = 2026\n", "goal.year",
     "must be within the horizon 2027-2035, got 2026"),
    (HEAD + "horizon = 2035\n[goal]\nyear = 2040\n", "goal.year",
     "must be within the horizon 2027-2035, got 2040"),
    (HEAD + "horizon = 2026\n", "scenario.horizon", "must be between 2027 and 2076"),
    (HEAD + "horizon = 2077\n", "scenario.horizon", "must be between 2027 and 2076"),
    (HEAD + "[goal]\nreview_year = 2036\n", "goal.review_year",
     "must be after the base year 2026 and no later than the goal year 2035, got 2036"),
    (HEAD + "[goal]\nreview_year = 2026\n", "goal.review_year", "must be after the base year"),
    (HEAD + "[goal]\nyear = 2028\nreview_year = 2029\n", "goal.review_year",
     "no later than the goal year 2028"),
    (HEAD + "base_year = 2013\n", "scenario.base_year", "must be between 2014 and 2026, got 2013"),
    (HEAD + "base_year = 2027\n", "scenario.base_year", "must be between 2014 and 2026, got 2027"),
))
def test_years_outside_the_horizon_are_refused(write_toml, text, key, problem):
    err = _file_error(write_toml, text)
    assert err.key == key
    assert problem in err.problem


def test_a_later_goal_year_extends_the_horizon(write_toml):
    scenario = load_scenario(write_toml(HEAD + "[goal]\nyear = 2040\n"))
    assert scenario.horizon == 2040 and scenario.years[-1] == 2040
    assert scenario.goal.year == 2040


def test_a_horizon_past_the_goal_year(write_toml):
    scenario = load_scenario(write_toml(HEAD + "horizon = 2040\n[goal]\nreview_year = 2035\n"))
    assert (scenario.horizon, scenario.goal.year, scenario.goal.review_year) == (2040, 2035, 2035)
    assert len(scenario.years) == 15


@pytest.mark.parametrize("year", [2014, 2025])
def test_an_earlier_base_year_replays_that_year(write_toml, year):
    scenario = load_scenario(write_toml(HEAD + f"base_year = {year}\n"))
    assert scenario.years[0] == year and scenario.years[-1] == 2035
    assert {a.code: a.core_base for a in scenario.allies} == _nato_2026_core_shares(year)


# --- extends -----------------------------------------------------------------------------------


def test_a_chain_of_three_relative_files_merges_key_by_key(tmp_path):
    (tmp_path / "dir" / "base").mkdir(parents=True)
    grand = tmp_path / "dir" / "base" / "a.toml"
    grand.write_text("""\
[scenario]
name = "a"
description = "the grandparent"
allies = ["DEU", "POL", "FRA"]
[goal]
core = 3.0
total = 4.5
[defaults]
related_base = 0.2
[defaults.policy]
adjustment = 0.2
noise = 0.3
[defaults.growth]
mean = 0.01
""")
    parent = tmp_path / "dir" / "b.toml"
    parent.write_text("""\
[scenario]
name = "b"
extends = "base/a.toml"
[defaults.policy]
noise = 0.4
[allies.DEU]
core_base = 2.5
""")
    child = tmp_path / "c.toml"
    child.write_text("""\
[scenario]
name = "c"
extends = "dir/b.toml"
[goal]
total = 5.5
[defaults.policy]
adjustment = 0.6
[allies.DEU]
policy = { noise = 0.01 }
""")
    scenario = load_scenario(child)
    assert scenario.name == "c"
    assert scenario.description == ""  # a name and description are never inherited
    assert scenario.codes == ("DEU", "FRA", "POL")  # from a
    assert (scenario.goal.core, scenario.goal.total) == (3.0, 5.5)  # a's core, c's total
    deu, pol = scenario.ally("DEU"), scenario.ally("POL")
    assert (deu.core_base, deu.policy.noise, deu.policy.adjustment) == (2.5, 0.01, 0.6)
    assert (pol.policy.noise, pol.policy.adjustment) == (0.4, 0.6)  # b's noise, c's adjustment
    assert pol.core_base == _nato_2026_core_shares(2026)["POL"]
    assert pol.growth.mean == 0.01 and pol.related_base == 0.2
    # The middle of the chain loads on its own, without the child's changes.
    middle = load_scenario(parent)
    assert middle.ally("DEU").policy.noise == 0.4 and middle.goal.total == 4.5


def test_extending_a_shipped_name(write_toml):
    scenario = load_scenario(write_toml(HEAD + "[defaults.policy]\nnoise = 0.2\n"))
    baseline = load_scenario("baseline")
    assert scenario.name == "t"
    assert scenario.goal == baseline.goal
    assert scenario.codes == baseline.codes
    assert scenario.ally("DEU").policy.noise == 0.2
    assert scenario.ally("DEU").policy.adjustment == baseline.ally("DEU").policy.adjustment
    assert scenario.ally("DEU").core_base == baseline.ally("DEU").core_base


def test_a_file_beside_the_child_wins_over_a_shipped_name(write_toml):
    write_toml('[scenario]\nname = "local"\nallies = ["DEU"]\n[defaults]\nrelated_base = 1.0\n',
               "baseline")
    child = write_toml('[scenario]\nname = "c"\nextends = "baseline"\n', "child.toml")
    assert load_scenario(child).codes == ("DEU",)


def test_a_missing_parent_is_named_at_scenario_extends(write_toml):
    err = _file_error(write_toml, '[scenario]\nname = "t"\nextends = "baselin"\n')
    assert err.key == "scenario.extends"
    assert "'baselin' is neither a file relative to this one nor a shipped scenario" in err.problem
    assert "did you mean 'baseline'?" in err.problem


def test_a_two_file_cycle_is_refused(write_toml):
    a = write_toml('[scenario]\nname = "a"\nextends = "b.toml"\n', "a.toml")
    b = write_toml('[scenario]\nname = "b"\nextends = "a.toml"\n', "b.toml")
    err = _error(load_scenario, a)
    # Reported where the extends that closes the cycle is written.
    assert (err.file, err.key) == (str(b), "scenario.extends")
    assert err.problem == "extends itself in a cycle: a.toml -> b.toml -> a.toml"


def test_a_file_extending_itself_is_refused(write_toml):
    err = _file_error(write_toml, '[scenario]\nname = "me"\nextends = "me.toml"\n', "me.toml")
    assert err.key == "scenario.extends"
    assert err.problem == "extends itself in a cycle: me.toml -> me.toml"


@pytest.mark.parametrize(("parent_text", "key"), _by_key(
    (HEAD + "[goal]\nyaer = 2035\n", "goal.yaer"),
    (HEAD + "[defaults.policy]\nadjustment = 1.4\n", "defaults.policy.adjustment"),
    (HEAD + "[goal]\ntotal = 3.0\n", "goal.total"),  # a cross-field check, after the merge
    (HEAD + "[defaults.policy]\npath = 'custom'\n", "defaults.policy.path"),
))
def test_a_mistake_in_a_parent_names_the_parent(write_toml, parent_text, key):
    parent = write_toml(parent_text, "parent.toml")
    child = write_toml('[scenario]\nname = "child"\nextends = "parent.toml"\n', "child.toml")
    err = _error(load_scenario, child)
    assert (err.file, err.key) == (str(parent), key)


def test_a_custom_path_is_replaced_whole_not_merged(write_toml):
    child = write_toml('[scenario]\nname = "later"\nextends = "front-loaded"\n'
                       "[defaults.policy]\ncustom = { 2032 = 3.5 }\n"
                       "[allies.FRA]\npolicy = { custom = { 2028 = 3.0, 2031 = 3.5 } }\n")
    scenario = load_scenario(child)
    assert scenario.ally("DEU").policy.custom == ((2032, 3.5),)
    assert scenario.ally("FRA").policy.custom == ((2028, 3.0), (2031, 3.5))


def test_a_mapping_cannot_extend():
    err = _error(Scenario.from_mapping, {"scenario": {"name": "m", "extends": "baseline"}})
    assert err.key == "scenario.extends" and err.file == "<scenario>"


# --- extends and arrays of tables --------------------------------------------------------------

#: A small parent with an [aid] table of three pledges, "a", "b" and "c".
AID_PARENT = STANDALONE + """
[aid.needs]
2026 = 60e9

[aid.items.shell]
unit_cost = 4e3
capacity = 1000
""" + "".join(f"""
[[aid.pledges]]
id = "{ident}"
donor = "{donor}"
program = "{program}"
amount = {amount}
month = "2026-02"
""" for ident, donor, program, amount in (("a", "FRA", "p1", 1e9), ("b", "DEU", "p2", 2e9),
                                           ("c", "POL", "p1", 3e9)))


def _child_of(parent: str, body: str) -> str:
    return f'[scenario]\nname = "child"\nextends = "{parent}"\n{body}'


def _pledge(ident: str, amount: float = 5e8, donor: str = "GBR", **more: str) -> str:
    extra = "".join(f'{key} = "{value}"\n' for key, value in more.items())
    return (f'\n[[aid.pledges]]\nid = "{ident}"\ndonor = "{donor}"\namount = {amount}\n'
            f'month = "2026-03"\n{extra}')


def _ids(scenario: Scenario) -> list[str]:
    return [p.id for p in scenario.aid.pledges]


def test_a_child_adding_a_pledge_keeps_the_sixteen_inherited(write_toml):
    # The case: one [[aid.pledges]] in a child of udcg-2026 dropped the other 16.
    parent = load_scenario("udcg-2026")
    child = load_scenario(write_toml(_child_of("udcg-2026", _pledge("fra-2026", 1e9))))
    assert _ids(child) == [*_ids(parent), "fra-2026"]
    assert sum(p.usd for p in child.aid.pledges) == pytest.approx(
        sum(p.usd for p in parent.aid.pledges) + 1e9)


def test_a_same_id_replaces_the_parent_entry_whole_and_in_place(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    child = load_scenario(write_toml(_child_of("parent.toml", _pledge("b", 7e9, "NLD")),
                                     "child.toml"))
    assert _ids(child) == ["a", "b", "c"]
    b = child.aid.pledges[1]
    assert (b.donor, b.usd, b.program) == ("NLD", 7e9, "general")  # the parent's p2 is gone


def test_remove_true_drops_an_inherited_entry(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    body = '\n[[aid.pledges]]\nid = "a"\nremove = true\n' + _pledge("d")
    child = load_scenario(write_toml(_child_of("parent.toml", body), "child.toml"))
    assert _ids(child) == ["b", "c", "d"]


def test_a_chain_merges_entries_at_every_level(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    write_toml(_child_of("parent.toml", _pledge("d") + '\n[[aid.pledges]]\nid = "b"\n'
                         'remove = true\n'), "middle.toml")
    child = load_scenario(write_toml(_child_of("middle.toml", _pledge("a", 9e9) + _pledge("e")),
                                     "child.toml"))
    assert _ids(child) == ["a", "c", "d", "e"]
    assert child.aid.pledges[0].usd == 9e9


@st.composite
def _entry_edits(draw):
    """A parent's ids and a child's edits of them: (parent ids, [(id, "remove" | "write")])."""
    parent = draw(st.lists(st.sampled_from("abcdefgh"), unique=True, min_size=1, max_size=6))
    edits = draw(st.lists(st.tuples(st.sampled_from("abcdefghijkl"),
                                    st.sampled_from(["remove", "write"])),
                          unique_by=lambda e: e[0], max_size=6))
    return parent, [(i, op) for i, op in edits if op == "write" or i in parent]


@given(_entry_edits())
def test_entries_merge_by_id_as_the_readme_says(tmp_path_factory, edits):
    parent_ids, child_edits = edits
    folder = tmp_path_factory.mktemp("entries")
    (folder / "parent.toml").write_text(STANDALONE + "[aid.needs]\n2026 = 60e9\n" + "".join(
        _pledge(i, 1e9) for i in parent_ids))
    body = "".join(f'\n[[aid.pledges]]\nid = "{i}"\nremove = true\n' if op == "remove"
                   else _pledge(i, 2e9) for i, op in child_edits)
    (folder / "child.toml").write_text(_child_of("parent.toml", body))
    removed = {i for i, op in child_edits if op == "remove"}
    written = [i for i, op in child_edits if op == "write"]
    # The oracle: the parent's order with replacements in place, then the new ids in order.
    expected = [i for i in parent_ids if i not in removed]
    expected += [i for i in written if i not in parent_ids]
    if not expected:
        return  # a scenario needs no pledge, but nothing is left to look at
    child = load_scenario(folder / "child.toml")
    assert _ids(child) == expected
    assert [p.usd for p in child.aid.pledges] == [2e9 if i in written else 1e9 for i in expected]


def test_removing_an_id_the_parent_lacks_names_file_and_key(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    body = _pledge("d") + '\n[[aid.pledges]]\nid = "bb"\nremove = true\n'
    err = _file_error(write_toml, _child_of("parent.toml", body), "child.toml")
    assert err.key == "aid.pledges[1].id"
    assert err.problem == ("removes 'bb', but 'parent.toml' has no entry of that id in "
                           "aid.pledges (did you mean 'b'?)")


def test_removing_in_a_file_that_extends_nothing_is_refused(write_toml):
    text = AID_PARENT + '\n[[aid.pledges]]\nid = "z"\nremove = true\n'
    err = _file_error(write_toml, text)
    assert err.key == "aid.pledges[3].id"
    assert err.problem == ("removes 'z', but this file extends no other: there is nothing to "
                           "remove")


@pytest.mark.parametrize(("entry", "key", "problem"), _by_key(
    ('id = "a"\nremove = false\n', "aid.pledges[0].remove", "must be true"),
    ('id = "a"\nremove = true\ndonor = "FRA"\n', "aid.pledges[0].donor",
     "takes only the id"),
    ("remove = true\n", "aid.pledges[0].id", "required: the id of the inherited entry"),
))
def test_a_removal_names_only_an_id(write_toml, entry, key, problem):
    write_toml(AID_PARENT, "parent.toml")
    err = _file_error(write_toml, _child_of("parent.toml", f"[[aid.pledges]]\n{entry}"),
                      "child.toml")
    assert err.key == key and problem in err.problem


def test_an_id_twice_in_one_file_is_refused(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    err = _file_error(write_toml, _child_of("parent.toml", _pledge("d") + _pledge("e")
                                            + _pledge("d")), "child.toml")
    assert (err.key, err.problem) == ("aid.pledges[2].id", "'d' is already the id of "
                                      "aid.pledges[0]")


def test_an_error_in_an_entry_names_the_file_and_index_that_wrote_it(write_toml):
    parent = write_toml(AID_PARENT.replace('program = "p2"', 'program = "p2"\ncondition = { '
                                           'kind = "others_total_at_least", program = "p1", '
                                           'threshold = 1, unit = "usd", deadline = "2026-06" }'),
                        "parent.toml")
    # Dropping both pledges to p1 breaks the parent's condition on "b", now the first pledge.
    body = "".join(f'\n[[aid.pledges]]\nid = "{i}"\nremove = true\n' for i in "ac")
    err = _error(load_scenario, write_toml(_child_of("parent.toml", body), "child.toml"))
    assert (err.file, err.key) == (str(parent), "aid.pledges[1].condition.program")
    # And a mistake in the child's own entry names the child, at its index there.
    child = write_toml(_child_of("parent.toml", _pledge("d") + _pledge("e", item="missile")),
                       "child2.toml")
    err = _error(load_scenario, child)
    assert (err.file, err.key) == (str(child), "aid.pledges[1].item")


def test_a_plain_array_replaces_the_inherited_entries(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    child = load_scenario(write_toml(_child_of("parent.toml", "[aid]\npledges = []\n"),
                                     "child.toml"))
    assert child.aid.pledges == ()
    assert child.inheritance.describe() == ("extends parent.toml: changes aid.pledges; inherits "
                                            "the rest, with 0 of 3 aid.pledges")


def test_the_inheritance_says_what_a_file_changed(write_toml):
    write_toml(AID_PARENT, "parent.toml")
    body = ("[goal]\ncore = 3.0\n[defaults]\nrelated_base = 1.0\n[defaults.policy]\nnoise = 0.3\n"
            "[allies.DEU]\ncore_base = 2.0\n"
            + _pledge("d") + _pledge("b", 7e9) + '\n[[aid.pledges]]\nid = "c"\nremove = true\n'
            + _pledge("a", 1e9, "FRA", program="p1").replace('month = "2026-03"',
                                                              'month = "2026-02"'))
    child = load_scenario(write_toml(_child_of("parent.toml", body), "child.toml"))
    assert child.inheritance.describe() == (
        # The parent sets related_base; goal.core and the rest it leaves to the defaults.
        "extends parent.toml: changes defaults.related_base; sets goal.core, "
        "defaults.policy.noise, allies.DEU.core_base; "
        "adds aid.pledges[id=d]; replaces aid.pledges[id=b]; removes aid.pledges[id=c]; "
        "inherits the rest, with 1 of 3 aid.pledges")  # "a" is written again unchanged
    assert load_scenario("baseline").inheritance is None
    assert load_scenario("announced").inheritance.describe() == (
        "extends baseline: sets defaults.commitment.credibility, defaults.commitment.spread; "
        "inherits the rest")


# --- typical ranges and warnings ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "problem"), _by_key(
    ("[goal]\ncore = 0.035\n", "goal.core",
     "0.035 is outside the typical range 1-10 (% of GDP); a fraction where a percent is meant?"),
    ("[defaults.policy]\npath = 'custom'\ncustom = { 2030 = 0.035 }\n",
     "defaults.policy.custom.2030",
     "0.035 is outside the typical range 0.3-10 (% of GDP); a fraction where a percent is meant?"),
    ("[goal]\nreview_tolerance = 10\n", "goal.review_tolerance",
     "10 is outside the typical range 0-1 (pp of GDP)"),
    ("[allies.DEU]\ngdp_base = 4500\n", "allies.DEU.gdp_base",
     "4500 is outside the typical range 1e9-1e14 (USD); millions or billions where the full sum "
     "is meant (write 60e9 for 60 billion)?"),
    ("[allies.POL.growth]\ninflation = 0.5\n", "allies.POL.growth.inflation",
     "0.5 is outside the typical range -0.02 to 0.3 (fraction a year)"),
))
def test_an_atypical_value_loads_with_one_warning_line(write_toml, text, key, problem):
    path = write_toml(HEAD + text, "my.toml")
    scenario = load_scenario(path)  # accepted: inside the hard bounds
    (warning,) = scenario.warnings
    assert isinstance(warning, ScenarioWarning) and isinstance(warning, SimError)
    assert (warning.file, warning.key, warning.problem) == (str(path), key, problem)
    assert str(warning) == f"{path}: {key}: {problem}"


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_the_shipped_scenarios_load_without_a_warning(name):
    assert load_scenario(name).warnings == ()


def test_a_parent_value_the_child_overrides_no_longer_warns(write_toml):
    parent = write_toml(HEAD + "[goal]\ncore = 0.035\ntotal = 0.05\n", "parent.toml")
    child = write_toml('[scenario]\nname = "c"\nextends = "parent.toml"\n[goal]\ncore = 3.5\n'
                       "total = 5.0\n", "child.toml")
    assert [w.key for w in load_scenario(parent).warnings] == ["goal.core", "goal.total"]
    assert load_scenario(child).warnings == ()
    # A value still in effect keeps naming the file that wrote it.
    middle = write_toml('[scenario]\nname = "m"\nextends = "parent.toml"\n[goal]\ntotal = 5.0\n',
                        "middle.toml")
    assert [(w.file, w.key) for w in load_scenario(middle).warnings] == [
        (str(parent), "goal.core")]


def test_a_replaced_custom_path_no_longer_warns(write_toml):
    write_toml(HEAD + "[defaults.policy]\npath = 'custom'\ncustom = { 2030 = 0.035 }\n",
               "parent.toml")
    child = write_toml('[scenario]\nname = "c"\nextends = "parent.toml"\n[defaults.policy]\n'
                       "custom = { 2031 = 3.5 }\n", "child.toml")
    assert load_scenario(child).warnings == ()


def test_warnings_of_a_dropped_or_replaced_entry_go_with_it(write_toml):
    write_toml(AID_PARENT.replace(f"amount = {1e9}", "amount = 150"), "parent.toml")
    assert [w.key for w in load_scenario(write_toml(_child_of("parent.toml", ""), "keep.toml"))
            .warnings] == ["aid.pledges[0].amount"]
    for body in ('[[aid.pledges]]\nid = "a"\nremove = true\n', _pledge("a", 1e9)):
        child = write_toml(_child_of("parent.toml", body), "child.toml")
        assert load_scenario(child).warnings == ()


def test_with_values_collects_the_variants_warnings():
    baseline = load_scenario("baseline")
    variant = baseline.with_values({"goal.core": 0.035, "goal.total": 5.0})
    assert [(w.file, w.key) for w in variant.warnings] == [(baseline.source, "goal.core")]
    assert baseline.with_values({"goal.core": 3.0}).warnings == ()
    assert [w.key for w in baseline.check_values({"defaults.policy.noise": 2.0})] == [
        "defaults.policy.noise"]


def _numeric_fields():
    """(class, field) for every number and integer field of the scenario and aid tables."""
    import sim.scenario as scenario_module
    import sim.scenario.aid as aid_model

    found = []
    for module in (scenario_module, aid_model):
        for value in vars(module).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == module.__name__:
                found += [(value, f) for f in attrs.fields(value)
                          if f.metadata.get("kind") in ("number", "integer", "points")]
    return found


@pytest.mark.parametrize(("cls", "field"), _numeric_fields(),
                         ids=[f"{c.__name__}.{f.name}" for c, f in _numeric_fields()])
def test_every_numeric_key_declares_a_unit_and_a_typical_range_within_its_bounds(cls, field):
    lo, hi = field.metadata["typical"]
    assert field.metadata["unit"] and lo < hi
    check = field.validator or (lambda *_: None)
    if field.metadata["kind"] != "points":
        check(None, field, lo)  # the ends of the typical range are allowed values
        check(None, field, hi)


def test_the_readme_units_table_is_the_fields_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert units_table() in readme, "paste sim.scenario.units_table() into the README"
    listed = {(cls, field.name) for _, cls, field in keyed_fields()}
    assert {(cls, field.name) for cls, field in _numeric_fields()} <= listed


@given(st.sampled_from([(c, f) for c, f in _numeric_fields() if c in (Goal, Policy, Growth)
                        and f.metadata["kind"] == "number"]), st.data())
def test_a_warning_exactly_when_a_value_leaves_the_typical_range(field_of, data):
    cls, field = field_of
    table = {Goal: "goal", Policy: "defaults.policy", Growth: "defaults.growth"}[cls]
    lo, hi = field.metadata["typical"]
    bound_lo, bound_hi = (float(b) for b in field.metadata["bounds"][1:-1].split(", "))
    value = data.draw(st.floats(max(bound_lo, lo - 10), min(bound_hi, hi + 10),
                                exclude_min=field.metadata["bounds"][0] == "(",
                                exclude_max=field.metadata["bounds"][-1] == ")"))
    try:
        found = load_scenario("analytic").check_values({f"{table}.{field.name}": value})
    except ScenarioError:
        return  # the ends of an open interval
    assert [w.key for w in found] == ([] if lo <= value <= hi else [f"{table}.{field.name}"])


# --- custom paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key", "problem"), _by_key(
    (HEAD + "[defaults.policy]\npath = 'custom'\n", "defaults.policy.path",
     "'custom' requires a custom table of year = share"),
    (HEAD + "[allies.DEU]\npolicy = { path = 'custom' }\n", "allies.DEU.policy.path",
     "'custom' requires a custom table"),
    (HEAD + "[defaults.related]\npath = 'custom'\n", "defaults.related.path",
     "'custom' requires a custom table"),
    (HEAD + "[defaults.policy]\npath = 'custom'\ncustom = { 2040 = 3.5 }\n",
     "defaults.policy.custom", "year 2040 must lie within 2027-2035"),
    (HEAD + "[allies.DEU]\npolicy = { path = 'custom', custom = { 2026 = 3.0 } }\n",
     "allies.DEU.policy.custom", "year 2026 must lie within 2027-2035"),
    (HEAD + "[defaults.policy]\ncustom = { abc = 3.5 }\n", "defaults.policy.custom.abc",
     "must be a year, e.g. 2030"),
    (HEAD + "[defaults.policy]\ncustom = { -2030 = 3.5 }\n", "defaults.policy.custom.-2030",
     "must be a year"),
    (HEAD + "[defaults.policy]\ncustom = {}\n", "defaults.policy.custom",
     "must be a table of year = share"),
    (HEAD + "[defaults.policy]\ncustom = [3.5]\n", "defaults.policy.custom",
     "must be a table of year = share"),
    (HEAD + "[defaults.policy]\ncustom = { 2030 = '3.5' }\n", "defaults.policy.custom.2030",
     "must be a number, got a string"),
    (HEAD + "[defaults.policy]\ncustom = { 2030 = true }\n", "defaults.policy.custom.2030",
     "must be a number, got a boolean"),
))
def test_custom_path_mistakes(write_toml, text, key, problem):
    err = _file_error(write_toml, text)
    assert err.key == key
    assert err.problem.startswith(problem)


def test_custom_points_are_sorted_by_year(write_toml):
    scenario = load_scenario(write_toml(
        HEAD + "[defaults.policy]\npath = 'custom'\ncustom = { 2033 = 4.0, 2030 = 3.0 }\n"))
    assert scenario.ally("DEU").policy.custom == ((2030, 3.0), (2033, 4.0))


YEARS = np.arange(2026, 2036)


def test_policy_path_custom_interpolates_from_the_base_and_holds_the_last_point():
    policy = Policy(path="custom", custom=((2030, 3.0), (2032, 4.0)))
    path = policy_path(policy, 2.0, YEARS, 2035)
    np.testing.assert_allclose(path, [2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0, 4.0, 4.0, 4.0])


def test_policy_path_linear_reaches_the_target_in_the_goal_year_and_holds_it():
    policy = Policy(path="linear", target=3.5)
    path = policy_path(policy, 2.0, np.arange(2026, 2038), 2035)
    np.testing.assert_allclose(path[:10], 2.0 + 1.5 * np.arange(10) / 9)
    np.testing.assert_allclose(path[9:], 3.5)


def test_policy_path_linear_holds_a_base_above_the_target():
    path = policy_path(Policy(path="linear", target=3.5), 5.33, YEARS, 2035)
    np.testing.assert_array_equal(path, np.full(10, 5.33))


def test_policy_path_flat_holds_the_base():
    path = policy_path(Policy(path="flat", target=3.5), 2.1, YEARS, 2035)
    np.testing.assert_array_equal(path, np.full(10, 2.1))


@given(base=inside(0.0, 10.0), target=inside(0.0, 10.0), goal_year=st.integers(2027, 2035))
def test_policy_path_linear_runs_monotonically_from_base_to_target(base, target, goal_year):
    path = policy_path(Policy(path="linear", target=target), base, YEARS, goal_year)
    assert path.shape == (10,)
    assert path[0] == base
    assert np.all(np.diff(path) >= -1e-12)
    np.testing.assert_allclose(path[goal_year - 2026:], max(base, target), rtol=1e-12)


def test_the_engine_gets_the_shipped_custom_path():
    deu = load_scenario("front-loaded").ally("DEU")
    path = policy_path(deu.policy, deu.core_base, YEARS, 2035)
    np.testing.assert_allclose(path[:5], np.linspace(2.69, 3.5, 5))
    np.testing.assert_allclose(path[4:], 3.5)


# --- files that are not scenarios --------------------------------------------------------------


def test_malformed_toml_is_one_line_naming_the_file(write_toml):
    err = _file_error(write_toml, '[scenario]\nname = "t\n')
    assert err.key is None
    assert err.problem.startswith("not valid TOML: ")
    assert "line 2" in err.problem


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n"])
def test_an_empty_file_says_it_is_empty(write_toml, text):
    err = _file_error(write_toml, text)
    assert err.key is None and err.problem.startswith("is empty")


def test_a_file_without_a_name(write_toml):
    err = _file_error(write_toml, '[goal]\ncore = 3.5\n')
    assert err.key == "scenario.name" and err.problem.startswith("required")


def test_a_nonexistent_path(tmp_path):
    missing = tmp_path / "nope.toml"
    err = _error(load_scenario, missing)
    assert err.file == str(missing) and err.key is None
    assert err.problem.startswith("no such file or shipped scenario (shipped: ")
    err = _error(Scenario.from_file, missing)
    assert (err.file, err.problem) == (str(missing), "no such file")


def test_a_misspelt_shipped_name():
    err = _error(load_scenario, "baselin")
    assert err.file == "baselin" and "did you mean 'baseline'?" in err.problem


def test_a_folder_is_not_a_scenario(tmp_path):
    err = _error(load_scenario, tmp_path)
    assert err.problem == "is not a file"


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[scenario]\nname = "Türkiye"\n'.encode("latin-1"))
    err = _error(load_scenario, path)
    assert err.file == str(path) and err.problem.startswith("cannot be read")


def test_related_base_missing_everywhere_is_named(write_toml):
    err = _file_error(write_toml, '[scenario]\nname = "t"\nallies = ["POL", "DEU"]\n')
    assert err.key == "allies.DEU.related_base"
    assert "defaults.related_base" in err.problem


def test_a_standalone_file_loads(write_toml):
    scenario = load_scenario(write_toml(STANDALONE))
    assert scenario.codes == ("DEU", "POL")
    assert scenario.ally("POL").related_base == 0.5
    assert scenario.goal == Goal()  # the Hague defaults


def test_from_mapping_validates_like_a_file():
    doc = {"scenario": {"name": "m", "allies": ["DEU"]}, "defaults": {"related_base": 0.0}}
    scenario = Scenario.from_mapping(doc)
    assert scenario.codes == ("DEU",) and scenario.source == "<scenario>"
    assert doc == {"scenario": {"name": "m", "allies": ["DEU"]},
                   "defaults": {"related_base": 0.0}}  # the argument is left alone
    err = _error(Scenario.from_mapping, {"scenario": "m"})
    assert err.key == "scenario" and err.problem == "must be a table, got a string"
    bad = {"scenario": {"name": "n"}, "goal": {"core": True}}
    err = _error(lambda: Scenario.from_mapping(bad, file="nb"))
    assert (err.file, err.key) == ("nb", "goal.core")


def test_the_attrs_classes_have_documented_defaults():
    # The defaults a scenario inherits when it sets nothing (SPEC 5 sketch).
    assert Policy() == Policy(path="linear", adjustment=0.35, noise=0.10, floor=0.0)
    assert Growth().persistence == 0.4 and Growth().common == 0.5
    assert Meta().base_year == 2026 and Meta().horizon is None
    assert AllySettings().related_base is None


# --- variants and digests ----------------------------------------------------------------------


def test_with_values_returns_a_revalidated_variant():
    analytic = load_scenario("analytic")
    variant = analytic.with_values({"defaults.policy.adjustment": 0.7, "goal.core": 3.0})
    assert variant.ally("DEU").policy.adjustment == 0.7
    assert variant.ally("POL").policy.adjustment == 1.0  # POL's own table still wins
    assert variant.goal.core == 3.0 and variant.ally("DEU").policy.target == 3.0
    assert analytic.ally("DEU").policy.adjustment == 0.5  # the original is untouched
    assert variant.name == "analytic" and variant.source == analytic.source
    assert variant != analytic


def test_with_values_can_add_an_ally_table():
    baseline = load_scenario("baseline")
    variant = baseline.with_values({"allies.DEU.policy.adjustment": 0.5})
    assert variant.ally("DEU").policy.adjustment == 0.5
    assert variant.ally("FRA").policy.adjustment == baseline.ally("FRA").policy.adjustment


@pytest.mark.parametrize(("values", "key", "problem"), _by_key(
    ({"defaults.policy.adjustment": 1.5}, "defaults.policy.adjustment",
     "must be between 0.0 and 1.0, got 1.5"),
    ({"defaults.policy.adjustment": "0.5"}, "defaults.policy.adjustment",
     "must be a number, got a string"),
    ({"defaults.policy.adjustmnet": 0.5}, "defaults.policy.adjustmnet",
     "unknown key (did you mean 'adjustment'?)"),
    ({"allies.XYZ.core_base": 2.0}, "allies.XYZ", "unknown ally code 'XYZ'"),
    ({"goal.year": 2020}, "goal.year", "must be between 2027 and 2076"),
))
def test_with_values_refuses_bad_values(values, key, problem):
    baseline = load_scenario("baseline")
    err = _error(baseline.with_values, values)
    assert (err.file, err.key) == (baseline.source, key)
    assert err.problem.startswith(problem)


def test_with_values_through_a_value_that_is_not_a_table():
    err = _error(load_scenario("baseline").with_values, {"goal.core.x": 1.0})
    assert (err.file, err.key) == ("<values>", "goal.core.x")


@settings(max_examples=20, deadline=None)
@given(credibility=st.floats(0.2, 0.9), adjustment=st.sampled_from([0.1, 0.35, 0.1, -0.0, 0.0]),
       growth=st.one_of(st.floats(-0.03, 0.07), st.integers(0, 0)))
def test_variants_one_after_another_equal_a_fresh_scenarios_variant(credibility, adjustment,
                                                                     growth):
    # A sweep builds variant after variant of one base, reusing the tables built before: each
    # is what the base read afresh gives, and the base's own document is never written into.
    baseline = load_scenario("baseline")
    document = copy.deepcopy(dict(baseline.document))
    values = {"defaults.commitment.credibility": credibility,
              "allies.DEU.related.adjustment": adjustment, "defaults.growth.mean": growth}
    variant = baseline.with_values(values)
    schema._BUILT.clear()
    scenario_module._MERGED_BUILT.clear()
    scenario_module._FILLED.clear()
    fresh = load_scenario("baseline").with_values(values)
    assert variant == fresh
    assert (variant.document, variant.warnings) == (fresh.document, fresh.warnings)
    for ours, theirs in zip(variant.allies, fresh.allies, strict=True):
        assert repr(attrs.asdict(ours)) == repr(attrs.asdict(theirs))  # -0.0 apart from 0.0
    assert baseline.document == document
    assert baseline.with_values({}) == baseline


def test_a_variant_builds_again_only_the_tables_its_values_change(monkeypatch):
    # Each ally's tables that a variant leaves as they were are the objects built before, found
    # by the contents of the fitted and the written table, without merging or building them.
    baseline = load_scenario("baseline")
    baseline.with_values({"defaults.commitment.credibility": 0.61})
    built = []
    build = schema.build
    monkeypatch.setattr(schema, "build", lambda cls, table, key, *args, **kwargs: built.append(
        (cls.__name__, key)) or build(cls, table, key, *args, **kwargs))
    variant = baseline.with_values({"defaults.commitment.credibility": 0.62})
    per_ally = {(name, key.split(".", 2)[-1]) for name, key in built
                if key.startswith("allies.")}
    assert per_ally == {("Commitment", "commitment")}
    for ours, theirs in zip(variant.allies, baseline.allies, strict=True):
        assert ours.commitment.credibility == 0.62
        assert (ours.plans, ours.fiscal, ours.shocks) == (theirs.plans, theirs.fiscal,
                                                          theirs.shocks)


def test_tables_with_nothing_to_fill_in_are_the_objects_built_before():
    # A growth table with its mean and deflator set, and a policy with its target set, are
    # resolved without a copy: two variants that differ elsewhere hold the same objects.
    baseline = load_scenario("baseline")
    values = {"defaults.growth.mean": 0.012, "defaults.growth.deflator": 0.021,
              "defaults.related.path": "linear", "defaults.related.target": 1.4}
    one = baseline.with_values({**values, "defaults.commitment.credibility": 0.3})
    two = baseline.with_values({**values, "defaults.commitment.credibility": 0.4})
    for first, second in zip(one.allies, two.allies, strict=True):
        assert first.growth is second.growth and first.related is second.related
        assert (first.growth.mean, first.related.target) == (0.012, 1.4)


def test_growth_filled_in_is_the_object_filled_in_before():
    # A growth table whose deflator (or mean) comes from the data is filled in once: two
    # variants that differ elsewhere hold the same object; another mean fills in another.
    baseline = load_scenario("baseline")
    one = baseline.with_values({"defaults.growth.mean": 0.013,
                                "defaults.commitment.credibility": 0.3})
    two = baseline.with_values({"defaults.growth.mean": 0.013,
                                "defaults.commitment.credibility": 0.4})
    three = baseline.with_values({"defaults.growth.mean": 0.014,
                                  "defaults.commitment.credibility": 0.4})
    for first, second, third in zip(one.allies, two.allies, three.allies, strict=True):
        assert first.growth is second.growth and first.growth.deflator is not None
        assert third.growth is not second.growth and third.growth.mean == 0.014


def test_tables_built_before_are_found_by_the_numbers_of_their_contents():
    # The key of a table built before holds a number for each table's contents, not the
    # contents (every value hashed again for each ally); contents that equality would not tell
    # apart (0.0 and -0.0, 1 and 1.0) have numbers of their own.
    baseline = load_scenario("baseline")
    baseline.with_values({"defaults.commitment.credibility": 0.63})
    assert scenario_module._MERGED_BUILT
    for cls, *numbers in scenario_module._MERGED_BUILT:
        assert isinstance(cls, type) and all(n is None or type(n) is int for n in numbers)
    token = scenario_module._contents_token
    assert len({token(schema.contents({"x": v})) for v in (0.0, -0.0, 0, False)}) == 4
    assert token(schema.contents({"x": 1.5})) == token(schema.contents({"x": 1.5}))
    assert token(None) is None


def test_the_calibrated_keys_are_found_once_for_the_keys_a_sweep_writes():
    # Variants writing the same keys leave the same fitted keys calibrated: found once, and
    # found anew where an ally's own table writes one of them.
    baseline = load_scenario("baseline")
    one = baseline.with_values({"defaults.commitment.credibility": 0.33})
    two = baseline.with_values({"defaults.commitment.credibility": 0.34})
    for first, second in zip(one.allies, two.allies, strict=True):
        assert first.calibrated is second.calibrated and first.calibrated
    own = baseline.with_values({"allies.DEU.growth.sd": 0.02})
    assert "growth.sd" in one.ally("DEU").calibrated
    assert "growth.sd" not in own.ally("DEU").calibrated
    assert own.ally("FRA").calibrated == baseline.ally("FRA").calibrated


def test_the_fitted_tables_are_read_once_for_all_variants(monkeypatch):
    # While the parameter file's document is the one read, its tables are not read again; a
    # new document (the file read again) is.
    baseline = load_scenario("baseline")
    read = []
    table = scenario_module.calibrated_table
    monkeypatch.setattr(scenario_module, "calibrated_table",
                        lambda code: read.append(code) or table(code))
    variant = baseline.with_values({"defaults.growth.mean": 0.011})
    assert read == []
    load_parameters.cache_clear()
    try:
        assert baseline.with_values({"defaults.growth.mean": 0.011}) == variant
        assert read == list(baseline.codes)
    finally:
        load_parameters.cache_clear()


@settings(max_examples=10, deadline=None)
@given(values=st.dictionaries(
    st.sampled_from(["allies.DEU.growth.mean", "allies.FRA.growth.mean", "allies.POL.policy.noise",
                     "allies.DEU.commitment.spread", "defaults.growth.mean",
                     "allies.ITA.commitment.spread", "allies.FRA.policy.noise"]),
    st.sampled_from([0.01, 0.02, 0.0, -0.0, 0.15]), max_size=5))
def test_variants_with_allies_own_tables_equal_fresh_ones(values):
    # Allies' own tables are merged anew for each ally: no ally's table is taken for another's.
    variant = load_scenario("baseline").with_values(values)
    schema._BUILT.clear()
    scenario_module._MERGED_BUILT.clear()
    scenario_module._FILLED.clear()
    fresh = load_scenario("baseline").with_values(values)
    for ours, theirs in zip(variant.allies, fresh.allies, strict=True):
        assert repr(attrs.asdict(ours)) == repr(attrs.asdict(theirs))


def test_with_values_on_a_scenario_that_extends():
    front = load_scenario("front-loaded")
    variant = front.with_values({"defaults.policy.custom": {"2031": 3.5}})
    assert variant.ally("DEU").policy.custom == ((2031, 3.5),)
    assert variant.ally("EST").policy.path == "flat"


def test_sha256_is_stable_for_equal_documents(write_toml):
    text = HEAD + "[defaults.policy]\nnoise = 0.2\n"
    one, two = write_toml(text, "one.toml"), write_toml(text, "two.toml")
    assert load_scenario(one).sha256 == load_scenario(two).sha256
    baseline = load_scenario("baseline")
    assert baseline.sha256 == load_scenario("baseline").sha256
    # Setting a value to what the file already says leaves the document, and digest, unchanged.
    assert baseline.with_values({"goal.review_tolerance": 0.1}).sha256 == baseline.sha256


def test_sha256_changes_when_a_value_changes(write_toml):
    baseline = load_scenario("baseline")
    changed = baseline.with_values({"defaults.policy.adjustment": 0.5})
    assert changed.sha256 != baseline.sha256
    assert len({load_scenario(name).sha256 for name in shipped_scenarios()}) == len(
        shipped_scenarios())
    a = load_scenario(write_toml(HEAD + "[defaults.policy]\nnoise = 0.2\n", "a.toml"))
    b = load_scenario(write_toml(HEAD + "[defaults.policy]\nnoise = 0.3\n", "b.toml"))
    assert a.sha256 != b.sha256


# --- settings that cannot take effect ---------------------------------------------------------


def test_a_path_for_an_ally_whose_adjustment_is_0_says_it_cannot_take_effect(write_toml):
    # The United States' adjustment is fitted at 0: without plans and the commitment (which
    # replace SPEC 3.2 in the baseline), a path set for it changes no number.
    head = without_layers(write_toml, "plans", "commitment")
    path = write_toml(head + '[allies.USA.policy]\npath = "flat"\n')
    (warning,) = load_scenario(path).warnings
    assert (warning.file, warning.key) == (str(path), "allies.USA.policy.path")
    assert warning.problem.startswith("cannot take effect for USA: policy.adjustment is 0 "
                                      "(calibrated)")
    assert "set allies.USA.policy.adjustment above 0" in warning.problem


def test_a_path_with_an_adjustment_above_0_acts_and_is_not_warned_about(write_toml):
    head = without_layers(write_toml, "plans", "commitment")
    path = write_toml(head + '[allies.USA.policy]\npath = "flat"\nadjustment = 0.3\n')
    assert load_scenario(path).warnings == ()


@pytest.mark.parametrize(("table", "name", "value"), [
    ("policy", "target", "3.0"), ("related", "path", '"flat"'),
    ("policy", "custom", "{ 2030 = 3.0 }")])
def test_a_path_set_with_an_adjustment_set_to_0_is_warned_about_as_set(write_toml, table, name,
                                                                       value):
    extra = '\npath = "custom"' if name == "custom" else ""
    head = without_layers(write_toml, "plans", "commitment")  # SPEC 3.2 alone for the core
    path = write_toml(head + f"[allies.DEU.{table}]\nadjustment = 0.0\n{name} = {value}{extra}\n")
    keys = {w.key: w.problem for w in load_scenario(path).warnings}
    assert keys[f"allies.DEU.{table}.{name}"].startswith(
        f"cannot take effect for DEU: {table}.adjustment is 0 (as set)")
