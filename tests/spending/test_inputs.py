"""The arrays of a sweep's variants, built one after another, are those of each built alone."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

import sim.scenario as scenario_module
import sim.spending.inputs as inputs_module
from sim import schema
from sim.data import prices
from sim.mechanisms import commitment, fiscal, plans
from sim.resources import scenarios_dir
from sim.scenario import load_scenario
from sim.spending.inputs import ModelInputs
from sim.sweeps.spec import SweepSpec


def _arrays(value, name=""):
    """Every array of a ModelInputs (or of a mechanism's NamedTuple), by dotted name."""
    if isinstance(value, np.ndarray):
        yield name, value
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _arrays(getattr(value, field.name), f"{name}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arrays(item, f"{name}.{key}")
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        for key, item in zip(value._fields, value, strict=True):
            yield from _arrays(item, f"{name}.{key}")


def _fresh(base_name, values):
    """The variant's arrays with nothing kept from anything built before."""
    for kept in (schema._BUILT, scenario_module._MERGED_BUILT, scenario_module._FITTED,
                 scenario_module._RESOLVED, scenario_module._FILLED, scenario_module._UNSET,
                 scenario_module._CONTENT_TOKENS, plans._LAID_OUT, inputs_module._PATHS,
                 prices._MEANS, commitment._BUDGETS, fiscal._TERMS):
        kept.clear()
    return ModelInputs.from_scenario(load_scenario(base_name).with_values(values))


@pytest.mark.parametrize("sweep", ["credibility-growth", "sensitivity"])
def test_shipped_sweeps_variants_arrays_are_those_built_afresh(sweep):
    spec = SweepSpec.from_file(scenarios_dir() / "sweeps" / f"{sweep}.toml")
    base = spec.base
    variants = spec.variants()[:12]
    built = [ModelInputs.from_scenario(base.with_values(values)) for values in variants]
    for values, inputs in zip(variants, built, strict=True):
        fresh = dict(_arrays(_fresh("baseline", values)))
        ours = dict(_arrays(inputs))
        assert ours.keys() == fresh.keys()
        for name, array in ours.items():
            assert array.dtype == fresh[name].dtype and array.shape == fresh[name].shape, name
            assert array.tobytes() == fresh[name].tobytes(), (values, name)


def test_plans_are_laid_out_again_only_where_what_they_read_changes(monkeypatch):
    # A variant changing what no plan reads (credibility) lays no plan out again; one changing
    # inflation lays out every ally's.
    baseline = load_scenario("baseline")
    ModelInputs.from_scenario(baseline.with_values({"defaults.commitment.credibility": 0.5}))
    laid = []
    columns = plans._plan_columns
    monkeypatch.setattr(plans, "_plan_columns",
                        lambda ally, *args: laid.append(ally.code) or columns(ally, *args))
    ModelInputs.from_scenario(baseline.with_values({"defaults.commitment.credibility": 0.6}))
    assert laid == []
    inputs = ModelInputs.from_scenario(baseline.with_values({"defaults.growth.inflation": 0.01}))
    assert len(laid) == int((inputs.mechanisms["plans"].last > 0).sum())


def test_budgets_are_stacked_again_only_where_what_they_read_changes(monkeypatch):
    # A variant changing what no budget reads (credibility) stacks none again, and its arrays
    # are its own; one changing inflation stacks every ally's budget.
    baseline = load_scenario("baseline")
    before = ModelInputs.from_scenario(
        baseline.with_values({"defaults.commitment.credibility": 0.5}))
    stacked = []
    terms = plans.budget_terms
    monkeypatch.setattr(plans, "budget_terms",
                        lambda ally, *args: stacked.append(ally.code) or terms(ally, *args))
    after = ModelInputs.from_scenario(
        baseline.with_values({"defaults.commitment.credibility": 0.6}))
    assert stacked == []
    for name in ("coef", "ref"):
        ours, theirs = (getattr(i.mechanisms["commitment"], name) for i in (before, after))
        assert ours is not theirs and ours.tobytes() == theirs.tobytes()
    inputs = ModelInputs.from_scenario(
        baseline.with_values({"defaults.growth.inflation": 0.0123}))
    assert set(stacked) == set(inputs.codes)


def test_fiscal_terms_are_made_again_only_where_what_they_read_changes():
    # A variant changing what no fiscal term reads (credibility) makes none again, and its
    # arrays are its own; one changing inflation makes them anew.
    baseline = load_scenario("baseline")
    before = ModelInputs.from_scenario(
        baseline.with_values({"defaults.commitment.credibility": 0.51}))
    made = len(fiscal._TERMS)
    after = ModelInputs.from_scenario(
        baseline.with_values({"defaults.commitment.credibility": 0.52}))
    assert len(fiscal._TERMS) == made
    for name in fiscal.FiscalArrays._fields:
        ours, theirs = (getattr(i.mechanisms["fiscal"], name) for i in (before, after))
        assert ours is not theirs and ours.tobytes() == theirs.tobytes()
    ModelInputs.from_scenario(baseline.with_values({"defaults.growth.inflation": 0.0137}))
    assert len(fiscal._TERMS) == made + 1


def test_policies_and_their_paths_are_resolved_and_laid_out_once_for_all_variants(
        monkeypatch):
    # Variants that change neither policy (credibility) hold the resolved policies of the
    # variant before, and lay out no path again; one changing the core goal resolves them anew.
    baseline = load_scenario("baseline")
    one = baseline.with_values({"defaults.commitment.credibility": 0.45})
    ModelInputs.from_scenario(one)
    laid = []
    path = inputs_module.policy_path
    monkeypatch.setattr(inputs_module, "policy_path",
                        lambda *args: laid.append(args) or path(*args))
    two = baseline.with_values({"defaults.commitment.credibility": 0.55})
    ModelInputs.from_scenario(two)
    assert laid == []
    for first, second in zip(one.allies, two.allies, strict=True):
        assert first.policy is second.policy and first.related is second.related
    three = baseline.with_values({"goal.core": 3.0})
    ModelInputs.from_scenario(three)
    assert len(laid) == 2 * len(three.allies)
    assert {ally.policy.target for ally in three.allies} == {3.0}
