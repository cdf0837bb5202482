"""Settings of the planning layers that cannot take effect (issue 13, point 8): the loader warns
at the file and the key that wrote them, and only where no year of the model reads them.

The baseline has every layer on, so a test of a layer that is off builds on a parent file that
switches it off (:func:`variants.without_layers`) and sets the layer's key in a file extending it.
"""

from __future__ import annotations

import pytest
from invoke import summit
from variants import without_layers

from sim.scenario import load_scenario

HEAD = '[scenario]\nname = "t"\nextends = "baseline"\n'
#: A child of ``analytic``, which switches threat events off (as a variant would).
ANALYTIC_HEAD = '[scenario]\nname = "t"\nextends = "analytic"\n'

#: One setting of each mechanism's table, inside its typical range.
SETTINGS = {"plans": "lag = 2", "commitment": "spread = 2.0", "fiscal": "elasticity = 0.3",
            "shocks": "rate = 0.3"}


def _warnings(write_toml, text: str) -> dict[str, tuple[str, str]]:
    path = write_toml(text)
    return {w.key: (w.file, w.problem) for w in load_scenario(path).warnings}


def _problem(write_toml, text: str, key: str) -> str:
    return _warnings(write_toml, text)[key][1]


@pytest.mark.parametrize("table", SETTINGS)
@pytest.mark.parametrize("scope", ["defaults", "allies.DEU"])
def test_a_setting_of_a_table_that_is_off_cannot_take_effect(write_toml, table, scope):
    name = SETTINGS[table].split()[0]
    text = without_layers(write_toml, table) + f"[{scope}.{table}]\n{SETTINGS[table]}\n"
    found = _warnings(write_toml, text)
    key = f"{scope}.{table}.{name}"
    who = " for DEU" if scope == "allies.DEU" else ""
    assert found[key][0] == str(write_toml(text))
    assert found[key][1].startswith(f"cannot take effect{who}: {table}.enabled is false")
    assert _warnings(write_toml, text + "enabled = true\n") == {}


def test_a_defaults_setting_acts_where_one_ally_has_the_table_on(write_toml):
    text = (without_layers(write_toml, "fiscal")
            + "[defaults.fiscal]\nelasticity = 0.3\n[allies.ITA.fiscal]\nenabled = true\n")
    assert _warnings(write_toml, text) == {}


def test_a_plan_in_money_for_an_ally_with_plans_off_cannot_take_effect(write_toml):
    found = _warnings(write_toml, without_layers(write_toml, "plans")
                      + "[allies.DEU.plans]\nmoney = { 2026 = 108.2, 2029 = 152.8 }\n")
    assert list(found) == ["allies.DEU.plans.money"]
    assert found["allies.DEU.plans.money"][1].startswith(
        "cannot take effect for DEU: plans.enabled is false")


def test_a_table_switched_off_on_purpose_is_not_warned_about(write_toml):
    # In the same file as its settings, or in a variant of a file that sets them.
    assert _warnings(write_toml, HEAD + "[defaults.fiscal]\nenabled = false\n"
                     "elasticity = 0.3\n") == {}
    parent = write_toml(HEAD.replace('"t"', '"p"') + "[defaults.fiscal]\nenabled = true\n"
                        "elasticity = 0.3\n", "parent.toml")
    child = write_toml(f'[scenario]\nname = "c"\nextends = "{parent.name}"\n'
                       "[defaults.fiscal]\nenabled = false\n", "child.toml")
    assert load_scenario(child).warnings == ()


def test_a_setting_written_after_its_table_was_switched_off_is_warned_about(write_toml):
    # analytic.toml switches threat events off; a file extending it that sets their rate
    # cannot have meant it to be ignored.
    found = _warnings(write_toml, ANALYTIC_HEAD + "[allies.DEU.shocks]\nrate = 0.3\n")
    assert list(found) == ["allies.DEU.shocks.rate"]


def test_an_adjustment_under_the_commitment_cannot_take_effect(write_toml):
    adjustment = "[allies.DEU.policy]\nadjustment = 0.3\n"
    found = _warnings(write_toml, HEAD + adjustment)  # the baseline has the commitment on
    assert list(found) == ["allies.DEU.policy.adjustment"]
    assert found["allies.DEU.policy.adjustment"][1].startswith(
        "cannot take effect for DEU: with commitment enabled, spending follows the plan")
    assert "commitment.follow" in found["allies.DEU.policy.adjustment"][1]
    # Without the commitment, SPEC 3.2's adjustment moves the share after Germany's plan (2029).
    assert _warnings(write_toml, without_layers(write_toml, "commitment") + adjustment) == {}


def test_an_adjustment_where_the_plan_covers_every_year_cannot_take_effect(write_toml):
    # Plans on and the commitment off: the plan, then SPEC 3.2 with the adjustment.
    plans = without_layers(write_toml, "commitment") + "[allies.DEU.policy]\nadjustment = 0.3\n"
    found = _warnings(write_toml, plans + 'path = "flat"\n')  # a plan to the horizon
    assert found["allies.DEU.policy.adjustment"][1].startswith(
        "cannot take effect for DEU: the plan covers every year to the horizon")
    # A plan to 2029: SPEC 3.2's adjustment moves the share after it.
    assert _warnings(write_toml, plans + 'path = "custom"\ncustom = { 2029 = 3.0 }\n') == {}


