"""Sweep reports: built from small real sweeps, valid embedded PNGs, clear errors for bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from invoke import summit
from page_checks import assert_valid_report
from sweep_files import RELATED, WIDE_FOLLOW, sweep_text

from sim import sweep
from sim.errors import OptionError, ResultsError
from sim.files import MANIFEST
from sim.reports.sweep_briefing import sweep_page, write_sweep_report

SWEEP = sweep_text(design="{design}", samples="{samples}", seed=3, draws=300,
                   parameters=(WIDE_FOLLOW, RELATED))


def _small_sweep(tmp_path_factory, design: str, samples: int) -> Path:
    """Run a tiny real sweep of ``SWEEP`` (300 draws a variant); return its folder."""
    folder = tmp_path_factory.mktemp(design)
    (folder / "sweep.toml").write_text(SWEEP.format(design=design, samples=samples))
    sweep(folder / "sweep.toml", out=folder / "out")
    return folder / "out"


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory) -> Path:
    """A tiny real Sobol sweep: 2 parameters, 8 samples (32 variants), 300 draws each."""
    return _small_sweep(tmp_path_factory, "sobol", 8)


@pytest.fixture(scope="module")
def lhs_sweep(tmp_path_factory) -> Path:
    return _small_sweep(tmp_path_factory, "lhs", 12)


def test_a_sobol_sweep_report_has_indices_a_box_and_scatter(sobol_sweep, tmp_path) -> None:
    written = write_sweep_report(sobol_sweep, tmp_path / "report")
    assert [p.name for p in written[2:]] == ["sobol-indices.png", "prim-box.png",
                                            "scatter-alliance_meets_goal.png"]
    assert_valid_report(written, tmp_path / "report")
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "The assumption that matters most for P(alliance meets goal) is" in markdown
    assert "Monte Carlo noise" in markdown
    for metric in ("P(alliance meets goal)", "P(alliance meets the core goal)"):
        assert f"**Sobol indices of {metric}**" in markdown
    # On common random numbers every base point of this small sweep has no draw in which every
    # ally meets the goal: no indices, said so, not SALib's 0/0.
    assert re.search(r"P\(every ally meets the goal\): no indices, .+ is 0 at every base point",
                     markdown)
    assert re.search(r"falls below 0\.5 in \d+% of variants; where .+, it does so in \d+% of "
                     r"variants \(density\), covering \d+% of all such variants \(coverage\)",
                     markdown)


def test_the_report_goes_beside_the_sweep_by_default(sobol_sweep) -> None:
    written = write_sweep_report(sobol_sweep, metric="alliance_meets_core", threshold=0.7)
    assert written[0] == sobol_sweep / "report.html"
    assert (sobol_sweep / "scatter-alliance_meets_core.png").is_file()


def test_an_lhs_sweep_report_says_sobol_indices_need_a_sobol_design(lhs_sweep,
                                                                    tmp_path) -> None:
    written = write_sweep_report(lhs_sweep, tmp_path)
    assert [p.name for p in written[2:]] == ["prim-box.png", "scatter-alliance_meets_goal.png"]
    html = assert_valid_report(written, tmp_path)
    assert "Sobol indices need a sweep on Saltelli&#x27;s scheme: set design = " in html


def test_a_sobol_sweep_with_a_missing_variant_reports_without_indices(sobol_sweep,
                                                                      tmp_path) -> None:
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / MANIFEST).write_bytes((sobol_sweep / MANIFEST).read_bytes())
    pd.read_parquet(sobol_sweep / "results.parquet").drop(index=5).to_csv(
        cut / "results.csv", index=False)
    page = sweep_page(cut)
    text = " ".join(p for s in page.sections for p in s.paragraphs)
    assert "No Sobol indices: the table lacks variants" in text
    assert "1 variants have not run" in text


def test_a_folder_that_is_not_a_sweep_is_a_results_error(sobol_sweep, tmp_path) -> None:
    with pytest.raises(ResultsError, match=r"manifest\.json: missing: not a sweep folder"):
        sweep_page(tmp_path)
    (tmp_path / MANIFEST).write_bytes((sobol_sweep / MANIFEST).read_bytes())
    with pytest.raises(ResultsError) as err:
        sweep_page(tmp_path)
    assert err.value.file == str(tmp_path / "results.parquet")
    assert "missing" in err.value.problem
    (tmp_path / "results.parquet").write_text("not parquet")
    with pytest.raises(ResultsError, match="cannot be read"):
        sweep_page(tmp_path)
    (tmp_path / "results.parquet").unlink()
    pd.read_parquet(sobol_sweep / "results.parquet").drop(columns="status").to_csv(
        tmp_path / "results.csv", index=False)
    with pytest.raises(ResultsError) as err:
        sweep_page(tmp_path)
    assert (err.value.file, err.value.key, err.value.problem) == (
        str(tmp_path / "results.csv"), "status", "missing column")
    with pytest.raises(ResultsError, match="no such folder"):
        sweep_page(tmp_path / "nowhere")


def test_an_old_manifest_is_a_results_error(sobol_sweep, tmp_path) -> None:
    (tmp_path / MANIFEST).write_text(json.dumps({"sweep": "x.toml", "digest": "0"}))
    with pytest.raises(ResultsError, match="predates recorded designs"):
        sweep_page(tmp_path)


def test_a_bad_metric_or_threshold_is_an_option_error(sobol_sweep) -> None:
    with pytest.raises(OptionError, match=r"'alliance_meet_goal' is not in this sweep's table "
                       r"\(did you mean 'alliance_meets_goal'\?\); it has all_allies_meet_goal"):
        sweep_page(sobol_sweep, metric="alliance_meet_goal")
    for threshold in (0, 1, 1.5, True):
        with pytest.raises(OptionError, match="threshold: must be a probability"):
            sweep_page(sobol_sweep, threshold=threshold)


def test_summit_report_on_a_sweep_folder_takes_metric_and_threshold(sobol_sweep, tmp_path,
                                                                    capsys) -> None:
    code, _, err = summit(capsys, "report", str(sobol_sweep), "--out", str(tmp_path),
                          "--metric", "alliance_meets_core", "--threshold", "0.6")
    assert code == 0, err
    assert f"wrote {tmp_path / 'scatter-alliance_meets_core.png'}" in err
    code, _, err = summit(capsys, "report", str(sobol_sweep), "--metric", "alliance_meets_gaol")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "alliance_meets_goal" in err


def test_sobol_tables_have_plain_headers_with_their_intervals(sobol_sweep) -> None:
    page = sweep_page(sobol_sweep)
    tables = [t for s in page.sections for t in s.tables if t.title.startswith("Sobol")]
    assert tables
    for table in tables:
        assert list(table.frame.columns) == ["First order S1 (95% interval)",
                                             "Total order ST (95% interval)"]
        assert table.frame.index.name == "Parameter"
        assert all(re.fullmatch(r"-?\d\.\d\d \(-?\d\.\d\d to -?\d\.\d\d\)", cell)
                   for cell in table.frame.to_numpy().ravel())


def test_a_new_report_removes_an_earlier_reports_interactive_page_and_charts(sobol_sweep,
                                                                             tmp_path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    for name in ("report-interactive.html", "prim-box.png", "sobol-indices.png"):
        (out / name).write_text("an earlier report's")
    (out / "notes.txt").write_text("the user's own")
    written = write_sweep_report(sobol_sweep, out)
    names = {path.name for path in written}
    assert not (out / "report-interactive.html").exists()
    for name in ("prim-box.png", "sobol-indices.png"):
        assert (out / name).exists() == (name in names)
        if name in names:
            assert (out / name).read_bytes().startswith(b"\x89PNG")
    assert (out / "notes.txt").read_text() == "the user's own"
