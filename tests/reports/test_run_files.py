"""The run folder ``write_outputs`` writes: the plot tables beside summary.json and allies.csv."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from invoke import summit

import sim
from sim.reports.briefing import write_run_report
from sim.reports.run_files import BAND_QUANTILES, write_outputs
from sim.reports.tables import format_table
from sim.sweeps.sweep import sweep

BAND_COLUMNS = ["p05", "p25", "p50", "p75", "p95"]


def test_bands_csv_has_one_row_per_entity_measure_and_year(baseline_run):
    results, out = baseline_run
    bands = pd.read_csv(out / "bands.csv")
    assert list(bands.columns) == ["entity", "measure", "year", *BAND_COLUMNS]
    entities = [*results.codes, "alliance"]
    assert len(results.codes) == 31
    assert len(bands) == len(entities) * 2 * len(results.years)
    assert list(bands["entity"].unique()) == entities
    assert set(bands["measure"]) == {"core", "total"}
    per_entity = bands.groupby(["entity", "measure"])["year"].apply(list)
    assert all(years == list(results.years) for years in per_entity)


def test_bands_match_summary_json_in_the_goal_year(baseline_run):
    results, out = baseline_run
    bands = pd.read_csv(out / "bands.csv").set_index(["entity", "measure", "year"])
    summary = json.loads((out / "summary.json").read_text())
    y = summary["goal"]["year"]
    for code in results.codes:
        for measure in ("core", "total"):
            row = bands.loc[(code, measure, y)]
            figures = summary["allies"][code][f"{measure}_{y}"]
            assert [row["p05"], row["p50"], row["p95"]] == [
                figures["p05"], figures["p50"], figures["p95"]]
    assert bands.loc[("alliance", "core", y), "p50"] == summary["alliance"][f"core_{y}"]["p50"]


@pytest.mark.parametrize("run", ["baseline_run", "aid_run"])
def test_band_quantiles_are_ordered(run, request):
    _, out = request.getfixturevalue(run)
    bands = pd.read_csv(out / "bands.csv")[BAND_COLUMNS].to_numpy()  # (rows, quantiles)
    assert (np.diff(bands, axis=1) >= 0).all()
    assert BAND_QUANTILES == (0.05, 0.25, 0.5, 0.75, 0.95)


def test_aid_csv_only_for_a_scenario_with_aid(baseline_run, aid_run):
    assert not (baseline_run[1] / "aid.csv").exists()
    results, out = aid_run
    aid = pd.read_csv(out / "aid.csv")
    model = results.scenario.aid
    assert list(aid["year"]) == list(model.years)
    expected = ["year"] + [f"{name}_{label}" for name in
                           ("needs_usd", "delivered_usd", "delivered_over_needs")
                           for label in BAND_COLUMNS]
    joint = [f"{name}{end}" for name in ("p_needs_met_every_year",
                                         "p_alliance_meets_goal_and_needs_met",
                                         "p_alliance_meets_core_and_needs_met")
             for end in ("", "_lo", "_hi")]
    assert list(aid.columns) == [*expected, "p_needs_met", "p_needs_met_lo", "p_needs_met_hi",
                                 *joint]
    for name in ("needs_usd", "delivered_usd", "delivered_over_needs"):
        values = aid[[f"{name}_{label}" for label in BAND_COLUMNS]].to_numpy()
        assert (np.diff(values, axis=1) >= 0).all()
    summary = json.loads((out / "summary.json").read_text())
    for row in aid.itertuples():
        met = summary["probabilities"]["ukraine_needs_met"][str(row.year)]
        assert [row.p_needs_met, row.p_needs_met_lo, row.p_needs_met_hi] == [met["p"],
                                                                             *met["ci95"]]
        assert row.p_needs_met_lo <= row.p_needs_met <= row.p_needs_met_hi
        delivered = summary["aid"]["years"][str(row.year)]["delivered_usd"]
        assert row.delivered_usd_p50 == delivered["p50"]
        joint = summary["probabilities"]["alliance_meets_goal_and_ukraine_needs_met"]
        assert [row.p_alliance_meets_goal_and_needs_met,
                row.p_alliance_meets_goal_and_needs_met_lo,
                row.p_alliance_meets_goal_and_needs_met_hi] == [joint["p"], *joint["ci95"]]


def test_a_fixed_need_is_reported_as_stated(aid_run):
    results, out = aid_run
    aid = pd.read_csv(out / "aid.csv")
    need = results.scenario.aid.needs[0]
    assert need.sd_usd == 0
    assert (aid.loc[0, [f"needs_usd_{label}" for label in BAND_COLUMNS]] == need.mean_usd).all()


def test_summary_json_records_the_versions_its_figures_depend_on(baseline_run):
    import platform

    import numba
    import scipy
    import simpy

    _, out = baseline_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["environment"] == {"python": platform.python_version(),
                                      "numpy": np.__version__, "scipy": scipy.__version__,
                                      "numba": numba.__version__, "simpy": simpy.__version__}


# --- who may read the files --------------------------------------------------------------------

TINY_SWEEP = """
[sweep]
base = "analytic"
design = "grid"
draws = 200

