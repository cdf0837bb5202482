"""Tests of sim.reports.compare and `summit compare`: differences of two runs against the noise,
paired draw by draw when the runs share their draws, independent otherwise."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from invoke import summit

import sim
from sim import draw_outcomes
from sim.errors import ResultsError
from sim.reports.compare import compare_runs, format_comparison, paired_interval
from sim.reports.run_files import write_outputs

HEADLINE = 7  # the alliance-wide probabilities of a run without aid


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run folders at 2,000 draws: the baseline (seed 1) with its per-draw outcomes, again, and
    without them; slow growth at the same seed; a much slower follow-through of the commitment
    at seed 2."""
    root = tmp_path_factory.mktemp("runs")
    base = sim.load_scenario("baseline")
    slow = base.with_values({"defaults.commitment.follow": 0.01})
    for name, scenario, seed, per_draw in (
            ("a", base, 1, True), ("same", base, 1, True), ("plain", base, 1, False),
            ("growth", sim.load_scenario("slow-growth"), 1, True), ("slow", slow, 2, True)):
        write_outputs(sim.run(scenario, draws=2000, seed=seed, per_draw=per_draw), root / name)
    return root


def _probabilities(comparison):
    table = comparison.table
    return table[table["kind"] == "probability"].set_index(["measure", "entity"])


def test_a_run_compared_with_itself_differs_by_exactly_zero(runs):
    comparison = compare_runs(runs / "a", runs / "same")
    table = _probabilities(comparison)
    assert comparison.paired and len(table) == HEADLINE + 3 * 31
    assert (table["difference"] == 0).all()
    assert (table["difference_lo"] == 0).all() and (table["difference_hi"] == 0).all()
    assert (table["interval"] == "paired").all() and not table["exceeds_noise"].any()
    assert any("the same run twice" in note for note in comparison.notes)
    assert "+0.000 [+0.000 +0.000]" in format_comparison(comparison)


def test_without_the_per_draw_file_the_runs_are_independent_and_say_why(runs):
    comparison = compare_runs(runs / "a", runs / "plain")
    table = _probabilities(comparison)
    assert not comparison.paired and (table["interval"] == "independent").all()
    assert (table["difference"] == 0).all()
    assert ((table["difference_lo"] < 0) & (table["difference_hi"] > 0)).all()
    assert comparison.notes[2] == ("independent (Newcombe): not paired, B has no outcomes.npz "
                                   "(written by `summit run --out`)")
    assert "same seed" in comparison.notes[3]


def test_different_seeds_are_not_paired(runs):
    comparison = compare_runs(runs / "a", runs / "slow")
    assert not comparison.paired
    assert comparison.notes[2] == ("independent (Newcombe): not paired, the runs have different "
                                   "seeds (1 vs 2), so they do not share their draws")


def test_the_paired_interval_is_narrower_for_a_lever_on_the_same_draws(runs):
    """Baseline against slow growth at the same seed: the same difference, a narrower interval,
    and a difference the independent interval cannot tell from noise is found."""
    paired = _probabilities(compare_runs(runs / "a", runs / "growth"))
    independent = _probabilities(compare_runs(runs / "plain", runs / "growth"))
    assert (paired["interval"] == "paired").all()
    assert (paired["difference"] == independent["difference"]).all()
    width = paired["difference_hi"] - paired["difference_lo"]
    wide = independent["difference_hi"] - independent["difference_lo"]
    assert (width <= wide).all()
    for key in (("alliance_meets_goal", "alliance"), ("alliance_meets_core", "alliance")):
        assert width[key] < 0.5 * wide[key], key
        assert paired.loc[key, "exceeds_noise"] and not independent.loc[key, "exceeds_noise"]
    assert paired["exceeds_noise"].sum() > independent["exceeds_noise"].sum()


def test_the_paired_interval_is_counted_from_the_draws(runs):
    """The per-draw pairs of one measure, counted here from the two files, give the row's
    interval."""
    outcomes = [draw_outcomes.DrawOutcomes.from_file(runs / name / "outcomes.npz")
                for name in ("a", "growth")]
    key = ("alliance_meets_goal", "alliance")
    a, b = (o.flags(key) for o in outcomes)
    counts = (a & b).sum(), (b & ~a).sum(), (a & ~b).sum(), (~a & ~b).sum()
    row = _probabilities(compare_runs(runs / "a", runs / "growth")).loc[key]
    assert row["difference"] == pytest.approx((counts[1] - counts[2]) / 2000)
    assert (row["difference_lo"], row["difference_hi"]) == paired_interval(*map(int, counts))


