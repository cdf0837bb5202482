"""The sweep benchmark's pure logic: the sweep files it writes read the sizes it measures at, and
the measure against an earlier commit runs one sweep file text on both sides. (Its times are
not tested: speed is the benchmark's to print.)"""

from __future__ import annotations

import tomllib
from pathlib import Path

import benchmark_scripts
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
bench = benchmark_scripts.load("bench_sweep")

SENSITIVITY = ROOT / "scenarios" / "sweeps" / "sensitivity.toml"


def read(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


@given(samples=st.integers(1, 2**16), draws=st.integers(1, 10**7), independent=st.booleans())
def test_a_written_sweep_reads_the_sizes_asked_and_keeps_the_rest(
        tmp_path_factory: pytest.TempPathFactory, samples: int, draws: int,
        independent: bool) -> None:
    folder = tmp_path_factory.mktemp("sweep")
    written = read(bench.write_sweep(SENSITIVITY, folder, samples, draws, independent))
    shipped = read(SENSITIVITY)
    assert written["sweep"].pop("samples") == samples
    assert written["sweep"].pop("draws") == draws
    assert written["sweep"].pop("independent", False) is independent
    del shipped["sweep"]["samples"], shipped["sweep"]["draws"]
    assert written == shipped


def test_sizes_written_without_spaces_around_the_sign_are_set(tmp_path: Path) -> None:
    source = tmp_path / "tight.toml"
    text = SENSITIVITY.read_text(encoding="utf-8")
    source.write_text(text.replace("samples = 256", "samples=256")
                      .replace("draws = 2000", "draws=2000"), encoding="utf-8")
    written = read(bench.write_sweep(source, tmp_path, 64, 500))["sweep"]
    assert (written["samples"], written["draws"]) == (64, 500)


def test_a_file_already_setting_independent_gets_the_one_setting_asked(tmp_path: Path) -> None:
    source = tmp_path / "set.toml"
    source.write_text(SENSITIVITY.read_text(encoding="utf-8")
                      .replace("[sweep]\n", "[sweep]\nindependent = false\n", 1), encoding="utf-8")
    assert read(bench.write_sweep(source, tmp_path, 64, 500, independent=True))["sweep"][
        "independent"] is True


def test_a_file_the_sizes_cannot_be_set_in_is_refused() -> None:
    grid = '[sweep]\nbase = "baseline"\ndesign = "grid"\ndraws = 100\n'
    with pytest.raises(ValueError, match="samples"):
        bench.sweep_text(grid, 64, 100)


def test_both_sides_run_todays_file_unless_its_keys_differ_from_revs() -> None:
    today = SENSITIVITY.read_text(encoding="utf-8")
    recommented = "# another comment\n" + today
    assert bench.same_sweep_text(today, recommented) == (today, "today's")
    changed = today.replace("seed = 2026", "seed = 7")
    assert bench.same_sweep_text(today, changed) == (changed, "REV's")


def test_table_differences_name_the_columns_that_differ() -> None:
    then = pd.DataFrame({"index": [0, 1, 2], "alliance_meets_goal": [0.5, 0.25, 0.75]})
    assert bench.table_differences(then, then.copy()) == []
    today = then.assign(alliance_meets_goal=[0.5, 0.25, 0.5])
    assert bench.table_differences(then, today) == ["alliance_meets_goal: 1 of 3 rows differ"]
    assert bench.table_differences(then, then.assign(extra=1))[0].startswith(
        "columns only then: [], only today: ['extra']")


def test_an_earlier_commits_tree_is_extracted_once_and_kept(tmp_path):
    # Extracted afresh each run, the old tree's kernels were compiled again each run (~40 s).
    try:
        commit = bench.find_commit("HEAD")
    except bench.NotMeasured as why:
        pytest.skip(str(why))
    tree = bench.extract(commit, tmp_path)
    assert (tree / "sim" / "__init__.py").is_file()
    (tree / "kept").touch()  # as Numba's cache beside the sources would be
    assert bench.extract(commit, tmp_path) == tree
    assert (tree / "kept").exists()
    assert [p.name for p in tmp_path.iterdir()] == [tree.name]  # no partial tree left
