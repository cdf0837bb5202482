"""The TOML schema: field kinds checked key by key, and the import graph it keeps acyclic."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import attrs
import grimp
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim import schema
from sim.errors import ScenarioError, ScenarioWarning

PACKAGE = Path(sim.__file__).parent


def _known(code: object, key: str, file: str) -> None:
    if code not in ("AB", "CD"):
        raise ScenarioError(file, key, f"unknown code {code!r}")


@attrs.frozen
class Inner:
    flag: bool = schema.boolean(False)


@attrs.frozen
class Sample:
    share: float = schema.number(0.5, 0.0, 1.0, typical=(0.1, 0.9), unit="fraction")
    count: int = schema.integer(1, 0, 10, typical=(1, 5), unit="units")
    kind: str = schema.string("a", ("a", "b"))
    path: tuple[tuple[int, float], ...] = schema.points(typical=(1.0, 10.0), unit="% of GDP")
    members: tuple[str, ...] | None = schema.codes(_known)
    inner: Inner = attrs.field(factory=Inner, metadata={"kind": "table"})


def _problem(table: dict, key: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        schema.build(Sample, table, "t", "f.toml")
    assert caught.value.file == "f.toml"
    assert caught.value.key == key
    return caught.value.problem


def test_a_table_builds_its_class_with_every_kind():
    built = schema.build(Sample, {"share": 1, "count": 2, "kind": "b", "path": {"2031": 3,
                         "2030": 2.5}, "members": ["AB"], "inner": {"flag": True}}, "t", "f")
    assert built == Sample(1.0, 2, "b", ((2030, 2.5), (2031, 3.0)), ("AB",), Inner(True))
    assert isinstance(built.share, float)


@pytest.mark.parametrize(("table", "key", "problem"), [
    ({"shar": 0.5}, "t.shar", "unknown key (did you mean 'share'?); t takes share, count, kind, "
     "path, members, inner"),
    ({"share": True}, "t.share", "must be a number, got a boolean"),
    ({"share": float("nan")}, "t.share", "must be a finite number, got nan"),
    ({"share": 1.5}, "t.share", "must be between 0.0 and 1.0, got 1.5"),
    ({"count": 2.0}, "t.count", "must be an integer, got a number"),
    ({"kind": "c"}, "t.kind", "must be one of 'a', 'b', got 'c'"),
    ({"members": ["AB", "XY"]}, "t.members[1]", "unknown code 'XY'"),
    ({"members": ["AB", "AB"]}, "t.members", "lists an ally twice"),
    ({"path": {"2030": 100}}, "t.path.2030", "must be between 0 and 100, got 100"),
    ({"inner": {"flag": 1}}, "t.inner.flag", "must be true or false, got an integer"),
    ({"inner": []}, "t.inner", "must be a table, got an array"),
])
def test_each_mistake_is_one_located_error(table, key, problem):
    assert _problem(table, key) == problem


@given(share=st.one_of(st.floats(0.0, 1.0), st.integers(0, 1)), count=st.integers(0, 10))
def test_a_table_built_again_is_the_same_object_and_equals_a_fresh_build(share, count):
    # A sweep's variants build every ally's unchanged tables again: a table of plain values
    # gives the object built before, which is what building it anew gives, to the bit.
    table = {"share": share, "count": count, "kind": "b"}
    first = schema.build(Sample, table, "t", "f")
    again = schema.build(Sample, dict(table), "elsewhere", "g")
    assert again is first
    fresh = Sample(float(share), count, "b")
    assert again == fresh
    assert math.copysign(1.0, again.share) == math.copysign(1.0, fresh.share)


def test_tables_equal_but_for_a_type_or_a_zeros_sign_are_built_apart():
    assert math.copysign(1.0, schema.build(Sample, {"share": 0.0}, "t", "f").share) == 1.0
    assert math.copysign(1.0, schema.build(Sample, {"share": -0.0}, "t", "f").share) == -1.0
    assert isinstance(schema.build(Sample, {"share": 1}, "t", "f").share, float)
    assert _problem({"count": 1.0}, "t.count") == "must be an integer, got a number"
    schema.build(Sample, {"count": 1}, "t", "f")
    assert _problem({"count": True}, "t.count") == "must be an integer, got a boolean"
    # A table that failed is refused again, at the key of each call.
    assert _problem({"share": 1.5}, "t.share") == _problem({"share": 1.5}, "t.share")


@given(st.floats(0.0, 1.0))
def test_a_value_warns_exactly_when_outside_its_typical_range(share):
    warnings: list[ScenarioWarning] = []
    schema.build(Sample, {"share": share}, "t", "f.toml", warnings)
    assert bool(warnings) == (not 0.1 <= share <= 0.9)
    assert all(w.key == "t.share" and "typical range 0.1-0.9 (fraction)" in w.problem
               for w in warnings)


def test_did_you_mean_offers_the_closest_option_or_nothing():
    assert schema.did_you_mean("baselin", ["baseline", "udcg"]) == " (did you mean 'baseline'?)"
    assert schema.did_you_mean("zzz", ["baseline"]) == ""


def test_no_module_imports_a_private_name_of_another():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                found += [f"{path.name}: {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []


@pytest.mark.parametrize(("low", "high"), [
    ("sim.scenario.aid", "sim.scenario"),  # the aid table reads only the schema
    ("sim.schema", "sim.scenario"),
    ("sim.aid.tally", "sim.results"),  # both read the statistics of counts
])
def test_a_lower_module_reaches_no_higher_one_even_inside_functions(low, high):
    # A package and its own submodules are no siblings to import-linter's contracts; the graph
    # (which counts imports inside functions) is asked directly.
    graph = grimp.build_graph("sim", include_external_packages=False)
    assert graph.find_shortest_chain(importer=low, imported=high) is None