def test_newcombes_paired_interval_by_hand():
    """40 draws meet the measure in both runs, 10 in B alone, 5 in A alone, 45 in neither.
    Wilson: B 50/100 [0.40383, 0.59617], A 45/100 [0.35614, 0.54756]; phi = (40*45 - 10*5 -
    100/2) / sqrt(50*50*45*55) = 0.68343; the limits 0.05 - sqrt(0.0092487 + 0.0095180 -
    2 phi 0.0093823) and 0.05 + sqrt(0.0088097 + 0.0092487 - 2 phi 0.0090265)."""
    assert paired_interval(40, 10, 5, 45) == pytest.approx((-0.02709, 0.12563), abs=2e-5)


def test_newcombes_paired_interval_on_the_published_example():
    """Fagerland, Lydersen and Laake, Statistical Analysis of Contingency Tables (2017), ch. 8:
    complete response before and after consolidation therapy (Cavo et al. 2012), 59, 6, 16, 80
    pairs; the Newcombe square-and-add interval -0.0621 (-0.1186 to -0.0046)."""
    low, high = paired_interval(59, 6, 16, 80)
    assert (round(low, 4), round(high, 4)) == (-0.1186, -0.0046)


@given(st.lists(st.integers(0, 400), min_size=4, max_size=4).filter(lambda c: sum(c) > 0))
def test_the_paired_interval_holds_the_estimate_and_turns_with_the_runs(counts):
    both, b_only, a_only, neither = counts
    low, high = paired_interval(both, b_only, a_only, neither)
    estimate = (b_only - a_only) / sum(counts)
    assert -1 <= low <= estimate + 1e-12 and estimate - 1e-12 <= high <= 1
    swapped = paired_interval(both, a_only, b_only, neither)
    assert swapped == pytest.approx((-high, -low), abs=1e-12)


def test_a_slower_adjustment_is_flagged_beyond_the_noise(runs):
    table = _probabilities(compare_runs(runs / "a", runs / "slow"))
    row = table.loc[("alliance_meets_core", "alliance")]
    assert row["difference"] < 0 and row["difference_hi"] < 0 and row["exceeds_noise"]
    assert row["difference"] == pytest.approx(row["b"] - row["a"])
    # Every flagged row's interval excludes zero and every other row's holds it.
    flagged = table["exceeds_noise"].astype(bool)
    excludes = (table["difference_lo"] > 0) | (table["difference_hi"] < 0)
    assert (flagged == excludes).all()


def test_the_independent_interval_is_newcombes(runs):
    """Recomputed from the counts with Newcombe's closed form (hybrid Wilson score)."""
    row = _probabilities(compare_runs(runs / "a", runs / "slow")).loc[
        ("alliance_meets_goal", "alliance")]
    n = 2000
    a, b = sim.results.wilson_interval(round(row.a * n), n), \
        sim.results.wilson_interval(round(row.b * n), n)
    d = row.b - row.a
    low = d - ((row.b - b[0]) ** 2 + (a[1] - row.a) ** 2) ** 0.5
    high = d + ((b[1] - row.b) ** 2 + (row.a - a[0]) ** 2) ** 0.5
    assert (row.difference_lo, row.difference_hi) == pytest.approx((low, high), rel=1e-9)


def test_the_medians_are_differences_without_an_interval(runs):
    table = compare_runs(runs / "a", runs / "growth").table.set_index(["measure", "entity"])
    summaries = [json.loads((runs / name / "summary.json").read_text())
                 for name in ("a", "growth")]
    row = table.loc[("total_2035_p50", "alliance")]
    assert row["kind"] == "median" and row["unit"] == "% of GDP" and row["interval"] == "none"
    assert math.isnan(row["difference_lo"]) and row["exceeds_noise"] is None
    a, b = (s["alliance"]["total_2035"]["p50"] for s in summaries)
    assert (row["a"], row["b"], row["difference"]) == (a, b, b - a)
    assert table.loc[("median_year_core_reached", "alliance"), "unit"] == "year"
    assert table.loc[("core_shortfall_usd_2035_p50", "alliance"), "unit"] == "USD"


def test_aid_measures_are_compared_and_paired(tmp_path):
    scenario = sim.load_scenario("udcg-2026")
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_outputs(sim.run(scenario, draws=1000, seed=seed, per_draw=True), tmp_path / name)
    same = compare_runs(tmp_path / "a", tmp_path / "b")
    rows = same.table.set_index(["measure", "entity"])
    for key in (("ukraine_needs_met_2026", "aid"), ("ukraine_needs_met_every_year", "alliance"),
                ("alliance_meets_goal_and_ukraine_needs_met", "alliance")):
        assert rows.loc[key, "interval"] == "paired" and rows.loc[key, "difference_hi"] == 0
    assert rows.loc[("delivered_usd_2026_p50", "aid"), "kind"] == "median"
    text = format_comparison(compare_runs(tmp_path / "a", tmp_path / "c"))
    assert "Ukraine's needs met in 2026" in text
    assert "median aid delivered to Ukraine in 2026" in text