[[sweep.parameters]]
key = "defaults.policy.adjustment"
values = [0.2, 0.4]
"""


@pytest.fixture(params=[0o022, 0o027], ids=["umask-022", "umask-027"])
def umask(request):
    """The process's umask set to the parameter for the test, and restored after it."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def _modes(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode)
            for path in folder.rglob("*")}


def test_every_file_written_gets_the_umasks_mode(umask, baseline_run, tmp_path, write_toml,
                                                 capsys):
    results, folder = baseline_run
    out = tmp_path / "out"
    write_outputs(results, out / "run")
    write_run_report(out / "run", out / "report")
    sweep(write_toml(TINY_SWEEP, "sweep.toml"), out=out / "sweep")
    code, _, err = summit(capsys, "compare", str(folder), str(out / "run"),
                          "--csv", str(out / "compare" / "comparison.csv"))
    assert code == 0, err
    modes = _modes(out)
    for name in ("run/summary.json", "run/allies.csv", "run/bands.csv", "report/report.html",
                 "report/report.md", "report/alliance-fan.png", "sweep/manifest.json",
                 "sweep/journal.jsonl", "sweep/sweep.log", "sweep/results.csv",
                 "sweep/results.parquet", "compare/comparison.csv"):
        assert name in modes
    expected = {name: (0o777 if (out / name).is_dir() else 0o666) & ~umask for name in modes}
    assert modes == expected
    assert not list(out.rglob(".*.tmp"))


# --- shares beyond the histograms' range -------------------------------------------------------


def test_a_share_quantile_above_20_percent_is_written_as_unknown_never_as_20(tmp_path):
    # Poland held at 25% of GDP: every quantile of its share is above the histograms' 20%.
    scenario = sim.load_scenario("analytic").with_values({"allies.POL.core_base": 25.0})
    results = sim.run(scenario, draws=300, seed=4)
    write_outputs(results, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["allies"]["POL"]["core_2035"] == {"p05": None, "p50": None, "p95": None}
    assert all(v is not None for v in summary["allies"]["DEU"]["core_2035"].values())
    bands = pd.read_csv(tmp_path / "bands.csv").set_index(["entity", "measure", "year"])
    assert bands.loc["POL"][BAND_COLUMNS].isna().all(axis=None)
    assert bands.loc["DEU"][BAND_COLUMNS].notna().all(axis=None)
    allies = pd.read_csv(tmp_path / "allies.csv").set_index("iso3")
    assert np.isnan(allies.loc["POL", "core_2035_p50"])
    assert allies.loc["POL", "p_meet_core"] == 1.0
    poland = next(line for line in format_table(results).splitlines()
                  if line.startswith("POL"))
    assert "  >20 [  >20-  >20]" in poland
