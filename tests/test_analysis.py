"""Results for analysts: the tidy frame and the Dataset agree with the run folder's files value for
value, a run folder reads back as the run, and the catalog finds every folder under a root."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import ResultsError
from sim.reports.run_files import write_outputs
from sim.results import FRAME_COLUMNS


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[sim.Results, Path]:
    """A small run of the multi-year aid scenario (spending and aid probabilities), written."""
    results = sim.run(sim.load_scenario("ukraine-2026-2030"), draws=1500, seed=4)
    folder = tmp_path_factory.mktemp("runs") / "a" / "ukraine"
    write_outputs(results, folder)
    return results, folder


def test_the_frame_is_the_files_value_for_value(written):
    results, folder = written
    frame = results.frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    bands = pd.read_csv(folder / "bands.csv")
    summary = json.loads((folder / "summary.json").read_text())
    # Every band quantile of bands.csv, and nothing else with a quantile.
    shares = frame[frame["quantile"].notna()]
    assert len(shares) == bands.size - 3 * len(bands)
    row = bands[(bands.entity == "DEU") & (bands.measure == "core") & (bands.year == 2029)]
    assert shares.loc[(shares.entity == "DEU") & (shares.measure == "core")
                      & (shares.year == 2029) & (shares["quantile"] == 0.25), "value"].item() \
        == row["p25"].item()
    # Every probability of summary.json with its interval.
    p = frame.set_index(["entity", "measure", "year"]).sort_index()
    goal = summary["allies"]["DEU"]["p_meet_goal"]
    assert tuple(p.loc[("DEU", "p_meet_goal", 2035), ["value", "ci95_lo", "ci95_hi"]]) == (
        goal["p"], *goal["ci95"])
    core = summary["probabilities"]["alliance_meets_core_and_ukraine_needs_met"]
    assert p.loc[("alliance", "alliance_meets_core_and_ukraine_needs_met", 2035),
                 "value"] == core["p"]
    needs = summary["probabilities"]["ukraine_needs_met"]["2028"]
    assert p.loc[("alliance", "ukraine_needs_met", 2028), "value"] == needs["p"]
    # Every probability once: the alliance's (each needs year apart) and three per ally.
    alliance = summary["probabilities"]
    expected = len(alliance) - 1 + len(alliance["ukraine_needs_met"]) + 3 * len(results.codes)
    assert len(frame) - len(shares) == expected


def test_a_run_folder_reads_back_as_the_run(written):
    results, folder = written
    stored = sim.read_run(folder)
    pd.testing.assert_frame_equal(stored.frame(), results.frame())
    pd.testing.assert_frame_equal(stored.bands(), results.bands())


def test_the_dataset_holds_the_frame(written):
    results, _ = written
    data = results.to_xarray()
    bands = results.bands().set_index(["entity", "measure", "year"])
    assert data["total"].sel(entity="alliance", year=2035, quantile=0.95).item() == \
        bands.loc[("alliance", "total", 2035), "p95"]
    assert np.isnan(data["core"].sel(entity="DEU", year=-1, quantile=0.5).item())
    assert data["probability"].sel(entity="POL", measure="p_credible_path", year=2029).item() == \
        results.p_credible("POL").p
    assert data["ci95_hi"].sel(entity="alliance", measure="ukraine_needs_met_every_year",
                               year=-1).item() == results.aid_tally.p_all_needs_met().ci95[1]


def test_read_run_refuses_what_is_not_a_whole_run_folder(written, tmp_path):
    _, folder = written
    with pytest.raises(ResultsError, match="no such folder"):
        sim.read_run(tmp_path / "nowhere")
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "manifest.json").write_text("{}")
    with pytest.raises(ResultsError, match="is a sweep folder, not a run folder"):
        sim.read_run(tmp_path / "sweep")
    broken = tmp_path / "broken"
    broken.mkdir()
    summary = json.loads((folder / "summary.json").read_text())
    summary["allies"]["DEU"]["p_meet_goal"] = {"p": "high", "ci95": [0, 1]}
    (broken / "summary.json").write_text(json.dumps(summary))
    (broken / "bands.csv").write_text((folder / "bands.csv").read_text())
    with pytest.raises(ResultsError, match=r"summary.json: allies.DEU.p_meet_goal.p: must be "
                                           r"a probability between 0 and 1, got 'high'"):
        sim.read_run(broken).frame()
    # Checked as the briefing checks it (sim.fields): an interval low first.
    summary["allies"]["DEU"]["p_meet_goal"] = {"p": 0.5, "ci95": [0.9, 0.1]}
    (broken / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ResultsError, match=r"summary.json: allies.DEU.p_meet_goal.ci95: must be "
                                           r"\[low, high\], two probabilities"):
        sim.read_run(broken).frame()
    (broken / "bands.csv").write_text("entity,measure,year,p05,p25,p50,p75,p95\n"
                                      "DEU,core,2026,a,b,c,d,e\n")
    with pytest.raises(ResultsError, match=r"bands.csv: p05: must hold numbers"):
        sim.read_run(broken)


def test_the_catalog_finds_every_run_under_a_root(written, tmp_path):
    results, folder = written
    root = folder.parent.parent  # runs/a/ukraine, and a second run beside it
    other = sim.run(sim.load_scenario("baseline"), draws=1000, seed=5)
    write_outputs(other, root / "b" / "baseline")
    database = sim.catalog(root)
    runs = database.sql("select scenario, seed from runs order by folder").fetchall()
    assert runs == [("ukraine-2026-2030", 4), ("baseline", 5)]
    germany = database.sql(
        "select r.scenario, x.value from results x join runs r using (folder) "
        "where x.entity = 'DEU' and x.measure = 'p_meet_goal' order by r.scenario").fetchall()
    assert germany == [("baseline", other.p_meet_goal("DEU").p),
                       ("ukraine-2026-2030", results.p_meet_goal("DEU").p)]
    with pytest.raises(ResultsError, match="holds no run folder"):
        sim.catalog(tmp_path)


def test_the_readme_example_runs(tmp_path, monkeypatch):
    # The README's notebook-style example, run as written in a folder of its own.
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- analysis example -->\n```python\n(.*?)```", text, re.S)
    assert block is not None, "the README's analysis example is missing"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # our own README, not input
    assert namespace["germany"].shape[0] == 2


def test_the_run_folder_has_every_probability_in_long_form(written):
    results, folder = written
    table = pd.read_csv(folder / "probabilities.csv")
    assert list(table.columns) == ["entity", "measure", "year", "p", "ci95_lo", "ci95_hi"]
    frame = results.frame()
    probabilities = frame[frame["quantile"].isna()].reset_index(drop=True)
    assert len(table) == len(probabilities)
    np.testing.assert_array_equal(table["p"], probabilities["value"])
    every_year = table[table.measure == "ukraine_needs_met_every_year"]
    assert every_year["year"].isna().all() and len(every_year) == 1


def test_the_catalog_reads_a_sweeps_variants_beside_the_runs(written, tmp_path):
    _, folder = written
    root = tmp_path / "root"
    shutil.copytree(folder, root / "run")
    spec = root / "sweep.toml"
    spec.write_text('[sweep]\nbase = "baseline"\ndesign = "lhs"\nsamples = 3\nseed = 2\n'
                    'draws = 200\n\n[[sweep.parameters]]\nkey = "defaults.commitment.follow"\n'
                    'range = [0.1, 0.6]\n', encoding="utf-8")
    table = sim.sweep(spec, out=root / "sweeps" / "follow", workers=1)
    database = sim.catalog(root)
    assert database.sql("select design from sweeps").fetchall() == [("lhs",)]
    variants = database.sql("select * from variants order by 1").df()
    assert len(variants) == 3 == len(table)
    assert database.sql("select count(*) from runs").fetchall() == [(1,)]


def test_a_stored_run_gives_the_draw_outcomes_the_run_kept(tmp_path):
    results = sim.run(sim.load_scenario("analytic"), draws=700, seed=3, per_draw=True)
    folder = tmp_path / "kept"
    write_outputs(results, folder)
    stored = sim.read_run(folder).draw_outcomes
    assert stored is not None and results.draw_outcomes is not None
    assert stored.keys == results.draw_outcomes.keys
    assert (stored.bits == results.draw_outcomes.bits).all()
    assert (stored.seed, stored.draws) == (3, 700)
    (folder / "outcomes.npz").write_bytes(b"not a zip")
    with pytest.raises(ResultsError, match=r"outcomes\.npz: cannot be read"):
        _ = sim.read_run(folder).draw_outcomes
    (folder / "outcomes.npz").unlink()
    assert sim.read_run(folder).draw_outcomes is None  # a run that kept none