def test_a_deflator_nothing_uses_cannot_take_effect(write_toml):
    text = without_layers(write_toml, "plans", "fiscal") + "[allies.DEU.growth]\ndeflator = 0.02\n"
    found = _warnings(write_toml, text)
    assert list(found) == ["allies.DEU.growth.deflator"]
    assert found["allies.DEU.growth.deflator"][1].startswith(
        "cannot take effect for DEU: only a plan in money (plans) and fiscal space (fiscal)")
    # A plan in shares does not use it either; Germany's announced plan in money does, and so
    # does fiscal space.
    shares = text + '[allies.DEU.policy]\npath = "custom"\ncustom = { 2030 = 3.0 }\n'
    assert list(_warnings(write_toml, shares + "[defaults.plans]\nenabled = true\n")) == [
        "allies.DEU.growth.deflator"]
    assert _warnings(write_toml, text + '[allies.DEU.policy]\npath = "announced"\n'
                     "[defaults.plans]\nenabled = true\n") == {}
    assert _warnings(write_toml, text + "[allies.DEU.fiscal]\nenabled = true\n") == {}


def test_a_us_path_that_is_a_plan_acts_despite_the_fitted_adjustment_of_0(write_toml):
    path = '[allies.USA.policy]\npath = "flat"\n'
    assert _warnings(write_toml, HEAD + path) == {}  # the baseline: a plan, then the commitment
    # Plans and commitment off: SPEC 3.2 at an adjustment of 0.
    flat = without_layers(write_toml, "plans", "commitment") + path
    assert list(_warnings(write_toml, flat)) == ["allies.USA.policy.path"]
    assert _warnings(write_toml, flat + "[defaults.plans]\nenabled = true\n") == {}
    assert _warnings(write_toml, flat + "[defaults.plans]\nenabled = true\n"
                     "[defaults.commitment]\nenabled = true\n") == {}
    # A linear path is no plan: with plans on it is still SPEC 3.2 at an adjustment of 0.
    linear = without_layers(write_toml, "commitment") + '[allies.USA.policy]\npath = "linear"\n'
    assert _problem(write_toml, linear, "allies.USA.policy.path").startswith(
        "cannot take effect for USA: policy.adjustment is 0 (calibrated)")


def test_a_target_acts_through_the_commitment(write_toml):
    target = "[allies.USA.policy]\ntarget = 3.0\n"
    assert _warnings(write_toml, HEAD + target) == {}  # the baseline has the commitment on
    off = without_layers(write_toml, "commitment") + target  # the US has no plan: SPEC 3.2 at 0
    assert list(_warnings(write_toml, off)) == ["allies.USA.policy.target"]
    assert _warnings(write_toml, off + "[defaults.commitment]\nenabled = true\n") == {}


def test_a_path_the_commitment_replaces_cannot_take_effect(write_toml):
    # Commitment on (as in the baseline) and plans off: intent follows the commitment from 2027,
    # whatever the path.
    text = without_layers(write_toml, "plans") + '[allies.USA.policy]\npath = "flat"\n'
    assert _problem(write_toml, text, "allies.USA.policy.path").startswith(
        "cannot take effect for USA: plans.enabled is false, so intent follows the commitment")
    assert _warnings(write_toml, text + "[defaults.plans]\nenabled = true\n") == {}


def test_validate_strict_exits_2_on_a_setting_that_cannot_take_effect(capsys, write_toml):
    text = without_layers(write_toml, "fiscal") + "[allies.DEU.fiscal]\nelasticity = 0.3\n"
    path = write_toml(text, "inert.toml")
    line = (f"{path}: allies.DEU.fiscal.elasticity: cannot take effect for DEU: "
            "fiscal.enabled is false; set fiscal.enabled = true for it to act")
    code, _, err = summit(capsys, "validate", str(path))
    assert code == 0 and err.splitlines() == [line]
    code, _, err = summit(capsys, "validate", "--strict", str(path))
    assert code == 2 and err.splitlines() == [line]


def test_an_exposure_for_an_ally_off_the_frontline_cannot_take_effect(write_toml):
    found = _warnings(write_toml, HEAD + "[allies.DEU.shocks]\nexposure = 2.0\n")
    assert list(found) == ["allies.DEU.shocks.exposure"]
    assert found["allies.DEU.shocks.exposure"][1].startswith(
        "cannot take effect for DEU: exposure scales the events of an ally bordering Russia")
    # Poland borders Russia (Kaliningrad); the defaults reach it, so they act.
    assert _warnings(write_toml, HEAD + "[allies.POL.shocks]\nexposure = 2.0\n") == {}
    assert _warnings(write_toml, HEAD + "[defaults.shocks]\nexposure = 2.0\n") == {}
    # An alliance with no frontline ally: the defaults' exposure acts for none.
    text = HEAD.replace('extends = "baseline"\n', 'extends = "baseline"\nallies = ["DEU", "FRA"]\n')
    assert list(_warnings(write_toml, text + "[defaults.shocks]\nexposure = 2.0\n")) == [
        "defaults.shocks.exposure"]


def test_the_exposure_moves_a_frontline_allys_events_only():
    # What an event adds to intent: size for every ally, size * (1 + exposure) for Poland.
    from sim.mechanisms import threat

    scenario = load_scenario("baseline")
    base = threat.arrays(scenario)
    more = threat.arrays(scenario.with_values({"defaults.shocks.exposure": 3.0}))
    assert base is not None and more is not None
    codes = scenario.codes
    pol, deu = codes.index("POL"), codes.index("DEU")
    size = scenario.allies[pol].shocks.size
    follow = scenario.allies[pol].commitment.follow
    assert more.pull[pol] == pytest.approx(follow * size * 4.0)
    assert more.jump_size[pol] == pytest.approx(size * 4.0 * (1 - follow))
    assert more.pull[deu] == base.pull[deu] and more.jump_size[deu] == base.jump_size[deu]
    assert more.pull[pol] > base.pull[pol]