def test_allies_beyond_the_draws_limit_are_compared_as_independent(tmp_path, monkeypatch):
    monkeypatch.setattr(draw_outcomes, "ALLY_DRAWS_LIMIT", 999)
    base = sim.load_scenario("analytic")
    write_outputs(sim.run(base, draws=1000, seed=1, per_draw=True), tmp_path / "a")
    write_outputs(sim.run(base.with_values({"defaults.commitment.follow": 0.5}), draws=1000,
                          seed=1, per_draw=True), tmp_path / "b")
    comparison = compare_runs(tmp_path / "a", tmp_path / "b")
    table = _probabilities(comparison)
    assert comparison.paired
    alliance = table.index.get_level_values("entity") == "alliance"
    assert (table["interval"][alliance] == "paired").all()
    assert (table["interval"][~alliance] == "independent").all()
    assert any("compared as independent" in note for note in comparison.notes)
    assert "(independent)" in format_comparison(comparison)


def test_per_draw_outcomes_of_another_run_are_refused(runs, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(runs / "a", mixed)
    shutil.copy(runs / "growth" / "outcomes.npz", mixed / "outcomes.npz")
    with pytest.raises(ResultsError, match=r"outcomes\.npz: .*draws met it, summary\.json says "
                                           r".*: the files are of different runs"):
        compare_runs(mixed, runs / "same")
    shutil.copy(runs / "slow" / "outcomes.npz", mixed / "outcomes.npz")
    with pytest.raises(ResultsError, match=r"outcomes\.npz: holds seed 2, 2,000 draws, but "
                                           r"summary\.json says seed 1"):
        compare_runs(mixed, runs / "same")


def test_a_pipe_in_place_of_the_per_draw_file_is_refused_at_once(capsys, runs, tmp_path):
    folder = tmp_path / "pipe"
    shutil.copytree(runs / "a", folder)
    (folder / "outcomes.npz").unlink()
    os.mkfifo(folder / "outcomes.npz")
    code, _, err = summit(capsys, "compare", str(folder), str(runs / "same"))
    assert code == 2 and err.strip() == (f"{folder / 'outcomes.npz'}: is not a regular file (a "
                                         "device, pipe or socket); give a file")


def test_cli_prints_the_table_in_words_and_writes_the_csv(capsys, runs, tmp_path):
    code, out, err = summit(capsys, "compare", str(runs / "a"), str(runs / "growth"),
                            "--csv", str(tmp_path / "c.csv"))
    assert code == 0, err
    assert out.startswith(f"A: {runs / 'a'} | scenario baseline | 2,000 draws | seed 1")
    assert "paired (the runs share their draws)" in out
    assert "alliance meets the goal in 2035" in out and "alliance_meets_goal" not in out
    assert "Germany on a credible path in 2029" in out
    assert "median (B - A without an interval)" in out
    assert "exceed the Monte Carlo noise" in out
    csv = (tmp_path / "c.csv").read_text()
    assert csv.startswith("measure,entity,kind,unit,a,a_lo,a_hi,b,b_lo,b_hi,difference,")
    assert "alliance_meets_goal,alliance,probability" in csv and "meets the goal" not in csv


def test_cli_out_writes_the_chart_and_the_table(capsys, runs, tmp_path):
    out_dir = tmp_path / "cmp"
    code, _, err = summit(capsys, "compare", str(runs / "a"), str(runs / "plain"),
                          "--out", str(out_dir))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["compare.csv", "compare.png"]
    assert (out_dir / "compare.png").read_bytes().startswith(b"\x89PNG")
    assert (out_dir / "compare.csv").read_text().startswith("measure,entity,kind,")
    code, _, err = summit(capsys, "compare", str(runs / "a"), str(runs / "plain"),
                          "--out", str(out_dir / "compare.csv"))
    assert code == 2 and err.count("\n") == 1 and "'--out'" in err and "is a file" in err
    code, _, err = summit(capsys, "compare", str(runs / "a"), str(runs / "plain"),
                          "--out", str(out_dir / "compare.csv" / "under"))
    assert code == 2 and err.strip() == (f"--out: {out_dir / 'compare.csv' / 'under'} is under "
                                         f"{out_dir / 'compare.csv'}, which is a file, not a "
                                         "folder")


def test_the_chart_names_the_pairing_and_every_measure(runs):
    from sim.reports.compare import difference_chart

    for other, words in (("growth", "paired: the runs share their draws"),
                         ("slow", "independent runs")):
        comparison = compare_runs(runs / "a", runs / other)
        chart = difference_chart(comparison)
        assert words in chart.caption.lower() or words.capitalize() in chart.caption
        assert chart.png.startswith(b"\x89PNG")


def test_compare_without_out_never_loads_matplotlib(runs):
    script = ("import sys\nfrom sim.reports.compare import compare_runs, format_comparison\n"
              f"format_comparison(compare_runs({str(runs / 'a')!r}, {str(runs / 'growth')!r}))\n"
              "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


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
