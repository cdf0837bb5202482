"""A fuzzer of scenario files: random edits of shipped scenarios, each checked by `summit
validate`, which must accept the file (exit 0) or refuse it in one line naming the file (exit 2),
never fail with a traceback or another status (issue 16).

An edit sets a key the file has, or a new key beside it, to a value of any TOML kind, hostile
ones included (inf, nan, 5e-324, 1e308, a non-ASCII digit, deep nesting, markup), or deletes a
key. The file is written back as TOML inline tables, so any edit stays a valid TOML document.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from invoke import summit

from sim.scenario import shipped_scenarios

#: Shipped scenarios to edit: spending only, aid with pledges and pools, and aid budget lines.
BASES = ("baseline", "udcg-2026", "ukraine-2026-2030")

_texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_hostile_numbers = st.sampled_from([0, -1, 0.0, -0.0, 5e-324, 1e308, -1e308, math.inf, -math.inf,
                                    math.nan, 2**63 - 1, -(2**63), 2026, 1e300])
_hostile_texts = st.sampled_from(["", "²", "\r", "line\nbreak", "<script>alert(1)</script>",
                                  "$x^2$", "=1+1", "announced", "custom", "USD", "2026-13",
                                  "kiel-2025"])
_scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(), _hostile_numbers,
                     _texts, _hostile_texts)
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(_texts, _hostile_texts), inner, max_size=4)), max_leaves=10)


def _deep(depth: int) -> Any:
    value: Any = 1.0
    for _ in range(depth):
        value = [value]
    return value


_any_value = st.one_of(_values, st.integers(30, 60).map(_deep))


def toml_value(value: Any) -> str:
    """``value`` as a TOML inline value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string without lone surrogates is a TOML one
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}"
                            for k, v in value.items()) + " }"


def toml_document(document: dict[str, Any]) -> str:
    """The document as TOML: each top-level key one inline value."""
    return "".join(f"{json.dumps(key)} = {toml_value(value)}\n" for key, value in document.items())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value of ``value``, a TOML document: keys and array indices."""
    found = [prefix] if prefix else []
    children = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for name, child in children:
        found += _paths(child, (*prefix, name))
    return found


def _documents() -> dict[str, dict[str, Any]]:
    shipped = shipped_scenarios()
    return {name: tomllib.loads(shipped[name].read_text(encoding="utf-8")) for name in BASES}


DOCUMENTS = _documents()
PATHS = {name: _paths(document) for name, document in DOCUMENTS.items()}


@st.composite
def edited_scenarios(draw: st.DrawFn) -> str:
    """A shipped scenario with one to four random edits, as TOML text."""
    name = draw(st.sampled_from(BASES))
    document = json.loads(json.dumps(DOCUMENTS[name]))  # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS[name]))
        parent: Any = document
        for step in path[:-1]:
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):  # an earlier edit changed the way
                break
        else:
            last, action = path[-1], draw(st.sampled_from(["set", "delete", "add"]))
            if isinstance(parent, dict):
                if action == "delete":
                    parent.pop(last, None)
                else:
                    key = last if action == "set" else draw(st.one_of(_texts, _hostile_texts))
                    parent[key] = draw(_any_value)
            elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                if action == "delete":
                    del parent[last]
                else:
                    parent[last] = draw(_any_value)
    # Where the edits left the name, the file still extends a shipped scenario by name.
    return toml_document(document)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=edited_scenarios())
# Found by this fuzzer: a key holding a line break split the one-line error in two.
@example(text=toml_document({**DOCUMENTS["baseline"], "\r": 1}))
@example(text=toml_document({**DOCUMENTS["udcg-2026"], "aid": {
    **DOCUMENTS["udcg-2026"]["aid"], "needs": {"²": 1e9}}}))
def test_validate_accepts_or_refuses_any_edited_scenario_in_one_line(fuzz_dir, capsys,
                                                                       text: str) -> None:
    path = fuzz_dir / "edited.toml"
    path.write_text(text, encoding="utf-8")
    status, out, err = summit(capsys, "validate", str(path))
    assert status in (0, 2), err
    assert "Traceback" not in err
    if status == 2:
        refusal = [line for line in err.splitlines() if not line.startswith(str(path))
                   or ": " not in line]
        assert err.count("\n") >= 1 and not refusal, err
    else:
        assert out.startswith(f"{path}: ok"), out
