"""Tests of sim.reports.compare and `summit compare`: differences of two runs against the noise."""

from __future__ import annotations

import json

import pytest
from invoke import summit

import sim
from sim.errors import ResultsError
from sim.reports.compare import compare_runs
from sim.reports.run_files import write_outputs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three run folders: the baseline, the same again, and a much slower follow-through of the
    commitment."""
    root = tmp_path_factory.mktemp("runs")
    base = sim.load_scenario("baseline")
    slow = base.with_values({"defaults.commitment.follow": 0.01})
    for name, scenario, seed in (("a", base, 1), ("same", base, 1), ("slow", slow, 2)):
        write_outputs(sim.run(scenario, draws=2000, seed=seed), root / name)
    return root


def test_identical_runs_differ_by_nothing(runs):
    table = compare_runs(runs / "a", runs / "same").table
    assert len(table) == 7 + 2 * 31  # headline, and P(core), P(goal) per assessed ally
    assert (table["difference"] == 0).all()
    assert not table["exceeds_noise"].any()
    assert "same seed" in compare_runs(runs / "a", runs / "same").notes[-1]
    assert ((table["difference_lo"] < 0) & (table["difference_hi"] > 0)).all()


def test_a_slower_adjustment_is_flagged_beyond_the_noise(runs):
    table = compare_runs(runs / "a", runs / "slow").table.set_index(["measure", "entity"])
    row = table.loc[("alliance_meets_core", "alliance")]
    assert row["difference"] < 0 and row["difference_hi"] < 0 and row["exceeds_noise"]
    assert row["difference"] == pytest.approx(row["p_b"] - row["p_a"])
    # Every flagged row's interval excludes zero and every other row's holds it.
    flagged = table["exceeds_noise"]
    excludes = (table["difference_lo"] > 0) | (table["difference_hi"] < 0)
    assert (flagged == excludes).all()


def test_the_interval_is_newcombes(runs):
    """Recomputed from the counts with Newcombe's closed form (hybrid Wilson score)."""
    table = compare_runs(runs / "a", runs / "slow").table
    row = table[table["measure"] == "alliance_meets_goal"].iloc[0]
    n = 2000
    a, b = sim.results.wilson_interval(round(row.p_a * n), n), \
        sim.results.wilson_interval(round(row.p_b * n), n)
    d = row.p_b - row.p_a
    low = d - ((row.p_b - b[0]) ** 2 + (a[1] - row.p_a) ** 2) ** 0.5
    high = d + ((b[1] - row.p_b) ** 2 + (row.p_a - a[0]) ** 2) ** 0.5
    assert (row.difference_lo, row.difference_hi) == pytest.approx((low, high), rel=1e-9)


def test_cli_prints_the_table_and_writes_the_csv(capsys, runs, tmp_path):
    code, out, err = summit(capsys, "compare", str(runs / "a"), str(runs / "slow"),
                            "--csv", str(tmp_path / "c.csv"))
    assert code == 0, err
    assert "alliance_meets_goal" in out and "exceed the Monte Carlo noise" in out
    assert out.startswith(f"A: {runs / 'a'} | scenario baseline | 2,000 draws | seed 1")
    assert (tmp_path / "c.csv").read_text().startswith("measure,entity,p_a,")


def test_a_folder_that_is_no_run_is_refused_in_one_line(capsys, runs, tmp_path):
    code, _, err = summit(capsys, "compare", str(runs / "a"), str(tmp_path))
    assert code == 2
    assert err.strip().splitlines() == [
        f"{tmp_path}: neither a run folder (no summary.json: write one with `summit run "
        "--out`) nor a sweep folder (no manifest.json: write one with `summit sweep --out`)"]
    code, _, err = summit(capsys, "compare", str(runs / "a"), str(tmp_path / "nowhere"))
    assert code == 2 and err.strip() == f"{tmp_path / 'nowhere'}: no such folder"


def test_a_summary_without_a_key_names_it(runs, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    summary = json.loads((runs / "a" / "summary.json").read_text())
    del summary["allies"]["DEU"]["p_meet_goal"]
    (broken / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ResultsError, match=r"summary\.json: allies\.DEU\.p_meet_goal: missing"):
        compare_runs(runs / "a", broken)
    (broken / "summary.json").write_text("{not json")
    with pytest.raises(ResultsError, match="cannot be read"):
        compare_runs(runs / "a", broken)
