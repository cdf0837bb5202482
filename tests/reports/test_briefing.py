"""Tests of sim.reports.briefing and `summit report` on run folders: files, images, no rerun."""

from __future__ import annotations

import json
import shutil

import pytest
from invoke import summit
from page_checks import assert_valid_report

import sim.montecarlo
from sim.errors import ResultsError
from sim.reports.briefing import run_page, write_run_report
from sim.reports.page import percent_interval
from sim.reports.run_files import write_outputs

RUN_CHARTS = ["alliance-fan", "allies-small-multiples", "p-goal", "shortfall"]


@pytest.fixture
def no_rerun(monkeypatch):
    """Make any simulation fail: a report must be drawn from the folder alone."""
    def refuse(*args, **kwargs):
        raise AssertionError("the report reran the simulation")

    monkeypatch.setattr(sim.montecarlo, "run", refuse)
    monkeypatch.setattr(sim, "run", refuse)


def test_a_run_report_writes_html_markdown_and_pngs(baseline_run, tmp_path, no_rerun):
    _, folder = baseline_run
    written = write_run_report(folder, tmp_path)
    assert [p.name for p in written[2:]] == [f"{n}.png" for n in RUN_CHARTS]
    assert_valid_report(written, tmp_path)
    assert "aid" not in " ".join(p.name for p in written)


def test_the_headline_sentence_reads_the_summary(baseline_run):
    results, folder = baseline_run
    page = run_page(folder)
    goal = results.headline()["alliance_meets_goal"]
    text = page.sections[0].paragraphs[0]
    assert percent_interval(goal.p, *goal.ci95) in text
    likely = [c for c in results.codes if results.p_meet_goal(c).p >= 0.5]
    assert f" {len(likely)} of 31 assessed allies are more likely than not" in text
    assert any("NATO" in note for note in page.footnotes)


def test_an_aid_run_adds_the_aid_charts(aid_run, tmp_path, no_rerun):
    _, folder = aid_run
    written = write_run_report(folder, tmp_path)
    assert [p.name for p in written[-2:]] == ["aid-delivered.png", "aid-triggers.png"]
    assert_valid_report(written, tmp_path)
    page = run_page(folder)
    aid = page.sections[-1]
    assert aid.heading == "Aid to Ukraine"
    pledges = aid.tables[1].frame
    assert "deu-interceptors" in pledges.index
    assert pledges.loc["deu-interceptors", "Conditional"] == "yes"


def test_report_defaults_to_the_run_folder_and_cli_prints_paths(baseline_run, tmp_path,
                                                                  capsys):
    _, folder = baseline_run
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    code, _, err = summit(capsys, "report", str(copy))
    assert code == 0, err
    assert f"wrote {copy / 'report.html'}" in err
    assert (copy / "alliance-fan.png").is_file()


def test_a_folder_without_bands_says_to_rerun(baseline_run, tmp_path, capsys):
    _, folder = baseline_run
    copy = tmp_path / "old"
    shutil.copytree(folder, copy)
    (copy / "bands.csv").unlink()
    code, _, err = summit(capsys, "report", str(copy))
    assert code == 2
    assert err.strip() == (f"{copy / 'bands.csv'}: missing; written by a newer summit-sim: "
                           "rerun the command that writes the folder")


def test_a_summary_missing_a_key_names_it(baseline_run, tmp_path):
    _, folder = baseline_run
    copy = tmp_path / "broken"
    shutil.copytree(folder, copy)
    text = (copy / "summary.json").read_text()
    (copy / "summary.json").write_text(text.replace('"goal":', '"gaol":', 1))
    with pytest.raises(ResultsError, match=r"summary\.json: goal: missing"):
        run_page(copy)


def test_report_refuses_a_folder_that_is_neither_and_sweep_options_on_a_run(
        baseline_run, tmp_path, capsys):
    code, _, err = summit(capsys, "report", str(tmp_path))
    assert code == 2 and "neither a run folder" in err and len(err.strip().splitlines()) == 1
    _, folder = baseline_run
    code, _, err = summit(capsys, "report", str(folder), "--threshold", "0.3",
                          "--out", str(tmp_path / "x"))
    assert code == 2 and "only for sweep folders" in err
    assert not (tmp_path / "x").exists()


def test_shares_above_20_percent_are_said_to_be_unknown(tmp_path):
    scenario = sim.load_scenario("analytic").with_values({"allies.POL.core_base": 25.0})
    write_outputs(sim.run(scenario, draws=300, seed=4), tmp_path)
    page = run_page(tmp_path)
    allies = page.sections[1].tables[0]
    assert allies.frame.loc["POL", "Core 2035, % of GDP: median (90% range)"] == \
        "above 20 (above 20–above 20)"
    assert "at or above 20% of GDP" in allies.note
    assert any("at or above 20% of GDP" in note for note in page.footnotes)
    assert_valid_report(write_run_report(tmp_path), tmp_path)


def test_the_headline_says_what_it_rests_on(baseline_run):
    # The US assumption, the allies whose related spending is assumed, and the headline without
    # threat events, each from summary.json, beside the headline.
    results, folder = baseline_run
    said = " ".join(run_page(folder).sections[0].points)
    notes = results.assumptions()
    assert f"so the largest lever): {notes['united_states']}." in said
    assert (f"an assumption for {len(notes['related_spending_assumed'])} of 31 assessed allies"
            in said)
    calm = results.headline()["alliance_meets_core_without_threat_events"]
    assert "without them, on the same draws, the alliance reaches 3.5% core" in said
    assert percent_interval(calm.p, *calm.ci95) in said


def test_a_summary_from_before_the_planning_model_reports_without_those_lines(baseline_run,
                                                                                tmp_path):
    _, folder = baseline_run
    copy = tmp_path / "old"
    shutil.copytree(folder, copy)
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    del summary["assumptions"]
    for key in ("core", "goal"):
        del summary["probabilities"][f"alliance_meets_{key}_without_threat_events"]
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    head = run_page(copy).sections[0]
    said = " ".join((*head.paragraphs, *head.points))
    assert "US assumption" not in said and "Threat events" not in said
